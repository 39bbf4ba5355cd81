"""A business calendar's configuration: parsing and checking times, windows, weekly hours, special days, closures
and zones. Private to :mod:`ticketcore._calendar.calendar`.

Every converter here turns what a user wrote into the canonical form a calendar keeps (so equal configurations make
equal calendars) or refuses it with a :class:`~ticketcore.errors.ConfigError` naming the field.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ticketcore._time import to_micros
from ticketcore.errors import ConfigError

__all__ = [
    "DAY",
    "MAX_WINDOWS_PER_DAY",
    "MAX_YEAR",
    "MIN_YEAR",
    "SECOND",
    "WEEKDAYS",
    "Interval",
    "check_year",
    "parse_window",
    "to_closures",
    "to_hours",
    "to_special_days",
    "to_window_texts",
    "to_zone",
    "week_intervals",
]

SECOND = 1_000_000
"""One second in µs, the unit of all calendar arithmetic."""
DAY = 86_400 * SECOND
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?")

Interval = tuple[int, int]


# --- times and windows ---------------------------------------------------------------------------------------------


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
    return (hour * 3600 + minute * 60 + second) * SECOND


def _format_time(micros: int) -> str:
    seconds = micros // SECOND
    hour, rest = divmod(seconds, 3600)
    minute, second = divmod(rest, 60)
    return f"{hour:02d}:{minute:02d}" + (f":{second:02d}" if second else "")


def parse_window(text: object, path: str, *, overnight: bool) -> Interval:
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
        end = DAY
    if end < start and not overnight:
        raise ConfigError(
            f"{text!r} ends before it starts; here a window cannot run past midnight: end it at '24:00' "
            "and give the next date its own window from '00:00'",
            path,
        )
    return start, end


def _window_text(window: Interval) -> str:
    return f"{_format_time(window[0])}-{_format_time(window[1])}"


MIN_YEAR, MAX_YEAR = 3, 9997
"""The years business calendars compute in: far enough from ``date.min`` and ``date.max`` that a search over local
days and time zones never leaves the datetimes Python can represent."""


def check_year(value: date, path: str) -> date:
    """``value`` (a date or a datetime) when it lies in the years calendars support; a ConfigError naming ``path``,
    the value and the range otherwise. Configured dates outside it could never be reached by a computation."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ConfigError(
            f"{value.isoformat()} lies outside the years {MIN_YEAR} to {MAX_YEAR} that business calendars support; "
            "give a date in that range",
            path,
        )
    return value


MAX_WINDOWS_PER_DAY = 96
"""The most windows one day may have (one every quarter of an hour): more would make every query run away."""


def _window_list(value: object, path: str) -> list[object]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ConfigError(
            f"{value!r} is not a list of windows; write e.g. ['09:00-13:00', '14:00-18:00']", path
        )
    windows = list(value)
    if len(windows) > MAX_WINDOWS_PER_DAY:
        raise ConfigError(
            f"{len(windows)} windows on one day is more than the limit of {MAX_WINDOWS_PER_DAY}; "
            "merge adjacent windows into longer ones",
            path,
        )
    return windows


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
        (parse_window(text, f"{path}[{index}]", overnight=overnight), f"{path}[{index}]")
        for index, text in enumerate(_window_list(value, path))
    ]


def _canonical(parsed: list[tuple[Interval, str]]) -> tuple[str, ...]:
    """The windows of one day as sorted canonical texts, the form a calendar keeps."""
    return tuple(_window_text(window) for window, _ in sorted(parsed))


# --- weekly hours, special days, closures, zone --------------------------------------------------------------------


def to_hours(
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
            (s, min(e, DAY) if e > s else DAY, repr(_window_text((s, e))), p) for (s, e), p in parsed[day]
        ]
        previous = WEEKDAYS[day - 1]
        pieces += [
            (0, e, f"the part after midnight of {previous}'s {_window_text((s, e))!r}", "")
            for (s, e), _ in parsed[day - 1]
            if e < s
        ]
        _check_overlaps(pieces, f"hours.{WEEKDAYS[day]}")
    return tuple(_canonical(day) for day in parsed)


def week_intervals(hours: tuple[tuple[str, ...], ...]) -> list[list[Interval]]:
    """Canonical weekly hours as µs intervals of each weekday, a window past midnight split at it (its second part
    goes to the next weekday, where that date's own holiday and special-day status applies)."""
    week: list[list[Interval]] = [[] for _ in range(7)]
    for day, windows in enumerate(hours):
        for text in windows:
            start, end = parse_window(text, "hours", overnight=True)
            if end > start:
                week[day].append((start, end))
            else:
                week[day].append((start, DAY))
                week[(day + 1) % 7].append((0, end))
    return week


def to_special_days(
    value: Mapping[date, Sequence[str] | str] | Iterable[tuple[date, Sequence[str]]] | None,
) -> tuple[tuple[date, tuple[str, ...]], ...]:
    """Special days as sorted ``(date, canonical windows)`` pairs."""
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
        check_year(day, path)
        parsed = _day_windows(windows, path, overnight=False)
        _check_overlaps([(s, e, repr(_window_text((s, e))), p) for (s, e), p in parsed], path)
        result[day] = _canonical(parsed)
    return tuple(sorted(result.items()))


def to_closures(value: Iterable[tuple[datetime, datetime]] | None) -> tuple[tuple[datetime, datetime], ...]:
    """Closures as ``(start, end)`` pairs of aware datetimes, sorted by instant."""
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
            check_year(instant, f"{path}.{name}")
        if to_micros(end) <= to_micros(start):
            raise ConfigError(
                f"the closure ends at {end.isoformat()}, not after its start {start.isoformat()}; "
                "give an end later than the start",
                path,
            )
        result.append((start, end))
    return tuple(sorted(result, key=lambda pair: (to_micros(pair[0]), to_micros(pair[1]))))


def to_zone(value: str | tzinfo) -> ZoneInfo:
    """An IANA zone; a ZoneInfo is re-read by its key so that calendars built from equal names compare equal."""
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


def to_window_texts(value: Sequence[str] | str) -> tuple[str, ...]:
    """The ``hours`` of a recurring closure as sorted canonical windows; a window may run past midnight."""
    return _canonical(_day_windows(value, "hours", overnight=True))
