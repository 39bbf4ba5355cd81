"""SQL text and value checks for ``ticketcore.adapters.postgres`` (private).

Kept apart from the store so the store reads as the contract it implements; nothing here talks to a server.
"""

from __future__ import annotations

from typing import Any

import psycopg

from ticketcore.adapters._common import in_clause, time_bounds, value_filters
from ticketcore.errors import ConfigError
from ticketcore.repositories import TicketQuery, decode_cursor

__all__ = [
    "APPEND",
    "describe",
    "find_sql",
    "storable",
]

APPEND = "SELECT append_events(" + ", ".join(["%s"] * 19) + ")"
"""One append (see the ``append_events`` function in ``_postgres.schema``): its 19 arguments in order."""


def storable(text: str) -> bool:
    """Whether PostgreSQL can keep ``text`` in a text column (no NUL character, valid UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def describe(conninfo: str) -> str:
    """Where ``conninfo`` points, without its password or other secrets, for messages and ``repr``."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        raise ConfigError(
            f"{conninfo!r} is not a PostgreSQL connection string; give 'host=… dbname=… user=…' or "
            "'postgresql://user@host/dbname'",
            "conninfo",
        ) from None
    shown = [
        f"{key}={parts[key]}" for key in ("host", "port", "dbname", "user") if parts.get(key) is not None
    ]
    return " ".join(shown) or "(libpq defaults)"


def find_sql(tenant: str, query: TicketQuery) -> tuple[str, list[Any]]:
    """The statement and parameters of one :meth:`PostgresStore.find` page (one row more than the limit)."""
    params: list[Any] = [tenant]
    where = ["tenant = %s"]
    for column, values, cast in value_filters(query):
        # A value PostgreSQL cannot store is in no row, so leaving it out changes no answer.
        kept = frozenset(v for v in values if not isinstance(v, str) or storable(v))
        where.append(in_clause(column, kept, params, f"%s::{cast}", "FALSE"))
    if query.tags:
        if not all(storable(tag) for tag in query.tags):
            where.append("FALSE")
        else:
            where.append(f"tags @> ARRAY[{', '.join(['%s::text'] * len(query.tags))}]")
            params.extend(sorted(query.tags))
    for column, op, micros in time_bounds(query):
        where.append(f"{column} {op} %s")
        params.append(micros)
    direction = "DESC" if query.newest_first else "ASC"
    if query.cursor is not None:
        created, after_id = decode_cursor(query.cursor)
        op = "<" if query.newest_first else ">"
        if "\x00" in after_id:
            # No stored id holds NUL: "after 'T\x00x'" is "after 'T'", and "before it" is "up to 'T'".
            after_id = after_id.split("\x00", 1)[0]
            op = "<=" if query.newest_first else ">"
        if not storable(after_id):
            raise ConfigError(
                f"the cursor names ticket id {after_id!r}, which PostgreSQL cannot hold", "cursor"
            )
        where.append(f"(created_us, ticket_id) {op} (%s::bigint, %s::text)")
        params.extend((created, after_id))
    sql = (
        f"SELECT ticket_id, version, data, created_us FROM tickets WHERE {' AND '.join(where)} "
        f"ORDER BY created_us {direction}, ticket_id {direction} LIMIT %s"
    )
    params.append(query.limit + 1)
    return sql, params
