"""``ThreadedStore``: the asyncio face of any blocking :class:`~ticketcore.repositories.TicketStore`.

Each call runs on one thread that belongs to the store (a single-worker executor), so the event loop never blocks
and the wrapped store sees its calls one at a time, in the order they were awaited. This is how ticketcore runs
SQLite under asyncio: ``ThreadedStore(SQLiteStore("desk.db", tenant="acme"))`` keeps every behaviour of
``SQLiteStore`` (its migrations, its batch appends, its crash safety) with nothing rewritten.

Why not aiosqlite: it is the same design (one thread per connection, calls handed to it through a queue), so it
would only add a dependency and a second copy of the SQLite adapter's SQL. Measured (``docs/how-to/asyncio.md``),
an ``append`` of one event through ``ThreadedStore(SQLiteStore(...))`` costs the store's own 85 µs plus one hop to
the thread and back, 84 µs; aiosqlite pays about that hop per statement (+90 µs for an INSERT and its commit, +145 µs
for a SELECT and its fetch), and an append is several statements.

When the wrapped store is also an :class:`~ticketcore.repositories.AgentDirectory` (``MemoryStore``, ``SQLiteStore``,
``PostgresStore``), the ``ThreadedStore`` is an :class:`~ticketcore.aio.AsyncAgentDirectory`: its agent methods run
the wrapped store's on the same thread.

Concurrency: tasks that append to one ticket with expected versions conflict exactly as threads do
(:class:`~ticketcore.errors.ConcurrencyError`, nothing written), since the wrapped store checks each append.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from ticketcore.errors import ConfigError, StorageError
from ticketcore.model import Event, Ticket
from ticketcore.repositories import AgentDirectory, DuePage, JSONData, Page, TicketQuery, TicketStore

__all__ = ["ThreadedStore"]

T = TypeVar("T")

STREAM_BATCH = 500
"""How many events :meth:`ThreadedStore.stream` takes from the wrapped store per hop to its thread."""


def _take(events: Iterator[tuple[int, Event]], count: int) -> list[tuple[int, Event]]:
    return list(itertools.islice(events, count))


class ThreadedStore:
    """An :class:`~ticketcore.aio.AsyncTicketStore` that runs a blocking store's calls on a thread of its own.

    >>> import asyncio
    >>> from ticketcore.adapters.memory import MemoryStore
    >>> async def main() -> str:
    ...     store = ThreadedStore(MemoryStore("acme"))
    ...     try:
    ...         return await store.next_ticket_id()
    ...     finally:
    ...         await store.close()
    >>> asyncio.run(main())
    'T-1'
    """

    def __init__(self, store: TicketStore) -> None:
        if not isinstance(store, TicketStore):
            raise ConfigError(
                f"ThreadedStore wraps a TicketStore, got {type(store).__name__} {store!r}", "store"
            )
        self._store = store
        self._closed = False
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ticketcore-store")

    def __repr__(self) -> str:
        return f"ThreadedStore({self._store!r})"

    @property
    def store(self) -> TicketStore:
        """The blocking store this one wraps (for code that runs outside the event loop)."""
        return self._store

    @property
    def tenant(self) -> str:
        """The tenant this store is bound to."""
        return self._store.tenant

    async def _run(self, call: Callable[[], T]) -> T:
        if self._closed:
            raise StorageError(f"{self!r} is closed; make a new store to keep working")
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    async def append(
        self, ticket_id: str, events: Sequence[Event], expected_version: int, *, due: datetime | None = None
    ) -> int:
        """See :meth:`TicketStore.append`."""
        return await self._run(
            functools.partial(self._store.append, ticket_id, events, expected_version, due=due)
        )

    async def due(self, at_or_before: datetime, *, limit: int = 100, cursor: str | None = None) -> DuePage:
        """See :meth:`TicketStore.due`."""
        return await self._run(functools.partial(self._store.due, at_or_before, limit=limit, cursor=cursor))

    async def set_due(self, ticket_id: str, version: int, due: datetime) -> bool:
        """See :meth:`TicketStore.set_due`."""
        return await self._run(functools.partial(self._store.set_due, ticket_id, version, due))

    async def events(self, ticket_id: str, after: int = 0) -> list[Event]:
        """See :meth:`TicketStore.events`."""
        return await self._run(functools.partial(self._store.events, ticket_id, after))

    async def get(self, ticket_id: str) -> Ticket:
        """See :meth:`TicketStore.get`."""
        return await self._run(functools.partial(self._store.get, ticket_id))

    async def find(self, query: TicketQuery) -> Page:
        """See :meth:`TicketStore.find`."""
        return await self._run(functools.partial(self._store.find, query))

    async def stream(self, after: int = 0) -> AsyncIterator[tuple[int, Event]]:
        """See :meth:`TicketStore.stream`: read from the wrapped store :data:`STREAM_BATCH` events at a time."""
        events = self._store.stream(after)
        while True:
            batch = await self._run(functools.partial(_take, events, STREAM_BATCH))
            for entry in batch:
                yield entry
            if len(batch) < STREAM_BATCH:
                return

    async def next_ticket_id(self) -> str:
        """See :meth:`TicketStore.next_ticket_id`."""
        return await self._run(self._store.next_ticket_id)

    # AsyncAgentDirectory

    @property
    def is_agent_directory(self) -> bool:
        """Whether the wrapped store is an :class:`~ticketcore.repositories.AgentDirectory` (otherwise the agent
        methods refuse with :class:`~ticketcore.errors.ConfigError`)."""
        return isinstance(self._store, AgentDirectory)

    def _directory(self) -> AgentDirectory:
        if not isinstance(self._store, AgentDirectory):
            raise ConfigError(
                f"{self._store!r} is not an AgentDirectory, so {self!r} keeps no agents; wrap a store that does "
                "(MemoryStore, SQLiteStore, PostgresStore)",
                "store",
            )
        return self._store

    async def put_agent(self, agent_id: str, data: Mapping[str, Any]) -> None:
        """See :meth:`AgentDirectory.put_agent`."""
        await self._run(functools.partial(self._directory().put_agent, agent_id, data))

    async def get_agent(self, agent_id: str) -> JSONData:
        """See :meth:`AgentDirectory.get_agent`."""
        return await self._run(functools.partial(self._directory().get_agent, agent_id))

    async def remove_agent(self, agent_id: str) -> None:
        """See :meth:`AgentDirectory.remove_agent`."""
        await self._run(functools.partial(self._directory().remove_agent, agent_id))

    async def list_agents(self) -> list[tuple[str, JSONData]]:
        """See :meth:`AgentDirectory.list_agents`."""
        return await self._run(self._directory().list_agents)

    async def agent_loads(self) -> dict[str, dict[str, int]]:
        """See :meth:`AgentDirectory.agent_loads`."""
        return await self._run(self._directory().agent_loads)

    async def close(self) -> None:
        """Close the wrapped store and stop the thread. Closing twice is harmless."""
        if self._closed:
            return
        try:
            await self._run(self._store.close)
        finally:
            self._closed = True
            self._thread.shutdown(wait=False)
