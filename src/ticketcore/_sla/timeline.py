"""Business-time arithmetic on integer microseconds for the clock engine. Private to :mod:`ticketcore.sla`.

A :class:`Timeline` keeps a slice of its calendar's open segments (from ``BusinessCalendar.segments``) and answers
``elapsed``, ``add`` and ``next_open`` with one bisection each, on UTC microseconds since the epoch: the SLA engine
calls them for every cycle of every ticket, where converting datetimes on each call would dominate. The semantics
are the calendar's (the oracle tests hold both to it); anything outside the cached slice widens it, and whatever the
slice cannot answer is asked of the calendar itself, which also raises its errors.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import timedelta

from ticketcore._calendar import BusinessCalendar, instant_reaching, open_before
from ticketcore._time import from_micros, to_micros

__all__ = ["Table", "Timeline"]

_PAD = 40 * 86_400 * 1_000_000


Table = tuple[int, int, list[int], list[int], list[int], list[int]]
"""A cached slice: its low and high edges (µs), then segment starts, ends, open µs before and up to each."""


class Timeline:
    """One calendar's open time as sorted segment starts/ends with the open µs before each (see ``segments``)."""

    __slots__ = ("calendar", "table")

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self.table: Table | None = None

    def cover(self, low: int, high: int) -> Table:
        """A table whose slice covers ``[low, high]`` (the current one if it does, else a wider one)."""
        table = self.table
        if table is not None and table[0] <= low and high <= table[1]:
            return table
        if table is not None:
            width = table[1] - table[0]
            low = min(low, table[0] - width if low < table[0] else table[0])
            high = max(high, table[1] + width if high > table[1] else table[1])
        low, high = low - _PAD, high + _PAD
        starts, ends, before = self.calendar.segments(from_micros(low), from_micros(high))
        after = [b + e - s for s, e, b in zip(starts, ends, before, strict=True)]
        table = (low, high, starts, ends, before, after)
        self.table = table  # one assignment: readers see an old table or the new one, never half of one
        return table

    def elapsed(self, a: int, b: int) -> int:
        """Open µs in ``[a, b)`` for ``a <= b``."""
        # ``cover``'s check inline: measuring a cycle calls this once per run of its clock.
        table = self.table
        if table is None or a < table[0] or b > table[1]:
            table = self.cover(a, b)
        starts, ends, before = table[2], table[3], table[4]
        return open_before(starts, ends, before, b) - open_before(starts, ends, before, a)

    def add(self, start: int, amount: int) -> int:
        """The earliest instant ``t >= start`` with ``amount`` open µs in ``[start, t)`` (``start`` for zero)."""
        if amount <= 0:
            return start
        table = self.table
        if table is None or start < table[0] or start + amount > table[1]:
            table = self.cover(start, start + amount)
        starts, before, after = table[2], table[4], table[5]
        target = open_before(starts, table[3], before, start) + amount
        if not after or after[-1] < target:
            return to_micros(self.calendar.add(from_micros(start), timedelta(microseconds=amount)))
        return instant_reaching(starts, before, after, target)

    def next_open(self, x: int) -> int:
        """The first open instant at or after ``x``."""
        table = self.table
        if table is None or x < table[0] or x > table[1]:
            table = self.cover(x, x)
        starts = table[2]
        i = bisect_right(starts, x) - 1
        if i >= 0 and x < table[3][i]:
            return x
        if i + 1 < len(starts):
            return starts[i + 1]
        return to_micros(self.calendar.next_open(from_micros(x)))

    def breach_at(self, start: int, amount: int) -> int:
        """The last instant at which no more than ``amount`` open µs have elapsed since ``start``."""
        return self.next_open(self.add(start, amount))
