"""Benchmark: the full KPI set through the DataFrame path, and business time over whole columns (issue 7).

Usage: python benchmarks/bench_backlog.py [--tickets 1000000] [--pure-tickets 5000] [--rows 1000000] [--write]

Workload: a synthetic help desk over 2024–2025 with ``--tickets`` tickets (about 8 events each: opened, assigned,
first reply, open, one in five put on pending and back, solved (97 in 100), a rating for half, closed for most, one in ten
reopened and solved again), built directly as an events DataFrame in the documented schema (the shape a CSV or
Parquet export takes once mapped). Calendar: Mon–Fri 09:00–13:00 + 14:00–18:00 in Europe/Rome with Italian holidays.

Measured, wall-clock, one run each (the machine is shared; repeat for stable figures):

* ``prepare`` (check, order and derive the per-event state) and then the full KPI set on the prepared frame:
  backlog with five breakdowns, a 90-day backlog series, backlog ratio, 12-week growth trend, weekly flow, ageing in
  calendar and business time, the three duration metrics in calendar and business time, touches, reopens, CSAT,
  volumes, self-service share and agents.
* The same KPI set through the pure path (``ticketcore.backlog`` over event lists) on ``--pure-tickets`` tickets,
  with the DataFrame path on the same tickets, for contrast; results are checked equal.
* ``business_elapsed`` and ``business_add`` (8 h) over ``--rows`` rows, against the scalar calendar on a sample
  (results checked equal on the sample).

``--write`` replaces the "Backlog and KPI metrics" section of docs/performance.md with the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ticketcore import backlog as bl
from ticketcore import dataframes as dfs
from ticketcore.sla import BusinessCalendar

OFFICE = BusinessCalendar(
    tz="Europe/Rome",
    hours={day: ["09:00-13:00", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    holidays=("IT", None),
)
START = datetime(2024, 1, 1, tzinfo=UTC)
AS_OF = datetime(2025, 12, 1, 9, tzinfo=UTC)
PERIOD = bl.Period(datetime(2025, 11, 1, tzinfo=UTC), AS_OF)
US = 1_000_000
CHANNELS = np.array(["email", "chat", "phone", "web", "self_service"], dtype=object)
GROUPS = np.array(["billing", "support", "network"], dtype=object)


def desk(tickets: int, seed: int = 7) -> pd.DataFrame:
    """The events of ``tickets`` synthetic tickets as an events DataFrame, in (ticket, seq) order."""
    rng = np.random.default_rng(seed)
    span = int((AS_OF - START).total_seconds()) * US
    opened = rng.integers(0, span, tickets) + int(START.timestamp()) * US
    pending = rng.random(tickets) < 0.2
    rated = rng.random(tickets) < 0.5
    solved = rng.random(tickets) < 0.97
    closed = solved & (rng.random(tickets) < 0.8)
    reopened = solved & (rng.random(tickets) < 0.1)
    rated = solved & rated
    # (type, actor role, to_status, to_category, present?) per step; gaps are drawn per step in minutes.
    steps: list[tuple[str, str, str | None, str | None, Any]] = [
        ("opened", "requester", None, None, True),
        ("assigned", "agent", None, None, True),
        ("replied", "agent", None, None, True),
        ("status_changed", "agent", "open", "open", True),
        ("status_changed", "agent", "pending", "pending", pending),
        ("status_changed", "requester", "open", "open", pending),
        ("status_changed", "agent", "solved", "solved", solved),
        ("status_changed", "requester", "open", "open", reopened),
        ("replied", "agent", None, None, reopened),
        ("status_changed", "agent", "solved", "solved", reopened),
        ("rated", "requester", None, None, rated),
        ("status_changed", "system", "closed", "closed", closed),
    ]
    gaps = [0, 20, 120, 30, 600, 1440, 600, 2880, 60, 300, 60, 5760]
    columns: dict[str, list[Any]] = {k: [] for k in ("ticket", "step", "at")}
    clock = opened.copy()
    for index, ((_, _, _, _, present), gap) in enumerate(zip(steps, gaps, strict=True)):
        clock = clock + rng.integers(0, gap * 60 * US + 1, tickets)
        keep = np.ones(tickets, dtype=bool) if present is True else present
        columns["ticket"].append(np.flatnonzero(keep))
        columns["step"].append(np.full(int(keep.sum()), index))
        columns["at"].append(clock[keep])
    ticket = np.concatenate(columns["ticket"])
    step = np.concatenate(columns["step"])
    at = np.concatenate(columns["at"])
    order = np.lexsort((step, ticket))
    ticket, step, at = ticket[order], step[order], at[order]
    first = np.r_[True, ticket[1:] != ticket[:-1]]
    seq = np.arange(len(ticket)) - np.maximum.accumulate(np.where(first, np.arange(len(ticket)), 0)) + 1
    kinds = np.array([s[0] for s in steps], dtype=object)[step]
    roles = np.array([s[1] for s in steps], dtype=object)[step]
    to_status = np.array([s[2] for s in steps], dtype=object)[step]
    status_so_far = pd.Series(np.where(first, "new", to_status)).ffill().to_numpy(dtype=object)
    from_status = np.where(
        kinds == "status_changed", np.concatenate([np.array(["new"], dtype=object), status_so_far[:-1]]), None
    )
    agents = np.array([f"agent-{i}" for i in range(200)], dtype=object)[rng.integers(0, 200, tickets)]
    ids = np.array([f"T-{i:07d}" for i in range(tickets)], dtype=object)
    opened_rows = kinds == "opened"
    return pd.DataFrame(
        {
            "ticket_id": ids[ticket],
            "seq": seq,
            "at": pd.to_datetime(at, unit="us", utc=True),
            "type": kinds,
            "actor_id": np.where(
                roles == "agent", agents[ticket], np.where(roles == "system", "system", "cy")
            ),
            "actor_role": roles,
            "requester": np.where(opened_rows, "cy", None),
            "channel": np.where(opened_rows, CHANNELS[ticket % 5], None),
            "status": np.where(opened_rows, "new", None),
            "category": np.where(opened_rows, "new", None),
            "priority": pd.Series(ticket % 5 + 1, dtype="Int64").where(opened_rows),
            "group": np.where(opened_rows | (kinds == "assigned"), GROUPS[ticket % 3], None),
            "from_status": from_status,
            "from_category": from_status,
            "to_status": to_status,
            "to_category": to_status,
            "agent": np.where(kinds == "assigned", agents[ticket], None),
            "public": pd.Series(np.ones(len(kinds), dtype=bool), dtype="boolean").where(kinds == "replied"),
            "score": pd.Series(ticket % 5 + 1, dtype="Int64").where(kinds == "rated"),
            "scale": pd.Series(np.full(len(kinds), 5), dtype="Int64").where(kinds == "rated"),
        }
    )


def kpi_set(run: Callable[..., Any], events: Any) -> dict[str, Any]:
    """Every metric, through the pure module or the DataFrame module (same signatures)."""
    out: dict[str, Any] = {}
    out["backlog"] = run.backlog(events, AS_OF)  # type: ignore[attr-defined]
    for by in ("status", "priority", "channel", "group", "assignee"):
        out[f"backlog_by_{by}"] = run.backlog(events, AS_OF, by=by)  # type: ignore[attr-defined]
    out["series"] = run.backlog_series(events, date(2025, 9, 1), date(2025, 11, 29), tz="Europe/Rome")  # type: ignore[attr-defined]
    out["ratio"] = run.backlog_ratio(events, AS_OF)  # type: ignore[attr-defined]
    out["trend"] = run.growth_trend(events, AS_OF, weeks=12)  # type: ignore[attr-defined]
    out["flow"] = run.flow(events, date(2025, 1, 1), date(2025, 11, 30), tz="Europe/Rome")  # type: ignore[attr-defined]
    out["ageing"] = run.ageing(events, AS_OF)  # type: ignore[attr-defined]
    out["ageing_business"] = run.ageing(events, AS_OF, calendar=OFFICE)  # type: ignore[attr-defined]
    for calendar in (None, OFFICE):
        for metric in bl.DURATION_METRICS:
            name = f"{metric}{'_business' if calendar else ''}"
            if run is dfs:
                out[name] = dfs.durations(events, PERIOD, [metric], calendar=calendar)
            else:
                out[name] = bl.durations(events, PERIOD, metric, calendar=calendar)
    out["touches"] = run.touches(events, PERIOD)  # type: ignore[attr-defined]
    out["reopens"] = run.reopens(events, PERIOD)  # type: ignore[attr-defined]
    out["csat"] = run.csat(events, PERIOD)  # type: ignore[attr-defined]
    out["volumes"] = run.volumes(events, PERIOD)  # type: ignore[attr-defined]
    out["self_service"] = run.self_service_share(events, PERIOD)  # type: ignore[attr-defined]
    out["agents"] = run.agents(events, PERIOD)  # type: ignore[attr-defined]
    return out


CPU: dict[str, float] = {}


def timed(action: Callable[[], Any], name: str = "") -> tuple[float, Any]:
    """Wall-clock seconds and the result; the process CPU seconds go to ``CPU[name]``."""
    began, cpu = time.perf_counter(), time.process_time()
    result = action()
    CPU[name] = time.process_time() - cpu
    return time.perf_counter() - began, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--pure-tickets", type=int, default=5_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()

    build_s, frame = timed(lambda: desk(args.tickets), "build")
    print(f"built {len(frame):,} events for {args.tickets:,} tickets in {build_s:.1f} s", flush=True)
    prepare_s, prepared = timed(lambda: dfs.prepare(frame), "prepare")
    print(f"prepare: {prepare_s:.2f} s (CPU {CPU['prepare']:.2f} s)", flush=True)
    kpi_s, results = timed(lambda: kpi_set(dfs, prepared), "kpis")
    print(f"full KPI set on the prepared frame: {kpi_s:.2f} s (CPU {CPU['kpis']:.2f} s)", flush=True)
    print(results["ratio"].to_string(), results["ageing_business"].to_string(), sep="\n", flush=True)

    small = desk(args.pure_tickets, seed=3)
    histories = dfs.events_from_frame(small)
    pure_s, pure = timed(lambda: kpi_set(bl, histories), "pure")
    folded_s, _ = timed(lambda: kpi_set(bl, bl.fold(histories)), "folded")
    frame_s, framed = timed(lambda: kpi_set(dfs, dfs.prepare(small)), "frame")
    for name, value in pure.items():
        try:
            pd.testing.assert_frame_equal(framed[name], dfs.to_frame(value))
        except AssertionError:
            print("differs:", name, value, framed[name].to_dict("records"))
            raise
    print(
        f"{args.pure_tickets:,} tickets: pure {pure_s:.2f} s, pure folded once {folded_s:.2f} s, "
        f"DataFrame {frame_s:.2f} s (equal results)",
        flush=True,
    )

    rng = np.random.default_rng(5)
    base = pd.Timestamp(START)
    starts = pd.Series(base + pd.to_timedelta(rng.integers(0, 700 * 86_400 * US, args.rows), unit="us"))
    ends = starts + pd.to_timedelta(rng.integers(0, 30 * 86_400 * US, args.rows), unit="us")
    elapsed_s, elapsed = timed(lambda: dfs.business_elapsed(OFFICE, starts, ends), "elapsed")
    add_s, due = timed(lambda: dfs.business_add(OFFICE, starts, timedelta(hours=8)), "add")
    sample = rng.choice(args.rows, 20_000, replace=False)
    scalar_s, scalar = timed(
        lambda: [OFFICE.elapsed(starts[i].to_pydatetime(), ends[i].to_pydatetime()) for i in sample], "scalar"
    )
    assert [elapsed[i].to_pytimedelta() for i in sample] == scalar
    assert all(
        due[i].to_pydatetime() == OFFICE.add(starts[i].to_pydatetime(), timedelta(hours=8))
        for i in sample[:5000]
    )
    rates = {
        "business_elapsed": args.rows / elapsed_s,
        "business_add": args.rows / add_s,
        "scalar elapsed (loop)": len(sample) / scalar_s,
    }
    cpu_rates = {
        "business_elapsed": args.rows / CPU["elapsed"],
        "business_add": args.rows / CPU["add"],
        "scalar elapsed (loop)": len(sample) / CPU["scalar"],
    }
    for name, rate in rates.items():
        print(f"{name}: {rate / 1e6:.2f} M rows/s (per CPU second {cpu_rates[name] / 1e6:.2f} M)", flush=True)

    if args.write:
        load = os.getloadavg()[0]
        table = [
            f"Measured with `python benchmarks/bench_backlog.py --tickets {args.tickets}` on {platform.machine()}, "
            f"Python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}: one run, on the "
            f"shared 2-core machine with other jobs running (load average {load:.1f}), so wall-clock times are "
            "inflated; CPU seconds of the process are given beside them.",
            "",
            "| workload | size | wall | CPU | target |",
            "|---|---|---|---|---|",
            f"| build the synthetic events DataFrame (not part of the KPIs) | {len(frame):,} events | {build_s:.1f} s | {CPU['build']:.1f} s | |",
            f"| `dataframes.prepare`: check, order, derive the state after each event | {len(frame):,} events, {args.tickets:,} tickets | {prepare_s:.2f} s | {CPU['prepare']:.2f} s | |",
            f"| full KPI set on the prepared frame (24 results) | {args.tickets:,} tickets | {kpi_s:.2f} s | {CPU['kpis']:.2f} s | ≤ 5 s |",
            f"| prepare + full KPI set | {args.tickets:,} tickets | {prepare_s + kpi_s:.2f} s | {CPU['prepare'] + CPU['kpis']:.2f} s | |",
            f"| pure path (`ticketcore.backlog` over event lists), full KPI set | {args.pure_tickets:,} tickets | {pure_s:.2f} s | {CPU['pure']:.2f} s | |",
            f"| pure path, histories folded once (`backlog.fold`) | {args.pure_tickets:,} tickets | {folded_s:.2f} s | {CPU['folded']:.2f} s | |",
            f"| DataFrame path, prepare + full KPI set, same tickets (equal results) | {args.pure_tickets:,} tickets | {frame_s:.2f} s | {CPU['frame']:.2f} s | |",
            "",
            "| business time over a column | rows | rows/s (wall) | rows per CPU second | target |",
            "|---|---|---|---|---|",
            f"| `dataframes.business_elapsed` | {args.rows:,} | {rates['business_elapsed'] / 1e6:.2f} M | {cpu_rates['business_elapsed'] / 1e6:.2f} M | ≥ 2 M |",
            f"| `dataframes.business_add` (8 h) | {args.rows:,} | {rates['business_add'] / 1e6:.2f} M | {cpu_rates['business_add'] / 1e6:.2f} M | ≥ 2 M |",
            f"| scalar `BusinessCalendar.elapsed` in a loop | {len(sample):,} | {rates['scalar elapsed (loop)'] / 1e6:.3f} M | {cpu_rates['scalar elapsed (loop)'] / 1e6:.3f} M | |",
            "",
            "The vectorised results equal the scalar calendar's on every sampled row, and the DataFrame path's KPIs equal "
            "the pure path's (both checked by the script). The 24 results: backlog and five breakdowns, a 90-day daily "
            "series, ratio, 12-week trend, weekly flow, ageing in calendar and business time, first response, first and "
            "full resolution in calendar and business time, touches, reopens, CSAT, volumes, self-service share, agents.",
        ]
        path = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
        text = path.read_text(encoding="utf-8")
        section = re.compile(r"(## Backlog and KPI metrics\n\n)(.*?)(?=\n## |\Z)", re.DOTALL)
        if not section.search(text):
            sys.exit("docs/performance.md has no '## Backlog and KPI metrics' section")
        path.write_text(section.sub(lambda m: m.group(1) + "\n".join(table) + "\n", text), encoding="utf-8")
        print("wrote docs/performance.md")


if __name__ == "__main__":
    main()
