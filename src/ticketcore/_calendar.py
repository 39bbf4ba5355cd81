"""Business calendars: exact business-time arithmetic over local opening hours, holidays and closures.

An instant is open iff its local wall-clock reading in the calendar's zone (local date ``D``, time ``w``) has ``w``
inside one of ``D``'s windows and no closure covers it. For each UTC year a calendar turns that rule into sorted,
disjoint open intervals of UTC microseconds plus the open time before each of them, so every query is a bisection.
Years are computed on first use, in both directions, and kept.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import holidays as holidays_package
from dateutil import rrule

from ticketcore._time import require_aware, to_micros
from ticketcore.errors import ConfigError, NoBusinessTime

__all__ = ["BusinessCalendar", "Holidays", "RecurringClosure"]

_US = 1_000_000
_DAY = 86_400 * _US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?")
# No zone in tzdata changes its offset twice within four days, so probing every six hours finds every transition.
_PROBE = 6 * 3600 * _US
# A search gives up after this many consecutive years without what it looks for, beyond the calendar's dated data.
_GIVE_UP_YEARS = 5
_MIN_YEAR, _MAX_YEAR = 3, 9997

Interval = tuple[int, int]


# --- parsing -------------------------------------------------------------------------------------------------------


def _parse_time(text: str, path: str, *, end: bool) -> int:
    match = _TIME.fullmatch(text)
    bad = ConfigError(f"{text!r} is not a time of day; write HH:MM from 00:00 to 24:00", path)
    if match is None:
        raise bad
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 24 or minute > 59 or second > 59 or (hour == 24 and (minute or second)):
        raise bad
    if hour == 24 and not end:
        raise ConfigError(f"a window cannot start at {text!r}; start it between 00:00 and 23:59", path)
    return (hour * 3600 + minute * 60 + second) * _US


def _format_time(micros: int) -> str:
    seconds = micros // _US
    hour, rest = divmod(seconds, 3600)
    minute, second = divmod(rest, 60)
    return f"{hour:02d}:{minute:02d}" + (f":{second:02d}" if second else "")


def _parse_window(text: object, path: str, *, overnight: bool) -> Interval:
    """``(start, end)`` in µs of the local day; ``end <= start`` marks a window that runs past midnight."""
    if not isinstance(text, str):
        raise ConfigError(f"{text!r} is not a window; write a string such as '09:00-13:00'", path)
    parts = text.split("-")
    if len(parts) != 2:
        raise ConfigError(
            f"{text!r} is not a window; write START-END such as '09:00-13:00' (or '22:00-06:00' past midnight)",
            path,
        )
    start = _parse_time(parts[0].strip(), path, end=False)
    end = _parse_time(parts[1].strip(), path, end=True)
    if start == end:
        raise ConfigError(
            f"{text!r} is empty: it ends when it starts; write '00:00-24:00' for a whole day", path
        )
    if end == 0:
        end = _DAY
    if end < start and not overnight:
        raise ConfigError(
            f"{text!r} ends before it starts; here a window cannot run past midnight: end it at '24:00' "
            "and give the next date its own window from '00:00'",
            path,
        )
    return start, end


def _window_text(window: Interval) -> str:
    return f"{_format_time(window[0])}-{_format_time(window[1])}"


def _window_list(value: object, path: str) -> list[object]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ConfigError(
            f"{value!r} is not a list of windows; write e.g. ['09:00-13:00', '14:00-18:00']", path
        )
    return list(value)


def _check_overlaps(pieces: list[tuple[int, int, str, str]], path: str) -> None:
    """``pieces`` are (start, end, text, path) on one local date; refuse any two that overlap, naming the one
    written later (its path sorts last; parts of the previous day's windows have an empty path)."""
    pieces = sorted(pieces)
    for before, after in itertools.pairwise(pieces):
        if after[0] < before[1]:
            first, second = sorted((before, after), key=lambda piece: (len(piece[3]), piece[3]))
            raise ConfigError(
                f"{second[2]} overlaps {first[2]}; windows of one day must not overlap (merge them into one)",
                second[3] or path,
            )


def _day_windows(value: object, path: str, *, overnight: bool) -> list[tuple[Interval, str]]:
    return [
        (_parse_window(text, f"{path}[{index}]", overnight=overnight), f"{path}[{index}]")
        for index, text in enumerate(_window_list(value, path))
    ]


def _to_hours(
    value: Mapping[str, Sequence[str] | str] | Sequence[Sequence[str]] | None,
) -> tuple[tuple[str, ...], ...]:
    """Weekly hours as seven tuples of canonical windows, Monday first."""
    if value is None:
        return ((),) * 7
    if isinstance(value, Mapping):
        days: list[object] = [()] * 7
        for key, windows in value.items():
            if key not in WEEKDAYS:
                raise ConfigError(
                    f"{key!r} is not a weekday key; use mon, tue, wed, thu, fri, sat, sun", f"hours.{key}"
                )
            days[WEEKDAYS.index(key)] = windows
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 7:
        days = list(value)
    else:
        raise ConfigError(
            "hours maps weekday keys (mon … sun) to lists of windows, e.g. {'mon': ['09:00-13:00', '14:00-18:00']}",
            "hours",
        )
    parsed = [
        _day_windows(windows, f"hours.{WEEKDAYS[day]}", overnight=True) for day, windows in enumerate(days)
    ]
    for day in range(7):
        pieces = [
            (s, min(e, _DAY) if e > s else _DAY, repr(_window_text((s, e))), p) for (s, e), p in parsed[day]
        ]
        previous = WEEKDAYS[day - 1]
        pieces += [
            (0, e, f"the part after midnight of {previous}'s {_window_text((s, e))!r}", "")
            for (s, e), _ in parsed[day - 1]
            if e < s
        ]
        _check_overlaps(pieces, f"hours.{WEEKDAYS[day]}")
    return tuple(tuple(_window_text(w) for w, _ in sorted(day)) for day in parsed)


def _to_special_days(
    value: Mapping[date, Sequence[str] | str] | Iterable[tuple[date, Sequence[str]]] | None,
) -> tuple[tuple[date, tuple[str, ...]], ...]:
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    result: dict[date, tuple[str, ...]] = {}
    try:
        pairs = [(day, windows) for day, windows in items]
    except (TypeError, ValueError):
        raise ConfigError(
            "special_days maps dates to lists of windows, e.g. {date(2025, 12, 24): ['09:00-13:00']}",
            "special_days",
        ) from None
    for day, windows in pairs:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ConfigError(
                f"{day!r} is not a date; special days are keyed by datetime.date", "special_days"
            )
        path = f"special_days.{day.isoformat()}"
        parsed = _day_windows(windows, path, overnight=False)
        _check_overlaps([(s, e, repr(_window_text((s, e))), p) for (s, e), p in parsed], path)
        result[day] = tuple(_window_text(w) for w, _ in sorted(parsed))
    return tuple(sorted(result.items()))


def _to_closures(value: Iterable[tuple[datetime, datetime]] | None) -> tuple[tuple[datetime, datetime], ...]:
    if value is None:
        return ()
    result = []
    for index, closure in enumerate(value):
        path = f"closures[{index}]"
        if isinstance(closure, str | bytes) or not isinstance(closure, Sequence) or len(closure) != 2:
            raise ConfigError(
                f"{closure!r} is not a closure; give a (start, end) pair of aware datetimes", path
            )
        start, end = closure
        for name, instant in (("start", start), ("end", end)):
            if not isinstance(instant, datetime) or instant.utcoffset() is None:
                raise ConfigError(
                    f"{instant!r} is not a timezone-aware datetime; give one with a zone or an offset",
                    f"{path}.{name}",
                )
        if to_micros(end) <= to_micros(start):
            raise ConfigError(
                f"the closure ends at {end.isoformat()}, not after its start {start.isoformat()}; "
                "give an end later than the start",
                path,
            )
        result.append((start, end))
    return tuple(sorted(result, key=lambda pair: (to_micros(pair[0]), to_micros(pair[1]))))


def _to_zone(value: str | tzinfo) -> ZoneInfo:
    if isinstance(value, ZoneInfo) and value.key is not None:
        return ZoneInfo(value.key)
    if value == UTC:
        return ZoneInfo("UTC")
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise ConfigError(
        f"{value!r} is not a time zone of the IANA database; write a name such as 'Europe/Rome' or 'America/New_York'",
        "tz",
    )


# --- holidays and recurring closures -----------------------------------------------------------------------------


@functools.cache
def _supported_countries() -> dict[str, list[str]]:
    return {
        code: list(subdivisions) for code, subdivisions in holidays_package.list_supported_countries().items()
    }


@functools.lru_cache(maxsize=1024)
def _country_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays_package.country_holidays(country, subdiv=subdivision, years=year).keys())


