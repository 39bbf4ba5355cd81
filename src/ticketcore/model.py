"""The shared nouns: actors, statuses and their categories, the events of a ticket's history, and the ``Ticket``.

A ticket's history is an append-only sequence of events. Every event has the same head — ``ticket_id``, ``seq`` (1, 2,
3 …), ``at`` (an aware datetime, kept in UTC) and ``actor`` — and a body that depends on its type. A :class:`Ticket`
is the immutable snapshot folded from those events; its ``version`` is the ``seq`` of its last event.

Folding accepts any status sequence that really happened (real exports contain odd jumps); it refuses only what
cannot be a history: a first event that is not :class:`Opened`, mixed ticket ids, gaps in ``seq`` and time going
backwards.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import ClassVar, TypeAlias, TypeVar

import attrs

from ticketcore._check import listed
from ticketcore._copy import copier, setters
from ticketcore._time import utc
from ticketcore.errors import ConfigError, InvalidEvent

__all__ = [
    "FIELD_ATTRIBUTES",
    "STAFF_ROLES",
    "Actor",
    "Assigned",
    "Category",
    "Event",
    "FieldChanged",
    "FieldValue",
    "Linked",
    "NoteAdded",
    "Opened",
    "PriorityChanged",
    "Rated",
    "Replied",
    "Role",
    "Status",
    "StatusChanged",
    "TagsChanged",
    "Ticket",
    "TimerFired",
    "Unassigned",
    "attribute_changes",
    "tags_after",
]

FieldValue: TypeAlias = str | int | float | bool | None
"""The value of a custom field: a JSON scalar."""


class Category(enum.StrEnum):
    """The fixed semantic category of a status. Pausing, backlog membership, reopens and metrics hang off it."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"

    @property
    def is_unsolved(self) -> bool:
        """True for the categories that count in the backlog (not solved, not closed)."""
        return self not in (Category.SOLVED, Category.CLOSED)

    @property
    def pauses_by_default(self) -> bool:
        """True for the categories whose statuses pause SLA clocks unless configured otherwise."""
        return self in (Category.PENDING, Category.ON_HOLD)


class Role(enum.StrEnum):
    """Who acts on a ticket. Workflows grant transitions to roles."""

    REQUESTER = "requester"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    SYSTEM = "system"

    @property
    def is_staff(self) -> bool:
        """Agents, supervisors and admins act for the help desk; requesters and the system do not."""
        return self in STAFF_ROLES


STAFF_ROLES: frozenset[Role] = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
"""The roles of the people who work for the help desk (:attr:`Role.is_staff`, :attr:`Actor.is_staff`)."""


E = TypeVar("E", bound=enum.Enum)


def _member(cls: type[E]) -> Callable[[object], E]:
    def convert(value: object) -> E:
        try:
            return cls(value)
        except ValueError:
            raise ConfigError.invalid_choice(value, cls) from None

    return convert


def member_set(cls: type[E], values: Iterable[object], noun: str) -> frozenset[E]:
    """The members of the enum ``cls`` named by ``values`` (a list, never a bare string), for config converters.

    Not part of the public API: the core modules share it so that every list of roles or categories is refused alike.
    """
    convert = _member(cls)
    return frozenset(convert(value) for value in listed(values, noun))


def _to_role(value: object) -> Role:
    return _member(Role)(value)


def _to_category(value: object) -> Category:
    return _member(Category)(value)


@attrs.frozen
class Actor:
    """Someone (or something) that acts on a ticket.

    >>> Actor("ada", Role.AGENT)
    Actor(id='ada', role=<Role.AGENT: 'agent'>)
    """

    id: str
    role: Role = attrs.field(converter=_to_role)

    @classmethod
    def system(cls, id: str = "system") -> Actor:
        """The help desk itself (timers, rules, imports)."""
        return cls(id, Role.SYSTEM)

    @property
    def is_staff(self) -> bool:
        """True when the actor works for the help desk (see :data:`STAFF_ROLES`)."""
        return self.role in STAFF_ROLES


def _pauses_default(self: Status) -> bool:
    return self.category.pauses_by_default


@attrs.frozen
class Status:
    """A status of a workflow: a name, its category and the flags that custom statuses may change.

    ``pauses_sla`` defaults to the category's rule (``pending`` and ``on_hold`` pause). ``default_for_new`` marks the
    status new tickets start in; ``default_for_follow_up`` the status a ticket returns to when the requester answers.

    >>> Status("awaiting_vendor", Category.ON_HOLD).pauses_sla
    True
    """

    name: str
    category: Category = attrs.field(converter=_to_category)
    pauses_sla: bool = attrs.field(default=attrs.Factory(_pauses_default, takes_self=True))
    default_for_new: bool = False
    default_for_follow_up: bool = False


