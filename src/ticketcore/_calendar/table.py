"""Zone and interval arithmetic of business calendars, and the lazily built per-year table. Private to
:mod:`ticketcore._calendar.calendar`.

Instants are integer µs since the Unix epoch (UTC); local readings are integer µs since 1970-01-01 00:00 on the
local clock. Interval sets are sorted lists of disjoint half-open ``(start, end)`` pairs. A calendar's open time for
one UTC year is such a list (a "chunk"); a :class:`Table` joins the chunks of consecutive years and counts the open
time before each interval, so every query is a bisection. :class:`CalendarState` keeps the chunks and the current
table of one calendar, and widens the table under a lock when a query reaches past it.
"""

from __future__ import annotations

import functools
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ticketcore._calendar.config import DAY, MAX_YEAR, MIN_YEAR, SECOND, Interval, parse_window
from ticketcore._calendar.dates import Holidays, RecurringClosure
from ticketcore._time import delta_micros, from_micros
from ticketcore.errors import NoBusinessTime

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "CalendarState",
    "Table",
    "clip",
    "instant_reaching",
    "intersect",
    "local_to_utc",
    "local_windows",
    "merge",
    "open_before",
    "recurring_windows",
    "subtract",
    "utc_year",
    "year_of",
    "year_start",
]

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# No zone in tzdata changes its offset twice within four days, so probing every six hours finds every transition.
_PROBE = 6 * 3600 * SECOND
# A search gives up after this many consecutive years without what it looks for, beyond the calendar's dated data.
_GIVE_UP_YEARS = 5

Chunk = Callable[[int], list[Interval]]
"""Computes a calendar's open intervals within one UTC year."""


# --- instants and dates as µs --------------------------------------------------------------------------------------


def _day_start(day: date) -> int:
    """Midnight starting ``day``: as a local reading, or as an instant when ``day`` is a UTC date."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY


def year_start(year: int) -> int:
    """The instant UTC year ``year`` starts."""
    return _day_start(date(year, 1, 1))


def utc_year(instant: datetime) -> int:
    """The UTC year of an aware datetime (its own year where UTC would leave the datetime range)."""
    try:
        return instant.astimezone(UTC).year
    except OverflowError:
        return instant.year


def year_of(micros: int) -> int:
    """The UTC year of the instant ``micros``; :class:`NoBusinessTime` outside the years calendars support."""
    try:
        year = from_micros(micros).year
    except OverflowError:
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise NoBusinessTime(f"business calendars work between the years {MIN_YEAR} and {MAX_YEAR}")
    return year


# --- time zones ----------------------------------------------------------------------------------------------------


def _offset_at(zone: ZoneInfo, micros: int) -> int:
    offset = from_micros(micros).astimezone(zone).utcoffset()
    assert offset is not None
    return delta_micros(offset)


@functools.lru_cache(maxsize=4096)
def _offset_stretches(zone: ZoneInfo, year: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """UTC µs starts and offsets of the stretches of constant offset within UTC year ``year``."""
    low, high = year_start(year), year_start(year + 1)
    starts, offsets = [low], [_offset_at(zone, low)]
    probe = low
    while probe < high:
        following = min(probe + _PROBE, high)
        after = _offset_at(zone, following)
        if after != offsets[-1]:
            before_at, after_at = probe, following
            while after_at - before_at > 1:
                middle = (before_at + after_at) // 2
                if _offset_at(zone, middle) == offsets[-1]:
                    before_at = middle
                else:
                    after_at = middle
            if after_at < high:
                starts.append(after_at)
                offsets.append(_offset_at(zone, after_at))
        probe = following
    return tuple(starts), tuple(offsets)


def local_to_utc(zone: ZoneInfo, first_year: int, local: list[Interval]) -> list[Interval]:
    """The instants whose local reading falls in the local-µs intervals ``local``, as merged UTC intervals.

    Within a stretch of constant offset ``o``, local reading ``L`` belongs to instant ``L - o``; a reading repeated
    on a fall-back night thus yields two instants, and a reading skipped in a spring-forward gap none.
    """
    starts: list[int] = []
    offsets: list[int] = []
    for year in range(first_year - 1, first_year + 2):
        year_starts, year_offsets = _offset_stretches(zone, year)
        starts += year_starts
        offsets += year_offsets
    low, high = min(offsets), max(offsets)
    count = len(starts)
    found: list[Interval] = []
    for local_start, local_end in local:
        k = max(bisect_right(starts, local_start - high) - 1, 0)
        while k < count and starts[k] < local_end - low:
            offset = offsets[k]
            start = max(starts[k], local_start - offset)
            end = local_end - offset if k + 1 == count else min(starts[k + 1], local_end - offset)
            if start < end:
                found.append((start, end))
            k += 1
    return merge(found)


# --- local windows around a UTC year -------------------------------------------------------------------------------


def _dates_around(year: int) -> Iterator[date]:
    # Local dates that can reach into UTC year `year`: offsets stay within a day, windows within two dates.
    first = date(year, 1, 1).toordinal() - 2
    last = date(year, 12, 31).toordinal() + 2
    return (date.fromordinal(ordinal) for ordinal in range(first, last + 1))


def local_windows(
    year: int, week: list[list[Interval]], special: dict[date, list[Interval]], holidays: Holidays
) -> list[Interval]:
    """The open local readings of the dates around UTC year ``year``: each date's special-day windows, none on a
    holiday, else its weekday's."""
    closed = holidays.in_year(year - 1) | holidays.in_year(year) | holidays.in_year(year + 1)
    local: list[Interval] = []
    for day in _dates_around(year):
        if day in special:
            windows = special[day]
        elif day in closed:
            continue
        else:
            windows = week[day.weekday()]
        base = _day_start(day)
        local += [(base + s, base + e) for s, e in windows]
    return local


