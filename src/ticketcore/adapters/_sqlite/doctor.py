"""Finding the rows of a SQLite store that do not decode, and moving them aside without losing them.

Rows are decoded exactly as the store decodes them (``adapters._common``), so the doctor finds what readers would
meet. A ticket with a bad row is quarantined whole — its events, snapshot and tags — in one transaction: a history
with a hole would be worse than none. The ``quarantine`` table keeps each row verbatim (its columns as a JSON
object), the reason and the time, and :func:`restore` puts them back once they are fixed.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

import attrs

from ticketcore.adapters._common import decode_event, decode_ticket
from ticketcore.errors import CorruptRecord, StorageError

__all__ = ["BadRow", "bad_rows", "quarantine", "restore"]

SOURCES = ("events", "tickets", "ticket_tags")
"""The tables a ticket has rows in (every column of each is kept)."""

QUARANTINE = """
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    tenant TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    row TEXT NOT NULL,
    reason TEXT NOT NULL,
    quarantined_at TEXT NOT NULL
)
"""


@attrs.frozen
class BadRow:
    """A row that does not decode: its table, its tenant and ticket, which row (``key``), and what is wrong."""

    table: str
    tenant: str
    ticket_id: str
    key: str
    problem: str


def _open(path: str | os.PathLike[str]) -> sqlite3.Connection:
    if not os.path.isfile(path):
        raise StorageError(f"no such database: {os.fspath(path)!r}")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        conn.close()
        raise StorageError(f"{os.fspath(path)!r} is not a SQLite database ({error})") from None
    if not {"events", "tickets"} <= tables:
        conn.close()
        raise StorageError(
            f"{os.fspath(path)!r} is not a ticketcore store (it has no events and tickets tables)"
        )
    return conn


@contextmanager
def _transaction(path: str | os.PathLike[str]) -> Iterator[sqlite3.Connection]:
    """One write transaction on the store, the quarantine table made if needed; all of it or nothing."""
    conn = _open(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(QUARANTINE)
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


def bad_rows(path: str | os.PathLike[str]) -> list[BadRow]:
    """Every row of the store at ``path`` that readers could not decode, events first, in stored order."""
    conn = _open(path)
    where = f"SQLiteStore({os.fspath(path)!r})"
    found: list[BadRow] = []
    try:
        for position, tenant, ticket_id, seq, data in conn.execute(
            "SELECT position, tenant, ticket_id, seq, data FROM events ORDER BY position"
        ):
            try:
                decode_event(where, position, str(ticket_id), seq, data)
            except CorruptRecord as error:
                found.append(BadRow("events", tenant, str(ticket_id), f"position {position}", error.problem))
        for tenant, ticket_id, version, data in conn.execute(
            "SELECT tenant, ticket_id, version, data FROM tickets ORDER BY tenant, ticket_id"
        ):
            try:
                decode_ticket(where, str(ticket_id), version, data)
            except CorruptRecord as error:
                found.append(BadRow("tickets", tenant, str(ticket_id), f"version {version}", error.problem))
    finally:
        conn.close()
    return found


def _rows(conn: sqlite3.Connection, table: str, tenant: str, ticket_id: str) -> Iterator[dict[str, object]]:
    cursor = conn.execute(f"SELECT * FROM {table} WHERE tenant = ? AND ticket_id = ?", (tenant, ticket_id))
    names = [column[0] for column in cursor.description]
    for values in cursor:
        yield dict(zip(names, values, strict=True))


def quarantine(path: str | os.PathLike[str], rows: Iterable[BadRow], *, at: datetime) -> int:
    """Move every row of the tickets of ``rows`` into the ``quarantine`` table, in one transaction; the number of
    rows moved. ``at`` (aware) is recorded as the time of the move."""
    tickets: dict[tuple[str, str], str] = {}
    for row in rows:
        tickets.setdefault((row.tenant, row.ticket_id), f"{row.table} {row.key}: {row.problem}")
    moved = 0
    with _transaction(path) as conn:
        for (tenant, ticket_id), reason in tickets.items():
            for table in SOURCES:
                for values in list(_rows(conn, table, tenant, ticket_id)):
                    conn.execute(
                        "INSERT INTO quarantine (source, tenant, ticket_id, row, reason, quarantined_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (table, tenant, ticket_id, json.dumps(values), reason, at.isoformat()),
                    )
                    moved += 1
                conn.execute(f"DELETE FROM {table} WHERE tenant = ? AND ticket_id = ?", (tenant, ticket_id))
    return moved


def restore(path: str | os.PathLike[str]) -> int:
    """Put every quarantined row back where it came from (after fixing it in the ``row`` column), in one
    transaction; the number of rows restored. A ticket written again meanwhile refuses the whole restore."""
    restored = 0
    with _transaction(path) as conn:
        for ident, source, text in conn.execute(
            "SELECT id, source, row FROM quarantine ORDER BY id"
        ).fetchall():
            values = json.loads(text)
            if source not in SOURCES or not isinstance(values, dict):
                raise StorageError(
                    f"quarantine row {ident} names no table a ticket has rows in; fix or delete it"
                )
            columns = {column for _, column, *_ in conn.execute(f"PRAGMA table_info({source})")}
            names = list(values)
            if not set(names) <= columns:
                raise StorageError(
                    f"quarantine row {ident} names columns {sorted(set(names) - columns)} that {source} does not "
                    "have; fix or delete it"
                )
            marks = ", ".join("?" * len(names))
            try:
                conn.execute(
                    f"INSERT INTO {source} ({', '.join(names)}) VALUES ({marks})",
                    [values[name] for name in names],
                )
            except sqlite3.Error as error:
                raise StorageError(
                    f"quarantine row {ident} cannot go back into {source} ({error}); nothing was restored"
                ) from None
            conn.execute("DELETE FROM quarantine WHERE id = ?", (ident,))
            restored += 1
    return restored