def _to_dates(value: Iterable[date]) -> frozenset[date]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ConfigError(f"{value!r} is not a collection of dates; give e.g. [date(2025, 8, 14)]", "dates")
    result = set()
    for index, day in enumerate(value):
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ConfigError(f"{day!r} is not a date; holidays are datetime.date values", f"dates[{index}]")
        result.add(day)
    return frozenset(result)


@attrs.frozen
class Holidays:
    """Whole local dates on which a calendar is closed: a country's public holidays, explicit dates, or both.

    ``country`` and ``subdivision`` are codes of the `holidays` package (``"IT"``; ``"US"`` with ``"CA"``); its
    holidays are computed per year as needed, so results follow the installed version of that package — list dates
    explicitly in ``dates`` when they must never change.

    >>> from datetime import date
    >>> Holidays("IT").closes(date(2025, 12, 25)), Holidays(dates=[date(2025, 8, 14)]).closes(date(2025, 8, 14))
    (True, True)
    """

    country: str | None = None
    subdivision: str | None = None
    dates: frozenset[date] = attrs.field(default=frozenset(), converter=_to_dates)

    def __attrs_post_init__(self) -> None:
        if self.country is None:
            if self.subdivision is not None:
                raise ConfigError(
                    f"subdivision {self.subdivision!r} needs a country, e.g. 'US'", "subdivision"
                )
            return
        countries = _supported_countries()
        if not isinstance(self.country, str) or len(self.country) != 2 or self.country not in countries:
            raise ConfigError(
                f"{self.country!r} is not a country code of the holidays package; write an ISO 3166-1 alpha-2 "
                "code such as 'IT', 'US' or 'HR'",
                "country",
            )
        valid = countries[self.country]
        if self.subdivision is not None and self.subdivision not in valid:
            options = ", ".join(repr(code) for code in valid) if valid else "none (leave it out)"
            raise ConfigError(
                f"{self.subdivision!r} is not a subdivision of {self.country!r}; use one of {options}",
                "subdivision",
            )

    def closes(self, day: date) -> bool:
        """Whether ``day`` (a local date) is a holiday."""
        return day in self.dates or (
            self.country is not None and day in _country_holidays(self.country, self.subdivision, day.year)
        )

    def in_year(self, year: int) -> frozenset[date]:
        """Every holiday in ``year``."""
        found = {day for day in self.dates if day.year == year}
        if self.country is not None:
            found |= _country_holidays(self.country, self.subdivision, year)
        return frozenset(found)


