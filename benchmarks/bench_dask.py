"""Benchmark: the full KPI set from a Parquet export, pandas path against Dask on a LocalCluster (issue 20).

Usage: python benchmarks/bench_dask.py [--events 1000000 3000000] [--workers 2] [--rows-per-part 500000]

For each size, the synthetic help desk of ``bench_backlog.py`` (about 6.9 events a ticket: opened, assigned, first
reply, open, some pending and back, solved, some reopened, rated, closed) is written once as a Parquet dataset with
``dataframes.write_events_parquet`` (one part file per ``--rows-per-part`` events, in ticket order as an export
comes). Then, each from the same files, one run each, wall-clock:

* **pandas**: ``read_events_parquet`` + ``prepare`` + the full KPI set (the 24 results of ``bench_backlog.py``), in
  a fresh process whose peak resident memory is its ``VmHWM`` (``ru_maxrss`` would carry this process's own
  peak across ``exec``);
* **Dask**: a ``distributed.LocalCluster`` of ``--workers`` worker processes with one thread each;
  ``read_events_parquet(..., dask=True)`` + ``prepare`` (shuffle by ticket, prepare and persist each partition) +
  the same KPI set; each worker's resident memory is sampled every 0.1 s and the peak reported. The client's
  results are checked equal to the pandas process's, exactly.
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
from bench_backlog import desk, kpi_set

from ticketcore import dataframes as dfs

EVENTS_PER_TICKET = 6.92  # of bench_backlog.desk


def _high_water_mark() -> int:
    """This process's peak resident memory in bytes, as Linux counts it since ``exec`` (``VmHWM``)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def make(events: int, folder: Path, rows_per_part: int) -> None:
    import dask
    import dask.dataframe as dd

    frame = desk(round(events / EVENTS_PER_TICKET))
    with dask.config.set({"dataframe.convert-string": False}):
        parts = dd.from_pandas(frame, npartitions=max(1, round(len(frame) / rows_per_part)), sort=False)
    dfs.write_events_parquet(parts, folder)
    print(json.dumps({"events": len(frame), "tickets": int(frame["ticket_id"].nunique())}))


def run_pandas(folder: Path, results: Path) -> None:
    began = time.perf_counter()
    prepared = dfs.prepare(dfs.read_events_parquet(folder))
    out = kpi_set(dfs, prepared)
    wall = time.perf_counter() - began
    results.write_bytes(pickle.dumps(out))
    peak = _high_water_mark()
    print(json.dumps({"wall": wall, "peak": peak}))


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def run_dask(folder: Path, workers: int, expected: dict[str, Any]) -> dict[str, Any]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(_rss)  # workers up and importing before the clock starts
        peaks: dict[str, int] = {}
        baseline = client.run(_rss)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                for worker, rss in client.run(_rss).items():
                    peaks[worker] = max(peaks.get(worker, 0), rss)
                time.sleep(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        began = time.perf_counter()
        prepared = dfs.prepare(dfs.read_events_parquet(folder, dask=True))
        prepared_at = time.perf_counter() - began
        out = kpi_set(dfs, prepared)
        wall = time.perf_counter() - began
        done.set()
        sampler.join()
        npartitions = prepared.npartitions  # type: ignore[union-attr]
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(out[name], frame, check_exact=True)
    return {
        "wall": wall,
        "prepare": prepared_at,
        "peak": max(peaks.values()),
        "baseline": max(baseline.values()),
        "partitions": npartitions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 3_000_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rows-per-part", type=int, default=500_000)
    parser.add_argument("--make", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--pandas", type=Path, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        make(args.events[0], args.make, args.rows_per_part)
        return
    if args.pandas:
        run_pandas(*args.pandas)
        return

    me = [sys.executable, __file__]
    rows = []
    for events in args.events:
        with tempfile.TemporaryDirectory() as tmp:
            folder, results = Path(tmp) / "events", Path(tmp) / "results.pickle"
            size = json.loads(
                subprocess.run(
                    [
                        *me,
                        "--make",
                        str(folder),
                        "--events",
                        str(events),
                        "--rows-per-part",
                        str(args.rows_per_part),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
            pandas = json.loads(
                subprocess.run(
                    [*me, "--pandas", str(folder), str(results)], check=True, capture_output=True, text=True
                ).stdout
            )
            print(
                f"{size['events']:,} events: pandas {pandas['wall']:.1f} s, {pandas['peak'] / 2**20:,.0f} MiB",
                flush=True,
            )
            on_dask = run_dask(folder, args.workers, pickle.loads(results.read_bytes()))
            print(
                f"{size['events']:,} events: Dask {on_dask['wall']:.1f} s (prepare {on_dask['prepare']:.1f} s), "
                f"peak per worker {on_dask['peak'] / 2**20:,.0f} MiB, equal results",
                flush=True,
            )
            rows.append((size, pandas, on_dask))

    print()
    print(
        "| events | tickets | pandas | Dask | Dask ÷ pandas | pandas peak | peak per Dask worker | worker ÷ pandas |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size, pandas, on_dask in rows:
        print(
            f"| {size['events']:,} | {size['tickets']:,} | {pandas['wall']:.1f} s | {on_dask['wall']:.1f} s "
            f"| {on_dask['wall'] / pandas['wall']:.2f} | {pandas['peak'] / 2**20:,.0f} MiB "
            f"| {on_dask['peak'] / 2**20:,.0f} MiB | {on_dask['peak'] / pandas['peak']:.2f} |"
        )


if __name__ == "__main__":
    main()
