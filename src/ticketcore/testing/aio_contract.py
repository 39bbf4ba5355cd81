"""The asyncio storage contract kit: a pytest base class that proves an :class:`~ticketcore.aio.AsyncTicketStore`
meets the same contract as a blocking store, and holds up under concurrent tasks.

Subclass :class:`AsyncTicketStoreContract` and say how to make a store (a coroutine, so a store that opens a
connection pool can await it)::

    from ticketcore.testing.aio_contract import AsyncTicketStoreContract
    from my_adapter import MyAsyncStore

    class TestMyAsyncStore(AsyncTicketStoreContract):
        async def make_async_store(self, tenant):
            return await MyAsyncStore.open(self.scratch / "tickets.db", tenant=tenant)

Every check of :class:`~ticketcore.testing.contract.TicketStoreContract` runs against it, each call awaited on an
event loop of the store's own (so its "threads" are concurrent tasks), and the checks below run as asyncio tests
(``pytest-asyncio``): the store is an ``AsyncTicketStore``, its stream is an asynchronous iterator, concurrent tasks
appending to one ticket with expected versions and retries lose no update, and concurrent tasks never get the same
ticket id; a store that is also an :class:`~ticketcore.aio.AsyncAgentDirectory` passes the blocking kit's
agent-directory checks, awaited. The hooks and knobs are the blocking kit's (:meth:`fresh_storage`, :attr:`unsupported` …), with
:meth:`make_async_store` and :meth:`dispose_async_store` in place of ``make_store`` and ``dispose_store``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import ClassVar

import pytest

from ticketcore.aio import AsyncAgentDirectory, AsyncTicketStore
from ticketcore.errors import ConcurrencyError
from ticketcore.model import NoteAdded, Ticket
from ticketcore.repositories import NOT_DUE, TicketStore
from ticketcore.testing._contract.blocking import BlockingStore, LoopThread
from ticketcore.testing._contract.support import T0, note, opened
from ticketcore.testing.contract import TicketStoreContract

__all__ = ["AsyncTicketStoreContract"]

_RETRIES = 1_000
"""A task that conflicts this many times in a row fails the check (a store that never lets it through)."""


class AsyncTicketStoreContract(TicketStoreContract):
    """Every behaviour an :class:`~ticketcore.aio.AsyncTicketStore` promises, as pytest tests.

    Subclasses provide :meth:`make_async_store`, and may override :meth:`dispose_async_store`,
    :meth:`fresh_storage`, :attr:`unsupported`, :attr:`tasks` and the blocking kit's knobs. The agent-directory
    checks run when the store is an :class:`~ticketcore.aio.AsyncAgentDirectory` (name ``"agents"`` in
    :attr:`unsupported` for a store that is not).
    """

    tasks: ClassVar[int] = 20
    """Concurrent tasks in the asyncio checks."""

    async def make_async_store(self, tenant: str) -> AsyncTicketStore:
        """A store for ``tenant`` on the current storage (see :meth:`fresh_storage`). Subclasses must override."""
        raise NotImplementedError(
            f"{type(self).__name__} must define async make_async_store(self, tenant) -> AsyncTicketStore"
        )

    async def dispose_async_store(self, store: AsyncTicketStore) -> None:
        """Release a store the kit made (it may have been closed by the check already). Default: ``close()``."""
        await store.close()

    # the blocking kit's hooks, on a loop of the store's own

    def make_store(self, tenant: str) -> TicketStore:
        """The store :meth:`make_async_store` makes, on an event loop thread of its own, as a blocking store."""
        loop = LoopThread()
        try:
            store = loop.run(self.make_async_store(tenant))
        except BaseException:
            loop.stop()
            raise
        return BlockingStore(store, loop)

    def dispose_store(self, store: TicketStore) -> None:
        """:meth:`dispose_async_store` on the store's loop, then the loop stopped."""
        assert isinstance(store, BlockingStore)
        try:
            store.loop.run(self.dispose_async_store(store.store))
        finally:
            store.loop.stop()

    @contextlib.asynccontextmanager
    async def _async_storage(self) -> AsyncIterator[Callable[[str], Awaitable[AsyncTicketStore]]]:
        made: list[AsyncTicketStore] = []

        async def make(tenant: str) -> AsyncTicketStore:
            store = await self.make_async_store(tenant)
            made.append(store)
            return store

        with self._storage():
            try:
                yield make
            finally:
                for store in made:
                    await self.dispose_async_store(store)

    # the asyncio checks

    @pytest.mark.asyncio
    async def test_is_an_async_ticket_store(self) -> None:
        async with self._async_storage() as make:
            store = await make("acme")
            assert isinstance(store, AsyncTicketStore)
            assert store.tenant == "acme"

    @pytest.mark.asyncio
    async def test_agent_directory_is_awaited(self) -> None:
        self._require("agents")
        async with self._async_storage() as make:
            store = await make("acme")
            assert isinstance(store, AsyncAgentDirectory)
            await asyncio.gather(*(store.put_agent(f"a{n}", {"id": f"a{n}"}) for n in range(self.tasks)))
            listed = await store.list_agents()
            assert [agent_id for agent_id, _ in listed] == sorted(f"a{n}" for n in range(self.tasks))
            assert await store.get_agent("a0") == {"id": "a0"}
            await store.remove_agent("a0")
            assert len(await store.list_agents()) == self.tasks - 1
            assert await store.agent_loads() == {}

    @pytest.mark.asyncio
    async def test_stream_is_an_async_iterator_in_commit_order(self) -> None:
        async with self._async_storage() as make:
            store = await make("acme")
            for n in (1, 2):
                await store.append(f"T-{n}", [opened(f"T-{n}"), note(f"T-{n}", 2)], 0)
            entries = [entry async for entry in store.stream()]
            assert [(e.ticket_id, e.seq) for _, e in entries] == [
                ("T-1", 1),
                ("T-1", 2),
                ("T-2", 1),
                ("T-2", 2),
            ]
            positions = [position for position, _ in entries]
            assert positions == sorted(set(positions))
            assert [e async for _, e in store.stream(after=positions[1])] == [e for _, e in entries[2:]]

    @pytest.mark.asyncio
    async def test_concurrent_tasks_lose_no_update(self) -> None:
        """:attr:`tasks` tasks append to one ticket at once, each reading the version, appending with it and
        retrying after a conflict: every note is kept once, in order, and the version is ``1 + tasks``."""
        async with self._async_storage() as make:
            store = await make("acme")
            await store.append("T-1", [opened("T-1")], 0)
            conflicts = 0

            async def writer(index: int) -> None:
                nonlocal conflicts
                for _ in range(_RETRIES):
                    version = (await store.get("T-1")).version
                    await asyncio.sleep(0)  # let the other tasks read the same version
                    at = T0 + timedelta(seconds=version)
                    try:
                        await store.append(
                            "T-1",
                            [note("T-1", version + 1, at, f"task {index}")],
                            version,
                            due=T0 + timedelta(hours=version + 1),
                        )
                        return
                    except ConcurrencyError:
                        conflicts += 1
                pytest.fail(f"task {index} conflicted {_RETRIES} times in a row")

            await asyncio.gather(*(writer(i) for i in range(self.tasks)))
            total = 1 + self.tasks
            events = await store.events("T-1")
            assert [e.seq for e in events] == list(range(1, total + 1))
            bodies = sorted(e.body for e in events if isinstance(e, NoteAdded))
            assert bodies == sorted(f"task {i}" for i in range(self.tasks))
            assert conflicts > 0, "the tasks never conflicted: the check proved nothing"
            assert await store.get("T-1") == Ticket.from_events(events)
            (indexed,) = (await store.due(NOT_DUE)).items
            assert (indexed.ticket.version, indexed.due_at) == (total, T0 + timedelta(hours=total))

    @pytest.mark.asyncio
    async def test_concurrent_tasks_take_unique_ids(self) -> None:
        async with self._async_storage() as make:
            store = await make("acme")
            ids = await asyncio.gather(*(store.next_ticket_id() for _ in range(self.tasks)))
            assert len(set(ids)) == self.tasks
