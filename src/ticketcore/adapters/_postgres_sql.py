"""SQL text and value checks for ``ticketcore.adapters.postgres`` (private).

Kept apart from the store so the store reads as the contract it implements; nothing here talks to a server.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg

from ticketcore import codec
from ticketcore._time import to_micros
from ticketcore.errors import ConfigError
from ticketcore.repositories import TicketQuery, decode_cursor

__all__ = ["INSERT_EVENTS", "INSERT_TICKET", "UPDATE_TICKET", "describe", "find_sql", "storable", "to_json"]

INSERT_EVENTS = (
    "INSERT INTO events (tenant, ticket_id, seq, data) SELECT %s, %s, s, d "
    "FROM unnest(%s::integer[], %s::text[]) WITH ORDINALITY AS batch (s, d, n) ORDER BY n"
)
"""A batch of one ticket's events in one statement: tenant, ticket id, the seqs, the JSON texts.

Rows are inserted in batch order, so their positions (an identity column) follow seq order within the batch.
"""

_TICKET_COLUMNS = "version, status, category, priority, assignee, grp, channel, tags, updated_us, data"

INSERT_TICKET = (
    f"INSERT INTO tickets ({_TICKET_COLUMNS}, tenant, ticket_id, created_us) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
"""The snapshot of a new ticket: the values of :data:`_TICKET_COLUMNS`, then tenant, ticket id, created_us."""

UPDATE_TICKET = (
    "UPDATE tickets SET version = %s, status = %s, category = %s, priority = %s, assignee = %s, grp = %s, "
    "channel = %s, tags = %s, updated_us = %s, data = %s WHERE tenant = %s AND ticket_id = %s"
)
"""The snapshot of an existing ticket: the same values as :data:`INSERT_TICKET`, less created_us."""


def to_json(value: object) -> str:
    """``value`` as compact JSON text through the codec (non-ASCII kept as is)."""
    return json.dumps(codec.dump(value), separators=(",", ":"), ensure_ascii=False)


def storable(text: str) -> bool:
    """Whether PostgreSQL can keep ``text`` in a text column (no NUL character, valid UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _in(column: str, values: frozenset[Any], cast: str, params: list[Any]) -> str:
    """``column = ANY(…)``, where a ``None`` among ``values`` also matches NULL; an empty set matches nothing."""
    present = sorted((v for v in values if v is not None), key=str)
    clauses = []
    if present:
        clauses.append(f"{column} = ANY(%s::{cast}[])")
        params.append(present)
    if None in values:
        clauses.append(f"{column} IS NULL")
    return "(" + " OR ".join(clauses) + ")" if clauses else "FALSE"


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
    for column, values, cast in (
        ("status", query.status, "text"),
        (
            "category",
            None if query.category is None else frozenset(c.value for c in query.category),
            "text",
        ),
        ("priority", query.priority, "bigint"),
        ("assignee", query.assignee, "text"),
        ("grp", query.group, "text"),
    ):
        if values is not None:
            # A value PostgreSQL cannot store is in no row, so leaving it out changes no answer.
            kept = frozenset(v for v in values if not isinstance(v, str) or storable(v))
            where.append(_in(column, kept, cast, params))
    if query.tags:
        if not all(storable(tag) for tag in query.tags):
            where.append("FALSE")
        else:
            where.append("tags @> %s::text[]")
            params.append(sorted(query.tags))
    for column, op, bound in (
        ("created_us", ">=", query.created_from),
        ("created_us", "<", query.created_before),
        ("updated_us", ">=", query.updated_since),
    ):
        if bound is not None:
            where.append(f"{column} {op} %s")
            params.append(to_micros(bound))
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
