"""How business calendars scale with their dated data: closures, special days and recurring closures.

Run: ``python benchmarks/bench_calendar_size.py [--sizes 10 1000 100000]``. For each count, a calendar (weekdays
09:00-13:00 and 14:00-18:00 in Europe/Rome) is loaded with ``codec.load`` holding that many two-hour closures (one
every 26 hours from 2000), special days (consecutive dates from 2000) or weekly recurring closures (at most
``MAX_RECURRING_CLOSURES``, 1,000, are accepted). Measured: loading, a first 800-hour ``add`` from 2000 (it builds
the years it crosses), ten years of ``elapsed``, and an 8-hour ``add`` once those years are built. Prints a Markdown
table for docs/how-to/calendars.md.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ticketcore import codec
from ticketcore.sla import BusinessCalendar

BASE: dict[str, Any] = {
    "tz": "Europe/Rome",
    "hours": {day: ["09:00-13:00", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
}
START = datetime(2000, 1, 3, tzinfo=UTC)


def closures(count: int) -> dict[str, Any]:
    spans = [(START + timedelta(hours=26 * i), START + timedelta(hours=26 * i + 2)) for i in range(count)]
    return {"closures": [{"start": a.isoformat(), "end": b.isoformat()} for a, b in spans]}


def special_days(count: int) -> dict[str, Any]:
    return {
        "special_days": {
            (date(2000, 1, 3) + timedelta(days=i)).isoformat(): ["10:00-12:00"] for i in range(count)
        }
    }


def recurring(count: int) -> dict[str, Any]:
    rules = [
        {
            "rule": "FREQ=WEEKLY;BYDAY=FR",
            "start": (date(2000, 1, 7) + timedelta(days=7 * (i % 50))).isoformat(),
            "hours": [f"{9 + i % 8:02d}:00-{10 + i % 8:02d}:00"],
        }
        for i in range(count)
    ]
    return {"recurring_closures": rules}


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(kind: Callable[[int], dict[str, Any]], count: int) -> list[str]:
    data = {**BASE, **kind(count)}
    calendar: list[BusinessCalendar] = []
    load = timed(lambda: calendar.append(codec.load(BusinessCalendar, data)))
    cal = calendar[0]
    first = timed(lambda: cal.add(START + timedelta(hours=9), timedelta(hours=800)))
    years = timed(lambda: cal.elapsed(START, START + timedelta(days=3653)))
    warm = timed(lambda: cal.add(datetime(2005, 6, 3, 9, tzinfo=UTC), timedelta(hours=8)))
    return [f"{load:.3f}", f"{first:.3f}", f"{years:.3f}", f"{warm * 1000:.2f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1_000, 100_000])
    args = parser.parse_args()
    print(
        "| dated data | count | load (s) | first 800 h add (s) | 10 years of elapsed (s) | 8 h add, warm (ms) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, kind in (
        ("closures", closures),
        ("special days", special_days),
        ("recurring closures", recurring),
    ):
        for count in args.sizes:
            if kind is recurring and count > 1_000:
                continue  # refused at load: more than MAX_RECURRING_CLOSURES
            print(f"| {name} | {count:,} | " + " | ".join(measure(kind, count)) + " |", flush=True)


if __name__ == "__main__":
    main()
