"""The clock engine: one pass over a ticket's events runs every metric's clock. Private to :mod:`ticketcore.sla`.

Each event is classified once into a bit mask of trigger kinds; each metric's conditions are matched against it in
the documented order (see ``ClockConditions``), and its cycles record their running intervals. ``_sla.measure``
then measures every cycle at ``now``. Nothing steps through time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from ticketcore._calendar import BusinessCalendar
from ticketcore._sla.config import (
    CATALOGUE,
    ClockConditions,
    MetricTargets,
    PauseWhen,
    PriorityChangeMode,
    Trigger,
)
from ticketcore._sla.measure import Cycle, Goal, Instants, Shared, goal, measure
from ticketcore._sla.report import CycleFields, Packed
from ticketcore._sla.timeline import Timeline
from ticketcore._time import to_micros
from ticketcore.errors import InvalidEvent
from ticketcore.model import (
    STAFF_ROLES,
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

__all__ = ["CompiledMetric", "PauseRule", "Step", "compile_metric", "run_clocks"]

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
        "goals",
        "interest",
        "name",
        "pause_categories",
        "pause_policy",
        "pause_statuses",
        "percents",
        "reset",
        "resume",
        "start",
        "stop",
        "targets",
        "timeline",
    )

    def __init__(
        self,
        name: str,
        clock: ClockConditions,
        targets: MetricTargets,
        timeline: Timeline,
        percents: Sequence[int],
    ) -> None:
        self.name, self.targets, self.timeline = name, targets, timeline
        self.percents = tuple(percents)
        # The goal per (priority, channel): looked up once, not at every cycle of every ticket.
        self.goals: dict[tuple[int | None, str | None], Goal | None] = {}
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

    def goal(self, priority: int | None, channel: str | None) -> Goal | None:
        """The goal of a cycle for a ticket of ``priority`` on ``channel`` (``None``: the metric does not apply)."""
        key = (priority, channel)
        try:
            return self.goals[key]
        except KeyError:
            target = self.targets.lookup(priority, channel)
            found = self.goals[key] = None if target is None else goal(target, self.percents)
            return found

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
    name: str,
    targets: MetricTargets,
    calendar: BusinessCalendar,
    timelines: dict[int, Timeline],
    percents: Sequence[int],
) -> CompiledMetric:
    """Compile metric ``name`` (its clock from ``targets.clock`` or the catalogue) on its calendar's timeline, with
    warnings at ``percents`` (ascending); ``timelines`` shares one timeline per calendar among a policy's metrics."""
    clock = targets.clock or CATALOGUE[name]
    if not targets.business_hours:
        calendar = _ALWAYS
    elif targets.calendar is not None:
        calendar = targets.calendar
    timeline = timelines.get(id(calendar))
    if timeline is None:
        timeline = timelines[id(calendar)] = Timeline(calendar)
    return CompiledMetric(name, clock, targets, timeline, percents)


_ALWAYS = BusinessCalendar.always()


Step = tuple[int, int, str, Category, bool, int | None, str | None]
"""A classified event: its µs, its trigger mask, and the ticket's status, category, policy pause, priority and
channel after it."""


class _Reading:
    """The ticket as its events are read in order: what the trigger masks and the steps depend on."""

    __slots__ = (
        "category",
        "channel",
        "first",
        "flag",
        "opening_comment",
        "policy_paused",
        "priority",
        "responded",
        "rule",
        "status",
    )

    def __init__(self, first: Opened, rule: PauseRule) -> None:
        self.first, self.rule = first, rule
        self.status, self.category = first.status, first.category
        self.flag: bool | None = None
        self.priority: int | None = first.priority
        self.channel: str | None = first.channel
        self.opening_comment = first.actor.is_staff
        self.responded = False
        self.policy_paused = rule.pauses(self.status, self.category, None)

    def replied(self, event: Replied, staff: bool) -> int:
        mask = 0
        if event.public and staff and not self.opening_comment:
            mask = _AGENT_REPLY
            self.responded = True
        elif event.public and event.actor.role is Role.REQUESTER:
            mask = _REQUESTER_REPLY | (_FOLLOWUP if self.responded else 0)
        elif not event.public and staff:
            mask = _AGENT_NOTE
        self.opening_comment = False
        return mask

    def status_changed(self, event: StatusChanged, staff: bool) -> int:
        mask = _STATUS
        was_done = self.category in _DONE
        self.status, self.category, self.flag = event.to_status, event.to_category, event.pauses_sla
        if not was_done and self.category in _DONE:
            mask |= _SOLVED
        elif was_done and self.category not in _DONE:
            mask |= _REOPENED
        self.policy_paused = self.rule.pauses(self.status, self.category, self.flag)
        return mask

    def priority_changed(self, event: PriorityChanged, staff: bool) -> int:
        changed = event.to_priority != self.priority
        self.priority = event.to_priority
        return _PRIORITY if changed else 0

    def assigned(self, event: Assigned, staff: bool) -> int:
        return _ASSIGNED if event.agent is not None else 0

    def note_added(self, event: NoteAdded, staff: bool) -> int:
        return _AGENT_NOTE if staff else 0

    def opened(self, event: Opened, staff: bool) -> int:
        if event is not self.first:
            raise InvalidEvent("a history has one 'opened' event", ticket_id=event.ticket_id, seq=event.seq)
        return _OPENED

    def field_changed(self, event: FieldChanged, staff: bool) -> int:
        if event.field == "channel":
            self.channel = event.value if isinstance(event.value, str) else None
        return 0


