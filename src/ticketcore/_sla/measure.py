"""Measuring a cycle of an SLA clock at an instant. Private to :mod:`ticketcore.sla`.

A cycle records its running intervals as alternating resume/pause instants (UTC microseconds); its consumed time is
the calendar's open time over them (plus time carried from an earlier cycle), and its due, breach and warning
instants are ``add`` / ``next_open`` from the start of the run in which the consumed time crosses the threshold —
the last run continued for ever, which for a running clock is its real future.

This runs for every cycle of every evaluated ticket, so it works on integers and returns each cycle packed (as
:data:`~ticketcore._sla.report.CycleFields`, see ``_sla.report``); the report's datetimes are the events' own wherever
an instant is an event's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from ticketcore._calendar import instant_reaching, open_before
from ticketcore._sla.report import CycleFields
from ticketcore._sla.timeline import Timeline
from ticketcore._time import MICROSECOND, delta_micros, from_micros

__all__ = ["Cycle", "Goal", "Instants", "Shared", "goal", "measure"]

_ZERO = timedelta(0)
_NO_PAUSE: tuple[datetime | None, ...] = ()

Goal = tuple[timedelta, int, tuple[tuple[int, int], ...]]
"""A cycle's target as a duration and in µs, with its warnings as ``(percent, µs)`` pairs, ascending."""

Instants = dict[int, datetime]
"""The datetimes of the evaluated events and of ``now``, by their UTC µs: every instant a cycle starts, stops,
pauses or resumes at is one of them."""

Shared = dict[tuple[int | None, ...], tuple[datetime | None, ...]]
"""The paused intervals built for one ticket: a cycle's gaps (flat ``low, high`` pairs, ``None`` for an open end)
map to their datetimes."""


