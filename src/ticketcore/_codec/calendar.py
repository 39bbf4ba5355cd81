"""cattrs hooks for the configuration types of the calendar area (an edge module: only codec.py imports it).

A business calendar as data (every key but ``tz`` optional; ``dump`` leaves out what is empty)::

    {"tz": "Europe/Rome",
     "hours": {"mon": ["09:00-13:00", "14:00-18:00"], "sat": ["22:00-06:00"]},
     "holidays": {"country": "IT", "subdivision": null, "dates": ["2025-08-14"]},   # or a list of dates
     "special_days": {"2025-12-24": ["09:00-13:00"], "2025-12-27": []},
     "closures": [{"start": "2025-03-01T10:00:00+01:00", "end": "2025-03-01T12:00:00+01:00"}],
     "recurring_closures": [{"rule": "FREQ=MONTHLY;BYDAY=1MO", "start": "2025-01-06", "hours": ["09:00-11:00"]}],
     "any_of": [calendar, ...]}                                                       # or "all_of"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import cattrs

from ticketcore._calendar import BusinessCalendar, Holidays, RecurringClosure
from ticketcore._calendar.config import WEEKDAYS
from ticketcore.errors import ConfigError

__all__ = ["register"]

T = TypeVar("T")
_FIELDS = ("tz", "hours", "holidays", "special_days", "closures", "recurring_closures", "any_of", "all_of")


def _mapping(value: object, what: str, keys: tuple[str, ...], path: str = "") -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"expected {what} as a mapping, got {type(value).__name__} {value!r}", path)
    for key in value:
        if key not in keys:
            raise ConfigError(
                f"unknown field {key!r}; valid fields: {', '.join(keys)}",
                f"{path}.{key}" if path else str(key),
            )
    return value


def _list(value: object, what: str) -> list[object]:
    if not isinstance(value, list | tuple):
        raise ConfigError(f"expected a list of {what}, got {type(value).__name__} {value!r}")
    return list(value)


def _at(path: tuple[str | int, ...], build: Callable[..., T], *args: Any) -> T:
    """``build(*args)``, with any ConfigError it raises seen from the field ``path``."""
    try:
        return build(*args)
    except ConfigError as error:
        for part in reversed(path):
            error = error.within(part)
        raise error from None


def _windows(value: object) -> list[str] | str:
    if isinstance(value, str):
        return value
    items = _list(value, "windows such as '09:00-13:00'")
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise ConfigError(f"{item!r} is not a window; write a string such as '09:00-13:00'", f"[{index}]")
    return [str(item) for item in items]


def _date(value: object, converter: cattrs.Converter) -> date:
    return converter.structure(value, date)


def _code(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"expected a string code such as 'IT', got {type(value).__name__} {value!r}")
    return value


def _structure_holidays(value: object, converter: cattrs.Converter) -> Holidays:
    if isinstance(value, list | tuple):
        return Holidays(dates=[_at((i,), _date, d, converter) for i, d in enumerate(value)])
    data = _mapping(
        value, "holidays ({'country': 'IT'} or a list of dates)", ("country", "subdivision", "dates")
    )
    country = _at(("country",), _code, data.get("country"))
    subdivision = _at(("subdivision",), _code, data.get("subdivision"))
    dates = _at(("dates",), _list, data.get("dates", []), "ISO dates")
    return Holidays(
        country, subdivision, [_at(("dates", i), _date, d, converter) for i, d in enumerate(dates)]
    )


def _structure_recurring(value: object, converter: cattrs.Converter) -> RecurringClosure:
    data = _mapping(value, "a recurring closure", ("rule", "start", "hours"))
    for key in ("rule", "start"):
        if key not in data:
            raise ConfigError("this required field is missing; add it", key)
    rule = data["rule"]
    if not isinstance(rule, str):
        raise ConfigError(f"expected an RRULE string such as 'FREQ=MONTHLY;BYDAY=1MO', got {rule!r}", "rule")
    start = _at(("start",), _date, data["start"], converter)
    hours = _at(("hours",), _windows, data.get("hours", ["00:00-24:00"]))
    return RecurringClosure(rule, start, hours)


def _structure_closure(value: object, converter: cattrs.Converter) -> tuple[datetime, datetime]:
    data = _mapping(value, "a closure {'start': ..., 'end': ...}", ("start", "end"))
    for key in ("start", "end"):
        if key not in data:
            raise ConfigError("this required field is missing; add an ISO 8601 datetime with an offset", key)
    start = _at(("start",), converter.structure, data["start"], datetime)
    end = _at(("end",), converter.structure, data["end"], datetime)
    return start, end


def _structure_calendar(value: object, converter: cattrs.Converter) -> BusinessCalendar:
    data = _mapping(value, "a calendar", _FIELDS)
    if "tz" not in data:
        raise ConfigError(
            "this required field is missing; name an IANA time zone such as 'Europe/Rome'", "tz"
        )
    if not isinstance(data["tz"], str):
        raise ConfigError(f"expected an IANA time zone name such as 'Europe/Rome', got {data['tz']!r}", "tz")
    fields: dict[str, Any] = {"tz": data["tz"]}
    if "hours" in data:
        hours = data["hours"]
        if not isinstance(hours, Mapping):
            raise ConfigError(f"expected weekday keys (mon … sun) mapped to windows, got {hours!r}", "hours")
        fields["hours"] = {str(day): _at(("hours", str(day)), _windows, w) for day, w in hours.items()}
    if "holidays" in data:
        fields["holidays"] = _at(("holidays",), _structure_holidays, data["holidays"], converter)
    if "special_days" in data:
        special = data["special_days"]
        if not isinstance(special, Mapping):
            raise ConfigError(f"expected a mapping of ISO dates to windows, got {special!r}", "special_days")
        fields["special_days"] = {
            _at(("special_days", str(key)), _date, key, converter): _at(
                ("special_days", str(key)), _windows, w
            )
            for key, w in special.items()
        }
    if "closures" in data:
        closures = _at(("closures",), _list, data["closures"], "closures")
        fields["closures"] = [
            _at(("closures", i), _structure_closure, c, converter) for i, c in enumerate(closures)
        ]
    if "recurring_closures" in data:
        rules = _at(("recurring_closures",), _list, data["recurring_closures"], "recurring closures")
        fields["recurring_closures"] = [
            _at(("recurring_closures", i), _structure_recurring, r, converter) for i, r in enumerate(rules)
        ]
    for name in ("any_of", "all_of"):
        if name in data:
            parts = _at((name,), _list, data[name], "calendars")
            fields[name] = [_at((name, i), _structure_calendar, p, converter) for i, p in enumerate(parts)]
    return BusinessCalendar(**fields)


def unstructure_holidays(value: Holidays) -> dict[str, Any]:
    """``value`` as data: ``{"country": ..., "subdivision": ..., "dates": [...]}`` without its empty keys."""
    data: dict[str, Any] = {}
    if value.country is not None:
        data["country"] = value.country
    if value.subdivision is not None:
        data["subdivision"] = value.subdivision
    if value.dates:
        data["dates"] = sorted(day.isoformat() for day in value.dates)
    return data


def unstructure_recurring(value: RecurringClosure) -> dict[str, Any]:
    """``value`` as data: ``{"rule": ..., "start": "YYYY-MM-DD", "hours": [...]}``."""
    return {"rule": value.rule, "start": value.start.isoformat(), "hours": list(value.hours)}


def unstructure_calendar(value: BusinessCalendar) -> dict[str, Any]:
    """``value`` as data in the form described in this module's docstring, leaving out empty fields."""
    data: dict[str, Any] = {"tz": value.tz.key}
    hours = {day: list(windows) for day, windows in zip(WEEKDAYS, value.hours, strict=True) if windows}
    if hours:
        data["hours"] = hours
    holidays = unstructure_holidays(value.holidays)
    if holidays:
        data["holidays"] = holidays
    if value.special_days:
        data["special_days"] = {day.isoformat(): list(windows) for day, windows in value.special_days}
    if value.closures:
        data["closures"] = [{"start": s.isoformat(), "end": e.isoformat()} for s, e in value.closures]
    if value.recurring_closures:
        data["recurring_closures"] = [unstructure_recurring(rule) for rule in value.recurring_closures]
    for name in ("any_of", "all_of"):
        parts = getattr(value, name)
        if parts:
            data[name] = [unstructure_calendar(part) for part in parts]
    return data


def register(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the data forms of :class:`BusinessCalendar`, :class:`Holidays` and
    :class:`RecurringClosure` (see this module's docstring)."""
    converter.register_structure_hook(
        BusinessCalendar, lambda value, _: _structure_calendar(value, converter)
    )
    converter.register_unstructure_hook(BusinessCalendar, unstructure_calendar)
    converter.register_structure_hook(Holidays, lambda value, _: _structure_holidays(value, converter))
    converter.register_unstructure_hook(Holidays, unstructure_holidays)
    converter.register_structure_hook(
        RecurringClosure, lambda value, _: _structure_recurring(value, converter)
    )
    converter.register_unstructure_hook(RecurringClosure, unstructure_recurring)
