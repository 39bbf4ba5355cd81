"""Storage ports: the protocols every adapter implements, their behaviour written here, and the values they share.

A :class:`TicketStore` keeps the event histories of one tenant's tickets, the snapshots folded from them, and the
order in which events were committed. An :class:`AgentDirectory` keeps that tenant's agents (as JSON-ready data) and
answers how many unsolved tickets each one holds. ``ticketcore.adapters.memory.MemoryStore`` is the reference
implementation; ``ticketcore.testing.contract`` is the kit that proves an adapter meets the contract.

The pure helpers below (:func:`check_append`, :func:`matches`, :func:`order_key`, :func:`encode_cursor`,
:func:`decode_cursor`) are the contract in executable form: adapters call them so that every store refuses the same
batches with the same errors and pages in the same order.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeAlias, runtime_checkable

import attrs

from ticketcore._repositories.records import INT_MAX, INT_MIN, check_record
from ticketcore._time import require_aware, to_micros, utc
from ticketcore.errors import (
    ConcurrencyError,
    ConfigError,
    CorruptRecord,
    InvalidEvent,
    StorageError,
    TicketcoreError,
    WrongType,
)
from ticketcore.model import Category, Event, Ticket

__all__ = [
    "MAX_PAGE_SIZE",
    "NOT_DUE",
    "TICKET_ID_PREFIX",
    "AgentDirectory",
    "BatchAppender",
    "DuePage",
    "JSONData",
    "Page",
    "Refusal",
    "Scheduled",
    "TicketQuery",
    "TicketStore",
    "append_each",
    "check_append",
    "check_batch",
    "check_due",
    "check_due_query",
    "check_position",
    "check_query",
    "check_ticket_key",
    "decode_cursor",
    "encode_cursor",
    "matches",
    "order_key",
    "read_stream",
]

JSONData: TypeAlias = dict[str, Any]
"""A JSON-ready mapping (what ``ticketcore.codec.dump`` returns for an attrs value)."""

TICKET_ID_PREFIX = "T-"
"""Ids made by :meth:`TicketStore.next_ticket_id` are this prefix followed by a decimal counter: ``T-1``, ``T-2`` …"""

MAX_PAGE_SIZE = 1_000
"""The largest ``limit`` a :class:`TicketQuery` (or :meth:`TicketStore.due`) accepts."""

NOT_DUE = datetime.max.replace(tzinfo=UTC)
"""The ``due`` of a ticket nothing will ever be due on until it changes again: it is kept out of the due index."""


def _to_str_set(values: Iterable[str] | str | None) -> frozenset[str] | None:
    if values is None:
        return None
    # One value is the common case (status="open"); a string is never meant as a set of characters.
    return frozenset({values}) if isinstance(values, str) else frozenset(values)


def _to_opt_str_set(values: Iterable[str | None] | str | None) -> frozenset[str | None] | None:
    if values is None:
        return None
    return frozenset({values}) if isinstance(values, str) else frozenset(values)


def _to_category_set(values: Iterable[Category | str] | str | None) -> frozenset[Category] | None:
    if values is None:
        return None
    result = set()
    for item in [values] if isinstance(values, str) else values:
        try:
            result.add(Category(item))
        except ValueError:
            raise ConfigError.invalid_choice(item, Category, "category") from None
    return frozenset(result)


def _to_int_set(values: Iterable[int | None] | int | None) -> frozenset[int | None] | None:
    if values is None:
        return None
    found = frozenset({values}) if isinstance(values, int) else frozenset(values)
    for value in found:
        if value is not None and (type(value) is not int or not INT_MIN <= value <= INT_MAX):
            raise ConfigError(
                f"a priority is an integer within ±2**63 (or None for tickets without one), got {value!r}",
                "priority",
            )
    return found


def _to_tags(values: Iterable[str] | str) -> frozenset[str]:
    return frozenset({values}) if isinstance(values, str) else frozenset(values)


def _instant(value: datetime | None, name: str) -> datetime | None:
    # In UTC, as every instant is compared: an instant in a zone's repeated hour never equals the same instant in
    # another zone (Python's rule for aware datetimes of different zones), so a query would not load back equal.
    return None if value is None else utc(value, name)


def _to_created_from(value: datetime | None) -> datetime | None:
    return _instant(value, "created_from")


def _to_created_before(value: datetime | None) -> datetime | None:
    return _instant(value, "created_before")


def _to_updated_since(value: datetime | None) -> datetime | None:
    return _instant(value, "updated_since")


def _check_limit(_: object, __: object, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise ConfigError(f"{value!r} is not a page size; give an integer from 1 to {MAX_PAGE_SIZE}", "limit")


def _check_cursor(_: object, __: object, value: str | None) -> None:
    if value is not None:
        decode_cursor(value)


@attrs.frozen(kw_only=True)
class TicketQuery:
    """Which tickets :meth:`TicketStore.find` returns, and which page of them.

    Every filter left at ``None`` matches everything; a set filter matches a ticket whose value is one of the set
    (``None`` in the ``assignee``, ``group`` or ``priority`` set matches tickets without one, so
    ``assignee={None}`` is the unassigned queue; an empty set matches nothing). ``tags`` are all required.
    ``created_from``/``created_before`` is the half-open range ``[from, before)`` of ``created_at``;
    ``updated_since`` keeps tickets with ``updated_at >= updated_since``. A single value may stand for a one-element
    set (``status="open"``).

    Results come in ``(created_at, id)`` order (newest first with ``newest_first=True``), ``limit`` per page;
    pass a page's ``next_cursor`` as ``cursor`` to get the next one. Paging is keyset paging on that order, so
    a page never repeats or skips a ticket because others were updated meanwhile.

    >>> TicketQuery(status="open", assignee={None}).status
    frozenset({'open'})
    """

    status: frozenset[str] | None = attrs.field(default=None, converter=_to_str_set)
    category: frozenset[Category] | None = attrs.field(default=None, converter=_to_category_set)
    priority: frozenset[int | None] | None = attrs.field(default=None, converter=_to_int_set)
    assignee: frozenset[str | None] | None = attrs.field(default=None, converter=_to_opt_str_set)
    group: frozenset[str | None] | None = attrs.field(default=None, converter=_to_opt_str_set)
    tags: frozenset[str] = attrs.field(factory=frozenset, converter=_to_tags)
    created_from: datetime | None = attrs.field(default=None, converter=_to_created_from)
    created_before: datetime | None = attrs.field(default=None, converter=_to_created_before)
    updated_since: datetime | None = attrs.field(default=None, converter=_to_updated_since)
    newest_first: bool = False
    limit: int = attrs.field(default=50, validator=_check_limit)
    cursor: str | None = attrs.field(default=None, validator=_check_cursor)


@attrs.frozen
class Page:
    """One page of :meth:`TicketStore.find` results; ``next_cursor`` is ``None`` on the last page."""

    tickets: tuple[Ticket, ...]
    next_cursor: str | None = None
    corrupt: tuple[CorruptRecord, ...] = ()
    """The rows of this page a store could not decode (each naming its ticket), left out of ``tickets``: one
    bad row never hides the others. Rebuild or quarantine them (``ticketcore doctor``)."""

    def __iter__(self) -> Iterator[Ticket]:
        return iter(self.tickets)

    def __len__(self) -> int:
        return len(self.tickets)


@attrs.frozen
class Scheduled:
    """A ticket of the due index: the instant the scheduler must next look at it, and its snapshot."""

    due_at: datetime
    ticket: Ticket


@attrs.frozen
class DuePage:
    """One page of :meth:`TicketStore.due` results, in ``(due_at, id)`` order; ``next_cursor`` is ``None`` on the
    last page. ``corrupt`` names the rows of the page that could not be decoded (left out of ``items``)."""

    items: tuple[Scheduled, ...]
    next_cursor: str | None = None
    corrupt: tuple[CorruptRecord, ...] = ()

    def __iter__(self) -> Iterator[Scheduled]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def check_due(due: object, updated_at: datetime | None = None) -> int | None:
    """The due instant to store, in UTC microseconds; ``None`` for :data:`NOT_DUE` (kept out of the index).

    An append passes its ticket's ``updated_at``: ``due=None`` (the writer is not a scheduler) stores it, so the
    next scheduler run looks at the ticket once and sets its real instant. :meth:`TicketStore.set_due` passes none,
    as it needs an instant. Anything but an aware datetime raises :class:`~ticketcore.errors.WrongType`.
    """
    if due is None and updated_at is not None:
        return to_micros(updated_at)
    if not isinstance(due, datetime):
        raise WrongType("due", due, "an aware datetime, or NOT_DUE")
    if due == NOT_DUE:
        return None
    return to_micros(due, "due")


def check_due_query(
    at_or_before: object, limit: object, cursor: object
) -> tuple[int, tuple[int, str] | None]:
    """The bound (UTC microseconds) and the decoded cursor of a :meth:`TicketStore.due` call, or the refusal."""
    if not isinstance(at_or_before, datetime):
        raise WrongType("at_or_before", at_or_before, "an aware datetime")
    require_aware(at_or_before, "at_or_before")
    bound = INT_MAX if at_or_before == NOT_DUE else to_micros(at_or_before, "at_or_before")
    _check_limit(None, None, limit)
    if cursor is not None and not isinstance(cursor, str):
        raise WrongType("cursor", cursor, "the next_cursor of a previous page, or None")
    return bound, None if cursor is None else decode_cursor(cursor)


def read_stream(
    store: TicketStore, after: int = 0, *, on_corrupt: Callable[[CorruptRecord], None]
) -> Iterator[tuple[int, Event]]:
    """``store.stream(after)``, going on past each stored row that cannot be decoded (written by hand or by an old
    version): ``on_corrupt`` gets the :class:`~ticketcore.errors.CorruptRecord` naming it, and the rest follows.

    For exports and projections that must not stop at one bad row; a reader that must see every event (a
    migration) uses ``stream`` itself, which raises at the row.
    """
    position = after
    while True:
        try:
            for entry in store.stream(after=position):
                position = entry[0]
                yield entry
            return
        except CorruptRecord as error:
            if error.position is None or error.position <= position:
                raise
            on_corrupt(error)
            position = error.position


def order_key(ticket: Ticket) -> tuple[int, str]:
    """The key tickets are paged by: ``created_at`` in integer microseconds, then ``id``."""
    return (to_micros(ticket.created_at), ticket.id)


def encode_cursor(key: tuple[int, str]) -> str:
    """An opaque, URL-safe cursor for the page that follows the ticket with order ``key``."""
    created, ticket_id = key
    raw = f"{created}|{ticket_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    """The order key inside ``cursor``; a cursor that no store made raises :class:`ConfigError`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, ticket_id = raw.split("|", 1)
        instant = int(created)
        if not INT_MIN <= instant <= INT_MAX:
            raise ValueError(instant)
        return (instant, ticket_id)
    except (ValueError, binascii.Error, UnicodeDecodeError, TypeError):
        raise ConfigError(
            f"{cursor!r} is not a page cursor; pass the next_cursor of a previous page, or None for the first page",
            "cursor",
        ) from None


