"""The PostgreSQL storage adapter (``pip install 'ticketcore[postgres]'``, psycopg 3).

``PostgresStore("host=db dbname=desk", tenant="acme")`` creates its schema (``ticketcore`` by default) and tables
if needed, through numbered migration steps recorded in a ``schema_version`` table. Events are stored as JSON text
(``ticketcore.codec.dump``) in an ``events`` table whose unique key is ``(tenant, ticket_id, seq)``; the ticket's
snapshot is written in the same transaction, so a reader sees a batch whole or not at all. That unique key is also the
version check: a writer that got there first took seq ``expected_version + 1``, so a late one's transaction fails
whole and becomes :class:`ConcurrencyError`. An append is one round trip (one function call) in the common case.

Commit order: an event's stream position is a ``BIGINT`` identity. Identity values are handed out when a row is
inserted, not when its transaction commits, so two concurrent transactions could commit their positions out of order
and a reader resuming ``stream(after=p)`` would miss the one that committed later with the smaller position. Every
append (and :meth:`PostgresStore.next_ticket_id`) therefore first takes a transaction-level advisory lock on its
tenant: one append transaction per tenant at a time, positions drawn and committed in the same order, and the lock
released only after the commit is visible. Other tenants are not held up; a ``LOCK TABLE`` would have stopped them
too, and a per-tenant counter row would serialize exactly the same way with one more table to keep.

Concurrency: the store lends connections from a small pool (at most ``pool_size``), so it is safe to share between
threads; several stores and several processes may use one database. A stale expected version raises
:class:`ConcurrencyError` and writes nothing; psycopg's errors become :class:`StorageError` (or
:class:`CorruptRecord` for a row that cannot be decoded), never escape raw.
"""

from __future__ import annotations

try:
    import psycopg
except ImportError as _missing:  # pragma: no cover (a test hides psycopg to check it)
    from ticketcore.errors import MissingExtra

    raise MissingExtra("PostgresStore", "postgres", ["psycopg"]) from _missing

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from psycopg import errors as pg_errors

from ticketcore.adapters._common import TicketCache, check_tenant, check_ticket_id
from ticketcore.adapters._postgres.pool import Pool
from ticketcore.adapters._postgres.schema import APPEND_LOCK, migrate
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
from ticketcore.adapters._sql import SQLStore
from ticketcore.errors import (
    ConcurrencyError,
    ConfigError,
    InvalidEvent,
    StorageError,
    TicketNotFound,
)
from ticketcore.model import Event, Ticket
from ticketcore.repositories import (
    TICKET_ID_PREFIX,
    Page,
    TicketQuery,
    check_batch,
    check_query,
    check_ticket_key,
)

__all__ = ["PostgresStore"]

T = TypeVar("T")
Connection = psycopg.Connection[Any]

_CACHE_SIZE = 4_096


