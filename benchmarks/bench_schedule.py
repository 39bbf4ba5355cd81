"""Scheduling at scale on SQLite: ``run_timers`` and ``upcoming`` over the due index, against a full scan.

Run: ``python benchmarks/bench_schedule.py [--sizes 10000 100000 1000000] [--due 1000] [--alerts 100]``. For each
size, a fresh SQLite file holds that many tickets, written through ``SQLiteStore.append`` with the due instant
``HelpDesk`` stores: solved tickets waiting for auto-close (four days after they were opened), ``--due`` of them due
now, and ``--alerts`` open ones whose resolution target (8 h) runs out within the hour. Measured, in this order:

- the scan ``run_timers`` did before the index (page through every ticket a timer watches and ask the workflow which
  timers are due; read only, nothing fired), the baseline;
- ``HelpDesk.upcoming(within=1h)`` before the due tickets are handled (they are read too), median of 5 runs;
- ``HelpDesk.run_timers()``: firing the due auto-closes (once: it changes the file);
- ``HelpDesk.upcoming(within=1h)`` again: the steady state of a desk whose scheduler keeps up.

Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs

from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.desk import HelpDesk
from ticketcore.lifecycle import Timer, default_workflow
from ticketcore.model import Actor, Category, Opened, Role, Ticket
from ticketcore.repositories import NOT_DUE, TicketQuery
from ticketcore.scheduling import next_due
from ticketcore.sla import MetricTargets, SLAPolicy

NOW = datetime(2025, 6, 2, 12, tzinfo=UTC)
AGENT = Actor("ada", Role.AGENT)
WORKFLOW = attrs.evolve(
    default_workflow(),
    timers=[
        Timer("auto_close", timedelta(days=4), category=Category.SOLVED, since="created_at", action="close")
    ],
)
POLICY = SLAPolicy("standard", {"resolution": MetricTargets(default=timedelta(hours=8))}, warnings=(75,))


def build(path: Path, size: int, due: int, alerts: int) -> float:
    """The file for one size; returns the seconds it took."""
    store = SQLiteStore(path, tenant="acme")
    start = time.perf_counter()
    due_ones = set(range(alerts, size, (size - alerts) // due)[:due])
    for i in range(size):
        ticket_id = f"T-{i}"
        if i < alerts:
            # Open, opened 7.5 h ago: the 8 h resolution target runs out in the next hour.
            at = NOW - timedelta(hours=7, minutes=30) + timedelta(seconds=i)
            event = Opened(ticket_id=ticket_id, seq=1, at=at, actor=AGENT, requester="cy")
        else:
            days = 10 if i in due_ones else 1
            at = NOW - timedelta(days=days, seconds=i % 3600)
            event = Opened(
                ticket_id=ticket_id,
                seq=1,
                at=at,
                actor=AGENT,
                requester="cy",
                status="solved",
                category=Category.SOLVED,
            )
        report = POLICY.evaluate([event], now=at) if i < alerts else None
        found = next_due(Ticket.from_events([event]), now=at, workflow=WORKFLOW, sla=report)
        store.append(ticket_id, [event], 0, due=NOT_DUE if found is None else found.at)
    store.close()
    return time.perf_counter() - start


def scan(store: SQLiteStore) -> tuple[float, int]:
    """Yesterday's ``run_timers`` candidates: every ticket a timer watches, paged, each asked for due timers."""
    start = time.perf_counter()
    found = 0
    cursor = None
    while True:
        page = store.find(TicketQuery(category={Category.SOLVED}, limit=500, cursor=cursor))
        for ticket in page:
            found += any(d.due for d in WORKFLOW.timers(ticket, now=NOW))
        if page.next_cursor is None:
            return time.perf_counter() - start, found
        cursor = page.next_cursor


def _median(action: Callable[[], object]) -> float:
    """The median wall-clock time of five runs of ``action``, in seconds."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(size: int, due: int, alerts: int) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "desk.db"
        built = build(path, size, due, alerts)
        store = SQLiteStore(path, tenant="acme")
        desk = HelpDesk(store, clock=lambda: NOW, workflow=WORKFLOW, sla=POLICY)
        scanned, found = scan(store)
        assert found == due, (found, due)
        overdue = _median(lambda: desk.upcoming(within=timedelta(hours=1)))
        start = time.perf_counter()
        fired = desk.run_timers()
        run = time.perf_counter() - start
        # Each due ticket: the timer's mark and the close; the open ones' warnings passed with nothing to fire.
        assert len(fired) == 2 * due, len(fired)
        steady = _median(lambda: desk.upcoming(within=timedelta(hours=1)))
        listed = desk.upcoming(within=timedelta(hours=1))
        assert {u.ticket_id for u in listed} == {f"T-{i}" for i in range(alerts)}
        store.close()
    return {
        "build (tickets/s, one append each)": f"{size / built:,.0f}",
        "scan of the watched tickets, the old run_timers (s)": f"{scanned:.2f}",
        f"run_timers, {due} due (s)": f"{run:.2f}",
        f"upcoming(within=1h), {alerts} alerts, after run_timers (ms)": f"{steady * 1000:.1f}",
        f"upcoming(within=1h), before run_timers: {due} overdue read too (ms)": f"{overdue * 1000:.1f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--alerts", type=int, default=100)
    args = parser.parse_args()
    columns = {f"{size:,} tickets": measure(size, args.due, args.alerts) for size in args.sizes}
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}\n")
    names = list(columns)
    print("| measure | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for measure_name in next(iter(columns.values())):
        print(f"| {measure_name} | " + " | ".join(columns[name][measure_name] for name in names) + " |")


if __name__ == "__main__":
    main()