def _to_holidays(
    value: Holidays | str | tuple[str, str | None] | Mapping[str, Any] | Iterable[date] | None,
) -> Holidays:
    try:
        if value is None:
            return Holidays()
        if isinstance(value, Holidays):
            return value
        if isinstance(value, str):
            return Holidays(value)
        if isinstance(value, Mapping):
            unknown = set(value) - {"country", "subdivision", "dates"}
            if unknown:
                raise ConfigError(
                    f"unknown key {sorted(map(str, unknown))[0]!r}; holidays take country, subdivision and dates"
                )
            return Holidays(value.get("country"), value.get("subdivision"), value.get("dates", frozenset()))
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
            return Holidays(value[0], value[1])
        return Holidays(dates=value)
    except ConfigError as error:
        raise error.within("holidays") from None


_SUBDAILY = re.compile(r"(?i)(FREQ=(HOURLY|MINUTELY|SECONDLY)|BYHOUR|BYMINUTE|BYSECOND|DTSTART|\n)")


def _parse_rule(rule: str, start: date) -> rrule.rrule:
    if not isinstance(rule, str) or _SUBDAILY.search(rule):
        raise ConfigError(
            f"{rule!r} is not a date rule; write an RFC 5545 RRULE value that repeats by date, e.g. "
            "'FREQ=MONTHLY;BYDAY=1MO' (times go in 'hours', the first date in 'start')",
            "rule",
        )
    text = rule.removeprefix("RRULE:")
    try:
        parsed = rrule.rrulestr(text, dtstart=datetime(start.year, start.month, start.day))  # noqa: DTZ001
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError):
        parsed = None
    if not isinstance(parsed, rrule.rrule):
        raise ConfigError(
            f"{rule!r} is not a valid RFC 5545 RRULE value; write e.g. 'FREQ=MONTHLY;BYDAY=1MO' or "
            "'FREQ=WEEKLY;BYDAY=SU;UNTIL=20261231'",
            "rule",
        )
    return parsed


