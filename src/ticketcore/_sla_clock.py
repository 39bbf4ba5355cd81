"""The clock engine: one pass over a ticket's events runs every metric's clock, then each cycle is measured.

Private to :mod:`ticketcore.sla`. A cycle records its running intervals as alternating resume/pause instants; its
consumed time is the calendar's elapsed time over them (plus time carried from an earlier cycle), and its due,
breach and warning instants come from ``calendar.add`` / ``calendar.breach_at`` in the interval where the consumed
time crosses the threshold. Nothing steps through time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

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
from ticketcore._sla_timeline import Timeline, from_micros, micros
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
_CANCELS, _STOPS, _RESETS, _RESUMES, _STARTS = 1, 1 | 2, 4, 8, 16  # a cancel also stops
_BEGINS = _RESUMES | _STARTS
_DONE = (Category.SOLVED, Category.CLOSED)
_ZERO = timedelta(0)
_STAFF = frozenset(role for role in Role if role.is_staff)


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
        """Whether an event of ``mask`` (changing to ``status`` of ``category`` if a status change) matches."""
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
    """A metric compiled for one policy: its triggers, pause state, targets and calendar timeline."""

    __slots__ = (
        "cache",
        "cancel",
        "filtered",
        "interest",
        "name",
        "pause_categories",
        "pause_policy",
        "pause_statuses",
        "reset",
        "resume",
        "start",
        "stop",
        "targets",
        "timeline",
    )

    def __init__(self, name: str, clock: ClockConditions, targets: MetricTargets, timeline: Timeline) -> None:
        self.name, self.targets, self.timeline = name, targets, timeline
        self.start, self.stop = _Triggers(clock.start), _Triggers(clock.stop)
        self.reset, self.resume, self.cancel = (
            _Triggers(clock.reset),
            _Triggers(clock.resume),
            _Triggers(clock.cancel),
        )
        pause: PauseWhen = clock.pause
        self.pause_policy = pause.policy_statuses
        self.pause_categories, self.pause_statuses = pause.categories, pause.statuses
        every = (self.cancel, self.stop, self.reset, self.resume, self.start)
        self.filtered = any(triggers.filtered for triggers in every)
        self.cache: dict[int, int] = {}
        # The event kinds that can change this clock: its triggers, priority changes, and status changes when a
        # trigger filters them or the clock pauses on status.
        self.interest = _PRIORITY
        for triggers in every:
            self.interest |= triggers.bits | (_STATUS if triggers.filtered else 0)
        if not pause.never:
            self.interest |= _STATUS

    def hits(self, mask: int, status: str, category: Category) -> int:
        """Which conditions an event matches: ``_CANCELS | _STOPS | _RESETS | _RESUMES | _STARTS`` bits."""
        if not self.filtered:
            found = self.cache.get(mask)
            if found is not None:
                return found
        hits = (
            (_CANCELS if self.cancel.match(mask, status, category) else 0)
            | (2 if self.stop.match(mask, status, category) else 0)
            | (_RESETS if self.reset.match(mask, status, category) else 0)
            | (_RESUMES if self.resume.match(mask, status, category) else 0)
            | (_STARTS if self.start.match(mask, status, category) else 0)
        )
        if not self.filtered:
            self.cache[mask] = (
                hits  # a mask decides alone when no trigger filters statuses; at most 2¹¹ of them
            )
        return hits


def compile_metric(
    name: str, targets: MetricTargets, calendar: BusinessCalendar, timelines: dict[int, Timeline]
) -> CompiledMetric:
    """Compile metric ``name`` (its clock from ``targets.clock`` or the catalogue) on its calendar's timeline;
    ``timelines`` shares one timeline per calendar among a policy's metrics."""
    clock = targets.clock or CATALOGUE[name]
    if not targets.business_hours:
        calendar = _ALWAYS
    elif targets.calendar is not None:
        calendar = targets.calendar
    timeline = timelines.get(id(calendar))
    if timeline is None:
        timeline = timelines[id(calendar)] = Timeline(calendar)
    return CompiledMetric(name, clock, targets, timeline)


_ALWAYS = BusinessCalendar.always()


