"""SQL text, value checks and row decoding for ``ticketcore.adapters.postgres`` (private).

Kept apart from the store so the store reads as the contract it implements; nothing here talks to a server.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg

from ticketcore import codec
from ticketcore._time import to_micros
from ticketcore.errors import ConfigError, CorruptRecord, TicketcoreError
from ticketcore.model import Event, Ticket
from ticketcore.repositories import JSONData, TicketQuery, decode_cursor

__all__ = [
    "APPEND",
    "decode_agent",
    "decode_event",
    "decode_ticket",
    "describe",
    "find_sql",
    "storable",
    "to_json",
]

APPEND = "SELECT append_events(" + ", ".join(["%s"] * 18) + ")"
"""One append (see the ``append_events`` function in ``_postgres_schema``): its 18 arguments in order."""


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
    """``column IN (…)``, where a ``None`` among ``values`` also matches NULL; an empty set matches nothing.

    One parameter per value: psycopg sends scalars far more cheaply than a list as an SQL array.
    """
    present = sorted((v for v in values if v is not None), key=str)
    clauses = []
    if present:
        clauses.append(f"{column} IN ({', '.join([f'%s::{cast}'] * len(present))})")
        params.extend(present)
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
            where.append(f"tags @> ARRAY[{', '.join(['%s::text'] * len(query.tags))}]")
            params.extend(sorted(query.tags))
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


def decode_ticket(where: str, ticket_id: str, version: int, data: str) -> Ticket:
    """The snapshot in a ``tickets`` row, or :class:`CorruptRecord` naming the row (``where`` is the store)."""
    try:
        ticket = codec.load(Ticket, json.loads(data))
    except (ValueError, TicketcoreError) as error:
        raise CorruptRecord(
            f"{where}: the snapshot row of ticket {ticket_id!r} (version {version}) cannot be decoded: "
            f"{error}. Rebuild it from the ticket's events"
        ) from None
    if ticket.id != ticket_id or ticket.version != version:
        raise CorruptRecord(
            f"{where}: the snapshot row of ticket {ticket_id!r} (version {version}) holds ticket "
            f"{ticket.id!r} version {ticket.version}"
        )
    return ticket


def decode_event(where: str, position: int, ticket_id: str, seq: int, data: str) -> Event:
    """The event in an ``events`` row, or :class:`CorruptRecord` naming the row."""
    try:
        event = codec.load(Event, json.loads(data))
    except (ValueError, TicketcoreError) as error:
        raise CorruptRecord(
            f"{where}: events row {position} (ticket {ticket_id!r}, seq {seq}) cannot be decoded: {error}"
        ) from None
    if event.ticket_id != ticket_id or event.seq != seq:
        raise CorruptRecord(
            f"{where}: events row {position} (ticket {ticket_id!r}, seq {seq}) holds the event of ticket "
            f"{event.ticket_id!r} seq {event.seq}"
        )
    return event


def decode_agent(where: str, agent_id: str, text: str) -> JSONData:
    """The data in an ``agents`` row, or :class:`CorruptRecord` naming the row."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise CorruptRecord(f"{where}: the agents row of agent {agent_id!r} is not a JSON object")
    return data
