"""Each metric of ``ticketcore.backlog``, vectorised over a :class:`PreparedEvents` (private to ``dataframes``).

Every function returns the very value its pure namesake returns for the same histories.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from ticketcore._backlog.checks import (
    check_dimension,
    check_edges,
    check_good_from,
    check_metric,
    check_weeks,
    check_window,
)
from ticketcore._backlog.periods import before, local_instant, period_starts, zone
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
from ticketcore._frames.calendar import elapsed_us
from ticketcore._frames.metrics import PreparedEvents, whole_numbers
from ticketcore._time import require_aware, to_micros
from ticketcore.errors import ConfigError

__all__ = [
    "ageing",
    "agents",
    "backlog",
    "backlog_ratio",
    "backlog_series",
    "csat",
    "duration_micros",
    "durations",
    "flow",
    "growth_trend",
    "ratio",
    "reopens",
    "self_service_share",
    "stats",
    "touches",
    "trend",
    "volumes",
]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def _us(value: datetime, name: str = "as_of") -> int:
    return to_micros(require_aware(value, name))


def _bounds(period: Period) -> tuple[int, int]:
    return _us(period.start, "start"), _us(period.end, "end")


def _in(values: Ints, period: Period) -> Bools:
    start, end = _bounds(period)
    return (values >= start) & (values < end)


def _firsts(rows: Ints, ticket: Ints) -> Ints:
    """The first of ``rows`` (in row order) for each ticket."""
    if not len(rows):
        return rows
    return rows[np.r_[True, ticket[rows][1:] != ticket[rows][:-1]]]


def _lasts(rows: Ints, ticket: Ints) -> Ints:
    """The last of ``rows`` (in row order) for each ticket."""
    if not len(rows):
        return rows
    return rows[np.r_[ticket[rows][1:] != ticket[rows][:-1], True]]


def _counts(values: npt.NDArray[Any]) -> Counter[Key]:
    return Counter(values.tolist())


def backlog(events: PreparedEvents, as_of: datetime, by: str | None) -> Backlog:
    dimension = check_dimension(by) if by is not None else None
    rows = events.open_before(_us(as_of))
    counts = _counts(events.dimension(dimension, rows)) if dimension else Counter[Key]()
    return Backlog(as_of, len(rows), dimension, groups_of(counts))


def backlog_series(
    events: PreparedEvents, start: date, end: date, tz: str | ZoneInfo, at: time
) -> BacklogSeries:
    zone_info = zone(tz)
    days = [date.fromordinal(d) for d in range(start.toordinal(), end.toordinal() + 1)]
    instants = [local_instant(day, at, zone_info) for day in days]
    counts = events.open_counts([to_micros(i) for i in instants])
    return BacklogSeries(
        zone_info, tuple(BacklogPoint(d, i, c) for d, i, c in zip(days, instants, counts, strict=True))
    )


def backlog_ratio(events: PreparedEvents, as_of: datetime, window: timedelta) -> BacklogRatio:
    now = _us(as_of)
    check_window(window)
    open_now = len(events.open_before(now))
    at = events.at[events.resolved_rows]
    solved = int(((at >= to_micros(before(as_of, window))) & (at < now)).sum())
    return ratio(as_of, window, open_now, solved)


def ratio(as_of: datetime, window: timedelta, open_now: int, solved: int) -> BacklogRatio:
    """The backlog ratio of ``open_now`` tickets and ``solved`` in the window (also for counts added up)."""
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


def growth_trend(events: PreparedEvents, as_of: datetime, weeks: int, steady_after: int) -> GrowthTrend:
    require_aware(as_of, "as_of")
    check_weeks(weeks, steady_after)
    instants = [before(as_of, timedelta(weeks=k)) for k in range(weeks, -1, -1)]
    return trend(as_of, instants, events.open_counts([to_micros(i) for i in instants]), weeks, steady_after)


def trend(
    as_of: datetime, instants: Sequence[datetime], counts: Sequence[int], weeks: int, steady_after: int
) -> GrowthTrend:
    """The growth trend of the backlog ``counts`` at ``instants`` (also for counts added up)."""
    growing = 0
    while growing < weeks and counts[-1 - growing] > counts[-2 - growing]:
        growing += 1
    points = tuple(TrendPoint(i, c) for i, c in zip(instants, counts, strict=True))
    return GrowthTrend(as_of, points, growing, growing >= steady_after)


def _per_period(bounds: Ints, at: Ints) -> list[int]:
    index = np.searchsorted(bounds, at, side="right") - 1
    index = index[(index >= 0) & (index < len(bounds) - 1)]
    return [int(n) for n in np.bincount(index, minlength=len(bounds) - 1)]


def flow(events: PreparedEvents, start: date, end: date, tz: str | ZoneInfo, freq: str) -> Flow:
    zone_info = zone(tz)
    instants = period_starts(start, end, freq, zone_info)
    bounds = np.array([to_micros(i) for i in instants], dtype=np.int64)
    created = _per_period(bounds, events.created)
    solved = _per_period(bounds, events.at[events.resolved_rows])
    reopened = _per_period(bounds, events.at[events.reopen_rows])
    points = tuple(
        FlowPoint(instants[i], instants[i + 1], created[i], solved[i], reopened[i])
        for i in range(len(instants) - 1)
    )
    return Flow(freq, zone_info, points)


def _ages(calendar: Any, starts: Ints, ends: Ints) -> Ints:
    return ends - starts if calendar is None else elapsed_us(calendar, starts, ends)


def ageing(events: PreparedEvents, as_of: datetime, edges: Sequence[timedelta], calendar: Any) -> Ageing:
    now = _us(as_of)
    bounds = check_edges(edges)
    rows = events.open_before(now)
    created = events.created[events.ticket[rows]]
    ages = _ages(calendar, created, np.full(len(rows), now, dtype=np.int64))
    limits = np.array([edge // timedelta(microseconds=1) for edge in bounds], dtype=np.int64)
    index = np.maximum(np.searchsorted(limits, ages, side="right") - 1, 0)
    counts = np.bincount(index, minlength=len(bounds))
    highs: list[timedelta | None] = [*bounds[1:], None]
    buckets = tuple(AgeBucket(low, high, int(n)) for low, high, n in zip(bounds, highs, counts, strict=True))
    return Ageing(as_of, calendar is not None, buckets)


def stats(metric: str, period: Period, business: bool, micros: Ints) -> DurationStats:
    """Count, mean, median and p90 of the durations ``micros`` (in any order), exactly."""
    n = len(micros)
    if not n:
        return DurationStats(metric, period, business, 0, None, None, None)
    values = np.sort(micros)
    # Split the sum so that a million durations of years cannot overflow int64.
    total = int((values >> 20).sum()) * (1 << 20) + int((values & ((1 << 20) - 1)).sum())
    mean = timedelta(microseconds=total) / n
    middle = [timedelta(microseconds=int(v)) for v in values[(n - 1) // 2 : n // 2 + 1]]
    median = middle[0] if n % 2 else (middle[0] + middle[1]) / 2
    p90 = timedelta(microseconds=int(values[(9 * n + 9) // 10 - 1]))
    return DurationStats(metric, period, business, n, mean, median, p90)


def durations(events: PreparedEvents, period: Period, metric: str, calendar: Any) -> DurationStats:
    return stats(metric, period, calendar is not None, duration_micros(events, period, metric, calendar))


def duration_micros(events: PreparedEvents, period: Period, metric: str, calendar: Any) -> Ints:
    """The durations (µs) :func:`durations` summarises: one per ticket measured in ``period``."""
    check_metric(metric)
    if metric == "first_response":
        rows = _firsts(events.reply_rows, events.ticket)
    elif metric == "first_resolution":
        rows = _firsts(events.resolved_rows, events.ticket)
    else:
        rows = events.solved_in(*_bounds(period))[1]
    rows = rows[_in(events.at[rows], period)]
    return _ages(calendar, events.created[events.ticket[rows]], events.at[rows])


def touches(events: PreparedEvents, period: Period, zero_as_one_touch: bool) -> TouchResolution:
    tickets, rows = events.solved_in(*_bounds(period))
    last_seq = np.zeros(len(events.created), dtype=np.int64)
    last_seq[tickets] = events.seq[rows]
    replies = events.reply_rows
    owner = events.ticket[replies]
    before = replies[events.seq[replies] < last_seq[owner]]
    per_ticket = np.bincount(events.ticket[before], minlength=len(events.created))[tickets]
    by = np.bincount(np.minimum(per_ticket, 3), minlength=4)
    one = int(by[1]) + (int(by[0]) if zero_as_one_touch else 0)
    return TouchResolution(period, len(tickets), int(by[0]), one, int(by[2]), int(by[3]))


def reopens(events: PreparedEvents, period: Period) -> Reopens:
    _, end = _bounds(period)
    resolved = events.resolved_rows
    tickets = np.unique(events.ticket[resolved[_in(events.at[resolved], period)]])
    reopen_at = events.at[events.reopen_rows]
    earlier = np.unique(events.ticket[events.reopen_rows[reopen_at < end]])
    reopened = int(np.isin(tickets, earlier).sum())
    return Reopens(period, len(tickets), reopened, int(_in(reopen_at, period).sum()))


def csat(events: PreparedEvents, period: Period, good_from: tuple[int, int]) -> Csat:
    num, den = check_good_from(good_from)
    rows = events.rating_rows[_in(events.at[events.rating_rows], period)]
    rows = _lasts(rows, events.ticket)
    if len(rows) and "score" not in events.frame:
        raise ConfigError("rated events need a 'score' column (see EVENT_COLUMNS)", "score")
    score = whole_numbers(events.frame["score"].iloc[rows], "score") if len(rows) else np.zeros(0, np.int64)
    scale = (
        whole_numbers(events.frame["scale"].iloc[rows], "scale", default=5) if "scale" in events.frame else 5
    )
    return Csat(period, len(rows), int((score * den >= num * scale).sum()))


def _created_rows(events: PreparedEvents, period: Period) -> Ints:
    rows = np.flatnonzero(events.first)
    return rows[_in(events.at[rows], period)]


def volumes(events: PreparedEvents, period: Period, by: str) -> Volumes:
    dimension = check_dimension(by)
    rows = _created_rows(events, period)
    return Volumes(period, dimension, len(rows), groups_of(_counts(events.dimension(dimension, rows))))


def self_service_share(events: PreparedEvents, period: Period, channels: Iterable[str]) -> Share:
    wanted = [channels] if isinstance(channels, str) else list(channels)
    rows = _created_rows(events, period)
    matching = np.isin(events.dimension("channel", rows), np.array(wanted, dtype=object))
    return Share(period, len(rows), int(matching.sum()))


def agents(events: PreparedEvents, period: Period) -> AgentReport:
    _, end = _bounds(period)
    load = _counts(events.dimension("assignee", events.open_before(end)))
    resolved = events.resolved_rows[_in(events.at[events.resolved_rows], period)]
    solved = _counts(events.dimension("assignee", resolved))
    replies = events.reply_rows[_in(events.at[events.reply_rows], period)]
    actor = events.frame["actor_id"].to_numpy(dtype=object)
    replied = _counts(actor[replies])
    names = sorted(str(n) for n in (set(load) | set(solved) | set(replied)) if n is not None)
    return AgentReport(period, tuple(AgentActivity(n, load[n], solved[n], replied[n]) for n in names))