def _to_window_texts(value: Sequence[str] | str) -> tuple[str, ...]:
    parsed = _day_windows(value, "hours", overnight=True)
    return tuple(_window_text(w) for w, _ in sorted(parsed))


@attrs.frozen
class RecurringClosure:
    """Local windows closed on every date of an RFC 5545 rule, e.g. maintenance every first Monday 09:00–11:00.

    ``rule`` is an RRULE value such as ``"FREQ=MONTHLY;BYDAY=1MO"`` (``COUNT`` and ``UNTIL`` allowed, sub-daily
    frequencies not), ``start`` its first date (the rule's DTSTART), ``hours`` the windows closed on each date; a
    window may run past midnight into the next date.

    >>> from datetime import date
    >>> maintenance = RecurringClosure("FREQ=MONTHLY;BYDAY=1MO", date(2025, 1, 1), ["09:00-11:00"])
    >>> maintenance.dates_between(date(2025, 1, 1), date(2025, 3, 1))
    [datetime.date(2025, 1, 6), datetime.date(2025, 2, 3)]
    """

    rule: str
    start: date = attrs.field()
    hours: tuple[str, ...] = attrs.field(default=("00:00-24:00",), converter=_to_window_texts)
    _parsed: rrule.rrule = attrs.field(init=False, repr=False, eq=False, hash=False)

    @start.validator
    def _check_start(self, _attribute: object, value: object) -> None:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise ConfigError(
                f"{value!r} is not a date; give the rule's first date as datetime.date", "start"
            )

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_parsed", _parse_rule(self.rule, self.start))

    def dates_between(self, first: date, last: date) -> list[date]:
        """The dates of the rule from ``first`` to ``last``, both included."""
        low = datetime(first.year, first.month, first.day)  # noqa: DTZ001
        high = datetime(last.year, last.month, last.day)  # noqa: DTZ001
        return [moment.date() for moment in self._parsed.between(low, high, inc=True)]


def _to_recurring(value: Iterable[RecurringClosure] | None) -> tuple[RecurringClosure, ...]:
    if value is None:
        return ()
    result = []
    for index, item in enumerate(value):
        if not isinstance(item, RecurringClosure):
            raise ConfigError(f"{item!r} is not a RecurringClosure", f"recurring_closures[{index}]")
        result.append(item)
    return tuple(result)


def _to_parts(value: Iterable[BusinessCalendar]) -> tuple[BusinessCalendar, ...]:
    if isinstance(value, BusinessCalendar | str) or not isinstance(value, Iterable):
        raise ConfigError(f"expected a list of calendars to combine, got {value!r}")
    return tuple(value)


# --- time-zone arithmetic ------------------------------------------------------------------------------------------


