"""Hypothesis strategies for ticketcore values, for our tests and for the tests of applications and adapters.

``histories()`` draws the events of one ticket that fold without error: an :class:`~ticketcore.model.Opened` event
with ``seq == 1`` followed by any mix of status changes (including the odd jumps real exports contain), replies,
notes, assignments, priority and field changes, tags, ratings, links and fired timers, in time order.

>>> from hypothesis import given
>>> from ticketcore import Ticket
>>> @given(histories())
... def test_fold(events):
...     assert Ticket.from_events(events).version == len(events)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st

from ticketcore.model import (
    Actor,
    Assigned,
    Category,
    Event,
    FieldChanged,
    FieldValue,
    Linked,
    NoteAdded,
    Opened,
    PriorityChanged,
    Rated,
    Replied,
    Role,
    StatusChanged,
    TagsChanged,
    Ticket,
    TimerFired,
    Unassigned,
)

__all__ = [
    "CHANNELS",
    "STATUSES",
    "actors",
    "aware_datetimes",
    "field_values",
    "histories",
    "json_like",
    "many_histories",
    "mistyped_events",
    "tickets",
    "zones",
]

STATUSES: dict[str, Category] = {
    "new": Category.NEW,
    "open": Category.OPEN,
    "pending": Category.PENDING,
    "on_hold": Category.ON_HOLD,
    "awaiting_vendor": Category.ON_HOLD,
    "solved": Category.SOLVED,
    "closed": Category.CLOSED,
}
"""The statuses histories move between: one per category, plus a custom on-hold status."""

CHANNELS = ("email", "chat", "phone", "web", "self_service")

_START = datetime(2024, 1, 1, tzinfo=UTC)
_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8)
_TAGS = st.frozensets(st.sampled_from(["vip", "billing", "system_down", "vpn", "refund", "bug"]), max_size=3)


def zones() -> st.SearchStrategy[ZoneInfo]:
    """Time zones that exercise DST, odd offsets and dateline-adjacent places."""
    names = [
        "UTC",
        "Europe/Rome",
        "America/New_York",
        "America/Sao_Paulo",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
        "Pacific/Chatham",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
    ]
    return st.sampled_from(names).map(ZoneInfo)


def aware_datetimes(
    min_value: datetime = datetime(2000, 1, 1),  # noqa: DTZ001 (Hypothesis takes naive wall-clock bounds)
    max_value: datetime = datetime(2040, 12, 31),  # noqa: DTZ001 (as above)
) -> st.SearchStrategy[datetime]:
    """Aware datetimes in assorted zones (including ``fold=1`` readings), between two naive wall-clock bounds."""
    return st.datetimes(min_value=min_value, max_value=max_value, timezones=zones(), allow_imaginary=False)


def actors(role: Role | None = None) -> st.SearchStrategy[Actor]:
    """Actors with short ids, of the given role or any role."""
    roles = st.just(role) if role is not None else st.sampled_from(list(Role))
    return st.builds(Actor, _NAMES, roles)


def field_values() -> st.SearchStrategy[FieldValue]:
    """JSON scalars as custom fields hold them (finite floats only: NaN never equals itself)."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**53), 2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
    )


def json_like() -> st.SearchStrategy[Any]:
    """Arbitrary JSON-like data, for "only our errors, never a crash" fuzzing of loaders."""
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=5)
        ),
        max_leaves=20,
    )


_StepMaker = Callable[[Ticket, int, datetime], st.SearchStrategy[Event]]


def _status_step(ticket: Ticket, seq: int, at: datetime) -> st.SearchStrategy[Event]:
    def build(target: str, actor: Actor, reason: str | None) -> Event:
        return StatusChanged(
            ticket_id=ticket.id,
            seq=seq,
            at=at,
            actor=actor,
            from_status=ticket.status,
            from_category=ticket.category,
            to_status=target,
            to_category=STATUSES[target],
            reason=reason,
        )

    targets = [name for name in STATUSES if name != ticket.status]
    return st.builds(build, st.sampled_from(targets), actors(), st.none() | _NAMES)


def _reply_step(ticket: Ticket, seq: int, at: datetime) -> st.SearchStrategy[Event]:
    requester = st.just(Actor(ticket.requester, Role.REQUESTER))
    agent = actors(Role.AGENT)
    return st.builds(
        lambda actor, public: Replied(
            ticket_id=ticket.id, seq=seq, at=at, actor=actor, public=public, body="…"
        ),
        requester | agent,
        st.booleans(),
    )


def _other_step(ticket: Ticket, seq: int, at: datetime) -> st.SearchStrategy[Event]:
    head: dict[str, Any] = {"ticket_id": ticket.id, "seq": seq, "at": at}
    agent = actors(Role.AGENT)
    return st.one_of(
        st.builds(
            lambda a, g, by: Assigned(**head, actor=by, agent=a, group=g), _NAMES, st.none() | _NAMES, agent
        ),
        st.builds(lambda by: Unassigned(**head, actor=by), agent),
        st.builds(
            lambda p, manual, by: PriorityChanged(
                **head, actor=by, from_priority=ticket.priority, to_priority=p, manual=manual
            ),
            st.integers(1, 5),
            st.booleans(),
            agent,
        ),
        st.builds(lambda by: NoteAdded(**head, actor=by, body="note"), agent),
        st.builds(
            lambda add, rem, by: TagsChanged(**head, actor=by, added=add, removed=rem), _TAGS, _TAGS, agent
        ),
        st.builds(
            lambda name, value, by: FieldChanged(**head, actor=by, field=name, value=value),
            st.sampled_from(["impact", "urgency"]),
            st.integers(1, 3),
            agent,
        ),
        st.builds(
            lambda name, value, by: FieldChanged(**head, actor=by, field=name, value=value),
            _NAMES,
            field_values(),
            agent,
        ),
        st.builds(
            lambda score: Rated(**head, actor=Actor(ticket.requester, Role.REQUESTER), score=score),
            st.integers(1, 5),
        ),
        st.builds(
            lambda other: Linked(**head, actor=Actor.system(), other=other, relation="related"), _NAMES
        ),
        st.builds(lambda name: TimerFired(**head, actor=Actor.system(), timer=name, due_at=at), _NAMES),
    )


