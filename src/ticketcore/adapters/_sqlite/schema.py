"""The SQLite schema, as numbered migration steps (private to ``ticketcore.adapters.sqlite``).

``PRAGMA user_version`` records how many steps a file has had. Opening a file runs the missing steps in one
``BEGIN IMMEDIATE`` transaction, so two processes opening a new file at once migrate it exactly once. Steps are never
edited after release; a change to the schema is a new step appended to :data:`MIGRATIONS`.
"""

from __future__ import annotations

import sqlite3

from ticketcore.errors import StorageError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: events, snapshots, tags, id counters, agents.
    (
        """
        CREATE TABLE events (
            position INTEGER PRIMARY KEY,
            tenant TEXT NOT NULL,
            ticket_id TEXT NOT NULL,
            seq INTEGER NOT NULL CHECK (seq >= 1),
            data TEXT NOT NULL,
            UNIQUE (tenant, ticket_id, seq)
        )
        """,
        "CREATE INDEX events_by_tenant ON events (tenant, position)",
        """
        CREATE TABLE tickets (
            tenant TEXT NOT NULL,
            ticket_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            status TEXT NOT NULL,
            category TEXT NOT NULL,
            priority INTEGER,
            assignee TEXT,
            grp TEXT,
            created_us INTEGER NOT NULL,
            updated_us INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (tenant, ticket_id)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX tickets_by_created ON tickets (tenant, created_us, ticket_id)",
        """
        CREATE TABLE ticket_tags (
            tenant TEXT NOT NULL,
            tag TEXT NOT NULL,
            ticket_id TEXT NOT NULL,
            PRIMARY KEY (tenant, tag, ticket_id)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE counters (
            tenant TEXT NOT NULL PRIMARY KEY,
            next_ticket INTEGER NOT NULL
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE agents (
            tenant TEXT NOT NULL,
            agent_id TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (tenant, agent_id)
        ) WITHOUT ROWID
        """,
    ),
    # 2: the indexes behind the commonest queues (by status, by assignee) and agent loads.
    (
        "CREATE INDEX tickets_by_status ON tickets (tenant, status, created_us, ticket_id)",
        "CREATE INDEX tickets_by_assignee ON tickets (tenant, assignee, category)",
    ),
    # 3: the channel as a column, for per-channel agent loads; filled in from the snapshots already stored.
    (
        "ALTER TABLE tickets ADD COLUMN channel TEXT NOT NULL DEFAULT 'email'",
        "UPDATE tickets SET channel = json_extract(data, '$.channel') WHERE json_valid(data) "
        "AND json_type(data, '$.channel') = 'text'",
    ),
    # 4: the paging index covers every filter column, so find() reads rows only for the tickets it returns.
    (
        "DROP INDEX tickets_by_created",
        "CREATE INDEX tickets_by_created ON tickets "
        "(tenant, created_us, ticket_id, status, category, priority, assignee, grp)",
    ),
    # 5: the due index. Tickets stored before it are due at their last update: the next scheduler run looks at
    # each once and sets its real instant (or HelpDesk.reschedule() does it ahead of time).
    (
        "ALTER TABLE tickets ADD COLUMN due_us INTEGER",
        "UPDATE tickets SET due_us = updated_us",
        "CREATE INDEX tickets_by_due ON tickets (tenant, due_us, ticket_id) WHERE due_us IS NOT NULL",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
"""The ``PRAGMA user_version`` of a file this version of ticketcore has fully migrated."""


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Bring the file behind ``conn`` (in autocommit mode) to :data:`SCHEMA_VERSION`; return the version found.

    A file from a newer ticketcore is refused rather than guessed at.
    """
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found == SCHEMA_VERSION:
        return found
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated between our first look and taking the write lock.
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if found > SCHEMA_VERSION:
            raise StorageError(
                f"{path!r} has ticketcore storage schema {found}, newer than the {SCHEMA_VERSION} this version "
                "knows; upgrade ticketcore to open it"
            )
        for step in MIGRATIONS[found:]:
            for statement in step:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found
