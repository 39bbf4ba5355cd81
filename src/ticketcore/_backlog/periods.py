"""Local days, weeks and months as UTC instants (private to ``ticketcore.backlog`` and ``ticketcore.dataframes``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ticketcore.errors import ConfigError

__all__ = ["before", "local_instant", "period_starts", "zone"]

_FREQUENCIES = ("day", "week", "month")


def zone(value: str | tzinfo) -> ZoneInfo:
    """``value`` as a :class:`ZoneInfo`, refusing names that are not IANA zones and fixed-offset ``tzinfo``."""
    if isinstance(value, ZoneInfo):
        return value
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise ConfigError(f"{value!r} is not an IANA time zone; write e.g. 'Europe/Rome' or 'UTC'", "tz")


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant the clocks in ``tz`` show ``at`` on ``day`` (the earlier reading when it is ambiguous)."""
    return datetime.combine(day, at, tzinfo=tz)


def before(instant: datetime, span: timedelta) -> datetime:
    """The instant exactly ``span`` of elapsed time before ``instant``, shown in ``instant``'s zone.

    Python subtracts a timedelta from an aware datetime on the wall clock of its zone, so ``as_of - timedelta(weeks=4)``
    in Europe/Rome spans 4 weeks and an hour across the October change: going through UTC keeps the span exact and the
    answer independent of the zone ``instant`` happens to carry.
    """
    try:
        return (instant.astimezone(UTC) - span).astimezone(instant.tzinfo)
    except OverflowError:
        raise ConfigError(
            f"{span} before {instant.isoformat()} lies before year 1, which no datetime reaches; give a later as_of",
            "as_of",
        ) from None


def _next(day: date, freq: str) -> date:
    if freq == "day":
        return day + timedelta(days=1)
    if freq == "week":
        return day + timedelta(days=7)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def period_starts(start: date, end: date, freq: str, tz: ZoneInfo) -> list[datetime]:
    """The local-midnight bounds of the periods from the one containing ``start`` to the one containing ``end``:
    ``n + 1`` instants for ``n`` periods."""
    if freq not in _FREQUENCIES:
        raise ConfigError(f"unknown frequency {freq!r}; valid frequencies: {', '.join(_FREQUENCIES)}", "freq")
    if end < start:
        raise ConfigError(
            f"the end date {end.isoformat()} comes before the start date {start.isoformat()}", "end"
        )
    if freq == "week":
        day = start - timedelta(days=start.weekday())
    elif freq == "month":
        day = start.replace(day=1)
    else:
        day = start
    days = [day]
    while days[-1] <= end:
        days.append(_next(days[-1], freq))
    return [local_instant(d, time(0), tz) for d in days]
