"""The PostgreSQL schema, as numbered migration steps (private to ``ticketcore.adapters.postgres``).

The one-row table ``schema_version`` records how many steps a schema has had. Opening a store runs the
missing steps in one transaction that first takes a transaction-level advisory lock on the schema's name, so two
processes opening a new database at once migrate it exactly once (PostgreSQL's DDL is transactional: a failed step
leaves nothing behind). Steps are never edited after release; a change is a new step appended to :data:`MIGRATIONS`.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors, sql

from ticketcore.errors import StorageError

__all__ = ["APPEND_LOCK", "MIGRATE_LOCK", "MIGRATIONS", "SCHEMA_VERSION", "migrate"]

MIGRATE_LOCK = 0x7463_0001
"""The first key of the advisory lock that serializes migrations (the second is ``hashtext(schema)``)."""

APPEND_LOCK = 0x7463_0002
"""The first key of the per-tenant advisory lock every append takes (the second is ``hashtext(schema/tenant)``)."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: events, snapshots, id counters, agents. Ids and tags sort in code-point order (COLLATE "C"), as Python
    # compares strings, so keyset paging agrees with ``repositories.order_key`` whatever the database's locale.
    (
        """
        CREATE TABLE events (
            position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            tenant TEXT COLLATE "C" NOT NULL,
            ticket_id TEXT COLLATE "C" NOT NULL,
            seq INTEGER NOT NULL CHECK (seq >= 1),
            data TEXT NOT NULL,
            UNIQUE (tenant, ticket_id, seq)
        )
        """,
        "CREATE INDEX events_by_tenant ON events (tenant, position)",
        """
        CREATE TABLE tickets (
            tenant TEXT COLLATE "C" NOT NULL,
            ticket_id TEXT COLLATE "C" NOT NULL,
            version INTEGER NOT NULL,
            status TEXT COLLATE "C" NOT NULL,
            category TEXT COLLATE "C" NOT NULL,
            priority INTEGER,
            assignee TEXT COLLATE "C",
            grp TEXT COLLATE "C",
            channel TEXT COLLATE "C" NOT NULL,
            tags TEXT[] COLLATE "C" NOT NULL,
            created_us BIGINT NOT NULL,
            updated_us BIGINT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (tenant, ticket_id)
        )
        """,
        "CREATE INDEX tickets_by_created ON tickets (tenant, created_us, ticket_id)",
        "CREATE INDEX tickets_by_status ON tickets (tenant, status, created_us, ticket_id)",
        "CREATE INDEX tickets_by_assignee ON tickets (tenant, assignee, category)",
        "CREATE INDEX tickets_by_tags ON tickets USING GIN (tags)",
        """
        CREATE TABLE counters (
            tenant TEXT COLLATE "C" PRIMARY KEY,
            next_ticket BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE agents (
            tenant TEXT COLLATE "C" NOT NULL,
            agent_id TEXT COLLATE "C" NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (tenant, agent_id)
        )
        """,
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
"""The version recorded in ``schema_version`` once this version of ticketcore has fully migrated."""


def migrate(conn: psycopg.Connection[Any], schema: str, where: str) -> int:
    """Bring ``schema`` (created if missing) to :data:`SCHEMA_VERSION`; return the version found.

    ``conn`` is in autocommit mode and its ``search_path`` is ``schema``. A schema from a newer ticketcore is refused
    rather than guessed at; ``where`` names the database in that message.
    """
    try:
        # The common case, one statement and no lock: the schema is already up to date.
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is not None and int(row[0]) == SCHEMA_VERSION:
            return SCHEMA_VERSION
    except (errors.UndefinedTable, errors.InvalidSchemaName):
        pass
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (MIGRATE_LOCK, schema))
        # Only when missing: CREATE SCHEMA checks the CREATE privilege on the database even with IF NOT EXISTS.
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        found = 0 if row is None else int(row[0])
        if found > SCHEMA_VERSION:
            raise StorageError(
                f"{where}: schema {schema!r} has ticketcore storage schema {found}, newer than the "
                f"{SCHEMA_VERSION} this version knows; upgrade ticketcore to open it"
            )
        if found == SCHEMA_VERSION:
            return found
        for step in MIGRATIONS[found:]:
            for statement in step:
                conn.execute(statement)
        if row is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (SCHEMA_VERSION,))
        else:
            conn.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION,))
    return found
