"""Storage throughput and latency: appends (single and batched), get, and find over 100,000 tickets.

Run: ``python benchmarks/bench_storage.py [--tickets 100000]``. Prints a Markdown table for docs/performance.md.
Contenders: the in-memory reference store, and SQLite in WAL mode with ``synchronous=NORMAL`` (the default) and
``FULL``, each in a fresh temporary file.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from _storage_workload import AGENT, T0, micros, note, opened, rate, timed

from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.model import Assigned, Opened
from ticketcore.repositories import TicketQuery, TicketStore


def bench_appends(store: TicketStore, appends: int) -> dict[str, str]:
    """Events per second appended one per call and in 50-event batches: wall clock, and on this process's CPU time."""
    store.append("A-1", [opened("A-1", 0)], 0)
    wall, cpu = time.perf_counter(), time.process_time()
    for seq in range(2, appends + 2):
        store.append("A-1", [note("A-1", seq)], seq - 1)
    single = (time.perf_counter() - wall, time.process_time() - cpu)
    store.append("B-1", [opened("B-1", 0)], 0)
    batch, batches = 50, max(1, appends // 10)
    version = 1
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(batches):
        events = [note("B-1", version + i) for i in range(1, batch + 1)]
        version = store.append("B-1", events, version)
    batched = (time.perf_counter() - wall, time.process_time() - cpu)
    return {
        "append 1 event (events/s, wall clock)": rate(appends, single[0]),
        "append 1 event (events/s of CPU time)": rate(appends, single[1]),
        "append 50-event batches (events/s, wall clock)": rate(batch * batches, batched[0]),
        "append 50-event batches (events/s of CPU time)": rate(batch * batches, batched[1]),
    }


def fill(store: TicketStore, tickets: int) -> float:
    start = time.perf_counter()
    for n in range(tickets):
        ticket_id = f"T-{n}"
        events: list[Opened | Assigned] = [opened(ticket_id, n)]
        if n % 3:
            events.append(
                Assigned(ticket_id=ticket_id, seq=2, at=events[0].at, actor=AGENT, agent=f"agent{n % 40}")
            )
        store.append(ticket_id, events, 0)
    return time.perf_counter() - start


def repeated(action: Callable[[], object], repeat: int) -> list[float]:
    return [timed(action) for _ in range(repeat)]


def bench_reads(store: TicketStore, tickets: int) -> dict[str, str]:
    ids = [f"T-{(n * 7919) % tickets}" for n in range(2_000)]
    iterator = iter(ids * 2)
    results = {"get": micros(repeated(lambda: store.get(next(iterator)), 2_000))}
    queries = {
        "find: first page, no filter": TicketQuery(limit=50),
        "find: group + priority": TicketQuery(group="billing", priority={1, 2}, limit=50),
        "find: assignee, newest first": TicketQuery(assignee="agent7", newest_first=True, limit=50),
        "find: unassigned queue": TicketQuery(assignee={None}, limit=50),
        "find: two tags": TicketQuery(tags={"vip", "bug"}, limit=50),
        "find: created in one day": TicketQuery(
            created_from=T0 + timedelta(days=3), created_before=T0 + timedelta(days=4), limit=50
        ),
    }
    for label, query in queries.items():
        results[label] = micros(repeated(lambda q=query: store.find(q), 30))  # type: ignore[misc]
    page = store.find(TicketQuery(limit=50))
    pages = max(1, min(100, tickets // 50 - 1))
    for _ in range(pages - 1):
        assert page.next_cursor is not None
        page = store.find(TicketQuery(limit=50, cursor=page.next_cursor))
    cursor = page.next_cursor
    results[f"find: page {pages + 1} by cursor"] = micros(
        repeated(lambda: store.find(TicketQuery(limit=50, cursor=cursor)), 30)
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--appends", type=int, default=3_000)
    args = parser.parse_args()
    rows: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as folder:
        contenders: dict[str, Callable[[], TicketStore]] = {
            "MemoryStore": lambda: MemoryStore("bench"),
            "SQLiteStore (NORMAL)": lambda: SQLiteStore(Path(folder) / "normal.db", tenant="bench"),
            "SQLiteStore (FULL)": lambda: SQLiteStore(
                Path(folder) / "full.db", tenant="bench", synchronous="FULL"
            ),
        }
        for name, make in contenders.items():
            store = make()
            row = bench_appends(store, args.appends)
            if (
                name != "SQLiteStore (FULL)"
            ):  # reads do not depend on the sync mode, and a FULL fill takes minutes
                seconds = fill(store, args.tickets)
                row[f"load {args.tickets:,} new tickets (tickets/s, wall clock)"] = rate(
                    args.tickets, seconds
                )
                reads = bench_reads(store, args.tickets)
                row.update({f"{label} (µs p50 / p99)": value for label, value in reads.items()})
            rows[name] = row
            store.close()
    names = list(rows)
    load = os.getloadavg()[0]
    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {args.tickets:,} tickets, "
        f"{os.cpu_count()} cores, load average {load:.1f} at the end of the run\n"
    )
    print("| measure | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for measure in rows[names[0]]:
        print(f"| {measure} | " + " | ".join(rows[name].get(measure, "–") for name in names) + " |")


if __name__ == "__main__":
    main()
