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
        # The whole append as one statement, so it costs one round trip whatever the driver: the tenant lock first
        # (see ticketcore.adapters.postgres on commit order), then the events in batch order, then the snapshot.
        # Each statement of a volatile function sees the commits made before it started, so the UPDATE acts on
        # the latest row; a writer that got there first already holds the first seq, and the unique key refuses
        # the whole statement. Tables are found through the schema the function was made in. The batch's JSON
        # texts (consecutive seqs from first_seq) and the tags come as JSON arrays: far cheaper for the driver to
        # send than SQL arrays.
        """
        CREATE FUNCTION append_events(
            lock_space INTEGER, lock_name TEXT, p_tenant TEXT, p_ticket_id TEXT, first_seq INTEGER, texts JSON,
            is_new BOOLEAN, p_version INTEGER, p_status TEXT, p_category TEXT, p_priority INTEGER,
            p_assignee TEXT, p_grp TEXT, p_channel TEXT, p_tags JSON, p_created_us BIGINT, p_updated_us BIGINT,
            p_data TEXT
        ) RETURNS VOID LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $fn$
        BEGIN
            PERFORM pg_advisory_xact_lock(lock_space, hashtext(lock_name));
            INSERT INTO events (tenant, ticket_id, seq, data)
                SELECT p_tenant, p_ticket_id, first_seq + b.n - 1, b.d
                FROM json_array_elements_text(texts) WITH ORDINALITY AS b (d, n) ORDER BY b.n;
            IF is_new THEN
                INSERT INTO tickets (tenant, ticket_id, version, status, category, priority, assignee, grp,
                    channel, tags, created_us, updated_us, data)
                VALUES (p_tenant, p_ticket_id, p_version, p_status, p_category, p_priority, p_assignee, p_grp,
                    p_channel, ARRAY(SELECT json_array_elements_text(p_tags)), p_created_us, p_updated_us, p_data);
            ELSE
                UPDATE tickets SET version = p_version, status = p_status, category = p_category,
                    priority = p_priority, assignee = p_assignee, grp = p_grp, channel = p_channel,
                    tags = ARRAY(SELECT json_array_elements_text(p_tags)),
                    updated_us = p_updated_us, data = p_data
                WHERE tenant = p_tenant AND ticket_id = p_ticket_id;
            END IF;
        END
        $fn$
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
    # 2: the due index, and the append that writes the due instant with the snapshot. Tickets stored before it are
    # due at their last update: the next scheduler run looks at each once and sets its real instant.
    (
        "ALTER TABLE tickets ADD COLUMN due_us BIGINT",
        "UPDATE tickets SET due_us = updated_us",
        "CREATE INDEX tickets_by_due ON tickets (tenant, due_us, ticket_id) WHERE due_us IS NOT NULL",
        "DROP FUNCTION append_events(INTEGER, TEXT, TEXT, TEXT, INTEGER, JSON, BOOLEAN, INTEGER, TEXT, TEXT, "
        "INTEGER, TEXT, TEXT, TEXT, JSON, BIGINT, BIGINT, TEXT)",
        """
        CREATE FUNCTION append_events(
            lock_space INTEGER, lock_name TEXT, p_tenant TEXT, p_ticket_id TEXT, first_seq INTEGER, texts JSON,
            is_new BOOLEAN, p_version INTEGER, p_status TEXT, p_category TEXT, p_priority INTEGER,
            p_assignee TEXT, p_grp TEXT, p_channel TEXT, p_tags JSON, p_created_us BIGINT, p_updated_us BIGINT,
            p_due_us BIGINT, p_data TEXT
        ) RETURNS VOID LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $fn$
        BEGIN
            PERFORM pg_advisory_xact_lock(lock_space, hashtext(lock_name));
            INSERT INTO events (tenant, ticket_id, seq, data)
                SELECT p_tenant, p_ticket_id, first_seq + b.n - 1, b.d
                FROM json_array_elements_text(texts) WITH ORDINALITY AS b (d, n) ORDER BY b.n;
            IF is_new THEN
                INSERT INTO tickets (tenant, ticket_id, version, status, category, priority, assignee, grp,
                    channel, tags, created_us, updated_us, due_us, data)
                VALUES (p_tenant, p_ticket_id, p_version, p_status, p_category, p_priority, p_assignee, p_grp,
                    p_channel, ARRAY(SELECT json_array_elements_text(p_tags)), p_created_us, p_updated_us,
                    p_due_us, p_data);
            ELSE
                UPDATE tickets SET version = p_version, status = p_status, category = p_category,
                    priority = p_priority, assignee = p_assignee, grp = p_grp, channel = p_channel,
                    tags = ARRAY(SELECT json_array_elements_text(p_tags)),
                    updated_us = p_updated_us, due_us = p_due_us, data = p_data
                WHERE tenant = p_tenant AND ticket_id = p_ticket_id;
            END IF;
        END
        $fn$
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