def recurring_windows(year: int, closures: Iterable[RecurringClosure]) -> list[Interval]:
    """The local readings closed by ``closures`` on the dates around UTC year ``year``."""
    local: list[Interval] = []
    for closure in closures:
        windows = [parse_window(text, "hours", overnight=True) for text in closure.hours]
        for day in closure.dates_between(date(year - 1, 12, 29), date(year + 1, 1, 2)):
            base = _day_start(day)
            local += [(base + s, base + (e if e > s else e + DAY)) for s, e in windows]
    return local


# --- interval sets (sorted lists of disjoint half-open (start, end) pairs) -------------------------------------------


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of any intervals, as an interval set."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
    """The intersection of two interval sets."""
    result: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start, end = max(first[i][0], second[j][0]), min(first[i][1], second[j][1])
        if start < end:
            result.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return result


def subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    """``intervals`` minus ``holes`` (both interval sets)."""
    result: list[Interval] = []
    j = 0
    for start, end in intervals:
        while j < len(holes) and holes[j][1] <= start:
            j += 1
        k, cursor = j, start
        while k < len(holes) and holes[k][0] < end:
            if holes[k][0] > cursor:
                result.append((cursor, holes[k][0]))
            cursor = max(cursor, holes[k][1])
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def clip(intervals: list[Interval], low: int, high: int) -> list[Interval]:
    """An interval set cut to ``[low, high)``."""
    return [(max(s, low), min(e, high)) for s, e in intervals if e > low and s < high]


# --- the search over a segment table -------------------------------------------------------------------------------
# A segment table is three parallel sorted lists: open segment starts, ends, and the open µs before each (plus, for
# forward searches, the open µs up to each end). These two functions are the only searches over one; the calendar,
# the SLA timeline and (in numpy form, ``_frames.calendar``) the vectorised path all answer through them.


def open_before(starts: list[int], ends: list[int], before: list[int], x: int) -> int:
    """Open µs up to the instant ``x``, counted from the table's origin: ``before[i] + min(x, ends[i]) - starts[i]``
    for the last segment ``i`` starting at or before ``x`` (``before[0]`` before the first, 0 in an empty table)."""
    i = bisect_right(starts, x) - 1
    if i < 0:
        return before[0] if before else 0
    end = ends[i]
    return before[i] + (x if x < end else end) - starts[i]


def instant_reaching(starts: list[int], before: list[int], after: list[int], target: int) -> int:
    """The earliest instant at which the open µs counted from the table's origin reach ``target``; the caller makes
    sure the table reaches it (``after[-1] >= target``)."""
    j = bisect_left(after, target)
    return starts[j] + target - before[j]


# --- the lazily built table ----------------------------------------------------------------------------------------


class Table:
    """Open segments over the UTC years ``first..last``: starts, ends, open µs before and up to each segment.

    Cumulative values count from the table's lower edge, so only differences taken in one table are meaningful.
    """

    __slots__ = ("after", "before", "ends", "first", "high", "last", "low", "starts")

    def __init__(self, first: int, last: int, chunks: dict[int, list[Interval]]) -> None:
        self.first, self.last = first, last
        self.low, self.high = year_start(first), year_start(last + 1)
        starts: list[int] = []
        ends: list[int] = []
        for year in range(first, last + 1):
            for start, end in chunks[year]:
                if ends and ends[-1] == start:
                    ends[-1] = end
                else:
                    starts.append(start)
                    ends.append(end)
        before: list[int] = []
        after: list[int] = []
        total = 0
        for start, end in zip(starts, ends, strict=True):
            before.append(total)
            total += end - start
            after.append(total)
        self.starts, self.ends, self.before, self.after = starts, ends, before, after

    def open_before(self, at: int) -> int:
        """Open µs from the table's lower edge up to ``at``."""
        return open_before(self.starts, self.ends, self.before, at)


