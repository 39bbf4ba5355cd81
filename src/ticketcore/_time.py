"""Small helpers for the time rules every module shares: aware datetimes only, compared in UTC.

Instants inside the library's arithmetic are integer microseconds since :data:`EPOCH` (UTC) and durations integer
microseconds; the conversions to and from them live here and nowhere else.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ticketcore.errors import NaiveDatetimeError, WrongType

__all__ = ["EPOCH", "MICROSECOND", "delta_micros", "from_micros", "require_aware", "to_micros", "utc"]

MICROSECOND = timedelta(microseconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The instant µs counts start from: 1970-01-01 00:00 UTC."""


def require_aware(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` unchanged if it is timezone-aware; refuse a naive one with :class:`NaiveDatetimeError`."""
    if not isinstance(value, datetime):
        raise WrongType(name, value, "a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(name, value)
    return value


def utc(value: datetime, name: str = "datetime") -> datetime:
    """``value`` (which must be aware) as the same instant in UTC."""
    if value.__class__ is datetime and value.tzinfo is UTC:
        return value  # already what it would become: every stored and folded instant is one
    return require_aware(value, name).astimezone(UTC)


def to_micros(value: datetime, name: str = "datetime") -> int:
    """Integer microseconds since :data:`EPOCH` of an aware datetime (exact, no floats).

    A naive datetime or another type is refused as :func:`require_aware` refuses it, naming ``name``.
    """
    # Subtracting first and validating only on failure: every per-event and per-query conversion passes through
    # here, and an aware-minus-naive subtraction already fails with TypeError.
    try:
        delta = value - EPOCH
    except TypeError:
        require_aware(value, name)
        raise
    if not isinstance(value, datetime):
        require_aware(value, name)
    return delta // MICROSECOND


def from_micros(value: int) -> datetime:
    """The UTC datetime ``value`` microseconds after :data:`EPOCH`."""
    return EPOCH + MICROSECOND * value


def delta_micros(delta: timedelta) -> int:
    """A timedelta as integer microseconds, exactly."""
    return delta // MICROSECOND
