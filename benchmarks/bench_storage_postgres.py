"""PostgreSQL storage throughput and latency: appends (single, batched, from threads), get, and find.

Run: ``python benchmarks/bench_storage_postgres.py [--dsn DSN] [--appends 2000] [--tickets 20000]``. Prints a
Markdown table for docs/performance.md. Without ``--dsn`` (or ``TICKETCORE_BENCH_POSTGRES``) it starts a throwaway
local server with the server's default durability (``fsync=on``, ``synchronous_commit=on``) through
``tests/postgres_server.py``, reached over a Unix socket, and stops it at the end. SQLite (WAL, ``synchronous=NORMAL``)
runs the same workload in the same run, as the yardstick.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from ticketcore.adapters.postgres import PostgresStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.repositories import TicketQuery, TicketStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _storage_workload import GROUPS, TAGS, micros, note, opened, rate, timed

from postgres_server import PostgresServer

BATCH = 50
THREADS = 4


def single_appends(store: TicketStore, count: int) -> float:
    """``count`` appends of one event each: half open new tickets, half add a note to one of them."""

    def run() -> None:
        for n in range(count // 2):
            store.append(f"S-{n}", [opened(f"S-{n}", n)], 0)
            store.append(f"S-{n}", [note(f"S-{n}", 2)], 1)

    return count / timed(run)


def batched_appends(store: TicketStore, count: int) -> float:
    """``count`` events in appends of :data:`BATCH` (an opening and its notes)."""

    def run() -> None:
        for n in range(count // BATCH):
            ticket_id = f"B-{n}"
            store.append(
                ticket_id, [opened(ticket_id, n), *(note(ticket_id, s) for s in range(2, BATCH + 1))], 0
            )

    return count // BATCH * BATCH / timed(run)


def threaded_appends(make: Callable[[int], TicketStore], count: int) -> float:
    """``count`` single-event appends from :data:`THREADS` threads, each with its own store from ``make(i)``."""
    stores = [make(i) for i in range(THREADS)]
    per_thread = count // THREADS
    start = threading.Barrier(THREADS + 1)

    def work(index: int) -> None:
        store = stores[index]
        start.wait()
        for n in range(per_thread):
            ticket_id = f"P{index}-{n}-{uuid.uuid4().hex[:6]}"
            store.append(ticket_id, [opened(ticket_id, n)], 0)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    for store in stores:
        store.close()
    return per_thread * THREADS / elapsed


def get_latency(make: Callable[[], TicketStore], count: int) -> tuple[str, str]:
    """p50 / p99 of ``get``: from the store that wrote the tickets (its decode cache warm), and from a new store."""
    writer = make()
    ids = [f"S-{n}" for n in range(count // 2)]
    warm = [timed(lambda i=i: writer.get(i)) for i in ids]
    reader = make()
    cold = [timed(lambda i=i: reader.get(i)) for i in ids]
    writer.close()
    reader.close()
    return micros(warm), micros(cold)


def find_latency(store: TicketStore, tickets: int) -> str:
    """p50 / p99 of a 50-ticket page of one status × group queue over ``tickets`` tickets."""
    n = 0
    while n < tickets:
        chunk = range(n, min(n + BATCH, tickets))
        for k in chunk:
            store.append(f"F-{k}", [opened(f"F-{k}", k)], 0)
        n += BATCH
    queries = [
        TicketQuery(status="new", group=GROUPS[k % 4], tags={TAGS[k % 5]}, limit=50) for k in range(200)
    ]
    return micros([timed(lambda q=q: store.find(q)) for q in queries])


def measure(name: str, make: Callable[[str], TicketStore], appends: int, tickets: int) -> list[str]:
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    store = make(tenant)
    single = single_appends(store, appends)
    batched = batched_appends(store, appends * 10)
    warm, cold = get_latency(lambda: make(tenant), appends)
    same = threaded_appends(lambda i: make(tenant), appends)
    apart = threaded_appends(lambda i: make(f"{tenant}-{i}"), appends)
    found = find_latency(make(f"{tenant}-find"), tickets)
    store.close()
    return [
        name,
        rate(1, 1 / single),
        rate(1, 1 / batched),
        rate(1, 1 / same),
        rate(1, 1 / apart),
        warm,
        cold,
        found,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", default=os.environ.get("TICKETCORE_BENCH_POSTGRES"))
    parser.add_argument("--appends", type=int, default=2_000)
    parser.add_argument("--tickets", type=int, default=20_000)
    args = parser.parse_args()
    server = None
    dsn = args.dsn
    if not dsn:
        server = PostgresServer.start(durable=True)
        dsn = server.dsn
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    rows = []
    try:
        probe = PostgresStore(dsn, schema=schema)
        probe.close()
        rows.append(
            measure(
                "PostgreSQL (Unix socket, fsync on)" if server else "PostgreSQL (given server)",
                lambda tenant: PostgresStore(dsn, tenant=tenant, schema=schema),
                args.appends,
                args.tickets,
            )
        )
        # The same server, with the commit's WAL flush left to the background (a crash may lose the last
        # commits, never corrupt): what durability costs per append.
        lazy = {"options": "-c synchronous_commit=off"}
        rows.append(
            measure(
                "PostgreSQL, synchronous_commit=off",
                lambda tenant: PostgresStore(dsn, tenant=tenant, schema=schema, connect_args=lazy),
                args.appends,
                args.tickets,
            )
        )
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.db"
            rows.append(
                measure(
                    "SQLite (WAL, synchronous=NORMAL)",
                    lambda tenant: SQLiteStore(path, tenant=tenant),
                    args.appends,
                    args.tickets,
                )
            )
    finally:
        if server is not None:
            server.stop()
    print(
        f"Python {platform.python_version()}, {platform.machine()}; {args.appends:,} single appends, "
        f"{args.appends * 10:,} events in batches of {BATCH}, {THREADS} threads; find over {args.tickets:,} tickets\n"
    )
    print(
        "| store | single appends (events/s) | batched appends (events/s) | 4 threads, one tenant (events/s) | "
        "4 threads, 4 tenants (events/s) | get, warm (µs p50 / p99) | get, new store (µs p50 / p99) | "
        "find page (µs p50 / p99) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
