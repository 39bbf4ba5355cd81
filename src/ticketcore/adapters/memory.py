"""The reference storage adapter: everything in process memory, guarded by one lock.

``MemoryStore`` is the executable reading of the :mod:`ticketcore.repositories` docstrings: simple enough to be
obviously right, thread-safe, and used by the contract kit's own tests. Several stores (one per tenant) can share one
:class:`MemoryDatabase`, which is how the kit checks that tenants do not see each other's data.

>>> from ticketcore.adapters.memory import MemoryStore
>>> store = MemoryStore(tenant="acme")
>>> store.next_ticket_id()
'T-1'
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from ticketcore._time import from_micros
from ticketcore.adapters._common import agent_json, check_tenant
from ticketcore.errors import AgentNotFound, StorageError, TicketNotFound
from ticketcore.model import Event, Ticket
from ticketcore.repositories import (
    TICKET_ID_PREFIX,
    DuePage,
    JSONData,
    Page,
    Scheduled,
    TicketQuery,
    check_append,
    check_batch,
    check_due,
    check_due_query,
    check_position,
    check_query,
    check_ticket_key,
    decode_cursor,
    encode_cursor,
    matches,
    order_key,
)

__all__ = ["MemoryDatabase", "MemoryStore"]


@attrs.define
class _Tenant:
    histories: dict[str, list[Event]] = attrs.Factory(dict)
    snapshots: dict[str, Ticket] = attrs.Factory(dict)
    stream: list[tuple[int, Event]] = attrs.Factory(list)
    dues: dict[str, int] = attrs.Factory(dict)
    counter: int = 0
    agents: dict[str, str] = attrs.Factory(dict)


class MemoryDatabase:
    """The shared state of any number of :class:`MemoryStore` objects: one lock, one position counter, per-tenant data.

    Nothing survives the process. Make one per test (or per application) and hand it to each tenant's store.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.position = 0
        self._tenants: dict[str, _Tenant] = {}

    def _tenant(self, tenant: str) -> _Tenant:
        data = self._tenants.get(tenant)
        if data is None:
            data = self._tenants[tenant] = _Tenant()
        return data