class _Cycle:
    """A cycle being run: instants are UTC microseconds since the epoch."""

    __slots__ = ("bounds", "cancelled", "carry_from", "end", "priority", "start", "target")

    def __init__(self, start: int, priority: int | None, target: timedelta) -> None:
        self.start, self.priority, self.target = start, priority, target
        self.bounds: list[int] = []  # resume, pause, resume, …: running while its length is odd
        self.end: int | None = None
        self.cancelled = False
        self.carry_from: _Cycle | None = None

    def run(self, at: int) -> None:
        bounds = self.bounds
        if bounds and bounds[-1] == at:
            bounds.pop()  # a pause and a resume at one instant: no pause at all
        else:
            bounds.append(at)

    def finish(self, at: int, cancelled: bool = False) -> None:
        if len(self.bounds) % 2:
            self.run(at)  # closes the open run, or drops it if it has no length
        self.end, self.cancelled = at, cancelled


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
    count = len(metrics)
    actives: list[_Cycle | None] = [None] * count
    cycles: list[list[_Cycle]] = [[] for _ in range(count)]
    status, category, flag = first.status, first.category, None
    priority: int | None = first.priority
    channel: str | None = first.channel
    opening_comment = first.actor.role.is_staff
    responded = False
    previous = first.at
    policy_paused = rule.pauses(status, category, flag)
    instants: dict[int, datetime] = {}  # the events' own datetimes, reused for the report's instants
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
        staff = role in _STAFF
        mask = _AGENT_ACTION if staff else 0
        kind = type(event)
        if kind is Replied:
            assert isinstance(event, Replied)
            if event.public and staff and not opening_comment:
                mask |= _AGENT_REPLY
                responded = True
            elif event.public and role is Role.REQUESTER:
                mask |= _REQUESTER_REPLY | (_FOLLOWUP if responded else 0)
            elif not event.public and staff:
                mask |= _AGENT_NOTE
            opening_comment = False
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
        x = -1
        for i in range(count):
            metric = metrics[i]
            if not mask & metric.interest:
                continue
            if x < 0:
                x = micros(at)
                instants[x] = at
            previous_active = active = actives[i]
            hits = metric.hits(mask, status, category)
            if active is not None:
                if hits & _STOPS:
                    active.finish(x, cancelled=bool(hits & _CANCELS))
                    active = None
                elif hits & _RESETS:
                    active.finish(x)
                    active = _Cycle(x, active.priority, active.target)
                    cycles[i].append(active)
                if active is not None and mask & _PRIORITY:
                    active = _priority_changed(
                        active, x, priority=priority, channel=channel, metric=metric, mode=mode, own=cycles[i]
                    )
            elif hits & _BEGINS and not hits & _STOPS:
                own = cycles[i]
                last = own[-1] if own else None
                if hits & _RESUMES and last is not None and not last.cancelled and last.end is not None:
                    last.end, active = None, last
                elif hits & _STARTS:
                    target = metric.targets.lookup(priority, channel)
                    if target is not None:
                        active = _Cycle(x, priority, target)
                        own.append(active)
            if active is not None and (mask & _STATUS or active is not previous_active):
                paused = (
                    (metric.pause_policy and policy_paused)
                    or category in metric.pause_categories
                    or status in metric.pause_statuses
                )
                if (len(active.bounds) % 2 == 1) == paused:
                    active.run(x)
            actives[i] = active
    now_us = micros(now)
    instants[now_us] = now
    reports = tuple(
        MetricReport(
            metric.name,
            tuple(
                _measure(c, n, now_us, metric=metric, percents=warnings, instants=instants)
                for n, c in enumerate(cycles[i])
            ),
        )
        for i, metric in enumerate(metrics)
    )
    return priority, reports


