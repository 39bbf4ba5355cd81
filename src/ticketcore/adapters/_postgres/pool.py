"""A small, bounded connection pool for ``ticketcore.adapters.postgres`` (private).

Why not ``psycopg_pool``: a store needs only "lend me a connection, take it back", and one more dependency is a cost
every user of the ``[postgres]`` extra would pay. This pool opens connections on demand, keeps at most ``size`` of
them, makes a thread wait (up to ``timeout`` seconds) when all are lent, and throws away any connection that comes
back broken or inside a transaction. Connections are in autocommit mode (a read is one statement, one snapshot); writes
open an explicit READ COMMITTED transaction, whatever the server's default isolation level.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import pq, sql

from ticketcore.errors import StorageError

__all__ = ["Pool"]


class Pool:
    """At most ``size`` connections to ``conninfo``, each with ``search_path`` set to ``schema``."""

    def __init__(
        self, conninfo: str, *, schema: str, size: int, timeout: float, describe: str, **connect_args: Any
    ) -> None:
        self._conninfo = conninfo
        self._schema = schema
        self._size = size
        self._timeout = timeout
        self._describe = describe
        self._connect_args = connect_args
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[psycopg.Connection[Any]] = []
        self._closed = False
        self._pid = os.getpid()

    def _open(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True, **self._connect_args)
        except psycopg.Error as error:
            raise StorageError(f"{self._describe}: cannot connect: {error}".rstrip()) from error
        try:
            conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
            # Autocommit statements (an append is one) get the session's default isolation, not the one above.
            conn.execute(
                sql.SQL(
                    "SET search_path TO {}; SET default_transaction_isolation TO 'read committed'"
                ).format(sql.Identifier(self._schema))
            )
        except psycopg.Error as error:
            conn.close()
            raise StorageError(f"{self._describe}: cannot set up a new connection: {error}") from error
        return conn

    def _check_process(self) -> None:
        # A forked child must never talk on its parent's sockets (nor close them: that would end the parent's
        # sessions); it forgets them and opens its own.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._idle = []
            self._slots = threading.BoundedSemaphore(self._size)

    @contextmanager
    def connection(self) -> Iterator[tuple[psycopg.Connection[Any], bool]]:
        """Lend a connection, with whether it was just opened (a reused one may have gone stale meanwhile)."""
        with self._lock:
            if self._closed:
                raise StorageError(f"{self._describe} is closed; make a new store to keep working")
            self._check_process()
            slots = self._slots
        if not slots.acquire(timeout=self._timeout):
            raise StorageError(
                f"{self._describe}: all {self._size} connections stayed busy for {self._timeout} s; "
                "raise pool_size, or hold fewer stream() iterators open"
            )
        try:
            conn = self._take_idle()
            fresh = conn is None
            if conn is None:
                conn = self._open()
            try:
                yield conn, fresh
            finally:
                self._give_back(conn)
        finally:
            slots.release()

    def _take_idle(self) -> psycopg.Connection[Any] | None:
        """The most recently used idle connection that still looks alive, or ``None``."""
        while True:
            with self._lock:
                if not self._idle:
                    return None
                conn = self._idle.pop()
            # An idle session has nothing to say: a readable socket means the server ended it (a restart, an
            # administrator, an idle timeout) and sent its farewell or closed the socket. Checking costs no round trip.
            try:
                alive = not select.select([conn.fileno()], [], [], 0)[0]
            except (OSError, ValueError, psycopg.Error):
                alive = False
            if alive:
                return conn
            conn.close()

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        healthy = not conn.closed and conn.info.transaction_status == pq.TransactionStatus.IDLE
        with self._lock:
            if healthy and not self._closed and self._pid == os.getpid():
                self._idle.append(conn)
                return
        if not conn.closed:
            conn.close()

    def discard_idle(self) -> None:
        """Close every idle connection: one was found dropped by the server, so the others likely were too."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def close(self) -> None:
        """Close the idle connections now; lent ones are closed when they come back. Closing twice is harmless."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            own = self._pid == os.getpid()
        if own:
            for conn in idle:
                conn.close()
