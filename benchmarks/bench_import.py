"""Importing a ServiceNow incident audit export: rows per second into SQLite and into memory, and peak memory.

Run: ``python benchmarks/bench_import.py [--tickets 24918]``. Writes a synthetic export shaped like the public
incident event log (its 36 columns, ``?`` for missing values, 141,712 rows for 24,918 incidents, about 5.7 updates
each) to a temporary file, then times ``ticketcore.importers.import_file`` into a fresh SQLite file (WAL,
``synchronous=NORMAL``, the default) and into the in-memory store, and the same work done with pandas as a data team
would first try it: ``read_csv`` and a ``groupby``/``shift`` diff of consecutive rows into change records, and
``ticketcore.importers.read_frame`` (the same export into an events DataFrame, with the report). Prints a
Markdown table for docs/performance.md. ``--stream-rows N`` also imports an N-row file and reports the peak memory
of that run (``VmHWM``), to show that it does not grow with the file.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.importers import FORMATS, import_file, read_frame

COLUMNS = FORMATS["servicenow"].columns
PATHS = [
    ["New", "Active", "Resolved", "Closed"],
    ["New", "Active", "Active", "Resolved", "Closed"],
    ["New", "Active", "Awaiting User Info", "Active", "Resolved", "Closed"],
    ["New", "Active", "Awaiting Vendor", "Active", "Active", "Resolved", "Closed"],
    ["New", "New", "Active", "Awaiting User Info", "Active", "Resolved", "Closed"],
]
LEVELS = ["1 - High", "2 - Medium", "3 - Low"]
PRIORITIES = ["1 - Critical", "2 - High", "3 - Moderate", "4 - Low"]


def write_export(path: Path, tickets: int, seed: int = 7) -> int:
    """A synthetic audit export of ``tickets`` incidents; returns its number of rows."""
    rng = random.Random(seed)
    start = datetime(2016, 2, 29, 8, 0)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for number in range(tickets):
            opened = start + timedelta(minutes=number * 15 + rng.randrange(15))
            states = PATHS[rng.randrange(len(PATHS))] if number % 7 else PATHS[rng.randrange(3)]
            group, agent, priority = "?", "?", PRIORITIES[rng.randrange(4)]
            caller, opener = f"Caller {rng.randrange(5000)}", f"Opened by {rng.randrange(200)}"
            place, topic = f"Location {rng.randrange(200)}", rng.randrange(60)
            detail, symptom = f"Subcategory {rng.randrange(250)}", f"Symptom {rng.randrange(500)}"
            at = opened
            for count, state in enumerate(states):
                if state == "Active" and group == "?":
                    group, agent = f"Group {rng.randrange(70)}", f"Resolver {rng.randrange(230)}"
                at += timedelta(minutes=rng.randrange(5, 600))
                row = dict.fromkeys(COLUMNS, "?")
                row |= {
                    "number": f"INC{number:07d}",
                    "incident_state": state,
                    "active": "false" if state == "Closed" else "true",
                    "reassignment_count": "0",
                    "reopen_count": "0",
                    "sys_mod_count": str(count),
                    "made_sla": "true",
                    "caller_id": caller,
                    "opened_by": opener,
                    "opened_at": f"{opened:%d/%m/%Y %H:%M}",
                    "sys_created_by": "Created by 6",
                    "sys_created_at": f"{opened:%d/%m/%Y %H:%M}",
                    "sys_updated_by": f"Updated by {rng.randrange(800)}",
                    "sys_updated_at": f"{at:%d/%m/%Y %H:%M}",
                    "contact_type": "Phone",
                    "location": place,
                    "category": f"Category {topic}",
                    "subcategory": detail,
                    "u_symptom": symptom,
                    "impact": LEVELS[1],
                    "urgency": LEVELS[1],
                    "priority": priority,
                    "assignment_group": group,
                    "assigned_to": agent,
                    "knowledge": "false",
                    "u_priority_confirmation": "false",
                    "notify": "Do Not Notify",
                }
                if state in ("Resolved", "Closed"):
                    row |= {
                        "closed_code": "code 6",
                        "resolved_by": agent,
                        "resolved_at": f"{at:%d/%m/%Y %H:%M}",
                    }
                writer.writerow(row.values())
                rows += 1
    return rows


def timed_import(path: Path, store_kind: str) -> tuple[float, int, int]:
    """Wall-clock seconds, rows in and events out of one import into a fresh store."""
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "desk.db") if store_kind == "sqlite" else MemoryStore()
        started = time.perf_counter()
        report = import_file(store, path, format="servicenow")
        elapsed = time.perf_counter() - started
        store.close()
    return elapsed, report.rows_in, report.events_out


def timed_pandas(path: Path) -> float | None:
    """The same export read and diffed with pandas (``read_csv``, then ``groupby``/``shift`` per column)."""
    try:
        import pandas as pd
    except ImportError:
        return None
    started = time.perf_counter()
    frame = pd.read_csv(path, na_values=["?"], keep_default_na=False, dtype=str)
    frame["at"] = pd.to_datetime(frame["sys_updated_at"], format="%d/%m/%Y %H:%M", utc=True)
    frame["sys_mod_count"] = frame["sys_mod_count"].astype(int)
    frame = frame.sort_values(["number", "sys_mod_count"], kind="stable")
    changes = 0
    for column in ("incident_state", "priority", "assignment_group", "assigned_to", "location", "category"):
        previous = frame.groupby("number", sort=False)[column].shift()
        changed = (frame[column] != previous) & previous.notna()
        changes += int(changed.sum())
    elapsed = time.perf_counter() - started
    assert changes > 0
    return elapsed


def timed_frame(path: Path) -> tuple[float, float, int, int, bool] | None:
    """Wall-clock and CPU seconds, rows in, events out, and whether the columns took it, of ``read_frame``."""
    try:
        import pandas  # noqa: F401 (imported to check the extra is installed)
    except ImportError:
        return None
    started, cpu = time.perf_counter(), time.process_time()
    read = read_frame(path, format="servicenow")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return elapsed, cpu, read.report.rows_in, len(read.events), read.vectorised


def peak_memory_of_stream(rows: int) -> str:
    """Peak resident memory of a fresh process importing a ``rows``-row export into SQLite (the file is written
    beforehand, by this process). Linux only (``/proc/self/status``)."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report this process's own peak.
    code = (
        "import sys; from pathlib import Path; "
        "from ticketcore.adapters.sqlite import SQLiteStore; from ticketcore.importers import import_file; "
        "p = Path(sys.argv[1]); "
        "r = import_file(SQLiteStore(p.with_suffix('.db')), p, format='servicenow'); "
        "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1]; "
        "print(r.rows_in, hwm)"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        write_export(path, max(1, rows * 24_918 // 141_712))
        out = subprocess.run(
            [sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True
        ).stdout.split()
    count, peak = (int(x) for x in out)
    return f"| {count:,} rows | {peak / 1024:.0f} MiB |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=24_918)
    parser.add_argument("--stream-rows", type=int, nargs="*", default=[])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "incident_event_log.csv"
        rows = write_export(path, args.tickets)
        size = path.stat().st_size / 1e6
        print(
            f"{rows:,} rows, {args.tickets:,} tickets, {size:.0f} MB; {platform.python_version()}, "
            f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
        )
        print("\n| import of the audit export | seconds | CPU seconds | rows/s | events |")
        print("|---|---:|---:|---:|---:|")
        for kind in ("sqlite", "memory"):
            cpu = time.process_time()
            seconds, rows_in, events = timed_import(path, kind)
            cpu = time.process_time() - cpu
            print(
                f"| ticketcore, into {kind} | {seconds:.1f} | {cpu:.1f} | {rows_in / seconds:,.0f} | {events:,} |"
            )
        framed = timed_frame(path)
        if framed is not None:
            seconds, cpu, rows_in, events, vectorised = framed
            assert vectorised, "the benchmark export must take the vectorised path"
            print(
                f"| ticketcore `read_frame`, into an events DataFrame | {seconds:.1f} | {cpu:.1f} | "
                f"{rows_in / seconds:,.0f} | {events:,} |"
            )
        cpu = time.process_time()
        pandas_seconds = timed_pandas(path)
        cpu = time.process_time() - cpu
        if pandas_seconds is not None:
            print(
                f"| pandas read_csv + groupby/shift diff (no events, no store) | {pandas_seconds:.1f} | {cpu:.1f} | "
                f"{rows / pandas_seconds:,.0f} | - |"
            )
        print(f"\nload average after the runs: {os.getloadavg()[0]:.1f}")
    if args.stream_rows:
        print("\n| streamed import into SQLite | peak resident memory |")
        print("|---|---:|")
    for stream_rows in args.stream_rows:
        print(peak_memory_of_stream(stream_rows))


if __name__ == "__main__":
    main()
