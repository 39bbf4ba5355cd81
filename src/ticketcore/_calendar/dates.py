"""The dates on which a business calendar closes: :class:`Holidays` (public holidays of a country, explicit dates)
and :class:`RecurringClosure` (local windows on the dates of an RFC 5545 rule). Private to
:mod:`ticketcore._calendar.calendar`, which re-exports both classes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import attrs
from dateutil import rrule

from ticketcore._calendar.config import check_year, to_window_texts
from ticketcore.errors import ConfigError

__all__ = ["MAX_RECURRING_CLOSURES", "Holidays", "RecurringClosure", "to_holidays", "to_recurring"]

# Times go in the windows and the first date in `start`: a rule may repeat only by whole dates.
_SUBDAILY = re.compile(r"(?i)(FREQ=(HOURLY|MINUTELY|SECONDLY)|BYHOUR|BYMINUTE|BYSECOND|DTSTART|\n)")


# --- holidays ------------------------------------------------------------------------------------------------------


@functools.cache
def _supported_countries() -> dict[str, list[str]]:
    # Imported on first use: the holidays package is a fifth of ticketcore's import time, and many calendars
    # (24x7, explicit dates) never need it.
    import holidays as holidays_package

    return {
        code: list(subdivisions) for code, subdivisions in holidays_package.list_supported_countries().items()
    }


@functools.lru_cache(maxsize=1024)
def _country_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    import holidays as holidays_package

    return frozenset(holidays_package.country_holidays(country, subdiv=subdivision, years=year).keys())


def _to_dates(value: Iterable[date]) -> frozenset[date]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ConfigError(f"{value!r} is not a collection of dates; give e.g. [date(2025, 8, 14)]", "dates")
    result = set()
    for index, day in enumerate(value):
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ConfigError(f"{day!r} is not a date; holidays are datetime.date values", f"dates[{index}]")
        result.add(check_year(day, f"dates[{index}]"))
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
        found = _dates_by_year(self.dates).get(year, frozenset())
        if self.country is not None:
            found |= _country_holidays(self.country, self.subdivision, year)
        return found


@functools.lru_cache(maxsize=64)
def _dates_by_year(dates: frozenset[date]) -> dict[int, frozenset[date]]:
    """Explicit dates grouped by year, once per set: scanning every date for every year is quadratic."""
    years: dict[int, set[date]] = {}
    for day in dates:
        years.setdefault(day.year, set()).add(day)
    return {year: frozenset(days) for year, days in years.items()}


def to_holidays(
    value: Holidays | str | tuple[str, str | None] | Mapping[str, Any] | Iterable[date] | None,
) -> Holidays:
    """:class:`Holidays` from any of the forms a calendar accepts: a country, a ``(country, subdivision)`` pair, a
    mapping of the fields, or dates."""
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


# --- recurring closures --------------------------------------------------------------------------------------------


def _parse_rule(rule: str, start: date) -> rrule.rrule:
    if not isinstance(rule, str) or _SUBDAILY.search(rule):
        raise ConfigError(
            f"{rule!r} is not a date rule; write an RFC 5545 RRULE value that repeats by date, e.g. "
            "'FREQ=MONTHLY;BYDAY=1MO' (times go in 'hours', the first date in 'start')",
            "rule",
        )
    text = rule.removeprefix("RRULE:")
    try:
        parsed = rrule.rrulestr(text, dtstart=datetime(start.year, start.month, start.day), cache=True)  # noqa: DTZ001 (dateutil rules run on naive local dates)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError):
        parsed = None
    if not isinstance(parsed, rrule.rrule):
        raise ConfigError(
            f"{rule!r} is not a valid RFC 5545 RRULE value; write e.g. 'FREQ=MONTHLY;BYDAY=1MO' or "
            "'FREQ=WEEKLY;BYDAY=SU;UNTIL=20261231'",
            "rule",
        )
    return parsed


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
    hours: tuple[str, ...] = attrs.field(default=("00:00-24:00",), converter=to_window_texts)
    _parsed: rrule.rrule = attrs.field(init=False, repr=False, eq=False, hash=False)

    @start.validator
    def _check_start(self, _attribute: object, value: object) -> None:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise ConfigError(
                f"{value!r} is not a date; give the rule's first date as datetime.date", "start"
            )
        check_year(value, "start")

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_parsed", _parse_rule(self.rule, self.start))

    def dates_between(self, first: date, last: date) -> list[date]:
        """The dates of the rule from ``first`` to ``last``, both included."""
        low = datetime(first.year, first.month, first.day)  # noqa: DTZ001 (dateutil rules run on naive local dates)
        high = datetime(last.year, last.month, last.day)  # noqa: DTZ001 (dateutil rules run on naive local dates)
        return [moment.date() for moment in self._parsed.between(low, high, inc=True)]


MAX_RECURRING_CLOSURES = 1_000
"""The most recurring closures a calendar takes: each costs about a millisecond per year the calendar computes (the
first time it computes that year), so 1,000 rules cost about a second per year."""


def to_recurring(value: Iterable[RecurringClosure] | None) -> tuple[RecurringClosure, ...]:
    """Recurring closures as a tuple, refusing anything that is not a :class:`RecurringClosure` and more than
    :data:`MAX_RECURRING_CLOSURES` of them."""
    if value is None:
        return ()
    result = []
    for index, item in enumerate(value):
        if not isinstance(item, RecurringClosure):
            raise ConfigError(f"{item!r} is not a RecurringClosure", f"recurring_closures[{index}]")
        if index >= MAX_RECURRING_CLOSURES:
            raise ConfigError(
                f"more than {MAX_RECURRING_CLOSURES:,} recurring closures is more than the limit of "
                f"{MAX_RECURRING_CLOSURES:,} (each costs about 1 ms per year computed); merge rules with the same "
                "hours into one (BYDAY=MO,FR, BYMONTHDAY=1,15), or list the dates as closures",
                "recurring_closures",
            )
        result.append(item)
    return tuple(result)
