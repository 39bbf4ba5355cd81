"""Automation benchmark: 100 trigger rules against one update, and ``simulate`` over many histories with 20 rules.

Run: ``python benchmarks/bench_automation.py [histories]`` (default 100,000 histories of ~10 events each). The
workload is seeded, so every run checks the same rules against the same updates.
"""

from __future__ import annotations

import gc
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from ticketcore.automation import Action, AutomationSet, Condition, Conditions, Rule
from ticketcore.lifecycle import default_workflow
from ticketcore.model import Actor, Event, NoteAdded, Opened, Replied, Role, TagsChanged, Ticket

T0 = datetime(2025, 3, 3, 9, tzinfo=UTC)
TAGS = [f"t{n}" for n in range(40)]
FIELDS = ["status", "channel", "segment", "region", "group", "priority"]
VALUES = {
    "status": ["new", "open", "pending"],
    "channel": ["email", "chat", "phone"],
    "segment": ["vip", "standard"],
    "region": ["EU", "US", "APAC"],
    "group": ["g1", "g2"],
    "priority": [1, 2, 3, 4],
}


def _condition(rng: random.Random) -> Condition:
    kind = rng.random()
    if kind < 0.4:
        return Condition("tags", "includes", rng.choice(TAGS))
    if kind < 0.5:
        return Condition("tags", "changed_to", rng.choice(TAGS))
    if kind < 0.6:
        return Condition("update.requester_replied", "is", True)
    field = rng.choice(FIELDS)
    if field == "priority":
        return Condition(field, "less_than", rng.choice(VALUES[field]))
    return Condition(field, "is", rng.choice(VALUES[field]))


def rules(count: int, seed: int) -> AutomationSet:
    rng = random.Random(seed)
    built = []
    for n in range(count):
        # Every rule names a tag, as real triggers name a tag, a form or a group: few rules match one update.
        first = Condition("tags", rng.choice(["includes", "changed_to"]), rng.choice(TAGS))
        conditions = Conditions(all=[first, *(_condition(rng) for _ in range(rng.randint(0, 2)))])
        action = rng.choice(
            [Action("add_tags", [f"auto{n}"]), Action("set_group", "g9"), Action("note", text="r")]
        )
        built.append(Rule(f"r{n}", conditions, [action]))
    return AutomationSet(rules=built)


def history(n: int, rng: random.Random) -> list[Event]:
    ticket_id = f"T-{n}"
    at = T0 + timedelta(minutes=n)
    requester = Actor("cy", Role.REQUESTER)
    agent = Actor("ada", Role.AGENT)
    events: list[Event] = [
        Opened(
            ticket_id=ticket_id,
            seq=1,
            at=at,
            actor=requester,
            requester="cy",
            channel=rng.choice(VALUES["channel"]),
            segment=rng.choice(VALUES["segment"]),
            region=rng.choice(VALUES["region"]),
            priority=rng.choice(VALUES["priority"]),
            tags=rng.sample(TAGS, 2),
        )
    ]
    for seq in range(2, 11):
        at += timedelta(minutes=rng.randint(1, 600))
        roll = rng.random()
        if roll < 0.4:
            event: Event = Replied(
                ticket_id=ticket_id, seq=seq, at=at, actor=rng.choice([requester, agent]), body="x"
            )
        elif roll < 0.7:
            event = TagsChanged(ticket_id=ticket_id, seq=seq, at=at, actor=agent, added=[rng.choice(TAGS)])
        else:
            event = NoteAdded(ticket_id=ticket_id, seq=seq, at=at, actor=agent, body="n")
        events.append(event)
    return events


def bench_triggers() -> float:
    automations = rules(100, seed=17)
    rng = random.Random(3)
    workflow = default_workflow()
    cases = []
    for n in range(200):
        events = history(n, rng)
        before = Ticket.from_events(events[:-1])
        cases.append((before, events[-1:]))
    timings = []
    for before, update in cases * 5:
        start = time.perf_counter()
        automations.run(before, update, now=update[-1].at, workflow=workflow)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def bench_simulate(count: int, automations: AutomationSet) -> tuple[int, float, float, int]:
    """The events replayed, the wall and CPU seconds (the machine is often shared: CPU time is the steadier
    figure), and the firings."""
    rng = random.Random(5)
    histories = [history(n, rng) for n in range(count)]
    events = sum(len(h) for h in histories)
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    simulation = automations.simulate(histories, until=T0 + timedelta(days=400))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return events, elapsed, cpu, len(simulation.firings)


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "load average unknown"


def bench_fold(count: int) -> tuple[int, float]:
    """Folding the same histories into snapshots, event by event: the part of a replay that no rule changes."""
    rng = random.Random(5)
    histories = [history(n, rng) for n in range(count)]
    gc.collect()
    start = time.perf_counter()
    for events in histories:
        Ticket.from_events(events)
    return sum(len(h) for h in histories), time.perf_counter() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(f"Python {platform.python_version()} on {platform.machine()}")
    median = bench_triggers()
    print(f"100 trigger rules, one update: median {median * 1e6:.0f} µs (target ≤ 100 µs)")
    events, elapsed, cpu, firings = bench_simulate(count, rules(20, seed=29))
    print(
        f"simulate, 20 rules, {count:,} histories / {events:,} events: {elapsed:.1f} s, "
        f"{events / elapsed:,.0f} events/s (CPU {cpu:.1f} s, {events / cpu:,.0f} events/s), "
        f"{firings:,} firings (target ≥ 100,000 events/s; {_load()})"
    )
    # What bounds a replay: the same histories without rules, and only folded into snapshots.
    events, elapsed, cpu, _ = bench_simulate(count, AutomationSet())
    print(f"simulate, no rules: {elapsed:.1f} s, {events / elapsed:,.0f} events/s (CPU {events / cpu:,.0f})")
    events, elapsed = bench_fold(count)
    print(f"Ticket.from_events alone: {elapsed:.1f} s, {events / elapsed:,.0f} events/s")


if __name__ == "__main__":
    main()
