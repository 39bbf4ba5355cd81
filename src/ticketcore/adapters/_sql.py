"""What the SQL adapters share over the same tables: events, snapshot decoding, the stream, the agent directory.

``SQLiteStore`` and ``PostgresStore`` keep the same ``events``, ``tickets`` and ``agents`` tables and differ in how
they talk to their database (connections, transactions, placeholders) and in what text the database can keep. A
subclass says those differences through the few hooks below; every statement here is valid in both dialects, written
with ``?`` placeholders that :meth:`SQLStore._sql` turns into the driver's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from ticketcore._time import from_micros
from ticketcore.adapters._common import TicketCache, agent_loads, decode_agent, decode_event, storable_agent
from ticketcore.errors import AgentNotFound, ConfigError, CorruptRecord
from ticketcore.model import Category, Event, Ticket
from ticketcore.repositories import (
    DuePage,
    JSONData,
    Scheduled,
    check_due,
    check_due_query,
    check_position,
    check_ticket_key,
    encode_cursor,
)

__all__ = [
    "AGENT_LOADS",
    "EVENTS",
    "GET_AGENT",
    "LIST_AGENTS",
    "PUT_AGENT",
    "REMOVE_AGENT",
    "SET_DUE",
    "STREAM",
    "STREAM_BATCH",
    "SQLStore",
    "due_page",
    "due_statement",
]

STREAM_BATCH = 1_000
"""How many events one read of :meth:`SQLStore.stream` fetches."""

EVENTS = "SELECT position, seq, data FROM events WHERE tenant = ? AND ticket_id = ? AND seq > ? ORDER BY seq"
"""A ticket's events after a seq: ``(tenant, ticket_id, after)``."""

STREAM = "SELECT position, ticket_id, seq, data FROM events WHERE tenant = ? AND position > ? ORDER BY position LIMIT ?"
"""One batch of the stream: ``(tenant, after, STREAM_BATCH)``."""

SET_DUE = "UPDATE tickets SET due_us = ? WHERE tenant = ? AND ticket_id = ? AND version = ?"
"""Move a ticket's due instant if it is still at a version: ``(due_us, tenant, ticket_id, version)``."""

PUT_AGENT = (
    "INSERT INTO agents (tenant, agent_id, data) VALUES (?, ?, ?) "
    "ON CONFLICT (tenant, agent_id) DO UPDATE SET data = excluded.data"
)
"""Add or replace an agent: ``(tenant, agent_id, data)``."""

GET_AGENT = "SELECT data FROM agents WHERE tenant = ? AND agent_id = ?"
"""An agent's data: ``(tenant, agent_id)``."""

REMOVE_AGENT = "DELETE FROM agents WHERE tenant = ? AND agent_id = ?"
"""Remove an agent: ``(tenant, agent_id)``."""

LIST_AGENTS = "SELECT agent_id, data FROM agents WHERE tenant = ? ORDER BY agent_id"
"""Every agent of a tenant, by id: ``(tenant,)``."""

# From the model, so that a new done category cannot be counted as load.
_DONE = ", ".join(f"'{category.value}'" for category in Category if not category.is_unsolved)
AGENT_LOADS = (
    "SELECT assignee, channel, COUNT(*) FROM tickets WHERE tenant = ? AND assignee IS NOT NULL "
    f"AND category NOT IN ({_DONE}) GROUP BY assignee, channel"
)
"""Unsolved tickets per assignee and channel: ``(tenant,)``."""


def due_statement(
    tenant: str,
    at_or_before: object,
    limit: object,
    cursor: object,
    *,
    keepable: Callable[[object], bool],
    database: str,
) -> tuple[str, list[Any], int]:
    """The statement (``?`` placeholders) and parameters of one :meth:`TicketStore.due` page, and its limit."""
    bound, mark = check_due_query(at_or_before, limit, cursor)
    where = "tenant = ? AND due_us IS NOT NULL AND due_us <= ?"
    params: list[Any] = [tenant, bound]
    if mark is not None:
        if not keepable(mark[1]):
            raise ConfigError(f"the cursor names ticket id {mark[1]!r}, which {database} cannot hold")
        where += " AND (due_us, ticket_id) > (CAST(? AS BIGINT), CAST(? AS TEXT))"
        params.extend(mark)
    assert isinstance(limit, int)  # checked above
    params.append(limit + 1)
    sql = f"SELECT ticket_id, version, data, due_us FROM tickets WHERE {where} ORDER BY due_us, ticket_id LIMIT ?"
    return sql, params, limit


def due_page(rows: Sequence[Any], limit: int, load: Callable[[str, int, str], Ticket]) -> DuePage:
    """The :class:`DuePage` of the rows :func:`due_statement` read (one more than ``limit`` when more follow)."""
    items: list[Scheduled] = []
    corrupt: list[CorruptRecord] = []
    for ticket_id, version, data, due_us in rows[:limit]:
        try:
            items.append(Scheduled(from_micros(due_us), load(ticket_id, version, data)))
        except CorruptRecord as error:
            corrupt.append(error)  # reported with the page; the other tickets are still read
    more = len(rows) > limit
    last = rows[limit - 1] if more else None
    return DuePage(tuple(items), None if last is None else encode_cursor((last[3], last[0])), tuple(corrupt))