def matches(ticket: Ticket, query: TicketQuery) -> bool:
    """Whether ``ticket`` passes every filter of ``query`` (paging aside). The reference for every adapter."""
    return (
        (query.status is None or ticket.status in query.status)
        and (query.category is None or ticket.category in query.category)
        and (query.priority is None or ticket.priority in query.priority)
        and (query.assignee is None or ticket.assignee in query.assignee)
        and (query.group is None or ticket.group in query.group)
        and query.tags <= ticket.tags
        and (query.created_from is None or ticket.created_at >= query.created_from)
        and (query.created_before is None or ticket.created_at < query.created_before)
        and (query.updated_since is None or ticket.updated_at >= query.updated_since)
    )


def check_batch(events: object) -> list[Event]:
    """The events of an append as a list, or :class:`InvalidEvent` when ``events`` is not a collection of them
    (``None``, a lone event, a string). Adapters call it first; :func:`check_append` then checks each event."""
    if type(events) is list or type(events) is tuple:
        return list(events)  # the common case, settled without the abstract-class checks below
    if isinstance(events, Event):
        raise InvalidEvent(
            f"an append takes a sequence of events; wrap the lone event in a list: [{events!r}]"
        )
    if isinstance(events, str | bytes | Mapping) or not isinstance(events, Iterable):
        raise InvalidEvent(f"an append takes a sequence of events, got {type(events).__name__} {events!r}")
    return list(events)


