"""The asyncio PostgreSQL adapter (``pip install 'ticketcore[postgres]'``): psycopg 3's ``AsyncConnection`` in a
``psycopg_pool.AsyncConnectionPool``.

``store = await AsyncPostgresStore.open("host=db dbname=desk", tenant="acme")`` keeps the same tables as
:class:`~ticketcore.adapters.postgres.PostgresStore`, so the two may share a database (a web application awaiting
one, a batch job blocking on the other). The statements, the row decoding, the checks of an append and its single
round trip (the schema's ``append_events`` function, which takes the tenant's advisory lock) are that adapter's own,
shared through ``adapters._sql`` and ``adapters._postgres``; only the driver calls are awaited. Opening the store
checks its arguments and migrates the schema exactly as ``PostgresStore`` does, on one blocking connection in a
thread, once.

Concurrency: tasks of the event loop the store was opened on may share it; it lends them at most ``pool_size``
connections, and a task that finds them all busy waits up to ``pool_timeout`` seconds, then gets
:class:`~ticketcore.errors.StorageError`. A stale expected version raises :class:`~ticketcore.errors.ConcurrencyError`
and writes nothing. psycopg's errors become :class:`~ticketcore.errors.StorageError` (or ``CorruptRecord`` for a
row that cannot be decoded). A connection the server dropped is replaced by the pool; the call that met it fails with
``StorageError`` — for an append, read the ticket back before retrying, as whether it was saved is unknown.
"""

from __future__ import annotations

try:
    import psycopg
    import psycopg_pool
except ImportError as _missing:  # pragma: no cover (a test hides psycopg to check it)
    from ticketcore.errors import MissingExtra

    raise MissingExtra("AsyncPostgresStore", "postgres", ["psycopg", "psycopg-pool"]) from _missing

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from psycopg import errors as pg_errors
from psycopg import sql as pg_sql

from ticketcore.adapters._common import (
    TicketCache,
    agent_loads,
    check_ticket_id,
    decode_agent,
    decode_event,
    storable_agent,
)
from ticketcore.adapters._postgres.schema import APPEND_LOCK
from ticketcore.adapters._postgres.sql import (
    APPEND,
    CURRENT,
    GET,
    LOCK_TENANT,
    NEXT_TICKET,
    TAKEN,
    VERSION,
    append_params,
    describe,
    find_page,
    find_sql,
    psycopg_statement,
    storable,
)
from ticketcore.adapters._sql import (
    AGENT_LOADS,
    EVENTS,
    GET_AGENT,
    LIST_AGENTS,
    PUT_AGENT,
    REMOVE_AGENT,
    SET_DUE,
    STREAM,
    STREAM_BATCH,
    due_page,
    due_statement,
)
from ticketcore.adapters.postgres import PostgresStore
from ticketcore.errors import (
    AgentNotFound,
    ConcurrencyError,
    InvalidEvent,
    StorageError,
    TicketNotFound,
)
from ticketcore.model import Event, Ticket
from ticketcore.repositories import (
    TICKET_ID_PREFIX,
    DuePage,
    JSONData,
    Page,
    TicketQuery,
    check_batch,
    check_due,
    check_position,
    check_query,
    check_ticket_key,
)

__all__ = ["AsyncPostgresStore"]

Connection = psycopg.AsyncConnection[Any]

_CACHE_SIZE = 4_096


