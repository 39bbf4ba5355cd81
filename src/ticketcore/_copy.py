"""Copying a frozen attrs instance with some attributes changed, without running its validators again.

A fold makes one copy per event (a replay makes millions), and ``attrs.evolve`` re-reads the class's fields and
re-runs every converter and validator on each copy: for a value that is already valid, that is most of the cost of
folding. :func:`copier` writes, once per class, the straight-line function attrs itself would generate for such a
copy. Use it only where the changed values are known to be valid (the fold derives them from a checked event).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

import attrs
from attrs import AttrsInstance

__all__ = ["copier", "setters"]

T = TypeVar("T", bound=AttrsInstance)

Setter = Callable[[object, object], None]

_COPIERS: dict[type, Callable[..., object]] = {}
_SETTERS: dict[type, Mapping[str, Setter]] = {}


def setters(cls: type[AttrsInstance]) -> Mapping[str, Setter]:
    """For each attribute of the slotted class ``cls``, its slot's ``set(instance, value)``, which bypasses the frozen
    ``__setattr__`` at half the cost of ``object.__setattr__`` (no lookup on the type per call): a copy sets every
    attribute of a 40-attribute snapshot."""
    found = _SETTERS.get(cls)
    if found is None:
        found = _SETTERS[cls] = {field.name: getattr(cls, field.name).__set__ for field in attrs.fields(cls)}
    return found


def copier(cls: type[T]) -> Callable[[T, Mapping[str, object]], T]:
    """A function ``copy(instance, changes)``: a new ``cls`` with ``instance``'s attributes, then ``changes``."""
    made = _COPIERS.get(cls)
    if made is None:
        named = setters(cls)
        lines = ["def copy(instance, changes):", "    new = new_instance(cls)"]
        namespace: dict[str, object] = {"new_instance": object.__new__, "cls": cls, "setters": named}
        # Names come from attrs.fields, so they are identifiers; each attribute's setter is bound by position.
        for position, name in enumerate(named):
            namespace[f"set_{position}"] = named[name]
            lines.append(f"    set_{position}(new, instance.{name})")
        lines += ["    for name, value in changes.items():", "        setters[name](new, value)"]
        lines += ["    return new"]
        exec(compile("\n".join(lines), f"<ticketcore copier for {cls.__qualname__}>", "exec"), namespace)
        made = _COPIERS[cls] = namespace["copy"]  # type: ignore[assignment]
    return made  # type: ignore[return-value]
