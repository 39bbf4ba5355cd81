"""The help-desk report of ``ticketcore demo`` and ``ticketcore report``, as plain sections (private to cli).

A report is a tuple of :class:`Section` s, each a small table whose cells are plain values (ints, floats, strings,
timedeltas, datetimes, ``None``); the renderers in ``_cli.render`` turn them into a text table, JSON or CSV. Every
figure is computed from ticket histories at an explicit ``as_of`` with the core's pure functions.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import attrs

from ticketcore import backlog
from ticketcore.automation import TIMER_PREFIX
from ticketcore.model import Assigned, Event, Role, Ticket, TimerFired
from ticketcore.sla import ClockState, SLAPolicySet, SLAReport, compliance

__all__ = ["BY_DIMENSIONS", "SECTION_KEYS", "Cell", "Section", "build_report"]

Cell = int | float | str | timedelta | datetime | None

BY_DIMENSIONS = ("channel", "priority", "group", "region")
"""What ``--by`` can break the report down by."""

SECTION_KEYS = (
    "summary",
    "sla_compliance",
    "backlog",
    "trend",
    "flow",
    "ageing",
    "response_times",
    "breakdown",
    "top_breaches",
    "routing",
    "agents",
    "automations",
)
"""The report's sections, in order."""

_WINDOW = timedelta(weeks=4)
_TOP = 10


@attrs.frozen
class Section:
    """One table of the report: a ``key`` (see :data:`SECTION_KEYS`), column keys, and rows of cells."""

    key: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def build_report(
    histories: Sequence[Sequence[Event]],
    policies: SLAPolicySet,
    *,
    as_of: datetime,
    by: str = "channel",
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Section, ...]:
    """Every section of the report over ``histories`` (one event list per ticket) at ``as_of``."""
    # Everything is "as of": events at or after the instant are not part of the report, even in its last week.
    cut = ([event for event in events if event.at < as_of] for events in histories)
    known = [events for events in cut if events]
    reports: list[SLAReport] = []
    for index, events in enumerate(known, start=1):
        reports.append(policies.evaluate(events, now=as_of))
        if progress is not None and (index % 50 == 0 or index == len(known)):
            progress(index, len(known))
    tickets = [Ticket.from_events(events) for events in known]
    period = backlog.Period(as_of - _WINDOW, as_of)
    trend = backlog.growth_trend(known, as_of, weeks=6)
    return (
        _summary(known, as_of, period),
        _compliance(reports),
        _backlog(known, as_of, trend),
        Section("trend", ("at", "open"), tuple((point.at, point.open) for point in trend.points)),
        _flow(known, period),
        _ageing(tickets, as_of),
        _response_times(known, period),
        _breakdown(tickets, reports, as_of, by),
        _breaches(reports, as_of),
        _routing(known, as_of),
        _agents(tickets),
        _automations(known),
    )


def _summary(histories: Sequence[Sequence[Event]], as_of: datetime, period: backlog.Period) -> Section:
    counted = [event for events in histories for event in events]
    rows: tuple[tuple[Cell, ...], ...] = (
        ("as_of", as_of),
        ("period_start", period.start),
        ("tickets", len(histories)),
        ("events", len(counted)),
        ("timers_fired", sum(isinstance(event, TimerFired) for event in counted)),
    )
    return Section("summary", ("item", "value"), rows)


def _compliance(reports: Sequence[SLAReport]) -> Section:
    totals: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in compliance(reports):
        counts = totals[(row.metric, row.priority if row.priority is not None else 0)]
        counts[0] += row.achieved
        counts[1] += row.breached
        counts[2] += row.active + row.cancelled
    rows = []
    for (metric, priority), (achieved, breached, active) in sorted(totals.items()):
        done = achieved + breached
        rows.append((metric, priority or None, achieved, breached, active, achieved / done if done else None))
    return Section(
        "sla_compliance", ("metric", "priority", "achieved", "breached", "running", "rate"), tuple(rows)
    )


def _backlog(histories: Sequence[Sequence[Event]], as_of: datetime, trend: backlog.GrowthTrend) -> Section:
    ratio = backlog.backlog_ratio(histories, as_of, window=_WINDOW)
    weeks: Cell = None if ratio.is_infinite else round(ratio.weeks, 2)
    rows: tuple[tuple[Cell, ...], ...] = (
        ("open", ratio.open),
        ("solved", ratio.solved),
        ("solved_per_week", round(ratio.solved_per_week, 2)),
        ("backlog_ratio", weeks),
        ("growing_weeks", trend.growing_weeks),
        ("steady_growth", "yes" if trend.steady else "no"),
    )
    return Section("backlog", ("item", "value"), rows)


def _flow(histories: Sequence[Sequence[Event]], period: backlog.Period) -> Section:
    start = (period.start - timedelta(weeks=2)).date()
    end = (period.end - timedelta(microseconds=1)).date()
    found = backlog.flow(histories, start, end, tz="UTC", freq="week")
    rows = tuple((p.start, p.created, p.solved, p.reopened) for p in found.points)
    return Section("flow", ("week", "created", "solved", "reopened"), rows)


