"""Benchmark: evaluate an SLA policy set over many ticket histories with business calendars.

Usage: python benchmarks/bench_sla.py [--tickets 100000] [--repeat 3] [--profile]

Builds a reproducible set of ticket histories (about ten events each: replies, status changes with pauses,
priority changes, reopens) over two years, and times ``SLAPolicySet.evaluate`` on every ticket at one ``now`` —
the work of a nightly recomputation or of a breach scheduler rebuilding its queue. Generation is not timed; one
warm-up pass over the first thousand tickets builds the calendars' interval tables first. Prints events per second
(CPU time of one process, best of ``--repeat`` runs) and a Markdown table for docs/performance.md.

It measures whichever ticketcore the interpreter imports: run it once from the development install (pure Python)
and once from a venv with the mypyc-compiled wheel (``TICKETCORE_COMPILE=1``, see docs/how-to/compiled-build.md);
the first line of the output says which build ran.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.machinery
import importlib.util
import platform
import pstats
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from ticketcore._sla import clock as sla_clock
from ticketcore.backlog import sla_achievement
from ticketcore.codec import load
from ticketcore.model import (
    Actor,
    Assigned,
    Category,
    Event,
    Opened,
    PriorityChanged,
    Replied,
    Role,
    StatusChanged,
)
from ticketcore.sla import SLAPolicySet, SLAReport, compliance, upcoming

OFFICE = {day: ["09:00-13:00", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
POLICIES = {
    "policies": [
        {
            "name": "vip_chat",
            "when": {"channel": ["chat"], "segment": ["vip"]},
            "metrics": {
                "first_response": {"targets": {"1": "30s", "2": "60s"}, "default": "2m"},
                "next_response": {"default": "5m"},
                "resolution": {"targets": {"1": "2h", "2": "4h"}, "default": "8h"},
            },
        },
        {
            "name": "eu_email",
            "when": {"region": ["EU"]},
            "calendar": {"tz": "Europe/Rome", "hours": OFFICE, "holidays": {"country": "IT"}},
            "metrics": {
                "first_response": {"targets": {"1": "1h", "2": "2h"}, "default": "8h"},
                "next_response": {"targets": {"1": "2h"}, "default": "8h"},
                "resolution": {"targets": {"1": "8h", "2": "16h"}, "default": "5d"},
                "periodic_update": {"default": "1d"},
            },
            "on_priority_change": "carry_elapsed",
        },
        {
            "name": "default",
            "calendar": {"tz": "America/New_York", "hours": OFFICE, "holidays": {"country": "US"}},
            "metrics": {
                "first_response": {"targets": {"1": "1h"}, "default": "4h"},
                "next_response": {"default": "8h"},
                "resolution": {"targets": {"1": "8h"}, "default": "3d"},
                "agent_work": {"default": "2d"},
            },
        },
    ]
}
REQUESTER = Actor("requester", Role.REQUESTER)
AGENTS = [Actor(f"agent{i}", Role.AGENT) for i in range(20)]
SYSTEM = Actor.system()
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = 2 * 365 * 86_400


def history(rng: random.Random, number: int) -> list[Event]:
    """One ticket's history: about ten events, with pauses, priority changes, and sometimes a reopen."""
    ticket = f"T-{number}"
    at = START + timedelta(seconds=rng.randrange(SPAN))
    priority = rng.choice([1, 2, 3, 3, 4])
    channel = rng.choice(["email", "email", "chat", "web", "phone"])
    events: list[Event] = [
        Opened(
            ticket_id=ticket,
            seq=1,
            at=at,
            actor=REQUESTER,
            requester="requester",
            channel=channel,
            priority=priority,
            segment=rng.choice(["vip", None, None, None]),
            region=rng.choice(["EU", "EU", "US", None]),
        )
    ]
    status, category = "new", Category.NEW
    agent = rng.choice(AGENTS)

    def add(event_type: type[Event], actor: Actor, **body: object) -> None:
        nonlocal at
        at += timedelta(seconds=rng.randrange(60, 4 * 3600))
        events.append(event_type(ticket_id=ticket, seq=len(events) + 1, at=at, actor=actor, **body))

    def move(to: str, to_category: Category, actor: Actor) -> None:
        nonlocal status, category
        add(
            StatusChanged,
            actor,
            from_status=status,
            from_category=category,
            to_status=to,
            to_category=to_category,
        )
        status, category = to, to_category

    add(Assigned, SYSTEM, agent=agent.id)
    move("open", Category.OPEN, agent)
    add(Replied, agent)
    for _ in range(rng.randrange(1, 3)):
        move("pending", Category.PENDING, agent)
        add(Replied, REQUESTER)
        move("open", Category.OPEN, REQUESTER)
        add(Replied, agent)
    if rng.random() < 0.3:
        new = rng.choice([1, 2, 3, 4])
        add(PriorityChanged, agent, from_priority=priority, to_priority=new)
        priority = new
    move("solved", Category.SOLVED, agent)
    if rng.random() < 0.15:
        add(Replied, REQUESTER)
        move("open", Category.OPEN, REQUESTER)
        add(Replied, agent)
        move("solved", Category.SOLVED, agent)
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    rng = random.Random(20251123)
    histories = [history(rng, n) for n in range(args.tickets)]
    events = sum(len(h) for h in histories)
    policies = load(SLAPolicySet, POLICIES)
    now = START + timedelta(seconds=SPAN + 86_400)
    for events_of_one in histories[:1000]:
        policies.evaluate(events_of_one, now=now)

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for events_of_one in histories[:20_000]:
            policies.evaluate(events_of_one, now=now)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return

    # Every run starts from a collected heap holding the histories and nothing else (the previous run's reports
    # dropped): otherwise whether a full collection left over from generating the histories or from the previous
    # run falls inside a run decides its figure more than the evaluation does.
    timings, walls = [], []
    reports: list[SLAReport] = []
    for _ in range(args.repeat):
        del reports
        gc.collect()
        started, wall = time.process_time(), time.perf_counter()
        reports = [policies.evaluate(events_of_one, now=now) for events_of_one in histories]
        timings.append(time.process_time() - started)
        walls.append(time.perf_counter() - wall)
    best = min(timings)
    # The same work with the loaded histories frozen (gc.freeze(): full collections skip them) and with the cyclic
    # garbage collector off: what a batch job gains. The collector's full passes walk every live report and history.
    # Best of --repeat runs each, like the main figure.
    frozen = no_gc = float("inf")
    for _ in range(args.repeat):
        del reports
        gc.collect()
        gc.freeze()
        started = time.process_time()
        reports = [policies.evaluate(events_of_one, now=now) for events_of_one in histories]
        frozen = min(frozen, time.process_time() - started)
        gc.unfreeze()
    for _ in range(args.repeat):
        del reports
        gc.collect()
        gc.disable()
        started = time.process_time()
        reports = [policies.evaluate(events_of_one, now=now) for events_of_one in histories]
        no_gc = min(no_gc, time.process_time() - started)
        gc.enable()
    gc.collect()  # what piled up while the collector was off is not the next step's cost
    started = time.process_time()
    rows = compliance(reports)
    summary = time.process_time() - started
    started = time.process_time()
    soon = upcoming(reports, now=now, within=timedelta(days=7))
    scan = time.process_time() - started
    started = time.process_time()
    achievement = sla_achievement(reports, by_priority=True)
    achieve = time.process_time() - started
    frame_time = None
    if importlib.util.find_spec("pandas") is not None:  # the dataframes extra
        from ticketcore.dataframes import sla_cycles_to_frame

        started = time.process_time()
        sla_cycles_to_frame(reports)
        frame_time = time.process_time() - started
    # Reports keep their metrics packed until read; reading them all builds every report value once.
    started = time.process_time()
    for report in reports:
        report.metrics  # noqa: B018 (reading the property builds the values being timed)
    unpack = time.process_time() - started
    cycles = sum(len(m.cycles) for r in reports for m in r.metrics)

    compiled = sla_clock.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    build = "mypyc-compiled SLA clock modules" if compiled else "pure Python"
    print(f"ticketcore {build}; python {platform.python_version()} on {platform.machine()}, {sys.platform}")
    print(
        f"{args.tickets:,} tickets, {events:,} events, {cycles:,} cycles, {len(rows)} compliance rows, {len(soon)} upcoming, "
        f"{len(achievement.rates)} achievement rates"
    )
    print(f"CPU time per run (s): {', '.join(f'{t:.2f}' for t in timings)}")
    print(f"wall time per run (s): {', '.join(f'{t:.2f}' for t in walls)}")
    print()
    print("| workload | tickets | events | CPU time, best run | events/s | tickets/s |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| `SLAPolicySet.evaluate` (3 policies, 3–4 metrics, Rome / New York business hours with holidays, 24×7) "
        f"| {args.tickets:,} | {events:,} | {best:.2f} s | {events / best:,.0f} | {args.tickets / best:,.0f} |"
    )
    print(
        f"| the same, histories frozen (`gc.freeze()`) | {args.tickets:,} | {events:,} | {frozen:.2f} s "
        f"| {events / frozen:,.0f} | {args.tickets / frozen:,.0f} |"
    )
    print(
        f"| the same, garbage collector off | {args.tickets:,} | {events:,} | {no_gc:.2f} s "
        f"| {events / no_gc:,.0f} | {args.tickets / no_gc:,.0f} |"
    )
    print(
        f"| `compliance` over the reports | {args.tickets:,} | — | {summary:.2f} s | — | {args.tickets / summary:,.0f} |"
    )
    print(
        f"| `upcoming` (7 days) over the reports | {args.tickets:,} | — | {scan:.2f} s | — | {args.tickets / scan:,.0f} |"
    )
    print(
        f"| `backlog.sla_achievement` (by priority) over the reports | {args.tickets:,} | — | {achieve:.2f} s | — "
        f"| {args.tickets / achieve:,.0f} |"
    )
    if frame_time is not None:
        print(
            f"| `dataframes.sla_cycles_to_frame` over the reports | {args.tickets:,} | — | {frame_time:.2f} s | — "
            f"| {args.tickets / frame_time:,.0f} |"
        )
    print(
        f"| reading every report's `metrics` (values built on first read) | {args.tickets:,} | — | {unpack:.2f} s "
        f"| — | {args.tickets / unpack:,.0f} |"
    )


if __name__ == "__main__":
    main()