def _micros_to_utc(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _offset_at(zone: ZoneInfo, micros: int) -> int:
    offset = _micros_to_utc(micros).astimezone(zone).utcoffset()
    assert offset is not None
    return (offset.days * 86_400 + offset.seconds) * _US + offset.microseconds


def _year_start(year: int) -> int:
    return (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * _DAY


@functools.lru_cache(maxsize=4096)
def _offset_stretches(zone: ZoneInfo, year: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """UTC µs starts and offsets of the stretches of constant offset within UTC year ``year``."""
    low, high = _year_start(year), _year_start(year + 1)
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


def _local_to_utc(zone: ZoneInfo, first_year: int, local: list[Interval]) -> list[Interval]:
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
    return _merge(found)


# --- interval sets (sorted lists of disjoint half-open (start, end) pairs) -------------------------------------------


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
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


def _subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
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


def _clip(intervals: list[Interval], low: int, high: int) -> list[Interval]:
    return [(max(s, low), min(e, high)) for s, e in intervals if e > low and s < high]


# --- the lazily built table ----------------------------------------------------------------------------------------


class _Table:
    """Open segments over the UTC years ``first..last``: starts, ends, open µs before and up to each segment.

    Cumulative values count from the table's lower edge, so only differences taken in one table are meaningful.
    """

    __slots__ = ("after", "before", "ends", "first", "high", "last", "low", "starts")

    def __init__(self, first: int, last: int, chunks: dict[int, list[Interval]]) -> None:
        self.first, self.last = first, last
        self.low, self.high = _year_start(first), _year_start(last + 1)
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
        i = bisect_right(self.starts, at) - 1
        if i < 0:
            return 0
        return self.before[i] + min(at, self.ends[i]) - self.starts[i]


class _State:
    """Derived data and the cache of one calendar; not part of its value (excluded from eq, hash, repr, pickle)."""

    def __init__(
        self, week: list[list[Interval]], special: dict[date, list[Interval]], extent: tuple[int, int] | None
    ):
        self.week = week
        self.special = special
        self.extent = extent
        self.lock = threading.RLock()
        self.chunks: dict[int, list[Interval]] = {}
        self.table: _Table | None = None


def _utc_year(instant: datetime) -> int:
    try:
        return instant.astimezone(UTC).year
    except OverflowError:
        return instant.year


def _year_of(micros: int) -> int:
    try:
        year = _micros_to_utc(micros).year
    except OverflowError:
        year = 0
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise NoBusinessTime(f"business calendars work between the years {_MIN_YEAR} and {_MAX_YEAR}")
    return year


def _duration_micros(duration: timedelta, name: str = "duration") -> int:
    if not isinstance(duration, timedelta):
        raise TypeError(f"{name} must be a timedelta, got {type(duration).__name__} {duration!r}")
    return (duration.days * 86_400 + duration.seconds) * _US + duration.microseconds


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

    tz: ZoneInfo = attrs.field(converter=_to_zone)
    hours: tuple[tuple[str, ...], ...] = attrs.field(default=None, converter=_to_hours)
    holidays: Holidays = attrs.field(default=None, converter=_to_holidays)
    closures: tuple[tuple[datetime, datetime], ...] = attrs.field(default=None, converter=_to_closures)
    special_days: tuple[tuple[date, tuple[str, ...]], ...] = attrs.field(
        default=None, converter=_to_special_days
    )
    recurring_closures: tuple[RecurringClosure, ...] = attrs.field(default=None, converter=_to_recurring)
    any_of: tuple[BusinessCalendar, ...] = attrs.field(default=(), converter=_to_parts)
    all_of: tuple[BusinessCalendar, ...] = attrs.field(default=(), converter=_to_parts)
    _state: _State = attrs.field(init=False, repr=False, eq=False, hash=False)

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
        week: list[list[Interval]] = [[] for _ in range(7)]
        for day, windows in enumerate(self.hours):
            for text in windows:
                start, end = _parse_window(text, "hours", overnight=True)
                if end > start:
                    week[day].append((start, end))
                else:
                    week[day].append((start, _DAY))
                    week[(day + 1) % 7].append((0, end))
        special = {
            day: [_parse_window(text, "special_days", overnight=False) for text in windows]
            for day, windows in self.special_days
        }
        years = [day.year for day, _ in self.special_days] + [day.year for day in self.holidays.dates]
        years += [_utc_year(instant) for closure in self.closures for instant in closure]
        for part in parts:
            if part._state.extent is not None:
                years += list(part._state.extent)
        extent = (min(years), max(years)) if years else None
        object.__setattr__(self, "_state", _State(week, special, extent))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (_rebuild, (attrs.asdict(self, recurse=False, filter=lambda a, _: a.init),))

    # --- constructors and combinators ----------------------------------------------------------------------------

    @classmethod
    def always(cls, tz: str | tzinfo = "UTC") -> BusinessCalendar:
        """A calendar open 24 hours a day, 7 days a week (calendar-time SLA targets); results are given in ``tz``.

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
        s, d = self._micros(start, "start"), _duration_micros(duration)
        return self._datetime(self._add(s, d) if d >= 0 else self._subtract(s, -d))

    def breach_at(self, start: datetime, duration: timedelta) -> datetime:
        """The first instant at which more than ``duration`` of business time would have elapsed since ``start``.

        A clock started at ``start`` with target ``duration`` is breached at instant ``x`` iff ``x > breach_at``:
        ``breach_at`` is the next open instant at or after :meth:`add` (the 14:00 reopening after a 13:00 due).
        Schedule breach checks here; show :meth:`add` to people.
        """
        s, d = self._micros(start, "start"), _duration_micros(duration)
        return self._datetime(self._next_open(self._add(s, d) if d >= 0 else self._subtract(s, -d)))

    def subtract(self, end: datetime, duration: timedelta) -> datetime:
        """The latest ``s <= end`` with ``elapsed(s, end) >= duration`` (it lands on an open instant, e.g. a window
        start, never on a closing time). A negative duration counts forwards (``subtract(t, -d) == add(t, d)``)."""
        e, d = self._micros(end, "end"), _duration_micros(duration)
        return self._datetime(self._subtract(e, d) if d >= 0 else self._add(e, -d))

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
            table = self._grow(table, forward=True, want_open=False)

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
        try:
            delta = value - _EPOCH
        except TypeError:  # naive, or not a datetime: let require_aware say which
            require_aware(value, name)
            raise
        if not isinstance(value, datetime):
            require_aware(value, name)
        return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds

    def _datetime(self, micros: int) -> datetime:
        return (_EPOCH + timedelta(microseconds=micros)).astimezone(self.tz)

    def _elapsed(self, a: int, b: int) -> int:
        table = self._table(min(a, b), max(a, b))
        return table.open_before(b) - table.open_before(a)

    def _add(self, s: int, d: int) -> int:
        if d == 0:
            return s
        table = self._table(s, s)
        target = table.open_before(s) + d
        while not table.after or table.after[-1] < target:
            missing = target - (table.after[-1] if table.after else 0)
            table = self._grow(table, forward=True, want_open=True, missing=missing)
            target = table.open_before(s) + d
        j = bisect_left(table.after, target)
        return table.starts[j] + target - table.before[j]

    def _subtract(self, e: int, d: int) -> int:
        if d == 0:
            return e
        table = self._table(e, e)
        while table.open_before(e) < d:
            table = self._grow(table, forward=False, want_open=True, missing=d - table.open_before(e))
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
            table = self._grow(table, forward=True, want_open=True)

    # --- the cache -----------------------------------------------------------------------------------------------

    def _table(self, low: int, high: int) -> _Table:
        """A table whose years cover the instants ``low`` to ``high`` (strictly inside its upper edge)."""
        table = self._state.table
        if table is not None and table.low <= low and high < table.high:
            return table
        first, last = _year_of(low), _year_of(high)
        with self._state.lock:
            table = self._state.table
            if table is not None:
                first, last = min(first, table.first), max(last, table.last)
            return self._build(first, last)

    def _build(self, first: int, last: int) -> _Table:
        chunks = self._state.chunks
        for year in range(first, last + 1):
            if year not in chunks:
                chunks[year] = self._chunk(year)
        table = _Table(first, last, chunks)
        self._state.table = table
        return table

    def _grow(self, table: _Table, *, forward: bool, want_open: bool, missing: int = 0) -> _Table:
        """The table wider by a year, or by about the years ``missing`` open µs need (at most doubling it), or
        :class:`NoBusinessTime` once the search is hopeless."""
        with self._state.lock:
            current = self._state.table
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
                room = _MAX_YEAR - current.last if forward else current.first - _MIN_YEAR
                if years > 2 * room:
                    raise NoBusinessTime(
                        f"about {years} more years of this calendar's open time would be needed, beyond the years "
                        f"{_MIN_YEAR} to {_MAX_YEAR} that business calendars support"
                    )
                years = min(years, span + 10)
            if forward:
                first, last = current.first, min(current.last + years, _MAX_YEAR)
            else:
                first, last = max(current.first - years, _MIN_YEAR), current.last
            if (first, last) == (current.first, current.last):
                raise NoBusinessTime(
                    f"the calendar has no {'open' if want_open else 'closing'} time within the years "
                    f"{_MIN_YEAR} to {_MAX_YEAR} that business calendars support"
                )
            return self._build(first, last)

    def _give_up_if_hopeless(self, table: _Table, *, forward: bool, want_open: bool) -> None:
        extent = self._state.extent
        years = range(table.last, table.first - 1, -1) if forward else range(table.first, table.last + 1)
        useless = 0
        for year in years:
            if extent is not None and (year <= extent[1] if forward else year >= extent[0]):
                break
            chunk = self._state.chunks[year]
            high = _year_start(year + 1)
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

    def _chunk(self, year: int) -> list[Interval]:
        """The open intervals within UTC year ``year``."""
        low, high = _year_start(year), _year_start(year + 1)
        if self.any_of or self.all_of:
            parts = [part._chunk_cached(year) for part in (self.any_of or self.all_of)]
            if self.any_of:
                found = _merge(interval for part in parts for interval in part)
            else:
                found = functools.reduce(_intersect, parts)
        else:
            found = _clip(_local_to_utc(self.tz, year, self._local_windows(year)), low, high)
        holes = [
            (max(to_micros(s), low), min(to_micros(e), high))
            for s, e in self.closures
            if to_micros(e) > low and to_micros(s) < high
        ]
        if self.recurring_closures:
            holes += _clip(_local_to_utc(self.tz, year, self._recurring_windows(year)), low, high)
        return _subtract(found, _merge(holes)) if holes else found

    def _chunk_cached(self, year: int) -> list[Interval]:
        with self._state.lock:
            chunks = self._state.chunks
            if year not in chunks:
                chunks[year] = self._chunk(year)
            return chunks[year]

    def _dates_around(self, year: int) -> Iterator[date]:
        # Local dates that can reach into UTC year `year`: offsets stay within a day, windows within two dates.
        first = date(year, 1, 1).toordinal() - 2
        last = date(year, 12, 31).toordinal() + 2
        return (date.fromordinal(ordinal) for ordinal in range(first, last + 1))

    def _local_windows(self, year: int) -> list[Interval]:
        state = self._state
        closed = (
            self.holidays.in_year(year - 1) | self.holidays.in_year(year) | self.holidays.in_year(year + 1)
        )
        local: list[Interval] = []
        for day in self._dates_around(year):
            if day in state.special:
                windows = state.special[day]
            elif day in closed:
                continue
            else:
                windows = state.week[day.weekday()]
            base = (day.toordinal() - _EPOCH_ORDINAL) * _DAY
            local += [(base + s, base + e) for s, e in windows]
        return local

    def _recurring_windows(self, year: int) -> list[Interval]:
        local: list[Interval] = []
        for closure in self.recurring_closures:
            windows = [_parse_window(text, "hours", overnight=True) for text in closure.hours]
            for day in closure.dates_between(date(year - 1, 12, 29), date(year + 1, 1, 2)):
                base = (day.toordinal() - _EPOCH_ORDINAL) * _DAY
                local += [(base + s, base + (e if e > s else e + _DAY)) for s, e in windows]
        return local


def _rebuild(fields: dict[str, Any]) -> BusinessCalendar:
    return BusinessCalendar(**fields)