class CalendarState:
    """Derived data and the cache of one calendar; not part of its value (excluded from eq, hash, repr, pickle).

    ``week`` and ``special`` are the calendar's hours as µs intervals, ``extent`` the first and last years of its
    dated data (beyond them every year repeats the same rules). The calendar passes its own ``chunk`` function in
    rather than the state keeping it, so that a state never refers back to its calendar.
    """

    def __init__(
        self, week: list[list[Interval]], special: dict[date, list[Interval]], extent: tuple[int, int] | None
    ):
        self.week = week
        self.special = special
        self.extent = extent
        # Reentrant: building a table (under the lock) takes each year's chunk through `chunk`, which locks too.
        self.lock = threading.RLock()
        self.chunks: dict[int, list[Interval]] = {}
        self.table: Table | None = None

    def chunk(self, year: int, compute: Chunk) -> list[Interval]:
        """The open intervals within UTC year ``year``, computed once."""
        with self.lock:
            chunks = self.chunks
            if year not in chunks:
                chunks[year] = compute(year)
            return chunks[year]

    def cover(self, low: int, high: int, compute: Chunk) -> Table:
        """A new table covering the current one and the instants ``low`` to ``high`` (strictly inside its upper
        edge). Callers first check whether the current table already covers them, without taking the lock."""
        first, last = year_of(low), year_of(high)
        with self.lock:
            table = self.table
            if table is not None:
                first, last = min(first, table.first), max(last, table.last)
            return self._build(first, last, compute)

    def _build(self, first: int, last: int, compute: Chunk) -> Table:
        for year in range(first, last + 1):
            self.chunk(year, compute)
        table = Table(first, last, self.chunks)
        self.table = table
        return table

    def grow(
        self, table: Table, compute: Chunk, *, forward: bool, want_open: bool, missing: int = 0
    ) -> Table:
        """The table wider by a year, or by about the years ``missing`` open µs need (at most doubling it), or
        :class:`NoBusinessTime` once the search is hopeless."""
        with self.lock:
            current = self.table
            assert current is not None
            if current is not table and (
                current.last > table.last if forward else current.first < table.first
            ):
                return current
            self._give_up_if_hopeless(current, forward=forward, want_open=want_open)
            span = current.last - current.first + 1
            total = current.after[-1] if current.after else 0
            years = 1
            if missing > 0 and total > 0:
                years = -(-missing * span // total)
                room = MAX_YEAR - current.last if forward else current.first - MIN_YEAR
                if years > 2 * room:
                    raise NoBusinessTime(
                        f"about {years} more years of this calendar's open time would be needed, beyond the years "
                        f"{MIN_YEAR} to {MAX_YEAR} that business calendars support"
                    )
                years = min(years, span + 10)
            if forward:
                first, last = current.first, min(current.last + years, MAX_YEAR)
            else:
                first, last = max(current.first - years, MIN_YEAR), current.last
            if (first, last) == (current.first, current.last):
                raise NoBusinessTime(
                    f"the calendar has no {'open' if want_open else 'closing'} time within the years "
                    f"{MIN_YEAR} to {MAX_YEAR} that business calendars support"
                )
            return self._build(first, last, compute)

    def _give_up_if_hopeless(self, table: Table, *, forward: bool, want_open: bool) -> None:
        extent = self.extent
        years = range(table.last, table.first - 1, -1) if forward else range(table.first, table.last + 1)
        useless = 0
        for year in years:
            if extent is not None and (year <= extent[1] if forward else year >= extent[0]):
                break
            chunk = self.chunks[year]
            high = year_start(year + 1)
            if chunk if want_open else any(end < high for _, end in chunk):
                break
            useless += 1
        if useless >= _GIVE_UP_YEARS:
            edge = table.last if forward else table.first
            what = "open time" if want_open else "closing time"
            raise NoBusinessTime(
                f"the calendar has no {what} in the {useless} years up to {edge} (UTC years), and nothing dated "
                "after that would change it: check its hours, holidays and closures"
            )
