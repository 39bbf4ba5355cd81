"""The embedded default storage adapter: one SQLite file (standard-library ``sqlite3``), shared safely.

``SQLiteStore(path, tenant="acme")`` creates the file and its schema if needed (numbered migration steps, recorded in
``PRAGMA user_version``). Events are stored as JSON (``ticketcore.codec.dump``) in an ``events`` table whose unique
key is ``(tenant, ticket_id, seq)``; each ticket's snapshot, its tags and the events are written in the same
transaction, so a reader — or a process that starts after a crash — sees a batch whole or not at all.

Concurrency: the file is in WAL mode, every thread gets its own connection, and every write runs in
``BEGIN IMMEDIATE`` (one writer at a time, waiting up to ``busy_timeout`` for the lock), so several threads and
several processes may share one file. A stream position is the event's row id, allocated under that write lock, so
positions follow commit order.

Rows that do not decode (written by hand, or by an old version) are found by :func:`bad_rows` and moved aside,
whole tickets at a time and kept verbatim, by :func:`quarantine`; :func:`restore` puts them back
(``ticketcore doctor`` runs them).

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as folder:
...     store = SQLiteStore(pathlib.Path(folder) / "desk.db", tenant="acme")
...     store.next_ticket_id()
...     store.close()
'T-1'
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from ticketcore._time import to_micros
from ticketcore.adapters._common import TicketCache, check_tenant, check_ticket_id, snapshot_columns, to_json
from ticketcore.adapters._sql import SQLStore
from ticketcore.adapters._sqlite.doctor import BadRow, bad_rows, quarantine, restore
from ticketcore.adapters._sqlite.query import find_sql
from ticketcore.adapters._sqlite.schema import migrate
from ticketcore.errors import (
    ConcurrencyError,
    ConfigError,
    CorruptRecord,
    StorageError,
    TicketcoreError,
    TicketNotFound,
)
from ticketcore.model import Event, Ticket
from ticketcore.repositories import (
    TICKET_ID_PREFIX,
    Page,
    Refusal,
    TicketQuery,
    check_append,
    check_batch,
    check_due,
    check_query,
    check_ticket_key,
    encode_cursor,
)

__all__ = ["BadRow", "SQLiteStore", "bad_rows", "quarantine", "restore"]

T = TypeVar("T")

_CACHE_SIZE = 4_096
_BATCHES_PER_WRITE = 500
"""How many tickets' batches ``append_many`` commits in one transaction."""
_BUSY_ATTEMPTS = 3


