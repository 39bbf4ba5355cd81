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

__all__ = ["copier"]

T = TypeVar("T", bound=AttrsInstance)

_COPIERS: dict[type, Callable[..., object]] = {}


def copier(cls: type[T]) -> Callable[[T, Mapping[str, object]], T]:
    """A function ``copy(instance, changes)``: a new ``cls`` with ``instance``'s attributes, then ``changes``."""
    made = _COPIERS.get(cls)
    if made is None:
        lines = ["def copy(instance, changes):", "    new = new_instance(cls)"]
        # Names come from attrs.fields, so they are identifiers; repr() quotes them for the generated source.
        lines += [
            f"    set_attribute(new, {field.name!r}, instance.{field.name})" for field in attrs.fields(cls)
        ]
        lines += ["    for name, value in changes.items():", "        set_attribute(new, name, value)"]
        lines += ["    return new"]
        namespace: dict[str, object] = {
            "new_instance": object.__new__,
            "set_attribute": object.__setattr__,
            "cls": cls,
        }
        exec(compile("\n".join(lines), f"<ticketcore copier for {cls.__qualname__}>", "exec"), namespace)
        made = _COPIERS[cls] = namespace["copy"]  # type: ignore[assignment]
    return made  # type: ignore[return-value]
