"""Business calendars: exact business-time arithmetic over local opening hours, holidays and closures.

An instant is open iff its local wall-clock reading in the calendar's zone (local date ``D``, time ``w``) has ``w``
inside one of ``D``'s windows and no closure covers it. For each UTC year a calendar turns that rule into sorted,
disjoint open intervals of UTC microseconds plus the open time before each of them, so every query is a bisection.
Years are computed on first use, in both directions, and kept.

The configuration is parsed and checked in ``_calendar.config``, holidays and recurring closures are defined in
``_calendar.dates``, and zone and interval arithmetic and the per-year table live in ``_calendar.table``. This
module keeps :class:`BusinessCalendar` and re-exports :class:`Holidays` and :class:`RecurringClosure`.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from ticketcore._calendar.config import (
    WEEKDAYS,
    Interval,
    parse_window,
    to_closures,
    to_hours,
    to_special_days,
    to_zone,
    week_intervals,
)
from ticketcore._calendar.dates import Holidays, RecurringClosure, to_holidays, to_recurring
from ticketcore._calendar.table import (
    MAX_YEAR,
    MIN_YEAR,
    CalendarState,
    Table,
    clip,
    instant_reaching,
    intersect,
    local_to_utc,
    local_windows,
    merge,
    recurring_windows,
    subtract,
    utc_year,
    year_start,
)
from ticketcore._time import delta_micros, from_micros, to_micros
from ticketcore.errors import ConfigError, NoBusinessTime

__all__ = ["BusinessCalendar", "Holidays", "RecurringClosure"]


def _to_parts(value: Iterable[BusinessCalendar]) -> tuple[BusinessCalendar, ...]:
    if isinstance(value, BusinessCalendar | str) or not isinstance(value, Iterable):
        raise ConfigError(f"expected a list of calendars to combine, got {value!r}")
    return tuple(value)


def _duration_micros(duration: timedelta, name: str = "duration") -> int:
    if not isinstance(duration, timedelta):
        raise TypeError(f"{name} must be a timedelta, got {type(duration).__name__} {duration!r}")
    return delta_micros(duration)


# --- the calendar ------------------------------------------------------------------------------------------------


@attrs.frozen
class BusinessCalendar:
    """When a help desk is open, and exact business-time arithmetic over it.

    An instant is open iff its local wall-clock reading in ``tz`` (local date ``D``, time ``w``) has ``w`` inside one
    of ``D``'s windows, and no closure covers it. ``D``'s windows are ``special_days[D]`` if ``D`` is a special day,
    none if ``D`` is a holiday, and otherwise the weekly ``hours`` of its weekday. Windows are half-open local
    wall-clock ranges ``"HH:MM-HH:MM"`` (or ``HH:MM:SS``); ``"24:00"`` ends a day, and a weekly window such as
    ``"22:00-06:00"`` runs past midnight: it stands for ``[22:00, 24:00)`` on its day and ``[00:00, 06:00)`` on the
    next, each part open or not by its own date's holiday and special-day status. DST needs no special case: a
    ``01:00-04:00`` window lasts 2 h or 4 h on DST nights, a window starting in a skipped hour begins when the
    clocks next show a time inside it.

    ``holidays`` is a country (``"IT"``), a ``(country, subdivision)`` pair, a collection of dates, or a
    :class:`Holidays`; ``closures`` are ``(start, end)`` pairs of aware datetimes; ``special_days`` maps dates to the
    windows that replace that date's hours (``[]``: closed); ``recurring_closures`` are :class:`RecurringClosure`
    rules. ``any_of`` / ``all_of`` combine calendars (see ``a | b`` and ``a & b``); a combined calendar takes its
    open time from its parts, minus its own closures. Results are aware datetimes in ``tz``; durations are
    ``timedelta``; everything is exact to the microsecond. Special-day windows end by ``24:00``; without
    ``hours`` a calendar is closed on every date but its special days. Calendars are immutable, hashable, thread-safe values.
    Fields keep a canonical form (``hours`` as seven tuples of windows, Monday first; ``special_days`` as sorted
    ``(date, windows)`` pairs), so equal configurations make equal calendars; ``codec.dump`` gives the data form.
    Compare results as instants (``.astimezone(UTC)``): Python compares datetimes of one zone by wall time, fold
    ignored, and never finds a datetime in a repeated hour equal to another zone's (PEP 495).

    >>> from datetime import datetime, timedelta
    >>> from zoneinfo import ZoneInfo
    >>> office = {day: ["09:00-13:00", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    >>> rome = BusinessCalendar(tz="Europe/Rome", hours=office, holidays=("IT", None))
    >>> start = datetime(2025, 4, 17, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))  # Thursday before Easter
    >>> rome.add(start, timedelta(hours=17)).isoformat()  # Easter Monday is a holiday
    '2025-04-22T11:00:00+02:00'
    >>> rome.add(start, timedelta(hours=3)).isoformat(), rome.breach_at(start, timedelta(hours=3)).isoformat()
    ('2025-04-17T13:00:00+02:00', '2025-04-17T14:00:00+02:00')
    >>> rome.elapsed(start, start + timedelta(days=7))
    datetime.timedelta(days=1, seconds=28800)
    """

    tz: ZoneInfo = attrs.field(converter=to_zone)
    hours: tuple[tuple[str, ...], ...] = attrs.field(default=None, converter=to_hours)
    holidays: Holidays = attrs.field(default=None, converter=to_holidays)
    closures: tuple[tuple[datetime, datetime], ...] = attrs.field(default=None, converter=to_closures)
    special_days: tuple[tuple[date, tuple[str, ...]], ...] = attrs.field(
        default=None, converter=to_special_days
    )
    recurring_closures: tuple[RecurringClosure, ...] = attrs.field(default=None, converter=to_recurring)
    any_of: tuple[BusinessCalendar, ...] = attrs.field(default=(), converter=_to_parts)
    all_of: tuple[BusinessCalendar, ...] = attrs.field(default=(), converter=_to_parts)
    _state: CalendarState = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        parts = self.any_of or self.all_of
        for name in ("any_of", "all_of"):
            for index, part in enumerate(getattr(self, name)):
                if not isinstance(part, BusinessCalendar):
                    raise ConfigError(f"{part!r} is not a BusinessCalendar", f"{name}[{index}]")
        if self.any_of and self.all_of:
            raise ConfigError(
                "a calendar combines its parts either with any_of or with all_of, not both", "all_of"
            )
        if parts:
            name = "any_of" if self.any_of else "all_of"
            for field, given in (("hours", any(self.hours)), ("holidays", self.holidays != Holidays())):
                if given:
                    raise ConfigError(
                        f"a combined calendar ({name}) takes its {field} from its parts; move {field!r} into them",
                        field,
                    )
            if self.special_days:
                raise ConfigError(
                    f"a combined calendar ({name}) takes its hours from its parts; move 'special_days' into them",
                    "special_days",
                )
        special = {
            day: [parse_window(text, "special_days", overnight=False) for text in windows]
            for day, windows in self.special_days
        }
        years = [day.year for day, _ in self.special_days] + [day.year for day in self.holidays.dates]
        years += [utc_year(instant) for closure in self.closures for instant in closure]
        for part in parts:
            if part._state.extent is not None:
                years += list(part._state.extent)
        extent = (min(years), max(years)) if years else None
        object.__setattr__(self, "_state", CalendarState(week_intervals(self.hours), special, extent))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (_rebuild, (attrs.asdict(self, recurse=False, filter=lambda a, _: a.init),))

    # --- constructors and combinators ----------------------------------------------------------------------------

    @classmethod
    def always(cls, tz: str | tzinfo = "UTC") -> BusinessCalendar:
        """A calendar open 24 hours a day, 7 days a week (calendar-time SLA targets); results are given in ``tz``.

        >>> from datetime import UTC, datetime
        >>> BusinessCalendar.always().elapsed(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC))
        datetime.timedelta(days=1)
        """
        return cls(tz=tz, hours={day: ["00:00-24:00"] for day in WEEKDAYS})

    def __or__(self, other: BusinessCalendar) -> BusinessCalendar:
        """Open when either calendar is open (follow-the-sun teams); results in this calendar's zone."""
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return BusinessCalendar(tz=self.tz, any_of=(self, other))

    def __and__(self, other: BusinessCalendar) -> BusinessCalendar:
        """Open when both calendars are open (e.g. office hours and an agent's shift); results in this zone."""
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return BusinessCalendar(tz=self.tz, all_of=(self, other))

    # --- queries -----------------------------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` is business time (window starts are open, window ends are closed)."""
        x = self._micros(at, "at")
        table = self._table(x, x)
        i = bisect_right(table.starts, x) - 1
        return i >= 0 and x < table.ends[i]

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time in ``[start, end)``, exact to the microsecond; negative (``-elapsed(end, start)``) if
        ``end < start``, so that ``elapsed(a, c) == elapsed(a, b) + elapsed(b, c)`` for every ``a``, ``b``, ``c``."""
        a, b = self._micros(start, "start"), self._micros(end, "end")
        return timedelta(microseconds=self._elapsed(a, b))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The due instant: the earliest ``t >= start`` with ``elapsed(start, t) >= duration``.

        Adding zero returns ``start``; a duration that runs out exactly at a closing time returns that closing time
        (13:00, not the 14:00 reopening: see :meth:`breach_at`). A negative duration counts backwards
        (``add(t, -d) == subtract(t, d)``). Raises :class:`~ticketcore.errors.NoBusinessTime` if the calendar never
        has enough open time.
        """
        return self._datetime(self._add(self._micros(start, "start"), _duration_micros(duration)))

    def breach_at(self, start: datetime, duration: timedelta) -> datetime:
        """The first instant at which more than ``duration`` of business time would have elapsed since ``start``.

        A clock started at ``start`` with target ``duration`` is breached at instant ``x`` iff ``x > breach_at``:
        ``breach_at`` is the next open instant at or after :meth:`add` (the 14:00 reopening after a 13:00 due).
        Schedule breach checks here; show :meth:`add` to people.
        """
        s = self._add(self._micros(start, "start"), _duration_micros(duration))
        return self._datetime(self._next_open(s))

    def subtract(self, end: datetime, duration: timedelta) -> datetime:
        """The latest ``s <= end`` with ``elapsed(s, end) >= duration`` (it lands on an open instant, e.g. a window
        start, never on a closing time). A negative duration counts forwards (``subtract(t, -d) == add(t, d)``)."""
        return self._datetime(self._subtract(self._micros(end, "end"), _duration_micros(duration)))

    def next_open(self, at: datetime) -> datetime:
        """The first open instant at or after ``at`` (``at`` itself when the calendar is open then)."""
        return self._datetime(self._next_open(self._micros(at, "at")))

    def next_close(self, at: datetime) -> datetime:
        """The first instant at or after ``at`` where an open stretch ends: the end of the open interval containing
        ``at``, or of the next one when the calendar is closed at ``at`` (``at`` itself when an interval ends there).
        Raises :class:`~ticketcore.errors.NoBusinessTime` for a calendar that never closes (24×7)."""
        x = self._micros(at, "at")
        table = self._table(x, x)
        while True:
            i = bisect_left(table.ends, x)
            if i < len(table.ends) and table.ends[i] < table.high:
                return self._datetime(table.ends[i])
            table = self._state.grow(table, self._chunk, forward=True, want_open=False)

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open intervals ``[open, close)`` within ``[start, end)``, clipped to it, in order."""
        a, b = self._micros(start, "start"), self._micros(end, "end")
        if b <= a:
            return iter(())
        table = self._table(a, b)
        first, last = bisect_right(table.ends, a), bisect_left(table.starts, b)
        return (
            (self._datetime(max(s, a)), self._datetime(min(e, b)))
            for s, e in zip(table.starts[first:last], table.ends[first:last], strict=True)
        )

    def segments(self, start: datetime, end: datetime) -> tuple[list[int], list[int], list[int]]:
        """The open segments around ``[start, end]`` as three lists of integers, for vectorised arithmetic.

        Returns ``(starts, ends, before)``: UTC microseconds since the Unix epoch of each open segment's start and
        end, and the open microseconds before each segment counted from an arbitrary origin (only differences are
        meaningful; take every value you combine from one call). The segments run from the last one starting at or
        before ``start`` to the first one starting after ``end`` (when they exist), so that for every instant ``x``
        (in µs) in ``[start, end]``, with ``i = bisect_right(starts, x) - 1`` (numpy: ``searchsorted(starts, x,
        "right") - 1``), the open time up to ``x`` is ``F(x) = before[i] + min(x, ends[i]) - starts[i]`` (``before[0]``
        when ``i < 0``, 0 when there are no segments); ``elapsed(a, b) == F(b) - F(a)``, and ``add(s, d)`` for ``d > 0`` is
        ``starts[j] + F(s) + d - before[j]`` with ``j`` the first index where ``before[j] + ends[j] - starts[j] >=
        F(s) + d`` (valid when that ``j`` exists).
        """
        a, b = self._micros(start, "start"), self._micros(end, "end")
        a, b = min(a, b), max(a, b)
        table = self._table(a, b)
        first = max(bisect_right(table.starts, a) - 1, 0)
        last = bisect_right(table.starts, b) + 1
        return table.starts[first:last], table.ends[first:last], table.before[first:last]

    def add_many(
        self, starts: Iterable[datetime], durations: timedelta | Iterable[timedelta]
    ) -> list[datetime]:
        """:meth:`add` for each start, with one duration for all or one per start."""
        starts = list(starts)
        each = [durations] * len(starts) if isinstance(durations, timedelta) else list(durations)
        if len(each) != len(starts):
            raise ValueError(
                f"got {len(starts)} starts but {len(each)} durations; give one duration per start"
            )
        return [self.add(start, duration) for start, duration in zip(starts, each, strict=True)]

    def elapsed_many(self, starts: Iterable[datetime], ends: Iterable[datetime]) -> list[timedelta]:
        """:meth:`elapsed` for each ``(start, end)`` pair."""
        starts, ends = list(starts), list(ends)
        if len(ends) != len(starts):
            raise ValueError(f"got {len(starts)} starts but {len(ends)} ends; give one end per start")
        return [self.elapsed(start, end) for start, end in zip(starts, ends, strict=True)]

    # --- arithmetic on µs ------------------------------------------------------------------------------------------

    def _micros(self, value: datetime, name: str) -> int:
        return to_micros(value, name)

    def _datetime(self, micros: int) -> datetime:
        try:
            return from_micros(micros).astimezone(self.tz)
        except OverflowError:
            # The answer exists but no Python datetime can hold it (a target of a million days, or year 9999 + 1).
            raise NoBusinessTime(
                f"the result lies beyond the datetimes calendars support (years {MIN_YEAR} to {MAX_YEAR}); "
                "use shorter durations or instants nearer the present"
            ) from None

    def _elapsed(self, a: int, b: int) -> int:
        table = self._table(min(a, b), max(a, b))
        return table.open_before(b) - table.open_before(a)

    def _add(self, s: int, d: int) -> int:
        """The instant ``d`` µs of open time after ``s`` (before it when ``d`` is negative)."""
        if d <= 0:
            return self._subtract(s, -d) if d else s
        table = self._table(s, s)
        target = table.open_before(s) + d
        while not table.after or table.after[-1] < target:
            missing = target - (table.after[-1] if table.after else 0)
            table = self._state.grow(table, self._chunk, forward=True, want_open=True, missing=missing)
            target = table.open_before(s) + d
        return instant_reaching(table.starts, table.before, table.after, target)

    def _subtract(self, e: int, d: int) -> int:
        """The instant ``d`` µs of open time before ``e`` (after it when ``d`` is negative)."""
        if d <= 0:
            return self._add(e, -d) if d else e
        table = self._table(e, e)
        while table.open_before(e) < d:
            missing = d - table.open_before(e)
            table = self._state.grow(table, self._chunk, forward=False, want_open=True, missing=missing)
        target = table.open_before(e) - d
        j = bisect_right(table.after, target)
        return table.starts[j] + target - table.before[j]

    def _next_open(self, x: int) -> int:
        table = self._table(x, x)
        while True:
            i = bisect_right(table.starts, x) - 1
            if i >= 0 and x < table.ends[i]:
                return x
            if i + 1 < len(table.starts):
                return table.starts[i + 1]
            table = self._state.grow(table, self._chunk, forward=True, want_open=True)

    # --- the per-year table ----------------------------------------------------------------------------------------

    def _table(self, low: int, high: int) -> Table:
        """A table whose years cover the instants ``low`` to ``high`` (strictly inside its upper edge)."""
        # Every query starts here: check the current table inline, without a lock or a call.
        table = self._state.table
        if table is not None and table.low <= low and high < table.high:
            return table
        return self._state.cover(low, high, self._chunk)

    def _chunk(self, year: int) -> list[Interval]:
        """The open intervals within UTC year ``year``."""
        low, high = year_start(year), year_start(year + 1)
        if self.any_of or self.all_of:
            parts = [part._state.chunk(year, part._chunk) for part in (self.any_of or self.all_of)]
            if self.any_of:
                found = merge(interval for part in parts for interval in part)
            else:
                found = functools.reduce(intersect, parts)
        else:
            local = local_windows(year, self._state.week, self._state.special, self.holidays)
            found = clip(local_to_utc(self.tz, year, local), low, high)
        holes = [
            (max(to_micros(s), low), min(to_micros(e), high))
            for s, e in self.closures
            if to_micros(e) > low and to_micros(s) < high
        ]
        if self.recurring_closures:
            holes += clip(
                local_to_utc(self.tz, year, recurring_windows(year, self.recurring_closures)), low, high
            )
        return subtract(found, merge(holes)) if holes else found


def _rebuild(fields: dict[str, Any]) -> BusinessCalendar:
    return BusinessCalendar(**fields)