_READERS: dict[type[Event], Callable[[_Reading, Any, bool], int]] = {
    Replied: _Reading.replied,
    StatusChanged: _Reading.status_changed,
    PriorityChanged: _Reading.priority_changed,
    Assigned: _Reading.assigned,
    NoteAdded: _Reading.note_added,
    Opened: _Reading.opened,
    FieldChanged: _Reading.field_changed,
}
"""What each kind of event adds to its trigger mask (and to the reading); other kinds add nothing."""


def _classify(
    events: Sequence[Event], now: datetime, interest: int, rule: PauseRule, instants: Instants
) -> tuple[int | None, list[Step]]:
    """The ticket's priority as of ``now`` and the steps of the events up to ``now`` that any metric is interested
    in; ``instants`` receives their datetimes by µs."""
    first = events[0] if events else None
    if not isinstance(first, Opened):
        raise InvalidEvent("an SLA is evaluated over a history that starts with an 'opened' event")
    reading = _Reading(first, rule)
    previous = first.at
    steps: list[Step] = []
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
        staff = event.actor.role in STAFF_ROLES
        mask = _AGENT_ACTION if staff else 0
        read = _READERS.get(type(event))
        if read is not None:
            mask |= read(reading, event, staff)
        if mask & interest:
            x = to_micros(at)
            instants[x] = at
            steps.append(
                (
                    x,
                    mask,
                    reading.status,
                    reading.category,
                    reading.policy_paused,
                    reading.priority,
                    reading.channel,
                )
            )
    return reading.priority, steps


def run_clocks(
    events: Sequence[Event],
    now: datetime,
    metrics: Sequence[CompiledMetric],
    rule: PauseRule,
    mode: PriorityChangeMode,
) -> tuple[int | None, Packed]:
    """Run every metric's clock over ``events`` (those after ``now`` are ignored) and measure each cycle at ``now``.

    Returns the ticket's priority as of ``now`` and the metrics' reports, packed.
    """
    interest = 0
    for metric in metrics:
        interest |= metric.interest
    instants: Instants = {}  # the events' own datetimes, reused for the report's instants
    priority, steps = _classify(events, now, interest, rule, instants)
    now_us = to_micros(now)
    instants[now_us] = now
    shared: Shared = {}
    # Metric by metric over the classified events: the clocks do not depend on each other.
    cycles: list[CycleFields] = []
    for metric in metrics:
        name, timeline = metric.name, metric.timeline
        for index, cycle in enumerate(_run(metric, steps, mode)):
            cycles.append(measure(cycle, index, now_us, name, timeline, instants=instants, shared=shared))
    return priority, Packed(tuple([metric.name for metric in metrics]), tuple(cycles))


def _run(
    metric: CompiledMetric,
    steps: list[Step],
    mode: PriorityChangeMode,
) -> list[Cycle]:
    """One metric's cycles over the classified events (see ``ClockConditions`` for the order applied)."""
    interest, cache, filtered = metric.interest, metric.cache, metric.filtered
    pause_policy, pause_categories, pause_statuses = (
        metric.pause_policy,
        metric.pause_categories,
        metric.pause_statuses,
    )
    goals = metric.goals
    own: list[Cycle] = []
    active: Cycle | None = None
    for x, mask, status, category, policy_paused, priority, channel in steps:
        if not mask & interest:
            continue
        previous_active = active
        hits = -1 if filtered else cache.get(mask, -1)
        if hits < 0:
            hits = metric.hits(mask, status, category)
        if active is not None:
            if hits & _STOPS:
                active.finish(x, cancelled=bool(hits & _CANCELS))
                active = None
            elif hits & _RESETS:
                active.finish(x)
                active = Cycle(x, active.priority, active.goal)
                own.append(active)
            if active is not None and mask & _PRIORITY:
                active = _priority_changed(
                    active, x, priority=priority, channel=channel, metric=metric, mode=mode, own=own
                )
        elif hits & _BEGINS and not hits & _STOPS:
            last = own[-1] if own else None
            if hits & _RESUMES and last is not None and not last.cancelled and last.end is not None:
                last.end, active = None, last
            elif hits & _STARTS:
                found = (
                    goals[priority, channel]
                    if (priority, channel) in goals
                    else metric.goal(priority, channel)
                )
                if found is not None:
                    active = Cycle(x, priority, found)
                    own.append(active)
        if active is not None and (mask & _STATUS or active is not previous_active):
            paused = (
                (pause_policy and policy_paused) or category in pause_categories or status in pause_statuses
            )
            if (len(active.bounds) % 2 == 1) == paused:
                active.run(x)
    return own


def _priority_changed(
    active: Cycle,
    at: int,
    *,
    priority: int | None,
    channel: str | None,
    metric: CompiledMetric,
    mode: PriorityChangeMode,
    own: list[Cycle],
) -> Cycle | None:
    found = metric.goal(priority, channel)
    if found is None:
        active.finish(at, cancelled=True)
        return None
    if mode is PriorityChangeMode.RECOMPUTE:
        active.priority, active.goal = priority, found
        return active
    active.finish(at, cancelled=True)
    fresh = Cycle(at, priority, found)
    if mode is PriorityChangeMode.CARRY_ELAPSED:
        fresh.carry_from = active
    own.append(fresh)
    return fresh