_STEPS: tuple[tuple[int, _StepMaker], ...] = ((4, _status_step), (4, _reply_step), (3, _other_step))


@st.composite
def histories(
    draw: st.DrawFn,
    *,
    ticket_id: str | None = None,
    min_events: int = 1,
    max_events: int = 25,
    start: datetime | None = None,
    max_gap: timedelta = timedelta(days=3),
) -> list[Event]:
    """The events of one ticket, in order, that fold into a :class:`Ticket` without error.

    Gaps between events are drawn in whole seconds up to ``max_gap`` (zero gaps included: several events may share an
    instant), starting at ``start`` or a drawn instant in 2024.
    """
    tid = ticket_id if ticket_id is not None else draw(_NAMES.map(lambda s: f"T-{s}"))
    at = start if start is not None else _START + timedelta(seconds=draw(st.integers(0, 365 * 86_400)))
    requester = draw(_NAMES)
    opened = Opened(
        ticket_id=tid,
        seq=1,
        at=at,
        actor=draw(st.sampled_from([Actor(requester, Role.REQUESTER), Actor("agent-0", Role.AGENT)])),
        requester=requester,
        subject=draw(st.text(max_size=20)),
        channel=draw(st.sampled_from(CHANNELS)),
        impact=draw(st.none() | st.integers(1, 3)),
        urgency=draw(st.none() | st.integers(1, 3)),
        priority=draw(st.none() | st.integers(1, 5)),
        segment=draw(st.none() | st.sampled_from(["vip", "standard"])),
        region=draw(st.none() | st.sampled_from(["eu", "us"])),
        country=draw(st.none() | st.sampled_from(["IT", "HR", "US"])),
        language=draw(st.none() | st.sampled_from(["en", "it", "hr", "de"])),
        group=draw(st.none() | st.sampled_from(["billing", "support", "network"])),
        tags=draw(_TAGS),
    )
    events: list[Event] = [opened]
    ticket = Ticket.from_events(events)
    count = draw(st.integers(min_events, max_events))
    weights = [weight for weight, _ in _STEPS]
    makers = [maker for _, maker in _STEPS]
    max_seconds = int(max_gap.total_seconds())
    for seq in range(2, count + 1):
        at = at + timedelta(seconds=draw(st.integers(0, max_seconds)))
        index = draw(st.sampled_from([i for i, w in enumerate(weights) for _ in range(w)]))
        event = draw(makers[index](ticket, seq, at))
        events.append(event)
        ticket = ticket.apply(event)
    return events


def many_histories(max_tickets: int = 10, **kwargs: Any) -> st.SearchStrategy[list[list[Event]]]:
    """Several histories with distinct ticket ids (``T-0``, ``T-1`` …)."""
    return st.integers(0, max_tickets).flatmap(
        lambda n: st.tuples(*(histories(ticket_id=f"T-{i}", **kwargs) for i in range(n))).map(list)
    )


def tickets(**kwargs: Any) -> st.SearchStrategy[Ticket]:
    """Ticket snapshots folded from :func:`histories`."""
    return histories(**kwargs).map(Ticket.from_events)


_HOSTILE: st.SearchStrategy[Any] = st.sampled_from(
    [
        None,
        0,
        -1,
        1.0,
        True,
        2**63,
        2**64,
        float("nan"),
        float("inf"),
        "",
        "1",
        "\x00",
        "\ud800",
        [],
        [1, 2],
        {},
    ]
) | st.builds(object)


def mistyped_events(ticket_id: str = "T-1") -> st.SearchStrategy[Event]:
    """A ticket's first event with one field holding a value of the wrong type (what careless callers send:
    ``requester=123``, ``priority="1"``, ``fields={"a": [1, 2]}``, ``seq=1.0``, an actor that is a plain string).

    Events whose value the class itself refuses on construction are left out: these are the ones a store must
    refuse. Some values are of the right type after all (``None`` for an optional field), so a store may also take
    an example; what it takes it must read back.
    """
    names = [field.name for field in attrs.fields(Opened) if field.name != "ticket_id"]
    base = Opened(
        ticket_id=ticket_id,
        seq=1,
        at=_START,
        actor=Actor("cy", Role.REQUESTER),
        requester="cy",
        subject="Help",
    )

    def build(name: str, value: Any) -> Event | None:
        try:
            return attrs.evolve(base, **{name: value})
        except Exception:
            return None

    pairs = st.tuples(st.sampled_from(names), _HOSTILE)
    nested = st.tuples(st.just("fields"), st.dictionaries(st.just("a"), _HOSTILE, min_size=1))
    members = st.tuples(st.sampled_from(["tags"]), st.lists(_HOSTILE, min_size=1, max_size=2))
    actor = st.tuples(
        st.just("actor"), st.sampled_from(["cy", 5]) | st.builds(Actor, _HOSTILE, st.just(Role.AGENT))
    )
    built = (pairs | nested | members | actor).map(lambda pair: build(*pair))
    return built.filter(lambda event: event is not None).map(lambda event: cast(Event, event))
