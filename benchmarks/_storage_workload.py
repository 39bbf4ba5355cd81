"""The workload the storage benchmarks share: the same tickets, events and measures for every store.

Imported by ``bench_storage.py`` and ``bench_storage_postgres.py`` (run as scripts from this folder).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ticketcore.model import Actor, NoteAdded, Opened, Role

T0 = datetime(2025, 1, 1, tzinfo=UTC)
AGENT = Actor("ada", Role.AGENT)
GROUPS = ["billing", "support", "network", "sales"]
TAGS = ["vip", "vpn", "refund", "bug", "billing"]


def opened(ticket_id: str, n: int) -> Opened:
    """The opening of the ``n``-th benchmark ticket: requester, group, priority and tags vary with ``n``."""
    return Opened(
        ticket_id=ticket_id,
        seq=1,
        at=T0 + timedelta(seconds=n * 7),
        actor=Actor(f"user{n % 977}", Role.REQUESTER),
        requester=f"user{n % 977}",
        subject=f"ticket number {n}",
        group=GROUPS[n % len(GROUPS)],
        priority=1 + n % 5,
        tags=[TAGS[n % len(TAGS)], TAGS[(n // 7) % len(TAGS)]],
    )


def note(ticket_id: str, seq: int) -> NoteAdded:
    """An 80-character internal note, later than every opening."""
    return NoteAdded(
        ticket_id=ticket_id, seq=seq, at=T0 + timedelta(days=400, seconds=seq), actor=AGENT, body="x" * 80
    )


def rate(count: int, seconds: float) -> str:
    """``count`` per second, for the table."""
    return f"{count / seconds:,.0f}"


def micros(samples: list[float]) -> str:
    """Median and 99th percentile of ``samples`` (seconds) in microseconds, for the table."""
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1e6
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1e6
    return f"{p50:,.0f} / {p99:,.0f}"


def timed(action: Callable[[], object]) -> float:
    """Seconds ``action()`` took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start