class PostgresStore(SQLStore):
    """A :class:`~ticketcore.repositories.TicketStore` and :class:`~ticketcore.repositories.AgentDirectory` in PostgreSQL.

    ``conninfo`` is a libpq connection string (``"host=db dbname=desk user=app"``) or URL
    (``"postgresql://app@db/desk"``); ``connect_args`` are passed on to ``psycopg.connect`` (``password=``,
    ``sslmode=`` …), and secrets never appear in messages. ``schema`` is the PostgreSQL schema that holds the tables
    (created if missing; several tenants share one schema). ``pool_size`` bounds the connections the store opens;
    a thread that finds them all busy waits up to ``pool_timeout`` seconds, then gets :class:`StorageError`.
    """

    _database = "PostgreSQL"

    def __init__(
        self,
        conninfo: str,
        *,
        tenant: str = "default",
        schema: str = "ticketcore",
        pool_size: int = 4,
        pool_timeout: float = 30.0,
        connect_timeout: int = 10,
        connect_args: Mapping[str, Any] | None = None,
    ) -> None:
        self._tenant_name = check_tenant(tenant)
        if not isinstance(conninfo, str):
            raise ConfigError(
                f"conninfo is a connection string such as 'host=db dbname=desk', got {conninfo!r}", "conninfo"
            )
        if not isinstance(schema, str) or not schema or not storable(schema) or len(schema.encode()) > 63:
            raise ConfigError(
                f"a schema name is a non-empty string of at most 63 bytes (e.g. 'ticketcore'), got {schema!r}",
                "schema",
            )
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise ConfigError(f"pool_size is a positive integer, got {pool_size!r}", "pool_size")
        if not storable(tenant):
            raise ConfigError(
                f"PostgreSQL cannot store the tenant name {tenant!r} (NUL or invalid text)", "tenant"
            )
        self._where = describe(conninfo)
        self._schema = schema
        self._lock_name = f"{schema}/{tenant}"
        self._pool = Pool(
            conninfo,
            schema=schema,
            size=pool_size,
            timeout=pool_timeout,
            describe=repr(self),
            connect_timeout=connect_timeout,
            **dict(connect_args or {}),
        )
        self._cache = TicketCache(_CACHE_SIZE)
        try:
            self._read(lambda conn: migrate(conn, schema, repr(self)))
        except BaseException:
            self._pool.close()
            raise

    def __repr__(self) -> str:
        return f"PostgresStore({self._where!r}, tenant={self._tenant_name!r}, schema={self._schema!r})"

    @property
    def schema(self) -> str:
        """The PostgreSQL schema that holds this store's tables."""
        return self._schema

    # connections and transactions

    def _read(self, action: Callable[[Connection], T]) -> T:
        """Run ``action`` (autocommit statements) with driver errors translated.

        A pooled connection the server has dropped meanwhile (a restart, an idle timeout) is replaced once.
        """
        return self._attempt(action, transaction=False)

    def _write(self, body: Callable[[Connection], T]) -> T:
        """Run ``body`` in one READ COMMITTED transaction: committed if it returns, rolled back if it raises.

        A dropped connection is replaced and the transaction retried once, but only if the failure came before the
        commit was sent: after that, whether it committed is unknown, and the caller is told so.
        """
        return self._attempt(body, transaction=True)

    def _attempt(self, action: Callable[[Connection], T], *, transaction: bool) -> T:
        for attempt in range(2):
            committing = False
            with self._pool.connection() as (conn, fresh):
                try:
                    if not transaction:
                        return action(conn)
                    with conn.transaction():
                        result = action(conn)
                        committing = True
                    return result
                except psycopg.OperationalError as error:
                    if committing:
                        raise StorageError(
                            f"{self!r}: the connection failed while committing, so whether the write was "
                            f"saved is unknown; read the data back before retrying ({error})"
                        ) from error
                    if not conn.broken or fresh or attempt:
                        raise self._storage_error(error) from error
                    self._pool.discard_idle()
                except psycopg.Error as error:
                    raise self._storage_error(error) from error
        raise AssertionError("unreachable")  # pragma: no cover

    def _storage_error(self, error: psycopg.Error) -> StorageError:
        text = str(error).strip() or type(error).__name__
        return StorageError(f"{self!r}: {type(error).__name__}: {text}")

    def _lock_tenant(self, conn: Connection) -> None:
        conn.execute(LOCK_TENANT, (APPEND_LOCK, self._lock_name))

    # the hooks of SQLStore

    def _sql(self, statement: str) -> str:
        return psycopg_statement(statement)

    def _fetch_all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        return self._read(lambda conn: conn.execute(sql, params).fetchall())

    def _fetch_one(self, sql: str, params: Sequence[Any]) -> Any:
        return self._read(lambda conn: conn.execute(sql, params).fetchone())

    def _change(self, sql: str, params: Sequence[Any]) -> int:
        return self._write(lambda conn: conn.execute(sql, params).rowcount)

    def _keepable(self, key: object) -> bool:
        return isinstance(key, str) and storable(key)

    def close(self) -> None:
        """Close this store's connections. Closing twice is harmless."""
        self._pool.close()

    # TicketStore

    def append(
        self, ticket_id: str, events: Sequence[Event], expected_version: int, *, due: datetime | None = None
    ) -> int:
        """See :meth:`TicketStore.append`.

        One round trip in the common case: the current snapshot comes from this store's cache when it is at
        ``expected_version`` (a new ticket needs none), and the lock, the events and the snapshot are one call of
        the schema's ``append_events`` function, committed as it returns. A writer that got there first has taken
        seq ``expected_version + 1``, so the unique key refuses the whole call, and the conflict is reported with
        the version actually stored.
        """
        batch = check_batch(events)
        check_ticket_id(ticket_id)
        if not storable(ticket_id):
            raise InvalidEvent(f"PostgreSQL cannot store the ticket id {ticket_id!r} (NUL or invalid text)")
        current = self._current(ticket_id, expected_version)
        ticket, params = append_params(
            ticket_id,
            current,
            batch,
            expected_version,
            due=due,
            tenant=self._tenant_name,
            lock=(APPEND_LOCK, self._lock_name),
        )

        def body(conn: Connection) -> None:
            conn.execute(APPEND, params)

        try:
            self._append_once(body, ticket_id, batch, expected_version)
        except pg_errors.UniqueViolation:
            raise ConcurrencyError(ticket_id, expected_version, self._version(ticket_id)) from None
        except psycopg.DataError as error:
            raise InvalidEvent(
                f"holds a value PostgreSQL cannot store: {error}", ticket_id=ticket_id
            ) from None
        self._cache.remember(ticket)
        return ticket.version

    def _current(self, ticket_id: str, expected_version: int) -> Ticket | None:
        """The snapshot to append to: the cached one if it is at ``expected_version``, otherwise the stored one."""
        cached = self._cache.get(ticket_id)
        if cached is not None and cached.version == expected_version:
            return cached
        if cached is None and expected_version == 0:
            return None  # a new ticket, we trust; the unique key refuses the append if it was not
        row = self._read(lambda conn: conn.execute(CURRENT, (self._tenant_name, ticket_id)).fetchone())
        return None if row is None else self._ticket(ticket_id, row[0], row[1])

    def _version(self, ticket_id: str) -> int:
        row = self._read(lambda conn: conn.execute(VERSION, (self._tenant_name, ticket_id)).fetchone())
        return 0 if row is None else int(row[0])

    def _append_once(
        self, body: Callable[[Connection], None], ticket_id: str, batch: list[Event], expected_version: int
    ) -> None:
        """Run the append transaction; if the connection fails meanwhile, find out whether it was saved.

        The call commits as it returns, so after a failure the outcome is unknown until the
        events are read back (they are unique by seq): all there means saved; none there means not saved, and the
        append is tried once more (should the lost attempt still commit, the retry meets the unique key: a
        conflict, never a duplicate).
        """
        for attempt in range(2):
            with self._pool.connection() as (conn, _):
                try:
                    body(conn)
                    return
                except (pg_errors.UniqueViolation, psycopg.DataError):
                    raise
                except psycopg.OperationalError as error:
                    if not conn.broken:
                        raise self._storage_error(error) from error
                    failure: psycopg.Error = error
                except psycopg.Error as error:
                    raise self._storage_error(error) from error
            stored = self.events(ticket_id, after=expected_version)[: len(batch)]
            if stored == batch:
                return
            if stored:
                raise ConcurrencyError(ticket_id, expected_version, self._version(ticket_id))
            if attempt:
                raise StorageError(
                    f"{self!r}: the connection failed twice during the append to {ticket_id!r}, which was not "
                    f"saved (checked); retry later ({failure})"
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, ticket_id: str) -> Ticket:
        """See :meth:`TicketStore.get`. The snapshot's JSON is sent only when this store's cached copy is stale."""
        check_ticket_key(ticket_id)
        cached = self._cache.get(ticket_id)
        known = -1 if cached is None else cached.version
        row = None
        if storable(ticket_id):
            row = self._read(lambda conn: conn.execute(GET, (known, self._tenant_name, ticket_id)).fetchone())
        if row is None:
            raise TicketNotFound(ticket_id)
        if cached is not None and row[0] == cached.version:
            return cached
        return self._ticket(ticket_id, row[0], row[1])

    def find(self, query: TicketQuery) -> Page:
        """See :meth:`TicketStore.find`."""
        sql, params = find_sql(self._tenant_name, check_query(query))
        # Never a prepared statement: its generic plan cannot see how selective this page's values are, and picks
        # bitmap scans over whole tenants where the custom plan walks the (created, id) index for one page.
        rows = self._read(lambda conn: conn.execute(sql, params, prepare=False).fetchall())
        return find_page(rows, query.limit, self._ticket)

    def next_ticket_id(self) -> str:
        """See :meth:`TicketStore.next_ticket_id`: a per-tenant counter row, unique across processes."""

        def body(conn: Connection) -> str:
            # Under the tenant lock, no append can create the candidate between our check and our commit.
            self._lock_tenant(conn)
            while True:
                row = conn.execute(NEXT_TICKET, (self._tenant_name,)).fetchone()
                assert row is not None
                candidate = f"{TICKET_ID_PREFIX}{row[0]}"
                taken = conn.execute(TAKEN, (self._tenant_name, candidate)).fetchone()
                if taken is None:
                    return candidate

        return self._write(body)