def goal(target: timedelta, percents: Sequence[int]) -> Goal:
    """The :data:`Goal` of ``target`` with warnings at ``percents`` (ascending) of it, rounded up to the µs."""
    amount = delta_micros(target)
    return target, amount, tuple((percent, -(-amount * percent // 100)) for percent in percents)


class Cycle:
    """A cycle being run: instants are UTC microseconds since the epoch."""

    __slots__ = ("bounds", "cancelled", "carry_from", "end", "goal", "priority", "start")

    def __init__(self, start: int, priority: int | None, goal: Goal) -> None:
        self.start, self.priority, self.goal = start, priority, goal
        self.bounds: list[int] = []  # resume, pause, resume, …: running while its length is odd
        self.end: int | None = None
        self.cancelled = False
        self.carry_from: Cycle | None = None

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


def _consumed(cycle: Cycle, end: int, timeline: Timeline) -> list[int]:
    """The µs a cycle carried, then the open µs of each of its runs up to ``end``."""
    bounds = cycle.bounds
    size = len(bounds)
    carried = sum(_consumed(cycle.carry_from, cycle.start, timeline)) if cycle.carry_from is not None else 0
    parts = [carried]
    for k in range(0, size, 2):
        parts.append(timeline.elapsed(bounds[k], bounds[k + 1] if k + 1 < size else end))
    return parts


def _reach(cycle: Cycle, parts: list[int], amount: int, timeline: Timeline, *, exceed: bool) -> int | None:
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
    cycle: Cycle, parts: list[int], target: int, timeline: Timeline
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


Progress = tuple[int, int, int | None, int | None, Callable[[int], int | None]]
"""How far a cycle has come at the evaluation instant, in µs: what it carried, its consumed time, its due and
breach instants (``None`` when not needed), and a function giving the instant it reaches a consumed time (a plain
tuple: one is built for every cycle)."""


def _one_run(cycle: Cycle, end: int, running: bool, timeline: Timeline) -> Progress:
    """:class:`Progress` of a cycle with one run and nothing carried (most cycles): every instant is an ``add`` from
    the run's start, so the timeline's table is located once and searched directly."""
    bounds = cycle.bounds
    first = bounds[0]
    last = bounds[1] if len(bounds) == 2 else end
    target = cycle.goal[1]
    high = first + target
    high = end if end > high else high
    table = timeline.table
    if table is None or first < table[0] or high > table[1]:  # ``cover``'s check inline: once per cycle
        table = timeline.cover(first, high)
    starts, ends, before, after = table[2], table[3], table[4], table[5]
    origin = open_before(starts, ends, before, first)
    elapsed = open_before(starts, ends, before, last) - origin

    def reach(amount: int) -> int:
        goal = origin + amount
        if after and after[-1] >= goal:
            return instant_reaching(starts, before, after, goal)
        return timeline.add(first, amount)

    due = breach = None
    if elapsed > target or running or cycle.end is not None:
        due = reach(target)
        breach = timeline.next_open(due)
    return 0, elapsed, due, breach, reach


def _many_runs(cycle: Cycle, end: int, running: bool, timeline: Timeline) -> Progress:
    """:class:`Progress` of any other cycle: several runs, none, or time carried from an earlier cycle."""
    parts = [0] if cycle.carry_from is None and not cycle.bounds else _consumed(cycle, end, timeline)
    target = cycle.goal[1]
    elapsed = sum(parts)
    due = breach = None
    if (elapsed > target or running or cycle.end is not None) and (len(parts) > 1 or parts[0] >= target):
        due, breach = _due_and_breach(cycle, parts, target, timeline)

    def reach(amount: int) -> int | None:
        return _reach(cycle, parts, amount, timeline, exceed=False)

    return parts[0], elapsed, due, breach, reach


def _warnings(
    progress: Progress, goal: Goal, running: bool, due_at: datetime | None
) -> tuple[int | datetime | bool, ...]:
    """The flat ``percent, instant, reached`` triples of the warnings reached, or still ahead of a running clock."""
    _, elapsed, due, _, reach = progress
    target = goal[1]
    warnings: list[int | datetime | bool] = []
    for percent, amount in goal[2]:
        reached = elapsed >= amount
        if not (reached or running):
            break  # amounts ascend: no later warning is reached either
        found = due if amount == target and due is not None else reach(amount)
        if found is not None:
            instant = due_at if found == due and due_at is not None else from_micros(found)
            warnings += (percent, instant, reached)
    return tuple(warnings)


def measure(
    cycle: Cycle,
    index: int,
    now: int,
    name: str,
    timeline: Timeline,
    *,
    instants: Instants,
    shared: Shared,
) -> CycleFields:
    """The packed report of ``cycle`` (the ``index``-th of metric ``name``) at ``now``; ``instants`` maps the µs of the
    events and of ``now`` to their datetimes, which the report reuses, and ``shared`` holds the paused intervals
    the ticket's other cycles already built."""
    bounds = cycle.bounds
    size = len(bounds)
    stopped = cycle.end
    end = now if stopped is None else stopped
    target_td, target, _ = cycle.goal
    running = size % 2 == 1 and stopped is None
    if cycle.carry_from is None and 0 < size <= 2:
        progress = _one_run(cycle, end, running, timeline)
    else:
        progress = _many_runs(cycle, end, running, timeline)
    carried, elapsed, due, breach, _ = progress
    breached = elapsed > target
    if cycle.cancelled:
        state = "cancelled"
    elif breached:
        state = "breached"
    elif stopped is not None:
        state = "achieved"
    else:
        state = "running" if running else "paused"
    due_at = None if due is None else from_micros(due)
    start = cycle.start
    return (
        name,
        index,
        cycle.priority,
        target_td,
        state,
        instants[start],
        None if stopped is None else instants[stopped],
        due_at,
        due_at if breach == due else None if breach is None else from_micros(breach),
        MICROSECOND * elapsed,
        MICROSECOND * (target - elapsed),
        breached,
        _NO_PAUSE if size == 1 and bounds[0] == start else _pauses(cycle, end, instants, shared),
        _warnings(progress, cycle.goal, running, due_at) if cycle.goal[2] else (),
        MICROSECOND * carried if carried else _ZERO,
    )


def _pauses(cycle: Cycle, end: int, instants: Instants, shared: Shared) -> tuple[datetime | None, ...]:
    """The gaps between a cycle's runs within ``[start, end]`` (an open one has no end while the cycle is active)."""
    bounds = cycle.bounds
    if bounds and bounds[0] == cycle.start and (len(bounds) == 1 or (len(bounds) == 2 and bounds[1] == end)):
        return _NO_PAUSE  # one run from start to end: the common case
    if not bounds and cycle.start == end:
        return _NO_PAUSE
    edges = [cycle.start, *bounds]
    still_paused = len(bounds) % 2 == 0
    if still_paused:
        edges.append(end)
    gaps: list[int | None] = []
    for k in range(0, len(edges), 2):
        low, high = edges[k], edges[k + 1]
        if high > low:
            open_end = k + 2 == len(edges) and cycle.end is None and still_paused
            gaps += (low, None if open_end else high)
    # The ticket's metrics pause together in its pause statuses: equal gaps are built once per report.
    key = tuple(gaps)
    found = shared.get(key)
    if found is None:
        found = shared[key] = tuple([None if x is None else instants[x] for x in gaps])
    return found