def _to_utc(value: datetime) -> datetime:
    return utc(value, "event time 'at'")


_NO_TAGS: frozenset[str] = frozenset()
"""The one empty set of tags events share: each ``frozenset()`` is a new object the garbage collector tracks, and
most tag events leave one of their two sets empty."""


def _frozenset(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        # A bare string is almost always a mistake for a one-element collection; say so rather than split it.
        raise TypeError(f"expected a collection of strings, got the string {values!r}; write [{values!r}]")
    return frozenset(values) or _NO_TAGS


def _fields_dict(values: Mapping[str, FieldValue]) -> dict[str, FieldValue]:
    return dict(values)


@attrs.frozen(kw_only=True)
class Event:
    """The common head of every event of a ticket's history.

    ``at`` must be timezone-aware and is kept in UTC. Subclasses carry a class-level ``type`` tag that names them in
    dumped data (``{"type": "opened", ...}``).
    """

    type: ClassVar[str] = "event"

    ticket_id: str
    seq: int = attrs.field(validator=attrs.validators.ge(1))
    at: datetime = attrs.field(converter=_to_utc)
    actor: Actor


@attrs.frozen(kw_only=True)
class Opened(Event):
    """The ticket was created. Always the first event (``seq == 1``)."""

    type: ClassVar[str] = "opened"

    subject: str = ""
    requester: str
    channel: str = "email"
    status: str = "new"
    category: Category = attrs.field(default=Category.NEW, converter=_to_category)
    topic: str | None = None
    impact: int | None = None
    urgency: int | None = None
    priority: int | None = None
    segment: str | None = None
    region: str | None = None
    country: str | None = None
    language: str | None = None
    group: str | None = None
    tags: frozenset[str] = attrs.field(default=_NO_TAGS, converter=_frozenset)
    fields: dict[str, FieldValue] = attrs.field(factory=dict, converter=_fields_dict, hash=False)
    follow_up_of: str | None = None


@attrs.frozen(kw_only=True)
class StatusChanged(Event):
    """The status changed. The category of each status is recorded so a history folds without its workflow."""

    type: ClassVar[str] = "status_changed"

    from_status: str
    from_category: Category = attrs.field(converter=_to_category)
    to_status: str
    to_category: Category = attrs.field(converter=_to_category)
    action: str | None = None
    reason: str | None = None
    pauses_sla: bool | None = None
    """Whether the target status pauses SLA clocks; ``None`` means its category's default."""


@attrs.frozen(kw_only=True)
class PriorityChanged(Event):
    """The priority changed, by a rule (``manual=False``, ``rule`` names it) or by a person (``manual=True``)."""

    type: ClassVar[str] = "priority_changed"

    from_priority: int | None
    to_priority: int
    manual: bool = False
    rule: str | None = None
    reason: str | None = None


@attrs.frozen(kw_only=True)
class Assigned(Event):
    """The ticket was assigned to an agent and/or a group (``None`` keeps the current value)."""

    type: ClassVar[str] = "assigned"

    agent: str | None = None
    group: str | None = None


@attrs.frozen(kw_only=True)
class Unassigned(Event):
    """The ticket lost its assignee (its group stays)."""

    type: ClassVar[str] = "unassigned"

    reason: str | None = None


@attrs.frozen(kw_only=True)
class Replied(Event):
    """A comment was added. Its author's role is the actor's role; ``public`` comments are seen by the requester."""

    type: ClassVar[str] = "replied"

    public: bool = True
    body: str = ""


@attrs.frozen(kw_only=True)
class NoteAdded(Event):
    """An internal note was added (never seen by the requester, never a reply)."""

    type: ClassVar[str] = "note_added"

    body: str = ""


@attrs.frozen(kw_only=True)
class TagsChanged(Event):
    """Tags were added and/or removed."""

    type: ClassVar[str] = "tags_changed"

    added: frozenset[str] = attrs.field(default=_NO_TAGS, converter=_frozenset)
    removed: frozenset[str] = attrs.field(default=_NO_TAGS, converter=_frozenset)


FIELD_ATTRIBUTES: frozenset[str] = frozenset(
    {"subject", "channel", "topic", "impact", "urgency", "segment", "region", "country", "language"}
)
"""Ticket attributes that a :class:`FieldChanged` event may change; any other name is a custom field."""


@attrs.frozen(kw_only=True)
class FieldChanged(Event):
    """A ticket attribute (one of :data:`FIELD_ATTRIBUTES`) or a custom field changed; ``value=None`` clears it."""

    type: ClassVar[str] = "field_changed"

    field: str
    value: FieldValue = None
    previous: FieldValue = None


@attrs.frozen(kw_only=True)
class Rated(Event):
    """The requester rated the support received (CSAT): ``score`` out of ``scale``."""

    type: ClassVar[str] = "rated"

    score: int
    scale: int = 5
    comment: str | None = None

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.score <= self.scale:
            raise InvalidEvent(
                f"rating score {self.score!r} is outside 1..{self.scale}; give a score from 1 to the scale",
                ticket_id=self.ticket_id,
                seq=self.seq,
            )


@attrs.frozen(kw_only=True)
class Linked(Event):
    """The ticket was linked to another one: ``relation`` is e.g. ``follow_up``, ``follow_up_of``, ``duplicate_of``."""

    type: ClassVar[str] = "linked"

    other: str
    relation: str = "related"


@attrs.frozen(kw_only=True)
class TimerFired(Event):
    """A timed rule of the workflow fired (``timer`` names it). Recorded so that timers fire once, even after restarts."""

    type: ClassVar[str] = "timer_fired"

    timer: str
    due_at: datetime = attrs.field(converter=_to_utc)


def _event_error(problem: str, event: Event) -> InvalidEvent:
    return InvalidEvent(problem, ticket_id=event.ticket_id, seq=event.seq)


def _fields_view(values: Mapping[str, FieldValue]) -> dict[str, FieldValue]:
    return dict(values)


@attrs.frozen(kw_only=True)
class Ticket:
    """An immutable snapshot of a ticket, folded from its events.

    >>> from datetime import datetime, UTC
    >>> opened = Opened(ticket_id="T-1", seq=1, at=datetime(2025, 3, 3, 9, tzinfo=UTC),
    ...                 actor=Actor("cy", Role.REQUESTER), requester="cy", subject="VPN down")
    >>> ticket = Ticket.from_events([opened])
    >>> ticket.status, ticket.category, ticket.version
    ('new', <Category.NEW: 'new'>, 1)
    """

    id: str
    version: int
    status: str
    category: Category
    status_since: datetime
    subject: str
    requester: str
    channel: str
    topic: str | None = None
    impact: int | None = None
    urgency: int | None = None
    priority: int | None = None
    priority_manual: bool = False
    """True when the current priority was set by a person (a manual override) rather than by rules."""
    segment: str | None = None
    region: str | None = None
    country: str | None = None
    language: str | None = None
    group: str | None = None
    assignee: str | None = None
    tags: frozenset[str] = _NO_TAGS
    fields: dict[str, FieldValue] = attrs.field(factory=dict, converter=_fields_view, hash=False)
    created_at: datetime
    updated_at: datetime
    first_assigned_at: datetime | None = None
    first_replied_at: datetime | None = None
    last_agent_reply_at: datetime | None = None
    last_requester_reply_at: datetime | None = None
    first_solved_at: datetime | None = None
    solved_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0
    last_reopened_at: datetime | None = None
    public_agent_replies: int = 0
    public_requester_replies: int = 0
    internal_comments: int = 0
    rating: int | None = None
    rating_scale: int | None = None
    follow_up_of: str | None = None
    links: tuple[tuple[str, str], ...] = ()
    timers_fired: tuple[tuple[str, datetime], ...] = ()

    @property
    def is_unsolved(self) -> bool:
        """True while the ticket counts in the backlog (its category is neither solved nor closed)."""
        return self.category.is_unsolved

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> Ticket:
        """Fold a history (its first event an :class:`Opened` with ``seq == 1``) into a snapshot.

        Raises :class:`InvalidEvent` naming the first event that cannot continue the history.
        """
        iterator = iter(events)
        first = next(iterator, None)
        if first is None:
            raise InvalidEvent("a history needs at least one event (an 'opened' event with seq 1); got none")
        return cls._opened(first).apply_all(iterator)

    @classmethod
    def _opened(cls, event: Event) -> Ticket:
        if not isinstance(event, Opened):
            raise _event_error(f"a history must start with an 'opened' event, not {event.type!r}", event)
        if event.seq != 1:
            raise _event_error("the 'opened' event must have seq 1", event)
        return cls(
            id=event.ticket_id,
            version=1,
            status=event.status,
            category=event.category,
            status_since=event.at,
            subject=event.subject,
            requester=event.requester,
            channel=event.channel,
            topic=event.topic,
            impact=event.impact,
            urgency=event.urgency,
            priority=event.priority,
            segment=event.segment,
            region=event.region,
            country=event.country,
            language=event.language,
            group=event.group,
            tags=event.tags,
            fields=event.fields,
            created_at=event.at,
            updated_at=event.at,
            follow_up_of=event.follow_up_of,
            links=((("follow_up_of", event.follow_up_of),) if event.follow_up_of else ()),
        )

    def apply(self, event: Event) -> Ticket:
        """The snapshot after ``event``, which must continue this history (same ticket, next seq, not earlier)."""
        # The changed values come from a checked event, so the converters need not run again (see _copy).
        return copier(self.__class__)(self, self._changes(event, 0))

    def apply_all(self, events: Iterable[Event]) -> Ticket:
        """The snapshot after ``events``, in order: the same snapshot as applying them one at a time with
        :meth:`apply`, and the same :class:`InvalidEvent` for the first that cannot continue the history, but the
        snapshot is copied once rather than once per event (a replay folds long stretches of events)."""
        return self._fold(events, 0)

    def _fold(self, events: Iterable[Event], shift: int) -> Ticket:
        """:meth:`apply_all` of ``events`` that stand ``shift`` places later in this history than their ``seq``
        says: the stored events of a replay that inserts its own among them, folded without renumbering copies.
        They are checked against their own numbering, so an error names the seq the event has."""
        iterator = iter(events)
        first = next(iterator, None)
        if first is None:
            return self
        ticket = copier(self.__class__)(self, self._changes(first, shift))
        assign = setters(self.__class__)
        # ``ticket`` is a new instance no one else holds yet: each later event's changes are set on it in place,
        # as :meth:`apply` would set them on a copy, and it is frozen from the moment it is returned.
        for event in iterator:
            for name, value in ticket._changes(event, shift).items():
                assign[name](ticket, value)
        return ticket

    def _changes(self, event: Event, shift: int) -> dict[str, object]:
        """The attributes ``event`` (``shift`` places later than its ``seq``) changes, after checking that it
        continues this history."""
        if event.ticket_id != self.id:
            raise _event_error(f"belongs to ticket {event.ticket_id!r}, not to {self.id!r}", event)
        seq = event.seq + shift
        if seq != self.version + 1:
            expected = self.version - shift
            raise _event_error(f"expected seq {expected + 1} after version {expected}", event)
        if event.at < self.updated_at:
            raise _event_error(
                f"happened at {event.at.isoformat()}, before the previous event at "
                f"{self.updated_at.isoformat()}; events must be in time order",
                event,
            )
        folder = _FOLDERS.get(type(event))
        if folder is None:
            raise _event_error(f"event type {event.type!r} cannot follow the first event", event)
        changes = folder(self, event)  # a new dict each time, so it is ours to add to
        changes["version"] = seq
        changes["updated_at"] = event.at
        return changes


def _fold_status(ticket: Ticket, event: Event) -> dict[str, object]:
    assert isinstance(event, StatusChanged)
    changes: dict[str, object] = {
        "status": event.to_status,
        "category": event.to_category,
        "status_since": event.at,
    }
    was_done = not ticket.category.is_unsolved
    if was_done and event.to_category.is_unsolved:
        changes["reopen_count"] = ticket.reopen_count + 1
        changes["last_reopened_at"] = event.at
    if event.to_category is Category.SOLVED and ticket.category is not Category.SOLVED:
        changes["solved_at"] = event.at
        if ticket.first_solved_at is None:
            changes["first_solved_at"] = event.at
    if event.to_category is Category.CLOSED and ticket.category is not Category.CLOSED:
        changes["closed_at"] = event.at
    if event.to_category.is_unsolved:
        changes["solved_at"] = None
        changes["closed_at"] = None
    return changes


def tags_after(tags: frozenset[str], event: Event) -> frozenset[str]:
    """The tags of a ticket with ``tags`` after ``event`` (only a :class:`TagsChanged` changes them).

    >>> from datetime import UTC, datetime
    >>> event = TagsChanged(ticket_id="T-1", seq=2, at=datetime(2025, 3, 3, tzinfo=UTC), actor=Actor.system(),
    ...                     added=["urgent"])
    >>> sorted(tags_after(frozenset({"vip"}), event))
    ['urgent', 'vip']
    """
    if type(event) is not TagsChanged:
        return tags
    assert isinstance(event, TagsChanged)
    return (tags - event.removed) | event.added


def attribute_changes(
    tags: frozenset[str], fields: Mapping[str, FieldValue], event: Event
) -> dict[str, object]:
    """The ticket attributes ``event`` changes (``priority``, ``group``, ``tags``, ``fields`` and the
    :data:`FIELD_ATTRIBUTES`), given the ticket's current ``tags`` and ``fields``; empty for other events.

    :meth:`Ticket.apply` folds these attributes through it, and so does SLA policy selection, which needs them
    without building snapshots.
    """
    kind = type(event)
    if kind is PriorityChanged:
        assert isinstance(event, PriorityChanged)
        return {"priority": event.to_priority}
    if kind is Assigned:
        assert isinstance(event, Assigned)
        return {} if event.group is None else {"group": event.group}
    if kind is TagsChanged:
        return {"tags": tags_after(tags, event)}
    if kind is FieldChanged:
        assert isinstance(event, FieldChanged)
        if event.field in FIELD_ATTRIBUTES:
            return {event.field: event.value}
        changed = dict(fields)
        if event.value is None:
            changed.pop(event.field, None)
        else:
            changed[event.field] = event.value
        return {"fields": changed}
    return {}


def _fold_attributes(ticket: Ticket, event: Event) -> dict[str, object]:
    return attribute_changes(ticket.tags, ticket.fields, event)


def _fold_priority(ticket: Ticket, event: Event) -> dict[str, object]:
    assert isinstance(event, PriorityChanged)
    return {**_fold_attributes(ticket, event), "priority_manual": event.manual}


def _fold_assigned(ticket: Ticket, event: Event) -> dict[str, object]:
    assert isinstance(event, Assigned)
    changes: dict[str, object] = {}
    if event.agent is not None:
        changes["assignee"] = event.agent
        if ticket.first_assigned_at is None:
            changes["first_assigned_at"] = event.at
    changes.update(_fold_attributes(ticket, event))
    return changes


def _fold_unassigned(ticket: Ticket, event: Event) -> dict[str, object]:
    return {"assignee": None}


def _fold_replied(ticket: Ticket, event: Event) -> dict[str, object]:
    assert isinstance(event, Replied)
    if not event.public:
        return {"internal_comments": ticket.internal_comments + 1}
    if event.actor.is_staff:
        changes: dict[str, object] = {
            "public_agent_replies": ticket.public_agent_replies + 1,
            "last_agent_reply_at": event.at,
        }
        if ticket.first_replied_at is None:
            changes["first_replied_at"] = event.at
        return changes
    if event.actor.role is Role.REQUESTER:
        return {
            "public_requester_replies": ticket.public_requester_replies + 1,
            "last_requester_reply_at": event.at,
        }
    return {}


def _fold_note(ticket: Ticket, event: Event) -> dict[str, object]:
    return {"internal_comments": ticket.internal_comments + 1}


def _fold_rated(ticket: Ticket, event: Event) -> dict[str, object]:
    assert isinstance(event, Rated)
    return {"rating": event.score, "rating_scale": event.scale}


def _fold_linked(ticket: Ticket, event: Event) -> dict[str, object]:
    assert isinstance(event, Linked)
    return {"links": (*ticket.links, (event.relation, event.other))}


def _fold_timer(ticket: Ticket, event: Event) -> dict[str, object]:
    assert isinstance(event, TimerFired)
    return {"timers_fired": (*ticket.timers_fired, (event.timer, event.due_at))}


_FOLDERS: dict[type[Event], Callable[[Ticket, Event], dict[str, object]]] = {
    StatusChanged: _fold_status,
    PriorityChanged: _fold_priority,
    Assigned: _fold_assigned,
    Unassigned: _fold_unassigned,
    Replied: _fold_replied,
    NoteAdded: _fold_note,
    TagsChanged: _fold_attributes,
    FieldChanged: _fold_attributes,
    Rated: _fold_rated,
    Linked: _fold_linked,
    TimerFired: _fold_timer,
}

_CONCRETE: list[type[Event]] = [Opened, *_FOLDERS]
EVENT_TYPES: dict[str, type[Event]] = {cls.type: cls for cls in _CONCRETE}
"""Every concrete event type by its ``type`` tag."""