def check_position(after: object, name: str = "after") -> int:
    """A stream position or seq to read after, as an int a store can compare (values past the largest position
    any store holds read nothing); :class:`~ticketcore.errors.WrongType` for anything but an int."""
    if type(after) is not int:
        raise WrongType(name, after, "an integer position (0 for the start)")
    return max(0, min(after, INT_MAX))


def check_query(query: object) -> TicketQuery:
    """``query`` when it is a :class:`TicketQuery`; :class:`~ticketcore.errors.WrongType` otherwise."""
    if not isinstance(query, TicketQuery):
        raise WrongType("query", query, "a TicketQuery, e.g. TicketQuery(status='open')")
    return query


def check_ticket_key(ticket_id: object) -> str:
    """A ticket id to read by; :class:`~ticketcore.errors.WrongType` for anything but a string."""
    if type(ticket_id) is not str:
        raise WrongType("ticket_id", ticket_id, "a ticket id string, e.g. 'T-1'")
    return ticket_id


def check_append(
    ticket_id: str, current: Ticket | None, events: Sequence[Event], expected_version: int
) -> Ticket:
    """The snapshot after appending ``events`` to ``current`` (``None`` for a new ticket), or the refusal.

    Raises :class:`ConcurrencyError` when ``expected_version`` is not the current version (0 for a new ticket),
    and :class:`InvalidEvent` when the batch is empty, holds something that is not an event, names another ticket,
    or does not continue the history (``Ticket.apply``: the next seq, not earlier than the last event). Adapters
    call it inside their write transaction, before writing anything.
    """
    if not events:
        raise InvalidEvent("an append needs at least one event; got an empty batch", ticket_id=ticket_id)
    for event in events:
        if not isinstance(event, Event):
            raise InvalidEvent(
                f"expected Event instances, got {type(event).__name__} {event!r}", ticket_id=ticket_id
            )
        if event.ticket_id != ticket_id:
            raise InvalidEvent(
                f"belongs to ticket {event.ticket_id!r}; a batch appended to {ticket_id!r} must contain only "
                "its own events",
                ticket_id=ticket_id,
                seq=event.seq,
            )
        try:
            check_record(event)
        except InvalidEvent as error:
            seq = event.seq if type(event.seq) is int else None
            raise InvalidEvent(error.problem, ticket_id=ticket_id, seq=seq, path=error.path) from None
    actual = 0 if current is None else current.version
    if actual != expected_version:
        raise ConcurrencyError(ticket_id, expected_version, actual)
    ticket = Ticket.from_events(events[:1]) if current is None else current.apply(events[0])
    for event in events[1:]:
        ticket = ticket.apply(event)
    # The snapshot is not checked again: folding checked events copies their values, and counts what it counts.
    return ticket


