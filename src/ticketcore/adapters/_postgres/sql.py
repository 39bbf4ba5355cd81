"""SQL text and value checks for ``ticketcore.adapters.postgres`` (private).

Kept apart from the store so the store reads as the contract it implements; nothing here talks to a server.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import psycopg

from ticketcore._time import to_micros
from ticketcore.adapters._common import in_clause, snapshot_columns, time_bounds, to_json, value_filters
from ticketcore.errors import ConfigError, CorruptRecord, InvalidEvent
from ticketcore.model import Event, Ticket
from ticketcore.repositories import Page, TicketQuery, check_append, check_due, decode_cursor, encode_cursor

__all__ = [
    "APPEND",
    "CURRENT",
    "GET",
    "LOCK_TENANT",
    "NEXT_TICKET",
    "TAKEN",
    "VERSION",
    "append_params",
    "describe",
    "find_page",
    "find_sql",
    "psycopg_statement",
    "storable",
]


@functools.lru_cache(maxsize=64)
def psycopg_statement(statement: str) -> str:
    """A statement shared with SQLite (``?`` placeholders, see ``adapters._sql``) as psycopg takes it: converted
    once per statement, since the shared statements are a handful of constants and two shapes of due page."""
    return statement.replace("?", "%s")


APPEND = "SELECT append_events(" + ", ".join(["%s"] * 19) + ")"
"""One append (see the ``append_events`` function in ``_postgres.schema``): its 19 arguments in order."""

CURRENT = "SELECT version, data FROM tickets WHERE tenant = %s AND ticket_id = %s"
"""A ticket's version and snapshot: ``(tenant, ticket_id)``."""

VERSION = "SELECT version FROM tickets WHERE tenant = %s AND ticket_id = %s"
"""A ticket's version: ``(tenant, ticket_id)``."""

GET = (
    "SELECT version, CASE WHEN version = %s THEN NULL ELSE data END FROM tickets "
    "WHERE tenant = %s AND ticket_id = %s"
)
"""A ticket's version, and its snapshot unless it is at the version the reader holds: ``(known, tenant, ticket_id)``."""

LOCK_TENANT = "SELECT pg_advisory_xact_lock(%s, hashtext(%s))"
"""The per-tenant append lock, for the transaction: ``(APPEND_LOCK, 'schema/tenant')``."""

NEXT_TICKET = (
    "INSERT INTO counters (tenant, next_ticket) VALUES (%s, 1) ON CONFLICT (tenant) "
    "DO UPDATE SET next_ticket = counters.next_ticket + 1 RETURNING next_ticket"
)
"""Draw the tenant's next ticket number: ``(tenant,)``."""

TAKEN = "SELECT 1 FROM tickets WHERE tenant = %s AND ticket_id = %s"
"""Whether a ticket id has a ticket: ``(tenant, ticket_id)``."""


def append_params(
    ticket_id: str,
    current: Ticket | None,
    batch: Sequence[Event],
    expected_version: int,
    *,
    due: datetime | None,
    tenant: str,
    lock: tuple[int, str],
) -> tuple[Ticket, tuple[Any, ...]]:
    """The snapshot after the append and the parameters of :data:`APPEND`, or the refusal (nothing sent yet)."""
    ticket = check_append(ticket_id, current, batch, expected_version)
    due_us = check_due(due, ticket.updated_at)
    texts = [to_json(e, ensure_ascii=False) for e in batch]
    snapshot = to_json(ticket, ensure_ascii=False)
    columns = [ticket.status, ticket.assignee, ticket.group, ticket.channel, *ticket.tags]
    if not all(storable(text) for text in (*texts, snapshot)) or any("\x00" in c for c in columns if c):
        raise InvalidEvent("holds text PostgreSQL cannot store (NUL or invalid text)", ticket_id=ticket_id)
    params = (
        *lock,
        tenant,
        ticket_id,
        batch[0].seq,
        "[" + ",".join(json.dumps(text, ensure_ascii=False) for text in texts) + "]",
        current is None,
        *snapshot_columns(ticket),
        json.dumps(sorted(ticket.tags), ensure_ascii=False),
        to_micros(ticket.created_at),
        to_micros(ticket.updated_at),
        due_us,
        snapshot,
    )
    return ticket, params


def find_page(rows: Sequence[Any], limit: int, load: Callable[[str, int, str], Ticket]) -> Page:
    """The :class:`Page` of the rows :func:`find_sql` read (one more than ``limit`` when more follow)."""
    page = rows[:limit]
    tickets: list[Ticket] = []
    corrupt: list[CorruptRecord] = []
    for ticket_id, version, data, _ in page:
        try:
            tickets.append(load(ticket_id, version, data))
        except CorruptRecord as error:
            corrupt.append(error)  # reported with the page; the other tickets are still read
    more = len(rows) > limit
    return Page(tuple(tickets), encode_cursor((page[-1][3], page[-1][0])) if more else None, tuple(corrupt))


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
