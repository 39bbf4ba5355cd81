"""The desk's commands as step machines: the decisions written once, the store reached through what they yield.

A command is a generator that yields each read or write it needs as a :data:`Step` — the name of a store method
and its arguments — and is sent the method's result (or has its exception thrown in, so a ``ConcurrencyError`` is
caught where the retry is decided). :func:`drive` runs one on a blocking store; ``ticketcore._aio.drive`` awaits the
same steps on an asyncio store. Nothing else differs between ``HelpDesk`` and ``AsyncHelpDesk``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, TypeVar

__all__ = ["NO_KEYWORDS", "Step", "Steps", "drive", "step"]

T = TypeVar("T")

Step = tuple[str, tuple[Any, ...], dict[str, Any]]
"""A store call: the method's name, its positional and its keyword arguments."""

Steps = Generator[Step, Any, T]
"""A step machine returning ``T``: it yields :data:`Step` values and is sent their results."""

NO_KEYWORDS: dict[str, Any] = {}
"""The keyword arguments of a call that has none (shared; never changed)."""


def step(name: str, *args: Any) -> Step:
    """The call ``store.<name>(*args)``."""
    return name, args, NO_KEYWORDS


def drive(store: object, steps: Steps[T]) -> T:
    """Run ``steps`` against a blocking ``store``: each step called, its result sent back, its error thrown in."""
    try:
        name, args, keywords = next(steps)
        while True:
            try:
                call = getattr(store, name)
                result = call(*args, **keywords) if keywords else call(*args)
            except Exception as error:
                name, args, keywords = steps.throw(error)
            else:
                name, args, keywords = steps.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]  # the generator's return value, a T
