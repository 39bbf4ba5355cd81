"""Small helpers for the time rules every module shares: aware datetimes only, compared in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ticketcore.errors import NaiveDatetimeError, WrongType

__all__ = ["MICROSECOND", "require_aware", "to_micros", "utc"]

MICROSECOND = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def require_aware(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` unchanged if it is timezone-aware; refuse a naive one with :class:`NaiveDatetimeError`."""
    if not isinstance(value, datetime):
        raise WrongType(name, value, "a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(name, value)
    return value


def utc(value: datetime, name: str = "datetime") -> datetime:
    """``value`` (which must be aware) as the same instant in UTC."""
    return require_aware(value, name).astimezone(UTC)


def to_micros(value: datetime) -> int:
    """Integer microseconds since the Unix epoch of an aware datetime (exact, no floats)."""
    delta = require_aware(value) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
