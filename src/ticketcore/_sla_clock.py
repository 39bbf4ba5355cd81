"""The clock engine: one pass over a ticket's events runs every metric's clock, then each cycle is measured.

Private to :mod:`ticketcore.sla`. A cycle records its running intervals as alternating resume/pause instants; its
consumed time is the calendar's elapsed time over them (plus time carried from an earlier cycle), and its due,
breach and warning instants come from ``calendar.add`` / ``calendar.breach_at`` in the interval where the consumed
time crosses the threshold. Nothing steps through time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from ticketcore._calendar import BusinessCalendar
from ticketcore._sla_config import (
    CATALOGUE,
    ClockConditions,
    MetricTargets,
    PauseWhen,
    PriorityChangeMode,
    Trigger,
)
from ticketcore._sla_report import ClockState, CycleReport, MetricReport, PausedInterval, WarningInstant
from ticketcore.errors import InvalidEvent
from ticketcore.model import (
    Assigned,
    Category,
    Event,
    FieldChanged,
    NoteAdded,
    Opened,
    PriorityChanged,
    Replied,
    Role,
    StatusChanged,
)

__all__ = ["CompiledMetric", "PauseRule", "compile_metric", "run_clocks"]

_BITS = {
    "opened": 1,
    "agent_reply": 2,
    "agent_note": 4,
    "requester_reply": 8,
    "requester_followup": 16,
    "agent_action": 32,
    "assigned": 64,
    "status": 128,
    "solved": 256,
    "reopened": 512,
    "priority_changed": 1024,
}
_OPENED, _AGENT_REPLY, _AGENT_NOTE, _REQUESTER_REPLY, _FOLLOWUP = 1, 2, 4, 8, 16
_AGENT_ACTION, _ASSIGNED, _STATUS, _SOLVED, _REOPENED, _PRIORITY = 32, 64, 128, 256, 512, 1024
_ZERO = timedelta(0)
_DONE = (Category.SOLVED, Category.CLOSED)


class _Triggers:
    """A trigger list compiled to a bit mask (plus the status triggers that filter by category or name)."""

    __slots__ = ("bits", "filtered")

    def __init__(self, triggers: Sequence[Trigger]) -> None:
        self.bits = 0
        self.filtered = tuple(t for t in triggers if t.filtered)
        for trigger in triggers:
            if not trigger.filtered:
                self.bits |= _BITS[trigger.on]

    def match(self, mask: int, status: str, category: Category) -> bool:
        if mask & self.bits:
            return True
        if self.filtered and mask & _STATUS:
            return any(t.matches_status(status, category) for t in self.filtered)
        return False


class PauseRule:
    """The policy's pause statuses: named statuses always pause; otherwise an explicit ``pauses_sla`` flag on the
    status change decides (when ``honor_flags``), else the category."""

    __slots__ = ("categories", "honor_flags", "statuses")

    def __init__(self, categories: frozenset[Category], statuses: frozenset[str], honor_flags: bool) -> None:
        self.categories, self.statuses, self.honor_flags = categories, statuses, honor_flags

    def pauses(self, status: str, category: Category, flag: bool | None) -> bool:
        if status in self.statuses:
            return True
        if self.honor_flags and flag is not None:
            return flag
        return category in self.categories


class CompiledMetric:
    """A metric compiled for one policy: its triggers, pause state, targets and calendar."""

    __slots__ = ("calendar", "cancel", "name", "pause", "reset", "resume", "start", "stop", "targets")

    def __init__(self, name: str, clock: ClockConditions, targets: MetricTargets, calendar: BusinessCalendar):
        self.name, self.targets, self.calendar = name, targets, calendar
        self.start, self.stop = _Triggers(clock.start), _Triggers(clock.stop)
        self.reset, self.resume, self.cancel = (
            _Triggers(clock.reset),
            _Triggers(clock.resume),
            _Triggers(clock.cancel),
        )
        self.pause: PauseWhen = clock.pause


def compile_metric(name: str, targets: MetricTargets, calendar: BusinessCalendar) -> CompiledMetric:
    """Compile metric ``name`` (its clock from ``targets.clock`` or the catalogue) with its calendar."""
    clock = targets.clock or CATALOGUE[name]
    if not targets.business_hours:
        calendar = _ALWAYS
    elif targets.calendar is not None:
        calendar = targets.calendar
    return CompiledMetric(name, clock, targets, calendar)


_ALWAYS = BusinessCalendar.always()


class _Cycle:
    __slots__ = ("bounds", "cancelled", "carry_from", "end", "priority", "start", "target")

    def __init__(self, start: datetime, priority: int | None, target: timedelta) -> None:
        self.start, self.priority, self.target = start, priority, target
        self.bounds: list[datetime] = []  # resume, pause, resume, …: running while its length is odd
        self.end: datetime | None = None
        self.cancelled = False
        self.carry_from: _Cycle | None = None

    def run(self, at: datetime) -> None:
        bounds = self.bounds
        if bounds and bounds[-1] == at:
            bounds.pop()  # a pause and a resume at one instant: no pause at all
        else:
            bounds.append(at)

    def halt(self, at: datetime) -> None:
        if len(self.bounds) % 2:
            self.run(at)  # same bookkeeping: closes the open run, or drops it if it has no length

    def finish(self, at: datetime, cancelled: bool = False) -> None:
        self.halt(at)
        self.end, self.cancelled = at, cancelled


def _paused_now(
    metric: CompiledMetric, rule: PauseRule, policy_paused: bool, status: str, category: Category
) -> bool:
    pause = metric.pause
    if pause.policy_statuses and policy_paused:
        return True
    return category in pause.categories or status in pause.statuses


def run_clocks(
    events: Sequence[Event],
    now: datetime,
    *,
    metrics: Sequence[CompiledMetric],
    rule: PauseRule,
    mode: PriorityChangeMode,
    warnings: Sequence[int],
) -> tuple[int | None, tuple[MetricReport, ...]]:
    """Run every metric's clock over ``events`` (those after ``now`` are ignored) and measure each cycle at ``now``.

    Returns the ticket's priority as of ``now`` and one report per metric.
    """
    first = events[0] if events else None
    if not isinstance(first, Opened):
        raise InvalidEvent("an SLA is evaluated over a history that starts with an 'opened' event")
    actives: list[_Cycle | None] = [None] * len(metrics)
    cycles: list[list[_Cycle]] = [[] for _ in metrics]
    status, category, flag = first.status, first.category, None
    priority: int | None = first.priority
    channel: str | None = first.channel
    opening_comment = first.actor.role.is_staff
    responded = False
    previous = first.at
    policy_paused = rule.pauses(status, category, flag)
    for event in events:
        at = event.at
        if at > now:
            break
        if at < previous:
            raise InvalidEvent(
                f"happened at {at.isoformat()}, before the previous event at {previous.isoformat()}; "
                "events must be in time order",
                ticket_id=event.ticket_id,
                seq=event.seq,
            )
        previous = at
        role = event.actor.role
        staff = role.is_staff
        mask = _AGENT_ACTION if staff else 0
        kind = type(event)
        if kind is Replied:
            assert isinstance(event, Replied)
            if event.public and staff and not opening_comment:
                mask |= _AGENT_REPLY
            elif event.public and role is Role.REQUESTER:
                mask |= _REQUESTER_REPLY | (_FOLLOWUP if responded else 0)
            elif not event.public and staff:
                mask |= _AGENT_NOTE
            opening_comment = False
            responded = responded or bool(mask & _AGENT_REPLY)
        elif kind is StatusChanged:
            assert isinstance(event, StatusChanged)
            mask |= _STATUS
            was_done = category in _DONE
            status, category, flag = event.to_status, event.to_category, event.pauses_sla
            if not was_done and category in _DONE:
                mask |= _SOLVED
            elif was_done and category not in _DONE:
                mask |= _REOPENED
            policy_paused = rule.pauses(status, category, flag)
        elif kind is PriorityChanged:
            assert isinstance(event, PriorityChanged)
            if event.to_priority != priority:
                mask |= _PRIORITY
            priority = event.to_priority
        elif kind is Assigned:
            assert isinstance(event, Assigned)
            if event.agent is not None:
                mask |= _ASSIGNED
        elif kind is NoteAdded:
            if staff:
                mask |= _AGENT_NOTE
        elif kind is Opened:
            if event is not first:
                raise InvalidEvent(
                    "a history has one 'opened' event", ticket_id=event.ticket_id, seq=event.seq
                )
            mask |= _OPENED
        elif kind is FieldChanged:
            assert isinstance(event, FieldChanged)
            if event.field == "channel":
                channel = event.value if isinstance(event.value, str) else None
        for i, metric in enumerate(metrics):
            active = actives[i]
            cancels = metric.cancel.match(mask, status, category)
            stopped = cancels or metric.stop.match(mask, status, category)
            if active is not None:
                if stopped:
                    active.finish(at, cancelled=cancels)
                    active = None
                elif metric.reset.match(mask, status, category):
                    active.finish(at)
                    active = _Cycle(at, active.priority, active.target)
                    cycles[i].append(active)
                if active is not None and mask & _PRIORITY:
                    active = _priority_changed(
                        active,
                        at,
                        priority=priority,
                        channel=channel,
                        metric=metric,
                        mode=mode,
                        own=cycles[i],
                    )
            if active is None and not stopped:
                own = cycles[i]
                last = own[-1] if own else None
                if (
                    last is not None
                    and not last.cancelled
                    and last.end is not None
                    and metric.resume.match(mask, status, category)
                ):
                    last.end, active = None, last
                elif metric.start.match(mask, status, category):
                    target = metric.targets.lookup(priority, channel)
                    if target is not None:
                        active = _Cycle(at, priority, target)
                        own.append(active)
            if active is not None:
                running = len(active.bounds) % 2 == 1
                paused = _paused_now(metric, rule, policy_paused, status, category)
                if running == paused:
                    active.run(at)
            actives[i] = active
    reports = tuple(
        MetricReport(
            metric.name, tuple(_measure(c, n, now, metric, warnings) for n, c in enumerate(cycles[i]))
        )
        for i, metric in enumerate(metrics)
    )
    return priority, reports


def _priority_changed(
    active: _Cycle,
    at: datetime,
    *,
    priority: int | None,
    channel: str | None,
    metric: CompiledMetric,
    mode: PriorityChangeMode,
    own: list[_Cycle],
) -> _Cycle | None:
    target = metric.targets.lookup(priority, channel)
    if target is None:
        active.finish(at, cancelled=True)
        return None
    if mode is PriorityChangeMode.RECOMPUTE:
        active.priority, active.target = priority, target
        return active
    active.finish(at, cancelled=True)
    fresh = _Cycle(at, priority, target)
    if mode is PriorityChangeMode.CARRY_ELAPSED:
        fresh.carry_from = active
    own.append(fresh)
    return fresh


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _consumed(cycle: _Cycle, end: datetime, calendar: BusinessCalendar) -> tuple[timedelta, list[timedelta]]:
    bounds = cycle.bounds
    runs = [
        calendar.elapsed(bounds[k], bounds[k + 1] if k + 1 < len(bounds) else end)
        for k in range(0, len(bounds), 2)
    ]
    carried = _consumed(cycle.carry_from, cycle.start, calendar)[0] if cycle.carry_from is not None else _ZERO
    return carried + sum(runs, _ZERO), [carried, *runs]


def _reach(
    cycle: _Cycle, parts: list[timedelta], amount: timedelta, calendar: BusinessCalendar, *, exceed: bool
) -> datetime | None:
    """Along the cycle's runs with the last one continued for ever: the first instant the consumed time reaches
    ``amount`` (``exceed=False``), or the last instant at which it has not exceeded it (``exceed=True``)."""
    consumed = parts[0]
    if consumed > amount or (consumed == amount and not exceed):
        return cycle.start
    bounds = cycle.bounds
    last = len(parts) - 2
    for k, run in enumerate(parts[1:]):
        if k == last or (consumed + run > amount if exceed else consumed + run >= amount):
            resume = bounds[2 * k]
            left = amount - consumed
            return _utc(calendar.breach_at(resume, left) if exceed else calendar.add(resume, left))
        consumed += run
    return None  # the clock never ran: its consumed time stays at what it carried


def _measure(
    cycle: _Cycle, index: int, now: datetime, metric: CompiledMetric, percents: Sequence[int]
) -> CycleReport:
    calendar = metric.calendar
    end = cycle.end if cycle.end is not None else now
    elapsed, parts = _consumed(cycle, end, calendar)
    target = cycle.target
    breached = elapsed > target
    running = len(cycle.bounds) % 2 == 1 and cycle.end is None
    if cycle.cancelled:
        state = ClockState.CANCELLED
    elif breached:
        state = ClockState.BREACHED
    elif cycle.end is not None:
        state = ClockState.ACHIEVED
    elif running:
        state = ClockState.RUNNING
    else:
        state = ClockState.PAUSED
    measurable = len(parts) > 1 or parts[0] >= target
    if measurable and (breached or running or cycle.end is not None):
        due: datetime | None = _reach(cycle, parts, target, calendar, exceed=False)
        breach: datetime | None = _reach(cycle, parts, target, calendar, exceed=True)
    else:
        due = breach = None
    warnings = []
    target_us = (target.days * 86_400 + target.seconds) * 1_000_000 + target.microseconds
    for percent in percents:
        amount = timedelta(microseconds=-(-target_us * percent // 100))
        reached = elapsed >= amount
        if reached or running:
            at = _reach(cycle, parts, amount, calendar, exceed=False)
            if at is not None:
                warnings.append(WarningInstant(percent, at, reached))
    return CycleReport(
        metric=metric.name,
        index=index,
        priority=cycle.priority,
        target=target,
        state=state,
        started_at=cycle.start,
        stopped_at=cycle.end,
        due_at=due,
        breach_at=breach,
        elapsed=elapsed,
        remaining=target - elapsed,
        ever_breached=breached,
        paused=_pauses(cycle, end),
        warnings=tuple(warnings),
        carried=parts[0],
    )


def _pauses(cycle: _Cycle, end: datetime) -> tuple[PausedInterval, ...]:
    """The gaps between a cycle's runs within ``[start, end]`` (an open one has no end while the cycle is active)."""
    edges = [cycle.start, *cycle.bounds]
    if len(cycle.bounds) % 2 == 0:
        edges.append(end)
    result = []
    for k in range(0, len(edges), 2):
        low, high = edges[k], edges[k + 1]
        if high > low:
            open_end = k + 2 == len(edges) and cycle.end is None and len(cycle.bounds) % 2 == 0
            result.append(PausedInterval(low, None if open_end else high))
    return tuple(result)
