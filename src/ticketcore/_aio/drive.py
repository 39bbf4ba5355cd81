"""The asyncio driver of the desk's step machines (``_desk.steps``): each step awaited on the store.

The decisions, retries and triggers are the blocking desk's own code; only this loop differs from
``_desk.steps.drive``.
"""

from __future__ import annotations

from typing import TypeVar

from ticketcore._desk.steps import Steps

__all__ = ["drive"]

T = TypeVar("T")


async def drive(store: object, steps: Steps[T]) -> T:
    """Run ``steps`` against an asyncio ``store``: each step awaited, its result sent back, its error thrown in."""
    try:
        name, args, keywords = next(steps)
        while True:
            try:
                call = getattr(store, name)
                result = await (call(*args, **keywords) if keywords else call(*args))
            except Exception as error:
                name, args, keywords = steps.throw(error)
            else:
                name, args, keywords = steps.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]  # the generator's return value, a T