def _priority_changed(
    active: _Cycle,
    at: int,
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


def _td_us(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds


def _consumed(cycle: _Cycle, end: int, timeline: Timeline) -> list[int]:
    """The µs a cycle carried, then the open µs of each of its runs up to ``end``."""
    bounds = cycle.bounds
    size = len(bounds)
    carried = sum(_consumed(cycle.carry_from, cycle.start, timeline)) if cycle.carry_from is not None else 0
    parts = [carried]
    for k in range(0, size, 2):
        parts.append(timeline.elapsed(bounds[k], bounds[k + 1] if k + 1 < size else end))
    return parts


def _reach(cycle: _Cycle, parts: list[int], amount: int, timeline: Timeline, *, exceed: bool) -> int | None:
    """Along the cycle's runs with the last one continued for ever: the first instant the consumed time reaches
    ``amount`` (``exceed=False``), or the last instant at which it has not exceeded it (``exceed=True``)."""
    consumed = parts[0]
    if consumed > amount or (consumed == amount and not exceed):
        return cycle.start
    bounds = cycle.bounds
    last = len(parts) - 2
    for k in range(last + 1):
        run = parts[k + 1]
        if k == last or (consumed + run > amount if exceed else consumed + run >= amount):
            resume = bounds[2 * k]
            left = amount - consumed
            return timeline.breach_at(resume, left) if exceed else timeline.add(resume, left)
        consumed += run
    return None  # the clock never ran: its consumed time stays at what it carried


def _due_and_breach(
    cycle: _Cycle, parts: list[int], target: int, timeline: Timeline
) -> tuple[int | None, int | None]:
    """``_reach`` for the target, both ways, sharing the work when both land in the same run."""
    consumed = parts[0]
    if consumed > target:
        return cycle.start, cycle.start
    last = len(parts) - 2
    for k in range(last + 1):
        run = parts[k + 1]
        if k == last or consumed + run > target:
            resume = bounds_k = cycle.bounds[2 * k]
            if consumed == target:
                return cycle.start, timeline.next_open(bounds_k)
            due = timeline.add(resume, target - consumed)
            return due, timeline.next_open(due)
        if consumed + run == target:
            break  # the target is reached exactly at this run's end: exceeded later, if ever
        consumed += run
    return _reach(cycle, parts, target, timeline, exceed=False), _reach(
        cycle, parts, target, timeline, exceed=True
    )


def _measure(
    cycle: _Cycle,
    index: int,
    now: int,
    *,
    metric: CompiledMetric,
    percents: Sequence[int],
    instants: dict[int, datetime],
) -> CycleReport:
    timeline = metric.timeline
    bounds = cycle.bounds
    end = cycle.end if cycle.end is not None else now
    if cycle.carry_from is None and len(bounds) <= 2:
        parts = (
            [0] if not bounds else [0, timeline.elapsed(bounds[0], bounds[1] if len(bounds) == 2 else end)]
        )
    else:
        parts = _consumed(cycle, end, timeline)
    elapsed = sum(parts)
    target = _td_us(cycle.target)
    breached = elapsed > target
    running = len(bounds) % 2 == 1 and cycle.end is None
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
    due = breach = None
    single = len(parts) == 2 and parts[0] == 0  # one run, nothing carried: most cycles
    if (breached or running or cycle.end is not None) and (len(parts) > 1 or parts[0] >= target):
        if single:
            due = timeline.add(bounds[0], target)
            breach = timeline.next_open(due)
        else:
            due, breach = _due_and_breach(cycle, parts, target, timeline)
    due_at = None if due is None else from_micros(due)
    warnings = []
    for percent in percents:
        amount = -(-target * percent // 100)
        reached = elapsed >= amount
        if reached or running:
            if amount == target and due is not None:
                at: int | None = due  # the 100 % warning is the due instant
            elif single:
                at = timeline.add(bounds[0], amount)
            else:
                at = _reach(cycle, parts, amount, timeline, exceed=False)
            if at is not None:
                instant = due_at if at == due and due_at is not None else from_micros(at)
                warnings.append(WarningInstant(percent, instant, reached))
    get = instants.get
    return CycleReport(
        metric=metric.name,
        index=index,
        priority=cycle.priority,
        target=cycle.target,
        state=state,
        started_at=get(cycle.start) or from_micros(cycle.start),
        stopped_at=None if cycle.end is None else get(cycle.end) or from_micros(cycle.end),
        due_at=due_at,
        breach_at=due_at if breach == due else None if breach is None else from_micros(breach),
        elapsed=timedelta(microseconds=elapsed),
        remaining=timedelta(microseconds=target - elapsed),
        ever_breached=breached,
        paused=_pauses(cycle, end),
        warnings=tuple(warnings),
        carried=timedelta(microseconds=parts[0]) if parts[0] else _ZERO,
    )


def _pauses(cycle: _Cycle, end: int) -> tuple[PausedInterval, ...]:
    """The gaps between a cycle's runs within ``[start, end]`` (an open one has no end while the cycle is active)."""
    bounds = cycle.bounds
    if bounds and bounds[0] == cycle.start and (len(bounds) == 1 or (len(bounds) == 2 and bounds[1] == end)):
        return ()  # one run from start to end: the common case
    if not bounds and cycle.start == end:
        return ()
    edges = [cycle.start, *bounds]
    still_paused = len(bounds) % 2 == 0
    if still_paused:
        edges.append(end)
    result = []
    for k in range(0, len(edges), 2):
        low, high = edges[k], edges[k + 1]
        if high > low:
            open_end = k + 2 == len(edges) and cycle.end is None and still_paused
            result.append(PausedInterval(from_micros(low), None if open_end else from_micros(high)))
    return tuple(result)