def _ageing(tickets: Sequence[Ticket], as_of: datetime) -> Section:
    # Snapshots folded up to as_of stand for their histories here, and save folding every history once more.
    found = backlog.ageing(tickets, as_of)
    rows = tuple((bucket.low, bucket.high, bucket.count) for bucket in found.buckets)
    return Section("ageing", ("from", "to", "open"), rows)


def _response_times(histories: Sequence[Sequence[Event]], period: backlog.Period) -> Section:
    rows = []
    for metric in backlog.DURATION_METRICS:
        stats = backlog.durations(histories, period, metric)
        rows.append((metric, stats.count, stats.median, stats.p90))
    return Section("response_times", ("metric", "count", "median", "p90"), tuple(rows))


def _dimension_value(ticket: Ticket, by: str) -> str:
    value = getattr(ticket, by)
    if value is None:
        return "-"
    return f"P{value}" if by == "priority" else str(value)


def _breakdown(tickets: Sequence[Ticket], reports: Sequence[SLAReport], as_of: datetime, by: str) -> Section:
    created: Counter[str] = Counter()
    still_open: Counter[str] = Counter()
    breached: Counter[str] = Counter()
    achieved: Counter[str] = Counter()
    for ticket, report in zip(tickets, reports, strict=True):
        key = _dimension_value(ticket, by)
        created[key] += 1
        still_open[key] += ticket.is_unsolved
        for metric in report.metrics:
            for cycle in metric.cycles:
                if cycle.ever_breached:
                    breached[key] += 1
                elif cycle.state is ClockState.ACHIEVED:
                    achieved[key] += 1
    rows = []
    for key in sorted(created):
        done = achieved[key] + breached[key]
        rows.append(
            (key, created[key], still_open[key], breached[key], achieved[key] / done if done else None)
        )
    return Section("breakdown", (by, "tickets", "open", "breached", "rate"), tuple(rows))


def _breaches(reports: Sequence[SLAReport], as_of: datetime) -> Section:
    found = []
    for report in reports:
        for metric in report.metrics:
            for cycle in metric.cycles:
                if cycle.ever_breached:
                    overdue = -cycle.remaining
                    found.append(
                        (
                            overdue,
                            report.ticket_id,
                            report.policy,
                            metric.metric,
                            cycle.priority,
                            cycle.due_at,
                        )
                    )
    found.sort(key=lambda item: (-item[0], item[1], item[3]))
    rows = tuple(
        (ticket_id, policy, metric, priority, overdue, due)
        for overdue, ticket_id, policy, metric, priority, due in found[:_TOP]
    )
    return Section("top_breaches", ("ticket", "policy", "metric", "priority", "overdue", "due_at"), rows)


def _routing(histories: Sequence[Sequence[Event]], as_of: datetime) -> Section:
    """How tickets got their first agent: the router at opening, the router later, staff, or nobody yet."""
    outcomes: Counter[str] = Counter()
    for events in histories:
        assignments = [e for e in events if isinstance(e, Assigned) and e.at < as_of and e.agent is not None]
        if not assignments:
            outcomes["never_assigned"] += 1
            continue
        first = assignments[0]
        if first.actor.role is Role.SYSTEM and first.at == events[0].at:
            outcomes["routed_at_opening"] += 1
        elif first.actor.role is Role.SYSTEM:
            outcomes["routed_later"] += 1
        else:
            outcomes["assigned_by_staff"] += 1
        outcomes["reassigned"] += len({a.agent for a in assignments}) > 1
    rows = tuple(
        (key, outcomes[key])
        for key in ("routed_at_opening", "routed_later", "assigned_by_staff", "never_assigned", "reassigned")
    )
    return Section("routing", ("outcome", "tickets"), rows)


def _agents(tickets: Sequence[Ticket]) -> Section:
    assigned: Counter[str] = Counter()
    still_open: Counter[str] = Counter()
    for ticket in tickets:
        if ticket.assignee is not None:
            assigned[ticket.assignee] += 1
            still_open[ticket.assignee] += ticket.is_unsolved
    rows = tuple((agent, assigned[agent], still_open[agent]) for agent in sorted(assigned))
    return Section("agents", ("agent", "tickets", "open"), rows)


def _automations(histories: Sequence[Sequence[Event]]) -> Section:
    """Per rule: how often it fired, on how many tickets, and the ticket of its first firing (a sample to look at).

    A rule's events name it (actor ``automation:<rule>``); the events one rule made at one instant are one firing.
    """
    firings: dict[str, set[tuple[str, datetime]]] = defaultdict(set)
    first: dict[str, tuple[datetime, str]] = {}
    for events in histories:
        for event in events:
            if not event.actor.id.startswith(TIMER_PREFIX):
                continue
            rule = event.actor.id.removeprefix(TIMER_PREFIX)
            firings[rule].add((event.ticket_id, event.at))
            first[rule] = min(first.get(rule, (event.at, event.ticket_id)), (event.at, event.ticket_id))
    rows = tuple(
        (rule, len(fired), len({ticket for ticket, _ in fired}), first[rule][1])
        for rule, fired in sorted(firings.items(), key=lambda item: (-len(item[1]), item[0]))
    )
    return Section("automations", ("rule", "fired", "tickets", "sample"), rows)