@runtime_checkable
class TicketStore(Protocol):
    """The event histories and snapshots of one tenant's tickets.

    A store is bound to one tenant when it is made; no method reaches another tenant's data, and two tenants may
    use the same ticket ids. Every method is safe to call from several threads at once. Adapters translate their
    driver's errors: a conflicting write becomes :class:`ConcurrencyError`, a stored row that cannot be decoded
    :class:`CorruptRecord` (naming the row), anything else the caller cannot fix :class:`StorageError`.
    """

    @property
    def tenant(self) -> str:
        """The tenant this store is bound to."""
        ...

    def append(
        self, ticket_id: str, events: Sequence[Event], expected_version: int, *, due: datetime | None = None
    ) -> int:
        """Append ``events`` to the ticket's history, atomically, and return the new version.

        ``expected_version`` is the version the caller decided on: 0 for a new ticket, otherwise the ``version``
        of the snapshot (the seq of its last event). If the stored version differs, raises
        :class:`ConcurrencyError` (with ``.expected`` and ``.actual``) and writes nothing. The events must continue
        the history exactly as :func:`check_append` checks (first an ``Opened`` with seq 1, then consecutive seqs,
        the same ticket, aware times that never go backwards); otherwise raises :class:`InvalidEvent` and writes
        nothing. On success the events, the new snapshot and their stream positions become visible together: a
        reader sees all of the batch or none of it.

        ``due`` is when a scheduler must next look at the ticket (``HelpDesk`` computes it: timers, time-based
        rules, SLA warnings and breaches), written in the same transaction as the events, so the due index never
        points at a state that was not committed and never misses one that was. ``None`` (a writer that is not a
        scheduler) means "look at it at the next run" (see :func:`check_due`); :data:`NOT_DUE` means never.
        """
        ...

    def due(self, at_or_before: datetime, *, limit: int = 100, cursor: str | None = None) -> DuePage:
        """One page of the tickets whose due instant is ``<= at_or_before``, in ``(due_at, id)`` order.

        Reads only the due index (its cost follows the tickets due, not the tickets stored). Pass a page's
        ``next_cursor`` as ``cursor`` for the next one; a ticket whose due instant moves past the cursor while
        paging (because a scheduler handled it) is not seen again.
        """
        ...

    def set_due(self, ticket_id: str, version: int, due: datetime) -> bool:
        """Move the ticket's due instant to ``due`` (:data:`NOT_DUE`: out of the index) if it is still at
        ``version``; ``False`` (and nothing written) when another write came first — that write set its own."""
        ...

    def events(self, ticket_id: str, after: int = 0) -> list[Event]:
        """The ticket's events with ``seq > after``, in seq order (an empty list for an unknown ticket)."""
        ...

    def get(self, ticket_id: str) -> Ticket:
        """The current snapshot (equal to ``Ticket.from_events(store.events(ticket_id))``).

        Raises :class:`TicketNotFound` for a ticket this tenant does not have.
        """
        ...

    def find(self, query: TicketQuery) -> Page:
        """One page of the snapshots that match ``query`` (see :func:`matches`), in its order.

        ``page.next_cursor`` is ``None`` exactly when no matching ticket follows the page. Following the cursors
        visits every ticket that matched throughout, once, in order. A cursor another store made raises
        :class:`ConfigError` only if it cannot be decoded; it simply means "after this (created_at, id)".
        """
        ...

    def stream(self, after: int = 0) -> Iterator[tuple[int, Event]]:
        """Every event of this tenant with position ``> after``, in commit order, each with its position.

        Positions are positive integers, strictly increasing in commit order (not necessarily consecutive: they
        may be shared with other tenants' events). The events of one batch are consecutive in the stream and in
        seq order. Resume a projection with ``stream(after=last_position_seen)``; it never misses a committed event.
        """
        ...

    def next_ticket_id(self) -> str:
        """A new ticket id for this tenant: :data:`TICKET_ID_PREFIX` followed by a counter (``T-1``, ``T-2`` …).

        Never returns the same id twice for a tenant (not even from two threads or processes) and never the id of
        a ticket that already has events. Applications may use their own ids instead: any non-empty string.
        """
        ...

    def close(self) -> None:
        """Release connections and files. The store must not be used afterwards; closing twice is harmless."""
        ...