class SQLStore:
    """The shared half of a SQL store: a subclass sets ``_tenant_name`` and ``_cache`` and implements the hooks."""

    _tenant_name: str
    _cache: TicketCache
    _database = "the database"

    # hooks

    def _sql(self, statement: str) -> str:
        """``statement`` (written with ``?`` placeholders) as this driver takes it."""
        return statement

    def _fetch_all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """Every row of one read statement."""
        raise NotImplementedError  # pragma: no cover

    def _fetch_one(self, sql: str, params: Sequence[Any]) -> Any:
        """The first row of one read statement, or ``None``."""
        raise NotImplementedError  # pragma: no cover

    def _change(self, sql: str, params: Sequence[Any]) -> int:
        """Run one write statement in its own transaction; how many rows it changed."""
        raise NotImplementedError  # pragma: no cover

    def _keepable(self, key: object) -> bool:
        """Whether the database could hold ``key``; one it could not is in no row, so nothing is looked up."""
        return True

    # shared behaviour

    @property
    def tenant(self) -> str:
        """The tenant this store is bound to."""
        return self._tenant_name

    def _ticket(self, ticket_id: str, version: int, data: str) -> Ticket:
        return self._cache.load(repr(self), ticket_id, version, data)

    def _event(self, position: int, ticket_id: str, seq: int, data: str) -> Event:
        return decode_event(repr(self), position, ticket_id, seq, data)

    def events(self, ticket_id: str, after: int = 0) -> list[Event]:
        """See :meth:`TicketStore.events`."""
        check_ticket_key(ticket_id)
        after = check_position(after)
        if not self._keepable(ticket_id):
            return []
        rows = self._fetch_all(self._sql(EVENTS), (self._tenant_name, ticket_id, after))
        return [self._event(position, ticket_id, seq, data) for position, seq, data in rows]

    def stream(self, after: int = 0) -> Iterator[tuple[int, Event]]:
        """See :meth:`TicketStore.stream`. Reads in batches, so nothing stays open between them."""
        position = check_position(after)
        while True:
            rows = self._fetch_all(self._sql(STREAM), (self._tenant_name, position, STREAM_BATCH))
            for row_position, ticket_id, seq, data in rows:
                yield row_position, self._event(row_position, ticket_id, seq, data)
            if len(rows) < STREAM_BATCH:
                return
            position = rows[-1][0]

    def due(self, at_or_before: datetime, *, limit: int = 100, cursor: str | None = None) -> DuePage:
        """See :meth:`TicketStore.due`: one range read of the ``tickets_by_due`` index, and the page's rows."""
        sql, params, size = due_statement(
            self._tenant_name, at_or_before, limit, cursor, keepable=self._keepable, database=self._database
        )
        return due_page(self._fetch_all(self._sql(sql), params), size, self._ticket)

    def set_due(self, ticket_id: str, version: int, due: datetime) -> bool:
        """See :meth:`TicketStore.set_due`: one conditional ``UPDATE`` of the ticket's row."""
        check_ticket_key(ticket_id)
        check_position(version, "version")
        instant = check_due(due)
        if not self._keepable(ticket_id):
            return False
        changed = self._change(self._sql(SET_DUE), (instant, self._tenant_name, ticket_id, version))
        return changed > 0

    # AgentDirectory

    def put_agent(self, agent_id: str, data: Mapping[str, Any]) -> None:
        """See :meth:`AgentDirectory.put_agent`."""
        text = storable_agent(agent_id, data, keepable=self._keepable, database=self._database)
        self._change(self._sql(PUT_AGENT), (self._tenant_name, agent_id, text))

    def get_agent(self, agent_id: str) -> JSONData:
        """See :meth:`AgentDirectory.get_agent`."""
        row = None
        if self._keepable(agent_id):
            row = self._fetch_one(self._sql(GET_AGENT), (self._tenant_name, agent_id))
        if row is None:
            raise AgentNotFound(agent_id)
        return decode_agent(repr(self), agent_id, row[0])

    def remove_agent(self, agent_id: str) -> None:
        """See :meth:`AgentDirectory.remove_agent`."""
        removed = 0
        if self._keepable(agent_id):
            removed = self._change(self._sql(REMOVE_AGENT), (self._tenant_name, agent_id))
        if not removed:
            raise AgentNotFound(agent_id)

    def list_agents(self) -> list[tuple[str, JSONData]]:
        """See :meth:`AgentDirectory.list_agents`."""
        rows = self._fetch_all(self._sql(LIST_AGENTS), (self._tenant_name,))
        return [(agent_id, decode_agent(repr(self), agent_id, data)) for agent_id, data in rows]

    def agent_loads(self) -> dict[str, dict[str, int]]:
        """See :meth:`AgentDirectory.agent_loads`."""
        return agent_loads(self._fetch_all(self._sql(AGENT_LOADS), (self._tenant_name,)))
