"""Backlog and KPI metrics computed exactly from ticket histories.

Every function takes ``histories`` — an iterable whose items are the events of one ticket (in order) or a
:class:`~ticketcore.model.Ticket` snapshot — and an explicit instant (``as_of``) or :class:`Period`; nothing reads the
clock. Results are frozen values that ``ticketcore.codec.dump`` turns into plain data.

Definitions, shared by every metric and by the DataFrame path in ``ticketcore.dataframes``:

* A ticket *as of* ``t`` is its history folded up to, and excluding, the instant ``t``; a :class:`Period` counts the
  events with ``start <= at < end``. So ``backlog(end) == backlog(start) + created - solved + reopened`` in between.
* The **backlog** is the tickets whose category is not ``solved`` or ``closed``.
* **Trailing windows and steps back from an instant** (``window=`` of :func:`backlog_ratio`, the weeks of
  :func:`growth_trend`) are exact elapsed time: ``as_of`` minus the ``timedelta`` on the UTC timeline, whatever zone
  ``as_of`` carries, so a 4-week window is 28 × 24 hours long even across a DST change, the ratio's "per week"
  divides by the window's true length, and the same instant gives the same answer written in any zone.
* **Calendar periods** (the days, weeks and months of :func:`flow`, the daily instants of :func:`backlog_series`)
  are local calendar time in the zone named by ``tz``: a week runs from Monday 00:00 to the next Monday 00:00 on
  that zone's clocks (167 or 169 hours across a DST change), as a weekly report read by people in that zone expects.
  Wanting calendar weeks, name the zone and use these; wanting a fixed span, pass a ``timedelta``.
* A **resolution** is a move from an unsolved category into ``solved`` or ``closed`` (``solved → closed`` is not a new
  one); a **reopen** is a move back. Tickets **solved in a period** are those done as of its end whose last
  resolution falls in it (:func:`reopens` alone counts every ticket with a resolution in the period, see there).
* **First response** is the first public reply by staff (agent, supervisor, admin); **first resolution** the first
  resolution; **full resolution** the last one of a ticket solved in the period — each measured from creation.

SLA achievement rates come from SLA reports (:func:`sla_achievement` over ``policy.evaluate(events, now=…)``).

Several metrics over the same tickets? :func:`fold` them once and pass the folded list.

Snapshots stand for their history up to ``updated_at``: the state-at-an-instant metrics (backlog, ageing) accept
them for instants after it; metrics that count events raise :class:`HistoryNeeded` for them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from itertools import pairwise
from zoneinfo import ZoneInfo

from ticketcore._backlog.checks import (
    DIMENSIONS,
    DURATION_METRICS,
    check_dimension,
    check_edges,
    check_good_from,
    check_metric,
    check_weeks,
    check_window,
)
from ticketcore._backlog.history import FoldedHistory, Source, histories_of
from ticketcore._backlog.periods import before, local_instant, period_starts, zone
from ticketcore._backlog.sla import SLAAchievement, SLARate, sla_achievement
from ticketcore._backlog.values import (
    AgeBucket,
    Ageing,
    AgentActivity,
    AgentReport,
    Backlog,
    BacklogPoint,
    BacklogRatio,
    BacklogSeries,
    Csat,
    DurationStats,
    Flow,
    FlowPoint,
    GroupCount,
    GrowthTrend,
    Key,
    Period,
    Reopens,
    Share,
    TouchResolution,
    TrendPoint,
    Volumes,
    groups_of,
)
from ticketcore._calendar import Elapsed
from ticketcore._time import require_aware
from ticketcore.model import Ticket

__all__ = [
    "DEFAULT_AGE_EDGES",
    "DIMENSIONS",
    "DURATION_METRICS",
    "FREQUENCIES",
    "AgeBucket",
    "Ageing",
    "AgentActivity",
    "AgentReport",
    "Backlog",
    "BacklogPoint",
    "BacklogRatio",
    "BacklogSeries",
    "Csat",
    "DurationStats",
    "Flow",
    "FlowPoint",
    "FoldedHistory",
    "GroupCount",
    "GrowthTrend",
    "Period",
    "Reopens",
    "SLAAchievement",
    "SLARate",
    "Share",
    "Source",
    "TouchResolution",
    "TrendPoint",
    "Volumes",
    "ageing",
    "agents",
    "backlog",
    "backlog_ratio",
    "backlog_series",
    "csat",
    "durations",
    "flow",
    "fold",
    "growth_trend",
    "reopens",
    "self_service_share",
    "sla_achievement",
    "touches",
    "volumes",
]

DEFAULT_AGE_EDGES = tuple(timedelta(days=d) for d in (0, 1, 3, 7, 30))
"""Ageing bucket edges: 0–1 d, 1–3 d, 3–7 d, 7–30 d and 30 d or more."""

FREQUENCIES = ("day", "week", "month")
"""The period lengths of :func:`flow` (weeks start on Monday)."""


def fold(histories: Iterable[Source]) -> list[FoldedHistory]:
    """Fold each history once, for several metrics over the same tickets: every function here accepts the result
    in place of the histories (and gives the same answers, faster)."""
    return histories_of(histories)


def _key(ticket: Ticket, by: str) -> Key:
    value = getattr(ticket, "assignee" if by == "assignee" else by)
    return str(value) if by == "category" else value


def _open_at(history: FoldedHistory, instant: datetime) -> Ticket | None:
    ticket = history.at(instant)
    return ticket if ticket is not None and ticket.is_unsolved else None


def backlog(histories: Iterable[Source], as_of: datetime, *, by: str | None = None) -> Backlog:
    """The unsolved tickets as of ``as_of``, broken down by one of :data:`DIMENSIONS` if ``by`` is given."""
    require_aware(as_of, "as_of")
    dimension = check_dimension(by) if by is not None else None
    counts: Counter[Key] = Counter()
    total = 0
    for history in histories_of(histories):
        ticket = _open_at(history, as_of)
        if ticket is not None:
            total += 1
            if dimension is not None:
                counts[_key(ticket, dimension)] += 1
    return Backlog(as_of, total, dimension, groups_of(counts))


def _open_counts(histories: list[FoldedHistory], instants: Sequence[datetime]) -> list[int]:
    """The backlog just before each instant, from +1/−1 steps (creation, resolutions, reopens)."""
    steps: list[tuple[datetime, int]] = []
    counts = [0] * len(instants)
    for history in histories:
        if not history.has_events:
            for i, instant in enumerate(instants):
                counts[i] += _open_at(history, instant) is not None
            continue
        if history.snapshots[0].is_unsolved:
            steps.append((history.created_at, 1))
        steps.extend((at, -1) for at, _, _ in history.resolutions)
        steps.extend((at, 1) for at in history.reopens)
    steps.sort(key=lambda step: step[0])
    order = sorted(range(len(instants)), key=lambda i: instants[i])
    running, j = 0, 0
    for i in order:
        while j < len(steps) and steps[j][0] < instants[i]:
            running += steps[j][1]
            j += 1
        counts[i] += running
    return counts


def backlog_series(
    histories: Iterable[Source], start: date, end: date, *, tz: str | ZoneInfo, at: time = time(23, 0)
) -> BacklogSeries:
    """The backlog at local time ``at`` (default 23:00, as Zendesk snapshots it) in ``tz`` on each date from
    ``start`` to ``end`` inclusive."""
    zone_info = zone(tz)
    days = [date.fromordinal(d) for d in range(start.toordinal(), end.toordinal() + 1)]
    instants = [local_instant(day, at, zone_info) for day in days]
    counts = _open_counts(histories_of(histories), instants)
    points = tuple(BacklogPoint(d, i, c) for d, i, c in zip(days, instants, counts, strict=True))
    return BacklogSeries(zone_info, points)


def _solved_between(history: FoldedHistory, start: datetime, end: datetime) -> int:
    history.need_events("counting resolutions")
    return sum(start <= at < end for at, _, _ in history.resolutions)


def backlog_ratio(
    histories: Iterable[Source], as_of: datetime, *, window: timedelta = timedelta(weeks=4)
) -> BacklogRatio:
    """Weeks of backlog as of ``as_of``: open tickets ÷ average resolutions per week in ``[as_of - window, as_of)``.

    The window is exact elapsed time (``window`` on the UTC timeline, not on ``as_of``'s wall clock), so that
    ``solved / (window / 1 week)`` is a true rate across DST changes too.

    Infinite (``math.inf``, and said so by :meth:`BacklogRatio.describe`) when nothing was solved in the window.
    """
    require_aware(as_of, "as_of")
    check_window(window)
    found = histories_of(histories)
    open_now = sum(_open_at(history, as_of) is not None for history in found)
    solved = sum(_solved_between(history, before(as_of, window), as_of) for history in found)
    if open_now == 0:
        weeks = 0.0
    elif solved == 0:
        weeks = math.inf
    else:
        micros = Fraction(
            window // timedelta(microseconds=1), timedelta(weeks=1) // timedelta(microseconds=1)
        )
        weeks = float(open_now * micros / solved)
    return BacklogRatio(as_of, window, open_now, solved, weeks)


def growth_trend(
    histories: Iterable[Source], as_of: datetime, *, weeks: int = 8, steady_after: int = 3
) -> GrowthTrend:
    """The backlog at ``as_of`` and at each of the ``weeks`` whole weeks of elapsed time (7 × 24 hours) before it,
    shown in ``as_of``'s zone, with the number of latest consecutive weeks it grew; ``steady`` once that reaches
    ``steady_after``, however small the growth."""
    require_aware(as_of, "as_of")
    check_weeks(weeks, steady_after)
    instants = [before(as_of, timedelta(weeks=k)) for k in range(weeks, -1, -1)]
    counts = _open_counts(histories_of(histories), instants)
    growing = 0
    for earlier, after in zip(reversed(counts[:-1]), reversed(counts[1:]), strict=True):
        if after <= earlier:
            break
        growing += 1
    points = tuple(TrendPoint(i, c) for i, c in zip(instants, counts, strict=True))
    return GrowthTrend(as_of, points, growing, growing >= steady_after)


def flow(
    histories: Iterable[Source], start: date, end: date, *, tz: str | ZoneInfo, freq: str = "week"
) -> Flow:
    """Tickets created, solved and reopened per day, week (from Monday) or month of local time in ``tz``, for the
    periods from the one containing ``start`` to the one containing ``end``."""
    zone_info = zone(tz)
    bounds = period_starts(start, end, freq, zone_info)
    found = histories_of(histories)
    points = []
    for low, high in pairwise(bounds):
        created = sum(low <= history.created_at < high for history in found)
        solved = sum(_solved_between(history, low, high) for history in found)
        reopened = sum(low <= at < high for history in found for at in history.reopens)
        points.append(FlowPoint(low, high, created, solved, reopened))
    return Flow(freq, zone_info, tuple(points))


def ageing(
    histories: Iterable[Source],
    as_of: datetime,
    *,
    edges: Sequence[timedelta] = DEFAULT_AGE_EDGES,
    calendar: Elapsed | None = None,
) -> Ageing:
    """Open tickets at ``as_of`` bucketed by age since creation: calendar time, or business time on ``calendar``.

    ``edges`` start at zero and increase; the last bucket is unbounded.
    """
    require_aware(as_of, "as_of")
    bounds = check_edges(edges)
    counts = [0] * len(bounds)
    for history in histories_of(histories):
        ticket = _open_at(history, as_of)
        if ticket is None:
            continue
        age = as_of - ticket.created_at if calendar is None else calendar.elapsed(ticket.created_at, as_of)
        index = sum(age >= edge for edge in bounds) - 1
        counts[max(index, 0)] += 1
    highs: list[timedelta | None] = [*bounds[1:], None]
    buckets = tuple(AgeBucket(low, high, n) for low, high, n in zip(bounds, highs, counts, strict=True))
    return Ageing(as_of, calendar is not None, buckets)


def _solved_in(history: FoldedHistory, period: Period) -> tuple[datetime, int, str | None] | None:
    """The last resolution of a ticket solved in ``period`` (done as of its end), or ``None``."""
    history.need_events("tickets solved in a period")
    ticket = history.at(period.end)
    if ticket is None or ticket.is_unsolved:
        return None
    before = [r for r in history.resolutions if r[0] < period.end]
    return before[-1] if before and before[-1][0] >= period.start else None


def _end_of(history: FoldedHistory, metric: str, period: Period) -> datetime | None:
    history.need_events(metric)
    if metric == "first_response":
        return next((at for at, _, _, staff in history.replies if staff), None)
    if metric == "first_resolution":
        return history.resolutions[0][0] if history.resolutions else None
    last = _solved_in(history, period)
    return last[0] if last is not None else None


def _stats(metric: str, period: Period, business: bool, values: list[timedelta]) -> DurationStats:
    if not values:
        return DurationStats(metric, period, business, 0, None, None, None)
    values.sort()
    n = len(values)
    mean = sum(values, timedelta(0)) / n
    median = values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
    p90 = values[(9 * n + 9) // 10 - 1]
    return DurationStats(metric, period, business, n, mean, median, p90)


def durations(
    histories: Iterable[Source], period: Period, metric: str, *, calendar: Elapsed | None = None
) -> DurationStats:
    """Statistics of one of :data:`DURATION_METRICS` over the tickets whose measured moment (first response, first
    resolution, last resolution) falls in ``period``: calendar time, or business time on ``calendar``."""
    check_metric(metric)
    values: list[timedelta] = []
    for history in histories_of(histories):
        end = _end_of(history, metric, period)
        if end is not None and end in period:
            start = history.created_at
            values.append(end - start if calendar is None else calendar.elapsed(start, end))
    return _stats(metric, period, calendar is not None, values)


def touches(
    histories: Iterable[Source], period: Period, *, zero_as_one_touch: bool = True
) -> TouchResolution:
    """Tickets solved in ``period`` by public staff replies before their last resolution: one-touch (at most one
    reply when ``zero_as_one_touch``, as Zendesk counts; exactly one otherwise), two-touch, multi-touch (3+)."""
    by_replies: Counter[int] = Counter()
    solved = 0
    for history in histories_of(histories):
        last = _solved_in(history, period)
        if last is None:
            continue
        solved += 1
        by_replies[min(sum(staff and seq < last[1] for _, seq, _, staff in history.replies), 3)] += 1
    one = by_replies[1] + (by_replies[0] if zero_as_one_touch else 0)
    return TouchResolution(period, solved, by_replies[0], one, by_replies[2], by_replies[3])


def reopens(histories: Iterable[Source], period: Period) -> Reopens:
    """How often solved tickets come back: ``solved`` counts the tickets with at least one resolution in ``period``
    (whatever happened to them afterwards), ``reopened`` those of them reopened at least once before its end, and
    ``reopens`` every reopen in it.

    A ticket solved and then reopened inside the period is the very case a reopen rate is meant to catch, so it
    counts as solved *and* reopened even though it is open again at the period's end (unlike :func:`touches` and
    :func:`durations`, which measure the tickets that stay solved).

    >>> from datetime import UTC, datetime, timedelta
    >>> from ticketcore.model import Actor, Category, Opened, Role, StatusChanged
    >>> day = datetime(2025, 3, 3, 9, tzinfo=UTC)
    >>> ada, cy = Actor("ada", Role.AGENT), Actor("cy", Role.REQUESTER)
    >>> def move(seq, hours, old, new, by):
    ...     return StatusChanged(ticket_id="A", seq=seq, at=day + timedelta(hours=hours), actor=by,
    ...                          from_status=old, from_category=Category(old), to_status=new,
    ...                          to_category=Category(new))
    >>> history = [
    ...     Opened(ticket_id="A", seq=1, at=day, actor=cy, requester="cy", subject="VPN down"),
    ...     move(2, 1, "new", "solved", ada),   # solved on Monday...
    ...     move(3, 5, "solved", "open", cy),   # ...reopened on Monday afternoon, and still open at the end
    ... ]
    >>> week = Period(day, day + timedelta(weeks=1))
    >>> result = reopens([history], week)
    >>> (result.solved, result.reopened, result.reopens, result.rate)
    (1, 1, 1, 1.0)
    """
    solved = reopened = count = 0
    for history in histories_of(histories):
        history.need_events("counting reopens")
        count += sum(at in period for at in history.reopens)
        if any(at in period for at, _, _ in history.resolutions):
            solved += 1
            reopened += any(at < period.end for at in history.reopens)
    return Reopens(period, solved, reopened, count)


def csat(histories: Iterable[Source], period: Period, *, good_from: tuple[int, int] = (4, 5)) -> Csat:
    """Good ÷ rated over each ticket's last rating in ``period``; a score is good when ``score / scale >=
    good_from[0] / good_from[1]`` (4 or 5 out of 5 by default; 8 out of 10 on a ten-point scale)."""
    num, den = check_good_from(good_from)
    rated = good = 0
    for history in histories_of(histories):
        history.need_events("CSAT")
        last = [(score, scale) for at, score, scale in history.ratings if at in period]
        if last:
            score, scale = last[-1]
            rated += 1
            good += score * den >= num * scale
    return Csat(period, rated, good)


def _created_in(histories: Iterable[Source], period: Period) -> list[Ticket]:
    found = histories_of(histories)
    for history in found:
        history.need_events("volumes by the attributes at creation")
    return [h.snapshots[0] for h in found if h.created_at in period]


def volumes(histories: Iterable[Source], period: Period, *, by: str = "channel") -> Volumes:
    """Tickets created in ``period`` broken down by ``by`` (one of :data:`DIMENSIONS`) as it was at creation."""
    dimension = check_dimension(by)
    created = _created_in(histories, period)
    counts: Counter[Key] = Counter(_key(ticket, dimension) for ticket in created)
    return Volumes(period, dimension, len(created), groups_of(counts))


def self_service_share(
    histories: Iterable[Source], period: Period, *, channels: Iterable[str] = ("self_service",)
) -> Share:
    """The share of tickets created in ``period`` through one of the self-service ``channels``."""
    wanted = {channels} if isinstance(channels, str) else set(channels)
    created = _created_in(histories, period)
    return Share(period, len(created), sum(ticket.channel in wanted for ticket in created))


def agents(histories: Iterable[Source], period: Period) -> AgentReport:
    """Per agent: open tickets assigned to them at the end of ``period`` (load), resolutions in it while assigned to
    them, and their public replies in it (throughput)."""
    load: Counter[str] = Counter()
    solved: Counter[str] = Counter()
    replies: Counter[str] = Counter()
    for history in histories_of(histories):
        history.need_events("agent throughput")
        ticket = _open_at(history, period.end)
        if ticket is not None and ticket.assignee is not None:
            load[ticket.assignee] += 1
        solved.update(agent for at, _, agent in history.resolutions if agent is not None and at in period)
        replies.update(actor for at, _, actor, staff in history.replies if staff and at in period)
    names = sorted(set(load) | set(solved) | set(replies))
    return AgentReport(period, tuple(AgentActivity(n, load[n], solved[n], replies[n]) for n in names))
