"""Measuring a cycle of an SLA clock at an instant. Private to :mod:`ticketcore.sla`.

A cycle records its running intervals as alternating resume/pause instants (UTC microseconds); its consumed time is
the calendar's open time over them (plus time carried from an earlier cycle), and its due, breach and warning
instants are ``add`` / ``next_open`` from the start of the run in which the consumed time crosses the threshold —
the last run continued for ever, which for a running clock is its real future.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ticketcore._sla_report import ClockState, CycleReport, PausedInterval, WarningInstant
from ticketcore._sla_timeline import Timeline, from_micros

__all__ = ["Cycle", "measure"]

_ZERO = timedelta(0)


class Cycle:
    """A cycle being run: instants are UTC microseconds since the epoch."""

    __slots__ = ("bounds", "cancelled", "carry_from", "end", "priority", "start", "target")

    def __init__(self, start: int, priority: int | None, target: timedelta) -> None:
        self.start, self.priority, self.target = start, priority, target
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


def _td_us(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds


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


def measure(
    cycle: Cycle,
    index: int,
    now: int,
    *,
    name: str,
    timeline: Timeline,
    percents: Sequence[int],
    instants: dict[int, datetime],
) -> CycleReport:
    bounds = cycle.bounds
    end = cycle.end if cycle.end is not None else now
    target = _td_us(cycle.target)
    # One run and nothing carried (most cycles): every instant is an ``add`` from the run's start, located once.
    single = cycle.carry_from is None and 0 < len(bounds) <= 2
    if single:
        first = bounds[0]
        table, origin = timeline.locate(first, max(end, first + target))
        parts = [0, timeline.position(table, bounds[1] if len(bounds) == 2 else end) - origin]
    elif cycle.carry_from is None and not bounds:
        parts = [0]
    else:
        parts = _consumed(cycle, end, timeline)
    elapsed = sum(parts)
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
    if (breached or running or cycle.end is not None) and (len(parts) > 1 or parts[0] >= target):
        if single:
            due = timeline.forward(table, first, origin, target)
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
                at = timeline.forward(table, first, origin, amount)
            else:
                at = _reach(cycle, parts, amount, timeline, exceed=False)
            if at is not None:
                instant = due_at if at == due and due_at is not None else from_micros(at)
                warnings.append(WarningInstant(percent, instant, reached))
    get = instants.get
    return CycleReport(
        metric=name,
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


def _pauses(cycle: Cycle, end: int) -> tuple[PausedInterval, ...]:
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
