"""Type checks of records (events, snapshots) against their declared attrs fields, before a store writes them.

The checks are derived once per class from the same annotations the codec structures records by, so a record that
passes is one the codec dumps and loads back unchanged; a store that wrote anything else would hand every later
reader of the tenant a row it cannot decode. Integers must also fit the 64-bit columns stores index them in, and
floats must be finite (JSON and PostgreSQL have no NaN).
"""

from __future__ import annotations

import enum
import math
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs

from ticketcore._time import require_aware
from ticketcore.errors import InvalidEvent

__all__ = ["check_record"]

Check = Callable[[object, str], str | None]
"""A check of one value at a path: ``None`` when it is right, else what was expected."""

INT_MIN, INT_MAX = -(2**63), 2**63 - 1
"""The range of the 64-bit integers stores keep (SQLite's INTEGER, PostgreSQL's bigint)."""


def check_record(record: object, path: str = "") -> None:
    """Refuse ``record`` (an attrs instance) unless every field holds a value of its declared type.

    Raises :class:`~ticketcore.errors.InvalidEvent` whose ``path`` names the field (``fields['a']``,
    ``actor.id``), with the value found and the type expected.
    """
    for name, plain, check in _checks(type(record)):
        value = getattr(record, name)
        kind = type(value)
        # Most fields are strings, small integers, UTC instants or None: one set lookup, and no call, settles them.
        if kind in plain and (
            (kind is not int or INT_MIN <= value <= INT_MAX) and (kind is not datetime or value.tzinfo is UTC)
        ):
            continue
        where = f"{path}.{name}" if path else name
        expected = check(value, where)
        if expected is not None:
            raise InvalidEvent(f"expected {expected}, got {type(value).__name__} {value!r}", path=where)


_CHECKS: dict[type, tuple[tuple[str, frozenset[type], Check], ...]] = {}
"""The checks of each class, derived on its first record (a race derives the same checks twice, harmlessly)."""

_PLAIN = frozenset({str, int, bool, type(None)})
"""The annotations whose values a type lookup alone settles (ints also need their range); so do an enum's own
members, and UTC datetimes (checked beside the lookup)."""


def _checks(cls: type) -> tuple[tuple[str, frozenset[type], Check], ...]:
    found = _CHECKS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = _CHECKS[cls] = tuple(
            (f.name, _plain(hints[f.name]), _check_of(hints[f.name])) for f in attrs.fields(cls)
        )
    return found


def _plain(hint: Any) -> frozenset[type]:
    """The types that settle a value of ``hint`` by themselves (none, when its check must look inside)."""
    members = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    settled = [
        m
        for m in members
        if m in _PLAIN or m is datetime or (isinstance(m, type) and issubclass(m, enum.Enum))
    ]
    if all(member in settled or member is float for member in members):
        return frozenset(settled)
    return frozenset()


def _check_of(hint: Any) -> Check:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        members = typing.get_args(hint)
        return _union([(arg, _check_of(arg)) for arg in members])
    if origin is tuple and typing.get_args(hint)[-1:] != (Ellipsis,):
        return _fixed(tuple(_check_of(arg) for arg in typing.get_args(hint)))
    if origin in (frozenset, tuple, list, set):
        return _collection(origin, typing.get_args(hint))
    if origin is dict:
        key, value = typing.get_args(hint)
        return _mapping(_check_of(key), _check_of(value))
    if hint is type(None):
        return lambda value, _: None if value is None else "None"
    if hint is bool:
        return lambda value, _: None if isinstance(value, bool) else "True or False"
    if hint is int:
        return _integer
    if hint is float:
        return _number
    if hint is str:
        return lambda value, _: None if type(value) is str else "a string"
    if hint is datetime:
        return _instant
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return lambda value, _: None if isinstance(value, hint) else _a(hint.__name__)
    if isinstance(hint, type) and attrs.has(hint):
        return _nested(hint)
    return lambda value, _: None  # not a stored kind of value (e.g. Any)


def _integer(value: object, _: str) -> str | None:
    if type(value) is not int:
        return "an integer"
    return None if INT_MIN <= value <= INT_MAX else "an integer within ±2**63"


def _number(value: object, _: str) -> str | None:
    if type(value) is not int and type(value) is not float:
        return "a number"
    if type(value) is float and not math.isfinite(value):
        return "a finite number"
    return _integer(value, _) if type(value) is int else None


def _instant(value: object, path: str) -> str | None:
    if not isinstance(value, datetime):
        return "an aware datetime"
    require_aware(value, path)  # a naive one gets the error every naive datetime gets
    return None


def _union(members: list[tuple[Any, Check]]) -> Check:
    names = " or ".join(_name(hint) for hint, _ in members)

    def check(value: object, path: str) -> str | None:
        # The first member that takes the value settles it; only a refusal needs every member's answer.
        if any(each(value, path) is None for _, each in members):
            return None
        found = [(hint, each(value, path)) for hint, each in members]
        # A value of the right type but out of range says why (an integer too large), not just which types fit.
        return next((expected for hint, expected in found if type(value) is hint), names)

    return check


_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "True or False", type(None): "None"}


def _a(name: str) -> str:
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def _name(hint: Any) -> str:
    return _NAMES.get(hint) or _a(getattr(hint, "__name__", str(hint)))


def _collection(origin: type, args: tuple[Any, ...]) -> Check:
    item = _check_of(args[0]) if args else (lambda value, _: None)

    def check(value: object, path: str) -> str | None:
        if type(value) is not origin:
            return _a(origin.__name__)
        for member in value:  # type: ignore[attr-defined]
            _member(item, member, f"{path}[{member!r}]")
        return None

    return check


def _member(check: Check, member: object, path: str) -> None:
    """Refuse one member of a collection, naming its place in ``path``."""
    expected = check(member, path)
    if expected is not None:
        raise InvalidEvent(f"expected {expected}, got {type(member).__name__} {member!r}", path=path)


def _fixed(items: tuple[Check, ...]) -> Check:
    def check(value: object, path: str) -> str | None:
        if type(value) is not tuple or len(value) != len(items):
            return f"a tuple of {len(items)}"
        for index, (member, item) in enumerate(zip(value, items, strict=True)):
            _member(item, member, f"{path}[{index}]")
        return None

    return check


def _mapping(key: Check, item: Check) -> Check:
    def check(value: object, path: str) -> str | None:
        if type(value) is not dict:
            return "a dict"
        for name, member in value.items():
            if key(name, path) is not None:
                raise InvalidEvent(f"expected a string key, got {type(name).__name__} {name!r}", path=path)
            _member(item, member, f"{path}[{name!r}]")
        return None

    return check


def _nested(cls: type) -> Check:
    def check(value: object, path: str) -> str | None:
        if not isinstance(value, cls):
            return _a(cls.__name__)
        check_record(value, path)
        return None

    return check
