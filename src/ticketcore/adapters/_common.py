"""Checks, encodings and decodings shared by the bundled adapters (private).

Nothing here talks to a database: these are the pieces every adapter would otherwise write again — a tenant or agent
that cannot be kept, JSON text through the codec, a stored row turned back into a value or a :class:`CorruptRecord`
naming the row, the snapshot cache, and the parts of a ``find`` query on which the SQL dialects agree.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from ticketcore import codec
from ticketcore._time import to_micros
from ticketcore.errors import ConfigError, CorruptRecord, InvalidEvent, TicketcoreError
from ticketcore.model import Event, Ticket
from ticketcore.repositories import JSONData, TicketQuery

__all__ = [
    "TicketCache",
    "agent_json",
    "agent_loads",
    "check_tenant",
    "check_ticket_id",
    "decode_agent",
    "decode_event",
    "decode_ticket",
    "in_clause",
    "snapshot_columns",
    "time_bounds",
    "to_json",
    "value_filters",
]

T = TypeVar("T")


def check_tenant(tenant: object) -> str:
    """``tenant`` if it is a non-empty string; otherwise a :class:`ConfigError` saying what a tenant is."""
    if not isinstance(tenant, str) or not tenant:
        raise ConfigError(f"a tenant is a non-empty string (e.g. 'acme'), got {tenant!r}", "tenant")
    return tenant


def check_ticket_id(ticket_id: object) -> str:
    """``ticket_id`` if it is a non-empty string; otherwise :class:`InvalidEvent` (an append names no ticket)."""
    if not isinstance(ticket_id, str) or not ticket_id:
        raise InvalidEvent(f"a ticket id is a non-empty string, got {ticket_id!r}")
    return ticket_id


def agent_json(agent_id: object, data: Mapping[str, Any]) -> str:
    """Agent data as canonical JSON text, refusing ids and data that a database could not keep as given."""
    if not isinstance(agent_id, str) or not agent_id:
        raise ConfigError(f"an agent id is a non-empty string, got {agent_id!r}", "agent_id")
    if not isinstance(data, Mapping):
        raise ConfigError(f"agent data is a mapping (codec.dump(agent)), got {type(data).__name__} {data!r}")
    try:
        return json.dumps(dict(data), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"agent data must be JSON-ready (use codec.dump(agent)): {error}") from None


def storable_agent(
    agent_id: object, data: Mapping[str, Any], *, keepable: Callable[[object], bool], database: str
) -> str:
    """:func:`agent_json` of an agent, refusing an id or data that ``database`` would not keep as given."""
    text = agent_json(agent_id, data)
    if not keepable(agent_id) or not keepable(text):
        raise ConfigError(
            f"{database} cannot store agent {agent_id!r} or its data as given: remove NUL characters and lone "
            "surrogates from the id and the data",
            "agent_id",
        )
    return text


def agent_loads(rows: Iterable[tuple[Any, Any, Any]]) -> dict[str, dict[str, int]]:
    """``(assignee, channel, count)`` rows as :meth:`AgentDirectory.agent_loads` answers them."""
    loads: dict[str, dict[str, int]] = {}
    for assignee, channel, count in rows:
        loads.setdefault(str(assignee), {})[str(channel)] = int(count)
    return loads


def snapshot_columns(ticket: Ticket) -> tuple[Any, ...]:
    """The ``tickets`` columns that queries filter on: version, status, category, priority, assignee, group, channel."""
    return (
        ticket.version,
        ticket.status,
        ticket.category.value,
        ticket.priority,
        ticket.assignee,
        ticket.group,
        ticket.channel,
    )


def to_json(value: object, *, ensure_ascii: bool) -> str:
    """``value`` as compact JSON text through the codec.

    ``ensure_ascii=True`` writes ASCII escapes, which keep any Python text storable (lone surrogates included) in a
    database that stores UTF-8; ``False`` keeps non-ASCII characters as they are.
    """
    return json.dumps(codec.dump(value), separators=(",", ":"), ensure_ascii=ensure_ascii)


def _decoded(
    kind: type[T], data: object, row: str, hint: str = "", *, ticket_id: str, position: int | None = None
) -> T:
    """``data`` (JSON text) loaded as ``kind``, or :class:`CorruptRecord` naming the ``row``."""
    try:
        if not isinstance(data, str):
            raise ValueError(f"the data column holds {type(data).__name__}, not JSON text")
        return codec.load(kind, json.loads(data))
    except (ValueError, TicketcoreError) as error:
        raise CorruptRecord(
            f"{row} cannot be decoded: {error}{hint}", ticket_id=ticket_id, position=position
        ) from None


def decode_ticket(where: str, ticket_id: str, version: int, data: str) -> Ticket:
    """The snapshot in a ``tickets`` row, or :class:`CorruptRecord` naming the row (``where`` is the store)."""
    row = f"{where}: the snapshot row of ticket {ticket_id!r} (version {version})"
    ticket = _decoded(Ticket, data, row, ". Rebuild it from the ticket's events", ticket_id=ticket_id)
    if ticket.id != ticket_id or ticket.version != version:
        raise CorruptRecord(f"{row} holds ticket {ticket.id!r} version {ticket.version}", ticket_id=ticket_id)
    return ticket


def decode_event(where: str, position: int, ticket_id: str, seq: int, data: str) -> Event:
    """The event in an ``events`` row, or :class:`CorruptRecord` naming the row."""
    row = f"{where}: events row {position} (ticket {ticket_id!r}, seq {seq})"
    event = _decoded(Event, data, row, ticket_id=ticket_id, position=position)
    if event.ticket_id != ticket_id or event.seq != seq:
        raise CorruptRecord(
            f"{row} holds the event of ticket {event.ticket_id!r} seq {event.seq}",
            ticket_id=ticket_id,
            position=position,
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


class TicketCache:
    """The most recently used decoded snapshots of one store (thread-safe), so a current one is decoded once."""

    def __init__(self, size: int = 4_096) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._tickets: OrderedDict[str, Ticket] = OrderedDict()

    def get(self, ticket_id: str) -> Ticket | None:
        """The cached snapshot of ``ticket_id``, whatever its version, or ``None``."""
        with self._lock:
            return self._tickets.get(ticket_id)

    def remember(self, ticket: Ticket) -> None:
        """Keep ``ticket``, forgetting the least recently remembered one when full."""
        with self._lock:
            self._tickets[ticket.id] = ticket
            self._tickets.move_to_end(ticket.id)
            if len(self._tickets) > self._size:
                self._tickets.popitem(last=False)

    def load(self, where: str, ticket_id: str, version: int, data: str) -> Ticket:
        """The snapshot in a ``tickets`` row: the cached one if it is at ``version``, else ``data`` decoded."""
        cached = self.get(ticket_id)
        if cached is not None and cached.version == version:
            return cached
        ticket = decode_ticket(where, ticket_id, version, data)
        self.remember(ticket)
        return ticket


def in_clause(column: str, values: frozenset[Any], params: list[Any], marker: str, nothing: str) -> str:
    """``column IN (…)``, where a ``None`` among ``values`` also matches NULL; an empty set is ``nothing``.

    One parameter (``marker``) per value: drivers send scalars far more cheaply than a list as an SQL array.
    """
    present = sorted((v for v in values if v is not None), key=str)
    clauses = []
    if present:
        clauses.append(f"{column} IN ({', '.join([marker] * len(present))})")
        params.extend(present)
    if None in values:
        clauses.append(f"{column} IS NULL")
    return "(" + " OR ".join(clauses) + ")" if clauses else nothing


def time_bounds(query: TicketQuery) -> Iterator[tuple[str, str, int]]:
    """The query's time bounds as ``(column, operator, microseconds)``, for ``column operator value`` clauses."""
    for column, op, bound in (
        ("created_us", ">=", query.created_from),
        ("created_us", "<", query.created_before),
        ("updated_us", ">=", query.updated_since),
    ):
        if bound is not None:
            yield column, op, to_micros(bound)


def value_filters(query: TicketQuery) -> Iterator[tuple[str, frozenset[Any], str]]:
    """The query's value filters as ``(column, values, PostgreSQL type)``, the ones it sets only."""
    category = None if query.category is None else frozenset(c.value for c in query.category)
    for column, values, cast in (
        ("status", query.status, "text"),
        ("category", category, "text"),
        ("priority", query.priority, "bigint"),
        ("assignee", query.assignee, "text"),
        ("grp", query.group, "text"),
    ):
        if values is not None:
            yield column, values, cast
