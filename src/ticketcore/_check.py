"""The shape checks every configuration converter shares: a list is a list, a mapping a mapping, a thing a thing.

attrs converters and constructors of the core areas run these before anything else touches the value, so that a
hostile argument (a date where a list belongs, a string for a mapping) is refused with a :class:`ConfigError` naming
what was expected, never a ``TypeError`` from deep inside. They are cheap: one ``isinstance`` before the copy the
converter makes anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard, TypeVar

from ticketcore.errors import ConfigError, WrongType

__all__ = ["each", "instance", "listed", "mapped", "texts"]

T = TypeVar("T")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _iterable(values: object) -> TypeGuard[Iterable[Any]]:
    # A string or bytes iterates letter by letter and a mapping by its keys: never what a list argument means.
    return isinstance(values, Iterable) and not isinstance(values, str | bytes | bytearray | Mapping)


def each(values: object, name: str, expected: str) -> Iterable[Any]:
    """``values`` when a function may iterate it (not a bare string, bytes or a mapping); else :class:`WrongType`.

    For the arguments of functions (``reports``, ``items``) rather than configuration, which :func:`listed` checks.
    """
    if not _iterable(values):
        raise WrongType(name, values, expected)
    return values


def listed(values: object, noun: str, path: str = "") -> tuple[Any, ...]:
    """The items of ``values`` as a tuple: any iterable but a bare string, bytes or a mapping.

    ``noun`` says what the items are ("status names"); the refusal reads ``expected a list of status names …``.
    """
    if isinstance(values, str):
        raise ConfigError(
            f"expected a list of {noun}, got the string {_shown(values)}; write [{values!r}]", path
        )
    if not _iterable(values):
        raise ConfigError(f"expected a list of {noun}, got {type(values).__name__} {_shown(values)}", path)
    return tuple(values)


def texts(values: object, noun: str, path: str = "") -> tuple[str, ...]:
    """The strings of ``values``, refused as :func:`listed` refuses a non-list, and an item that is not a string."""
    items = listed(values, noun, path)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise ConfigError(
                f"expected a string, got {type(item).__name__} {_shown(item)}",
                f"{path}[{index}]" if path else f"[{index}]",
            )
    return items


def mapped(values: object, noun: str, path: str = "") -> dict[Any, Any]:
    """A copy of the mapping ``values``; anything else is refused, naming what the mapping maps (``noun``)."""
    if not isinstance(values, Mapping):
        raise ConfigError(f"expected a mapping of {noun}, got {type(values).__name__} {_shown(values)}", path)
    return dict(values)


def instance(value: object, cls: type[T], expected: str, path: str = "") -> T:
    """``value`` when it is a ``cls``; otherwise the refusal saying what to give (``expected``)."""
    if not isinstance(value, cls):
        raise ConfigError(f"expected {expected}, got {type(value).__name__} {_shown(value)}", path)
    return value
