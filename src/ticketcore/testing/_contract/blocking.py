"""A blocking :class:`~ticketcore.repositories.TicketStore` over an asyncio store, for the asyncio contract kit.

Every check of the blocking kit then runs on the asyncio store unchanged: each call is a coroutine run on an event
loop of the store's own (a thread), and several threads calling at once are several tasks on that loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from ticketcore.model import Event, Ticket
from ticketcore.repositories import DuePage, JSONData, Page, TicketQuery

if TYPE_CHECKING:
    from ticketcore.aio import AsyncAgentDirectory, AsyncTicketStore

__all__ = ["BlockingStore", "LoopThread"]

T = TypeVar("T")

_END = object()


class LoopThread:
    """An event loop running on a thread of its own until :meth:`stop`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="ticketcore-contract-loop", daemon=True
        )
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and wait for its result (or its exception)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        """Stop the loop, wait for its thread, close it."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


async def _next(events: AsyncIterator[tuple[int, Event]]) -> object:
    try:
        return await anext(events)
    except StopAsyncIteration:
        return _END


class BlockingStore:
    """``store`` (made on ``loop``) with each coroutine awaited there: a blocking ``TicketStore``."""

    def __init__(self, store: AsyncTicketStore, loop: LoopThread) -> None:
        self.store = store
        self.loop = loop

    def __repr__(self) -> str:
        return f"BlockingStore({self.store!r})"

    @property
    def tenant(self) -> str:
        """The wrapped store's tenant."""
        return self.store.tenant

    def append(
        self, ticket_id: str, events: Sequence[Event], expected_version: int, *, due: datetime | None = None
    ) -> int:
        """``await store.append(...)``."""
        return self.loop.run(self.store.append(ticket_id, events, expected_version, due=due))

    def due(self, at_or_before: datetime, *, limit: int = 100, cursor: str | None = None) -> DuePage:
        """``await store.due(...)``."""
        return self.loop.run(self.store.due(at_or_before, limit=limit, cursor=cursor))

    def set_due(self, ticket_id: str, version: int, due: datetime) -> bool:
        """``await store.set_due(...)``."""
        return self.loop.run(self.store.set_due(ticket_id, version, due))

    def events(self, ticket_id: str, after: int = 0) -> list[Event]:
        """``await store.events(...)``."""
        return self.loop.run(self.store.events(ticket_id, after))

    def get(self, ticket_id: str) -> Ticket:
        """``await store.get(...)``."""
        return self.loop.run(self.store.get(ticket_id))

    def find(self, query: TicketQuery) -> Page:
        """``await store.find(...)``."""
        return self.loop.run(self.store.find(query))

    def stream(self, after: int = 0) -> Iterator[tuple[int, Event]]:
        """``async for entry in store.stream(after)``, one entry at a time."""
        events = self.store.stream(after)
        while True:
            entry = self.loop.run(_next(events))
            if entry is _END:
                return
            yield entry  # type: ignore[misc]  # not _END: an entry of the stream

    def next_ticket_id(self) -> str:
        """``await store.next_ticket_id()``."""
        return self.loop.run(self.store.next_ticket_id())

    # the agent directory, when the asyncio store is one

    def _directory(self) -> AsyncAgentDirectory:
        from ticketcore.aio import AsyncAgentDirectory

        assert isinstance(self.store, AsyncAgentDirectory)
        return self.store

    def put_agent(self, agent_id: str, data: Mapping[str, Any]) -> None:
        """``await store.put_agent(...)``."""
        self.loop.run(self._directory().put_agent(agent_id, data))

    def get_agent(self, agent_id: str) -> JSONData:
        """``await store.get_agent(...)``."""
        return self.loop.run(self._directory().get_agent(agent_id))

    def remove_agent(self, agent_id: str) -> None:
        """``await store.remove_agent(...)``."""
        self.loop.run(self._directory().remove_agent(agent_id))

    def list_agents(self) -> list[tuple[str, JSONData]]:
        """``await store.list_agents()``."""
        return self.loop.run(self._directory().list_agents())

    def agent_loads(self) -> dict[str, dict[str, int]]:
        """``await store.agent_loads()``."""
        return self.loop.run(self._directory().agent_loads())

    def close(self) -> None:
        """``await store.close()``."""
        self.loop.run(self.store.close())