Refusal: TypeAlias = TicketcoreError
"""Why :meth:`BatchAppender.append_many` did not append one ticket's batch: the error ``append`` would raise for it
(``ConcurrencyError``, ``InvalidEvent``, a ``ConfigError`` for text the store cannot keep …)."""


@runtime_checkable
class BatchAppender(Protocol):
    """A store that appends the batches of many tickets in one write (imports, replays, migrations).

    Optional: :func:`append_each` does the same on any :class:`TicketStore`, one append per batch.
    """

    def append_many(self, batches: Iterable[tuple[str, Sequence[Event], int]]) -> list[Refusal | None]:
        """Append each ``(ticket_id, events, expected_version)`` as :meth:`TicketStore.append` would (due at its
        ticket's update), in order; for each, ``None`` or the error that refused it (that batch writes nothing, the
        others go on). Each batch is atomic; the store may commit several in one transaction, so after a crash a
        batch is wholly there or wholly absent. A failure of the storage itself (:class:`StorageError`) is raised:
        the batches of its transaction are not written, those of earlier ones are."""
        ...


def append_each(
    store: TicketStore, batches: Iterable[tuple[str, Sequence[Event], int]]
) -> list[Refusal | None]:
    """``store.append_many(batches)`` when the store is a :class:`BatchAppender`, else one append per batch, with
    the same results."""
    if isinstance(store, BatchAppender):
        return store.append_many(batches)
    results: list[Refusal | None] = []
    for ticket_id, events, expected_version in batches:
        try:
            store.append(ticket_id, events, expected_version)
        except StorageError:
            raise
        except TicketcoreError as error:
            results.append(error)
        else:
            results.append(None)
    return results


@runtime_checkable
class AgentDirectory(Protocol):
    """The agents of one tenant, kept as JSON-ready data (``codec.dump(agent)``), and their current loads.

    The directory does not interpret an agent's data: the routing layer loads it (``codec.load(Agent, data)``).
    Like a ticket store, it is bound to one tenant and safe to use from several threads.
    """

    def put_agent(self, agent_id: str, data: Mapping[str, Any]) -> None:
        """Add the agent, or replace its data."""
        ...

    def get_agent(self, agent_id: str) -> JSONData:
        """The agent's data as it was put; raises :class:`AgentNotFound` for an unknown id."""
        ...

    def remove_agent(self, agent_id: str) -> None:
        """Remove the agent; raises :class:`AgentNotFound` for an unknown id."""
        ...

    def list_agents(self) -> list[tuple[str, JSONData]]:
        """Every agent with its data, ordered by id."""
        ...

    def agent_loads(self) -> dict[str, dict[str, int]]:
        """For each assignee of an unsolved ticket of this tenant, how many unsolved tickets they hold per channel.

        ``{"ada": {"email": 2, "chat": 1}}``: the shape ``routing.AgentLoad(agent_id, per_channel=...)`` takes.
        Assignees need not be in the directory; agents with no unsolved ticket are absent (no load).
        """
        ...