class MemoryStore:
    """A :class:`~ticketcore.repositories.TicketStore` and :class:`~ticketcore.repositories.AgentDirectory` in memory.

    ``MemoryStore(tenant="acme")`` makes its own :class:`MemoryDatabase`; pass ``database=`` to share one between
    tenants. Every method takes the database lock, so the store is safe to use from several threads.
    """

    def __init__(self, tenant: str = "default", *, database: MemoryDatabase | None = None) -> None:
        self._tenant_name = check_tenant(tenant)
        self._db = database if database is not None else MemoryDatabase()
        self._closed = False

    def __repr__(self) -> str:
        return f"MemoryStore(tenant={self._tenant_name!r})"

    @property
    def tenant(self) -> str:
        """The tenant this store is bound to."""
        return self._tenant_name

    def _data(self) -> _Tenant:
        if self._closed:
            raise StorageError(f"{self!r} is closed; make a new store to keep working")
        return self._db._tenant(self._tenant_name)

    def append(
        self, ticket_id: str, events: Sequence[Event], expected_version: int, *, due: datetime | None = None
    ) -> int:
        """See :meth:`TicketStore.append`."""
        batch = check_batch(events)
        with self._db.lock:
            data = self._data()
            ticket = check_append(ticket_id, data.snapshots.get(ticket_id), batch, expected_version)
            instant = check_due(due, ticket.updated_at)
            data.histories.setdefault(ticket_id, []).extend(batch)
            data.snapshots[ticket_id] = ticket
            self._keep_due(data, ticket_id, instant)
            for event in batch:
                self._db.position += 1
                data.stream.append((self._db.position, event))
            return ticket.version

    def events(self, ticket_id: str, after: int = 0) -> list[Event]:
        """See :meth:`TicketStore.events`."""
        check_ticket_key(ticket_id)
        after = check_position(after)
        with self._db.lock:
            history = self._data().histories.get(ticket_id, [])
            return history[after:] if after > 0 else list(history)

    def get(self, ticket_id: str) -> Ticket:
        """See :meth:`TicketStore.get`."""
        check_ticket_key(ticket_id)
        with self._db.lock:
            ticket = self._data().snapshots.get(ticket_id)
        if ticket is None:
            raise TicketNotFound(ticket_id)
        return ticket

    def find(self, query: TicketQuery) -> Page:
        """See :meth:`TicketStore.find`."""
        check_query(query)
        with self._db.lock:
            candidates = [t for t in self._data().snapshots.values() if matches(t, query)]
        candidates.sort(key=order_key, reverse=query.newest_first)
        if query.cursor is not None:
            mark = decode_cursor(query.cursor)
            if query.newest_first:
                candidates = [t for t in candidates if order_key(t) < mark]
            else:
                candidates = [t for t in candidates if order_key(t) > mark]
        page = candidates[: query.limit]
        more = len(candidates) > query.limit
        return Page(tuple(page), encode_cursor(order_key(page[-1])) if more else None)

    @staticmethod
    def _keep_due(data: _Tenant, ticket_id: str, instant: int | None) -> None:
        if instant is None:
            data.dues.pop(ticket_id, None)
        else:
            data.dues[ticket_id] = instant

    def due(self, at_or_before: datetime, *, limit: int = 100, cursor: str | None = None) -> DuePage:
        """See :meth:`TicketStore.due`. The reference: it looks at every ticket's due instant (no index)."""
        bound, mark = check_due_query(at_or_before, limit, cursor)
        with self._db.lock:
            data = self._data()
            keys = sorted(
                (instant, ticket_id)
                for ticket_id, instant in data.dues.items()
                if instant <= bound and (mark is None or (instant, ticket_id) > mark)
            )
            page = [(instant, data.snapshots[ticket_id]) for instant, ticket_id in keys[:limit]]
        more = len(keys) > limit
        items = tuple(Scheduled(from_micros(instant), ticket) for instant, ticket in page)
        return DuePage(items, encode_cursor((page[-1][0], page[-1][1].id)) if more else None)

    def set_due(self, ticket_id: str, version: int, due: datetime) -> bool:
        """See :meth:`TicketStore.set_due`."""
        check_ticket_key(ticket_id)
        check_position(version, "version")
        instant = check_due(due)
        with self._db.lock:
            data = self._data()
            ticket = data.snapshots.get(ticket_id)
            if ticket is None or ticket.version != version:
                return False
            self._keep_due(data, ticket_id, instant)
            return True

    def stream(self, after: int = 0) -> Iterator[tuple[int, Event]]:
        """See :meth:`TicketStore.stream`."""
        after = check_position(after)
        with self._db.lock:
            entries = [entry for entry in self._data().stream if entry[0] > after]
        return iter(entries)

    def next_ticket_id(self) -> str:
        """See :meth:`TicketStore.next_ticket_id`."""
        with self._db.lock:
            data = self._data()
            while True:
                data.counter += 1
                candidate = f"{TICKET_ID_PREFIX}{data.counter}"
                if candidate not in data.histories:
                    return candidate

    def close(self) -> None:
        """Mark the store closed (the shared database stays usable by other stores)."""
        self._closed = True

    # AgentDirectory

    def put_agent(self, agent_id: str, data: Mapping[str, Any]) -> None:
        """See :meth:`AgentDirectory.put_agent`. ``data`` must be JSON-serialisable, as it would be in a database."""
        text = agent_json(agent_id, data)
        with self._db.lock:
            self._data().agents[agent_id] = text

    def get_agent(self, agent_id: str) -> JSONData:
        """See :meth:`AgentDirectory.get_agent`."""
        with self._db.lock:
            text = self._data().agents.get(agent_id)
        if text is None:
            raise AgentNotFound(agent_id)
        result: JSONData = json.loads(text)
        return result

    def remove_agent(self, agent_id: str) -> None:
        """See :meth:`AgentDirectory.remove_agent`."""
        with self._db.lock:
            if self._data().agents.pop(agent_id, None) is None:
                raise AgentNotFound(agent_id)

    def list_agents(self) -> list[tuple[str, JSONData]]:
        """See :meth:`AgentDirectory.list_agents`."""
        with self._db.lock:
            items = sorted(self._data().agents.items())
        return [(agent_id, json.loads(text)) for agent_id, text in items]

    def agent_loads(self) -> dict[str, dict[str, int]]:
        """See :meth:`AgentDirectory.agent_loads`."""
        loads: dict[str, dict[str, int]] = {}
        with self._db.lock:
            for ticket in self._data().snapshots.values():
                if ticket.assignee is not None and ticket.is_unsolved:
                    channels = loads.setdefault(ticket.assignee, {})
                    channels[ticket.channel] = channels.get(ticket.channel, 0) + 1
        return loads
