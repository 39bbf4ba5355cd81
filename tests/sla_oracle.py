"""A slow, obviously correct SLA oracle: the built-in metrics written out one by one, measured second by second.

The clocks are written per metric with plain ``if`` statements (not the engine's trigger masks), each cycle keeps the
instants at which its clock switched on or off, and every measurement walks whole seconds over an ``open`` bitmap
(one flag per second from ``origin``). Histories must be second-aligned.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ticketcore.model import (
    Assigned,
    Category,
    Event,
    NoteAdded,
    Opened,
    PriorityChanged,
    Replied,
    Role,
    StatusChanged,
)

SECOND = timedelta(seconds=1)
DONE = {Category.SOLVED, Category.CLOSED}


@dataclass
class OracleTargets:
    by_priority: dict[int, timedelta]
    default: timedelta

    def lookup(self, priority: int | None) -> timedelta:
        if priority is not None and priority in self.by_priority:
            return self.by_priority[priority]
        return self.default


@dataclass
class OraclePolicy:
    targets: dict[str, OracleTargets]
    mode: str = "recompute"
    warnings: tuple[int, ...] = (50, 75, 100)
    pause_categories: frozenset[Category] = frozenset({Category.PENDING, Category.ON_HOLD})
    pause_statuses: frozenset[str] = frozenset()
    honor_flags: bool = True


@dataclass
class Cycle:
    start: datetime
    priority: int | None
    target: timedelta
    switches: list[tuple[datetime, bool]] = field(default_factory=list)
    end: datetime | None = None
    cancelled: bool = False
    carried: timedelta = timedelta(0)


@dataclass
class OracleCycle:
    state: str
    priority: int | None
    target: timedelta
    started_at: datetime
    stopped_at: datetime | None
    due_at: datetime | None
    breach_at: datetime | None
    elapsed: timedelta
    ever_breached: bool
    paused: list[tuple[datetime, datetime | None]]
    warnings: list[tuple[int, datetime, bool]]
    carried: timedelta


METRICS = (
    "first_response",
    "next_response",
    "periodic_update",
    "resolution",
    "requester_wait",
    "agent_work",
    "acknowledge",
)


def _running(cycle: Cycle, second: datetime) -> bool:
    """Whether the clock runs during ``[second, second + 1 s)``: the last switch at or before ``second`` decides."""
    index = bisect_right(cycle.switches, second, key=lambda switch: switch[0])
    return index > 0 and cycle.switches[index - 1][1]


class Oracle:
    def __init__(self, policy: OraclePolicy, open_at: Callable[[datetime], bool]) -> None:
        self.policy = policy
        self.open_at = open_at

    def evaluate(self, events: Sequence[Event], now: datetime) -> dict[str, list[OracleCycle]]:
        cut = [e for e in events if e.at <= now]
        cycles = self._clocks(cut)
        return {name: [self._measure(c, now) for c in cycles[name]] for name in self.policy.targets}

    # --- clocks, metric by metric ---------------------------------------------------------------------------

    def _clocks(self, events: Sequence[Event]) -> dict[str, list[Cycle]]:
        policy = self.policy
        opened = events[0]
        assert isinstance(opened, Opened)
        category, status, flag = opened.category, opened.status, None
        priority = opened.priority
        responded = False
        first_reply_seen = False
        all_cycles: dict[str, list[Cycle]] = {name: [] for name in policy.targets}
        for event in events:
            at = event.at
            staff = event.actor.role.is_staff
            agent_reply = followup = False
            solved = reopened = priority_changed = assigned = False
            if isinstance(event, Replied):
                if event.public and staff:
                    opening = opened.actor.role.is_staff and not first_reply_seen
                    agent_reply = not opening
                elif event.public and event.actor.role is Role.REQUESTER:
                    followup = responded
                first_reply_seen = True
                if agent_reply:
                    responded = True
            if isinstance(event, StatusChanged):
                before = category
                category, status, flag = event.to_category, event.to_status, event.pauses_sla
                solved = before not in DONE and category in DONE
                reopened = before in DONE and category not in DONE
            if isinstance(event, PriorityChanged):
                priority_changed = event.to_priority != priority
                priority = event.to_priority
            if isinstance(event, Assigned) and event.agent is not None:
                assigned = True
            is_opened = isinstance(event, Opened)
            _ = NoteAdded

            if status in policy.pause_statuses:
                policy_pause = True
            elif policy.honor_flags and flag is not None:
                policy_pause = flag
            else:
                policy_pause = category in policy.pause_categories
            paused_by = {
                "resolution": policy_pause,
                "requester_wait": category == Category.PENDING,
                "agent_work": category in (Category.PENDING, Category.ON_HOLD),
            }

            for name, cycles in all_cycles.items():
                targets = policy.targets[name]
                active = cycles[-1] if cycles and cycles[-1].end is None else None
                ended_now = False
                pause = paused_by.get(name, False)

                def begin(
                    start: datetime,
                    carried: timedelta = timedelta(0),
                    cycles: list[Cycle] = cycles,
                    targets: OracleTargets = targets,
                    priority: int | None = priority,
                    pause: bool = pause,
                ) -> Cycle:
                    new = Cycle(start, priority, targets.lookup(priority), carried=carried)
                    new.switches.append((start, not pause))
                    cycles.append(new)
                    return new

                def finish(cycle: Cycle, cancelled: bool = False, at: datetime = at) -> None:
                    cycle.end, cycle.cancelled = at, cancelled
                    cycle.switches.append((at, False))

                if name in ("first_response", "next_response"):
                    if active and (agent_reply or solved):
                        finish(active)
                        active, ended_now = None, True
                elif name == "periodic_update":
                    if active and solved:
                        finish(active)
                        active, ended_now = None, True
                    elif active and agent_reply:
                        finish(active)
                        new = Cycle(at, active.priority, active.target)
                        new.switches.append((at, not pause))
                        cycles.append(new)
                        active = new
                elif name == "acknowledge":
                    if active and (assigned or staff or solved):
                        finish(active)
                        active, ended_now = None, True
                elif active and solved:
                    finish(active)
                    active, ended_now = None, True

                if active is not None and priority_changed:
                    if policy.mode == "recompute":
                        active.priority, active.target = priority, targets.lookup(priority)
                    else:
                        finish(active, cancelled=True)
                        carried = (
                            self._consumed(active, at) if policy.mode == "carry_elapsed" else timedelta(0)
                        )
                        active = begin(at, carried)

                if active is None and not ended_now:
                    last = cycles[-1] if cycles else None
                    resumable = name in ("resolution", "requester_wait", "agent_work")
                    if (
                        resumable
                        and reopened
                        and last is not None
                        and not last.cancelled
                        and last.end is not None
                    ):
                        last.end = None
                        active = last
                    else:
                        starts = {
                            "first_response": is_opened,
                            "resolution": is_opened,
                            "requester_wait": is_opened,
                            "agent_work": is_opened,
                            "acknowledge": is_opened and not (assigned or staff or solved),
                            "next_response": followup,
                            "periodic_update": agent_reply or reopened,
                        }
                        if starts[name]:
                            active = begin(at)
                if active is not None:
                    active.switches.append((at, not pause))
        return all_cycles

    # --- measuring, second by second ------------------------------------------------------------------------

    def _consumed(self, cycle: Cycle, end: datetime) -> timedelta:
        seconds = 0
        t = cycle.start
        while t < end:
            if _running(cycle, t) and self.open_at(t):
                seconds += 1
            t += SECOND
        return cycle.carried + seconds * SECOND

    def _measure(self, cycle: Cycle, now: datetime) -> OracleCycle:
        end = cycle.end if cycle.end is not None else now
        elapsed = self._consumed(cycle, end)
        running = cycle.end is None and _running(cycle, now)
        breached = elapsed > cycle.target
        if cycle.cancelled:
            state = "cancelled"
        elif breached:
            state = "breached"
        elif cycle.end is not None:
            state = "achieved"
        else:
            state = "running" if running else "paused"
        # The clock "as it last ran": actual up to the start of its last run, then running for ever.
        last_run = None
        t = cycle.start
        while t < end:
            if _running(cycle, t) and (t == cycle.start or not _running(cycle, t - SECOND)):
                last_run = t
            t += SECOND
        if running:
            # the current run started at the latest switch on that followed an off (or the start)
            t = now
            while t > cycle.start and _running(cycle, t - SECOND):
                t -= SECOND
            last_run = t

        def extended(second: datetime) -> bool:
            if last_run is not None and second >= last_run:
                return True
            return _running(cycle, second)

        def reach(amount: timedelta, exceed: bool) -> datetime | None:
            consumed = cycle.carried
            if consumed > amount or (consumed == amount and not exceed):
                return cycle.start
            if last_run is None:
                return None
            t = cycle.start
            for _ in range(400_000):
                if extended(t) and self.open_at(t):
                    if exceed and consumed >= amount:
                        return t
                    if not exceed and consumed < amount <= consumed + SECOND:
                        return t + (amount - consumed)
                    consumed += SECOND
                t += SECOND
            raise AssertionError("oracle horizon exhausted")

        if (breached or running or cycle.end is not None) and (
            last_run is not None or cycle.carried >= cycle.target
        ):
            due, breach = reach(cycle.target, False), reach(cycle.target, True)
        else:
            due = breach = None
        warnings = []
        target_us = cycle.target // timedelta(microseconds=1)
        for percent in self.policy.warnings:
            amount = timedelta(microseconds=-(-target_us * percent // 100))
            reached = elapsed >= amount
            if reached or running:
                at = reach(amount, False)
                assert at is not None
                warnings.append((percent, at, reached))
        paused: list[tuple[datetime, datetime | None]] = []
        t = cycle.start
        while t < end:
            if not _running(cycle, t):
                if paused and paused[-1][1] == t:
                    paused[-1] = (paused[-1][0], t + SECOND)
                else:
                    paused.append((t, t + SECOND))
            t += SECOND
        if paused and cycle.end is None and not running and paused[-1][1] == end:
            paused[-1] = (paused[-1][0], None)
        return OracleCycle(
            state=state,
            priority=cycle.priority,
            target=cycle.target,
            started_at=cycle.start,
            stopped_at=cycle.end,
            due_at=due,
            breach_at=breach,
            elapsed=elapsed,
            ever_breached=breached,
            paused=paused,
            warnings=warnings,
            carried=cycle.carried,
        )