class AsyncPostgresStore:
    """An :class:`~ticketcore.aio.AsyncTicketStore` and :class:`~ticketcore.aio.AsyncAgentDirectory` in PostgreSQL;
    make one with :meth:`open`."""

    def __init__(
        self,
        pool: psycopg_pool.AsyncConnectionPool[Any],
        *,
        tenant: str,
        schema: str,
        where: str,
        timeout: float,
    ) -> None:
        self._pool = pool
        self._tenant_name = tenant
        self._schema = schema
        self._where = where
        self._timeout = timeout
        self._lock_name = f"{schema}/{tenant}"
        self._cache = TicketCache(_CACHE_SIZE)

    @classmethod
    async def open(
        cls,
        conninfo: str,
        *,
        tenant: str = "default",
        schema: str = "ticketcore",
        pool_size: int = 4,
        pool_timeout: float = 30.0,
        connect_timeout: int = 10,
        connect_args: Mapping[str, Any] | None = None,
    ) -> AsyncPostgresStore:
        """Open a store on ``conninfo`` (arguments as for :class:`~ticketcore.adapters.postgres.PostgresStore`),
        its schema created or migrated if needed."""
        extra = dict(connect_args or {})
        # The blocking adapter checks every argument and migrates the schema (on one connection, then closed).
        probe = await asyncio.to_thread(
            PostgresStore,
            conninfo,
            tenant=tenant,
            schema=schema,
            pool_size=pool_size,
            pool_timeout=pool_timeout,
            connect_timeout=connect_timeout,
            connect_args=extra,
        )
        probe.close()

        async def configure(conn: Connection) -> None:
            await conn.execute(
                pg_sql.SQL(
                    "SET search_path TO {}; SET default_transaction_isolation TO 'read committed'"
                ).format(pg_sql.Identifier(schema))
            )
            await conn.set_isolation_level(psycopg.IsolationLevel.READ_COMMITTED)

        pool: psycopg_pool.AsyncConnectionPool[Any] = psycopg_pool.AsyncConnectionPool(
            conninfo,
            kwargs={"autocommit": True, "connect_timeout": connect_timeout, **extra},
            min_size=1,
            max_size=pool_size,
            open=False,
            configure=configure,
            timeout=pool_timeout,
            name=f"ticketcore-{schema}-{tenant}",
        )
        await pool.open()
        return cls(pool, tenant=tenant, schema=schema, where=describe(conninfo), timeout=pool_timeout)

    def __repr__(self) -> str:
        return f"AsyncPostgresStore({self._where!r}, tenant={self._tenant_name!r}, schema={self._schema!r})"

    @property
    def tenant(self) -> str:
        """The tenant this store is bound to."""
        return self._tenant_name

    @property
    def schema(self) -> str:
        """The PostgreSQL schema that holds this store's tables."""
        return self._schema

    # the driver

    def _storage_error(self, error: Exception) -> StorageError:
        if isinstance(error, psycopg_pool.PoolClosed):
            return StorageError(f"{self!r} is closed; open a new store to keep working")
        if isinstance(error, psycopg_pool.PoolTimeout):
            return StorageError(
                f"{self!r}: every connection stayed busy for {self._timeout} s; raise pool_size, or hold fewer "
                "stream() iterators open"
            )
        text = str(error).strip() or type(error).__name__
        return StorageError(f"{self!r}: {type(error).__name__}: {text}")

    async def _rows(self, statement: str, params: Sequence[Any], *, prepare: bool | None = None) -> list[Any]:
        try:
            async with self._pool.connection() as conn:
                cursor = await conn.execute(statement, params, prepare=prepare)
                rows: list[Any] = await cursor.fetchall()
                return rows
        except psycopg.Error as error:
            raise self._storage_error(error) from error

    async def _change(self, statement: str, params: Sequence[Any]) -> int:
        try:
            async with self._pool.connection() as conn:
                cursor = await conn.execute(statement, params)
                changed: int = cursor.rowcount
                return changed
        except psycopg.Error as error:
            raise self._storage_error(error) from error

    async def _row(self, statement: str, params: Sequence[Any]) -> Any:
        rows = await self._rows(statement, params)
        return rows[0] if rows else None

    def _ticket(self, ticket_id: str, version: int, data: str) -> Ticket:
        return self._cache.load(repr(self), ticket_id, version, data)

    @staticmethod
    def _keepable(key: object) -> bool:
        return isinstance(key, str) and storable(key)

    # AsyncTicketStore

    async def append(
        self, ticket_id: str, events: Sequence[Event], expected_version: int, *, due: datetime | None = None
    ) -> int:
        """See :meth:`TicketStore.append`: one round trip when this store's cache holds the ticket at
        ``expected_version`` (or the ticket is new), as for ``PostgresStore``."""
        batch = check_batch(events)
        check_ticket_id(ticket_id)
        if not storable(ticket_id):
            raise InvalidEvent(f"PostgreSQL cannot store the ticket id {ticket_id!r} (NUL or invalid text)")
        current = await self._current(ticket_id, expected_version)
        ticket, params = append_params(
            ticket_id,
            current,
            batch,
            expected_version,
            due=due,
            tenant=self._tenant_name,
            lock=(APPEND_LOCK, self._lock_name),
        )
        try:
            async with self._pool.connection() as conn:
                await conn.execute(APPEND, params)
        except pg_errors.UniqueViolation:
            raise ConcurrencyError(ticket_id, expected_version, await self._version(ticket_id)) from None
        except psycopg.DataError as error:
            raise InvalidEvent(
                f"holds a value PostgreSQL cannot store: {error}", ticket_id=ticket_id
            ) from None
        except psycopg.Error as error:
            raise self._storage_error(error) from error
        self._cache.remember(ticket)
        return ticket.version

    async def _current(self, ticket_id: str, expected_version: int) -> Ticket | None:
        cached = self._cache.get(ticket_id)
        if cached is not None and cached.version == expected_version:
            return cached
        if cached is None and expected_version == 0:
            return None  # a new ticket, we trust; the unique key refuses the append if it was not
        row = await self._row(CURRENT, (self._tenant_name, ticket_id))
        return None if row is None else self._ticket(ticket_id, row[0], row[1])

    async def _version(self, ticket_id: str) -> int:
        row = await self._row(VERSION, (self._tenant_name, ticket_id))
        return 0 if row is None else int(row[0])

    async def get(self, ticket_id: str) -> Ticket:
        """See :meth:`TicketStore.get`. The snapshot's JSON is sent only when this store's cached copy is stale."""
        check_ticket_key(ticket_id)
        cached = self._cache.get(ticket_id)
        known = -1 if cached is None else cached.version
        row = None
        if storable(ticket_id):
            row = await self._row(GET, (known, self._tenant_name, ticket_id))
        if row is None:
            raise TicketNotFound(ticket_id)
        if cached is not None and row[0] == cached.version:
            return cached
        return self._ticket(ticket_id, row[0], row[1])

    async def events(self, ticket_id: str, after: int = 0) -> list[Event]:
        """See :meth:`TicketStore.events`."""
        check_ticket_key(ticket_id)
        after = check_position(after)
        if not storable(ticket_id):
            return []
        rows = await self._rows(psycopg_statement(EVENTS), (self._tenant_name, ticket_id, after))
        return [decode_event(repr(self), position, ticket_id, seq, data) for position, seq, data in rows]

    async def find(self, query: TicketQuery) -> Page:
        """See :meth:`TicketStore.find` (never a prepared statement, as for ``PostgresStore``)."""
        statement, params = find_sql(self._tenant_name, check_query(query))
        rows = await self._rows(statement, params, prepare=False)
        return find_page(rows, query.limit, self._ticket)

    async def stream(self, after: int = 0) -> AsyncIterator[tuple[int, Event]]:
        """See :meth:`TicketStore.stream`. Reads in batches, so no connection stays lent between them."""
        position = check_position(after)
        while True:
            rows = await self._rows(psycopg_statement(STREAM), (self._tenant_name, position, STREAM_BATCH))
            for row_position, ticket_id, seq, data in rows:
                yield row_position, decode_event(repr(self), row_position, ticket_id, seq, data)
            if len(rows) < STREAM_BATCH:
                return
            position = rows[-1][0]

    async def due(self, at_or_before: datetime, *, limit: int = 100, cursor: str | None = None) -> DuePage:
        """See :meth:`TicketStore.due`."""
        statement, params, size = due_statement(
            self._tenant_name, at_or_before, limit, cursor, keepable=self._keepable, database="PostgreSQL"
        )
        return due_page(await self._rows(psycopg_statement(statement), params), size, self._ticket)

    async def set_due(self, ticket_id: str, version: int, due: datetime) -> bool:
        """See :meth:`TicketStore.set_due`."""
        check_ticket_key(ticket_id)
        check_position(version, "version")
        instant = check_due(due)
        if not storable(ticket_id):
            return False
        changed = await self._change(
            psycopg_statement(SET_DUE), (instant, self._tenant_name, ticket_id, version)
        )
        return changed > 0

    async def next_ticket_id(self) -> str:
        """See :meth:`TicketStore.next_ticket_id`: the counter row ``PostgresStore`` draws from, under the same lock."""
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute(LOCK_TENANT, (APPEND_LOCK, self._lock_name))
                while True:
                    row = await (await conn.execute(NEXT_TICKET, (self._tenant_name,))).fetchone()
                    assert row is not None
                    candidate = f"{TICKET_ID_PREFIX}{row[0]}"
                    taken = await (await conn.execute(TAKEN, (self._tenant_name, candidate))).fetchone()
                    if taken is None:
                        return candidate
        except psycopg.Error as error:
            raise self._storage_error(error) from error

    # AsyncAgentDirectory: the statements of PostgresStore's directory (adapters._sql), awaited

    async def put_agent(self, agent_id: str, data: Mapping[str, Any]) -> None:
        """See :meth:`AgentDirectory.put_agent`."""
        text = storable_agent(agent_id, data, keepable=self._keepable, database="PostgreSQL")
        await self._change(psycopg_statement(PUT_AGENT), (self._tenant_name, agent_id, text))

    async def get_agent(self, agent_id: str) -> JSONData:
        """See :meth:`AgentDirectory.get_agent`."""
        row = None
        if self._keepable(agent_id):
            row = await self._row(psycopg_statement(GET_AGENT), (self._tenant_name, agent_id))
        if row is None:
            raise AgentNotFound(agent_id)
        return decode_agent(repr(self), agent_id, row[0])

    async def remove_agent(self, agent_id: str) -> None:
        """See :meth:`AgentDirectory.remove_agent`."""
        removed = 0
        if self._keepable(agent_id):
            removed = await self._change(psycopg_statement(REMOVE_AGENT), (self._tenant_name, agent_id))
        if not removed:
            raise AgentNotFound(agent_id)

    async def list_agents(self) -> list[tuple[str, JSONData]]:
        """See :meth:`AgentDirectory.list_agents`."""
        rows = await self._rows(psycopg_statement(LIST_AGENTS), (self._tenant_name,))
        return [(agent_id, decode_agent(repr(self), agent_id, data)) for agent_id, data in rows]

    async def agent_loads(self) -> dict[str, dict[str, int]]:
        """See :meth:`AgentDirectory.agent_loads`."""
        return agent_loads(await self._rows(psycopg_statement(AGENT_LOADS), (self._tenant_name,)))

    async def close(self) -> None:
        """Close the pool's connections. Closing twice is harmless."""
        await self._pool.close()