class SQLiteStore(SQLStore):
    """A :class:`~ticketcore.repositories.TicketStore` and :class:`~ticketcore.repositories.AgentDirectory` in SQLite.

    ``path`` is the database file (created if missing; ``":memory:"`` is refused because each thread would get its
    own empty database). ``busy_timeout`` is how long, in seconds, a write waits for another writer before failing
    with :class:`StorageError`. ``synchronous="NORMAL"`` (the default) survives any crash of the application;
    ``"FULL"`` also survives power loss, at some cost in write speed.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        tenant: str = "default",
        busy_timeout: float = 30.0,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
    ) -> None:
        self._tenant_name = check_tenant(tenant)
        self._path = os.fspath(path)
        if self._path == ":memory:" or self._path.startswith("file::memory:"):
            raise ConfigError(
                "SQLiteStore needs a file: every thread would get its own empty ':memory:' database; "
                "pass a path, or use ticketcore.adapters.memory.MemoryStore",
                "path",
            )
        if synchronous not in ("NORMAL", "FULL"):
            raise ConfigError(f"{synchronous!r} is not a synchronous mode; valid values: 'NORMAL', 'FULL'")
        self._busy_timeout = busy_timeout
        self._synchronous = synchronous
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._cache = TicketCache(_CACHE_SIZE)
        self._closed = False
        self._pid = os.getpid()
        self._run(lambda conn: migrate(conn, self._path))

    def __repr__(self) -> str:
        return f"SQLiteStore({self._path!r}, tenant={self._tenant_name!r})"

    @property
    def path(self) -> Path:
        """The database file."""
        return Path(self._path)

    # connections and transactions

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageError(f"{self!r} is closed; make a new store to keep working")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        # A connection inherited through fork() must never be used by the child; it opens its own.
        conn = sqlite3.connect(
            self._path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
        except BaseException:
            conn.close()
            raise
        self._local.conn = conn
        self._local.pid = os.getpid()
        with self._lock:
            self._connections.append(conn)
        return conn

    def _run(self, action: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read (or a self-contained step) with driver errors translated, retrying while the file is busy."""
        for attempt in range(_BUSY_ATTEMPTS):
            try:
                return action(self._connection())
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or attempt == _BUSY_ATTEMPTS - 1:
                    raise self._storage_error(error) from error
            except sqlite3.Error as error:
                raise self._storage_error(error) from error
            except UnicodeEncodeError as error:
                raise _unstorable(error) from None
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction: committed if the block succeeds, rolled back (writing nothing) if not."""
        conn = self._run(_begin)
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(error, sqlite3.IntegrityError):
                raise StorageError(f"{self!r}: constraint failed: {error}") from error
            if isinstance(error, sqlite3.Error):
                raise self._storage_error(error) from error
            if isinstance(error, UnicodeEncodeError):
                raise _unstorable(error) from None
            raise

    def _storage_error(self, error: sqlite3.Error) -> StorageError:
        if isinstance(error, sqlite3.OperationalError) and _is_busy(error):
            return StorageError(
                f"{self!r}: the database stayed locked by another writer for more than {self._busy_timeout} s; "
                "retry later, or raise busy_timeout"
            )
        return StorageError(f"{self!r}: {type(error).__name__}: {error}")

    # the hooks of SQLStore

    def _fetch_all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        return self._run(lambda conn: conn.execute(sql, params).fetchall())

    def _fetch_one(self, sql: str, params: Sequence[Any]) -> Any:
        return self._run(lambda conn: conn.execute(sql, params).fetchone())

    def _change(self, sql: str, params: Sequence[Any]) -> int:
        with self._write() as conn:
            return conn.execute(sql, params).rowcount

    def close(self) -> None:
        """Close every connection this store opened (in any thread). Closing twice is harmless."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()

    def _stored(self, conn: sqlite3.Connection, ticket_id: str) -> Ticket | None:
        """The stored snapshot; the row's JSON is read and decoded only when the cached one is not current."""
        row = conn.execute(
            "SELECT version FROM tickets WHERE tenant = ? AND ticket_id = ?", (self._tenant_name, ticket_id)
        ).fetchone()
        if row is None:
            return None
        cached = self._cache.get(ticket_id)
        if cached is not None and cached.version == row[0]:
            return cached
        row = conn.execute(
            "SELECT version, data FROM tickets WHERE tenant = ? AND ticket_id = ?",
            (self._tenant_name, ticket_id),
        ).fetchone()
        return None if row is None else self._ticket(ticket_id, row[0], row[1])

    # TicketStore

    def append(
        self, ticket_id: str, events: Sequence[Event], expected_version: int, *, due: datetime | None = None
    ) -> int:
        """See :meth:`TicketStore.append`."""
        batch = check_batch(events)
        check_ticket_id(ticket_id)
        with self._write() as conn:
            ticket = self._append_in(conn, ticket_id, batch, expected_version, due)
        self._cache.remember(ticket)
        return ticket.version

    def append_many(self, batches: Iterable[tuple[str, Sequence[Event], int]]) -> list[Refusal | None]:
        """See :meth:`BatchAppender.append_many`: up to 500 batches a transaction, each in its own savepoint."""
        results: list[Refusal | None] = []
        pending = iter(batches)
        while chunk := list(itertools.islice(pending, _BATCHES_PER_WRITE)):
            written: list[Ticket] = []
            with self._write() as conn:
                for ticket_id, events, expected_version in chunk:
                    conn.execute("SAVEPOINT batch")
                    try:
                        batch = check_batch(events)
                        check_ticket_id(ticket_id)
                        ticket = self._append_in(conn, ticket_id, batch, expected_version, None)
                    except (TicketcoreError, UnicodeEncodeError) as error:
                        conn.execute("ROLLBACK TO batch")
                        refusal = _unstorable(error) if isinstance(error, UnicodeEncodeError) else error
                        if isinstance(refusal, StorageError):
                            raise
                        results.append(refusal)
                    else:
                        written.append(ticket)
                        results.append(None)
                    conn.execute("RELEASE batch")
            for ticket in written:
                self._cache.remember(ticket)
        return results

    def _append_in(
        self,
        conn: sqlite3.Connection,
        ticket_id: str,
        batch: list[Event],
        expected_version: int,
        due: datetime | None,
    ) -> Ticket:
        """Write one checked batch inside the caller's write transaction; the new snapshot."""
        current = self._stored(conn, ticket_id)
        ticket = check_append(ticket_id, current, batch, expected_version)
        due_us = check_due(due, ticket.updated_at)
        rows = [(self._tenant_name, ticket_id, e.seq, to_json(e, ensure_ascii=True)) for e in batch]
        snapshot = to_json(ticket, ensure_ascii=True)
        try:
            conn.executemany("INSERT INTO events (tenant, ticket_id, seq, data) VALUES (?, ?, ?, ?)", rows)
        except sqlite3.IntegrityError:
            # Only a writer that bypassed the version check can get here; report it as the conflict it is.
            raise ConcurrencyError(ticket_id, expected_version, expected_version + 1) from None
        columns = (*snapshot_columns(ticket), to_micros(ticket.updated_at), due_us, snapshot)
        if current is None:
            conn.execute(
                "INSERT INTO tickets (version, status, category, priority, assignee, grp, channel, updated_us, "
                "due_us, data, tenant, ticket_id, created_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*columns, self._tenant_name, ticket_id, to_micros(ticket.created_at)),
            )
        else:
            # An UPDATE (not a REPLACE) leaves alone the indexes whose columns did not change.
            conn.execute(
                "UPDATE tickets SET version = ?, status = ?, category = ?, priority = ?, assignee = ?, grp = ?, "
                "channel = ?, updated_us = ?, due_us = ?, data = ? WHERE tenant = ? AND ticket_id = ?",
                (*columns, self._tenant_name, ticket_id),
            )
        old_tags = frozenset() if current is None else current.tags
        if ticket.tags != old_tags:
            conn.executemany(
                "DELETE FROM ticket_tags WHERE tenant = ? AND tag = ? AND ticket_id = ?",
                [(self._tenant_name, tag, ticket_id) for tag in old_tags - ticket.tags],
            )
            conn.executemany(
                "INSERT INTO ticket_tags (tenant, tag, ticket_id) VALUES (?, ?, ?)",
                [(self._tenant_name, tag, ticket_id) for tag in ticket.tags - old_tags],
            )
        return ticket

    def get(self, ticket_id: str) -> Ticket:
        """See :meth:`TicketStore.get`."""
        check_ticket_key(ticket_id)
        ticket = self._run(lambda conn: self._stored(conn, ticket_id))
        if ticket is None:
            raise TicketNotFound(ticket_id)
        return ticket

    def find(self, query: TicketQuery) -> Page:
        """See :meth:`TicketStore.find`."""
        sql, params = find_sql(self._tenant_name, check_query(query))
        rows, tickets, corrupt = self._run(lambda conn: self._page(conn, sql, params, query.limit))
        more = len(rows) > query.limit
        last = rows[query.limit - 1] if more else None
        return Page(tickets, encode_cursor((last[1], last[0])) if last is not None else None, corrupt)

    def _page(
        self, conn: sqlite3.Connection, sql: str, params: list[Any], limit: int
    ) -> tuple[list[Any], tuple[Ticket, ...], tuple[CorruptRecord, ...]]:
        conn.execute("BEGIN")  # one read snapshot for the keys and the snapshots they name
        found: list[Ticket] = []
        corrupt: list[CorruptRecord] = []
        try:
            rows = conn.execute(sql, params).fetchall()
            for ticket_id, _ in rows[:limit]:
                try:
                    ticket = self._stored(conn, ticket_id)
                except CorruptRecord as error:
                    corrupt.append(error)  # reported with the page; the other tickets are still read
                    continue
                if ticket is not None:
                    found.append(ticket)
        finally:
            conn.execute("COMMIT")
        return rows, tuple(found), tuple(corrupt)

    def next_ticket_id(self) -> str:
        """See :meth:`TicketStore.next_ticket_id`: a per-tenant counter in the file, so unique across processes."""
        with self._write() as conn:
            while True:
                (number,) = conn.execute(
                    "INSERT INTO counters (tenant, next_ticket) VALUES (?, 1) ON CONFLICT (tenant) "
                    "DO UPDATE SET next_ticket = next_ticket + 1 RETURNING next_ticket",
                    (self._tenant_name,),
                ).fetchone()
                candidate = f"{TICKET_ID_PREFIX}{number}"
                taken = conn.execute(
                    "SELECT 1 FROM tickets WHERE tenant = ? AND ticket_id = ?", (self._tenant_name, candidate)
                ).fetchone()
                if taken is None:
                    return candidate


def _unstorable(error: UnicodeEncodeError) -> ConfigError:
    text = error.object if isinstance(error.object, str) else repr(error.object)
    return ConfigError(
        f"{text!r} cannot be stored or looked up: SQLite keeps UTF-8 text, which has no lone surrogates "
        f"({error.reason} at position {error.start}); decode your input with errors='replace' first"
    )


def _begin(conn: sqlite3.Connection) -> sqlite3.Connection:
    conn.execute("BEGIN IMMEDIATE")
    return conn


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text
