"""The asyncio stores against the asyncio contract kit: memory and SQLite through ThreadedStore."""

from __future__ import annotations

from typing import ClassVar

import pytest

from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.adapters.threaded import ThreadedStore
from ticketcore.testing.aio_contract import AsyncTicketStoreContract


class TestThreadedMemoryStore(AsyncTicketStoreContract):
    max_examples: ClassVar[int] = 15

    async def make_async_store(self, tenant: str) -> ThreadedStore:
        return ThreadedStore(MemoryStore(tenant, database=self.memory))


class TestThreadedSQLiteStore(AsyncTicketStoreContract):
    max_examples: ClassVar[int] = 10

    async def make_async_store(self, tenant: str) -> ThreadedStore:
        return ThreadedStore(SQLiteStore(self.scratch / "tickets.db", tenant=tenant))


class Unfinished(AsyncTicketStoreContract):
    """A kit subclass that forgot make_async_store (not collected: no ``Test`` prefix)."""


def test_the_kit_names_the_missing_factory_and_stops_its_loop() -> None:
    kit = Unfinished()
    with pytest.raises(NotImplementedError, match="Unfinished must define async make_async_store"):
        kit.make_store("acme")


def test_the_kit_wraps_each_async_store_for_the_blocking_checks() -> None:
    kit = TestThreadedMemoryStore()
    with kit._storage() as make:
        store = make("acme")
        assert repr(store) == "BlockingStore(ThreadedStore(MemoryStore(tenant='acme')))"
        assert store.next_ticket_id() == "T-1"
