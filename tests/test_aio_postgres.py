"""The asyncio PostgreSQL store: the asyncio contract kit, AsyncHelpDesk on it, and sharing tables with PostgresStore.

Runs against the server in ``TICKETCORE_TEST_POSTGRES`` (skipped without one, except in CI, which must test it).
Each storage gets a new PostgreSQL schema, dropped at the end of the module.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import ClassVar

import pytest

psycopg = pytest.importorskip(
    "psycopg", reason="the [postgres] extra is not installed: pip install -e '.[postgres]'"
)

from helpers import AGENT, T0, opened, postgres_dsn  # noqa: E402 (after the importorskip)
from ticketcore.adapters import aio_postgres  # noqa: E402
from ticketcore.adapters.aio_postgres import AsyncPostgresStore  # noqa: E402
from ticketcore.adapters.postgres import PostgresStore  # noqa: E402
from ticketcore.aio import AsyncHelpDesk  # noqa: E402
from ticketcore.errors import ConcurrencyError, ConfigError, InvalidEvent, StorageError, TicketNotFound  # noqa: E402
from ticketcore.model import NoteAdded  # noqa: E402
from ticketcore.repositories import NOT_DUE, TicketQuery  # noqa: E402
from ticketcore.testing.aio_contract import AsyncTicketStoreContract  # noqa: E402

pytestmark = pytest.mark.postgres

MADE: list[str] = []


def fresh_schema() -> str:
    name = f"tc_test_aio_{uuid.uuid4().hex[:16]}"
    MADE.append(name)
    return name


@pytest.fixture(scope="module", autouse=True)
def drop_schemas() -> Iterator[None]:
    yield
    if MADE:
        with psycopg.connect(postgres_dsn(), autocommit=True) as conn:
            for name in MADE:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


class TestAsyncPostgresStore(AsyncTicketStoreContract):
    max_examples: ClassVar[int] = 5  # each example opens a pool: the blocking kit runs the full count
    schema: str

    def fresh_storage(self) -> None:
        self.schema = fresh_schema()

    async def make_async_store(self, tenant: str) -> AsyncPostgresStore:
        return await AsyncPostgresStore.open(postgres_dsn(), tenant=tenant, schema=self.schema)


@pytest.mark.asyncio
async def test_async_and_blocking_stores_share_one_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aio_postgres, "STREAM_BATCH", 2)
    schema = fresh_schema()
    store = await AsyncPostgresStore.open(postgres_dsn(), tenant="acme", schema=schema, pool_size=2)
    blocking = PostgresStore(postgres_dsn(), tenant="acme", schema=schema)
    try:
        assert store.schema == schema
        assert repr(store).startswith("AsyncPostgresStore(")
        assert "tenant='acme'" in repr(store)
        await store.append("T-1", [opened()], 0)
        blocking.append("T-1", [NoteAdded(ticket_id="T-1", seq=2, at=T0, actor=AGENT, body="sync")], 1)
        # Our cached copy is stale: the conflict names the stored version, and a fresh read sees the other write.
        with pytest.raises(ConcurrencyError) as caught:
            await store.append("T-1", [NoteAdded(ticket_id="T-1", seq=2, at=T0, actor=AGENT)], 1)
        assert caught.value.actual == 2
        assert (await store.get("T-1")).version == 2
        await store.append("T-1", [NoteAdded(ticket_id="T-1", seq=3, at=T0, actor=AGENT, body="async")], 2)
        assert [e.seq for e in blocking.events("T-1")] == [1, 2, 3]
        assert blocking.next_ticket_id() != await store.next_ticket_id()
        with pytest.raises(InvalidEvent, match="cannot store the ticket id"):
            await store.append("T-\x00", [opened("T-\x00")], 0)
        assert await store.events("T-\x00") == []
        assert not await store.set_due("T-\x00", 1, NOT_DUE)
        with pytest.raises(TicketNotFound):
            await store.get("T-\x00")
        assert [t.id for t in await store.find(TicketQuery())] == ["T-1"]
        assert [e.seq async for _, e in store.stream()] == [1, 2, 3]  # in batches of two
    finally:
        blocking.close()
        await store.close()
    await store.close()
    with pytest.raises(StorageError, match="closed"):
        await store.get("T-1")


@pytest.mark.asyncio
async def test_open_refuses_what_postgres_store_refuses() -> None:
    with pytest.raises(ConfigError, match="pool_size"):
        await AsyncPostgresStore.open(postgres_dsn(), schema=fresh_schema(), pool_size=0)


@pytest.mark.asyncio
async def test_a_busy_pool_is_a_storage_error() -> None:
    store = await AsyncPostgresStore.open(
        postgres_dsn(), schema=fresh_schema(), pool_size=1, pool_timeout=0.2
    )
    try:
        async with store._pool.connection():
            with pytest.raises(StorageError, match="busy"):
                await store.get("T-1")
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_a_server_error_is_a_storage_error() -> None:
    schema = fresh_schema()
    store = await AsyncPostgresStore.open(postgres_dsn(), schema=schema)
    try:
        with psycopg.connect(postgres_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP TABLE "{schema}".counters')
        with pytest.raises(StorageError, match="counters"):
            await store.next_ticket_id()
        with psycopg.connect(postgres_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP TABLE "{schema}".tickets CASCADE')
        with pytest.raises(StorageError, match="tickets"):
            await store.set_due("T-1", 1, NOT_DUE)
        with pytest.raises(StorageError, match="tickets"):
            await store.append("T-9", [opened("T-9")], 0)
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_async_desk_on_postgres() -> None:
    store = await AsyncPostgresStore.open(postgres_dsn(), tenant="acme", schema=fresh_schema())
    clock = lambda: T0  # noqa: E731
    desk = AsyncHelpDesk(store, clock=clock)
    try:
        opening = await desk.open(requester="cy", subject="VPN down", agent="ada")
        assert opening.ticket.id == "T-1"
        notes = await asyncio.gather(*(desk.note("T-1", AGENT, f"note {n}") for n in range(2)))
        assert sorted(t.version for t in notes) == [3, 4]
        await desk.act("T-1", "solve", AGENT)
        fired = await desk.run_timers(T0 + timedelta(days=30))
        assert [type(e).__name__ for e in fired] == ["TimerFired", "StatusChanged"]
        assert (await desk.get("T-1")).status == "closed"
    finally:
        await store.close()
