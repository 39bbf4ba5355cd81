"""Folding histories into tickets: invariants, refusals, and the foundation's user story."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import AGENT, REQUESTER, T0, opened
from ticketcore import (
    Actor,
    Assigned,
    Category,
    Event,
    InvalidEvent,
    NaiveDatetimeError,
    NoteAdded,
    Opened,
    Rated,
    Replied,
    Role,
    StatusChanged,
    TagsChanged,
    Ticket,
)
from ticketcore.codec import dump, load
from ticketcore.testing.strategies import histories


def move(seq: int, minutes: int, frm: str, to: str, actor: Actor = AGENT) -> StatusChanged:
    categories = {"new": "new", "open": "open", "pending": "pending", "solved": "solved", "closed": "closed"}
    return StatusChanged(
        ticket_id="T-1",
        seq=seq,
        at=T0 + timedelta(minutes=minutes),
        actor=actor,
        from_status=frm,
        from_category=categories[frm],
        to_status=to,
        to_category=categories[to],
    )


def story() -> list[Event]:
    """Opened, assigned, replied to, put on pending, reopened by the requester, solved and closed."""
    return [
        Opened(
            ticket_id="T-1",
            seq=1,
            at=T0,
            actor=REQUESTER,
            requester="cy",
            subject="VPN down",
            channel="email",
        ),
        Assigned(
            ticket_id="T-1", seq=2, at=T0 + timedelta(minutes=5), actor=AGENT, agent="ada", group="network"
        ),
        move(3, 6, "new", "open"),
        Replied(ticket_id="T-1", seq=4, at=T0 + timedelta(minutes=20), actor=AGENT, body="Which client?"),
        move(5, 21, "open", "pending"),
        Replied(ticket_id="T-1", seq=6, at=T0 + timedelta(hours=2), actor=REQUESTER, body="The Windows one"),
        move(7, 121, "pending", "open", actor=Actor.system()),
        move(8, 180, "open", "solved"),
        move(9, 200, "solved", "open", actor=REQUESTER),
        move(10, 240, "open", "solved"),
        Rated(ticket_id="T-1", seq=11, at=T0 + timedelta(hours=5), actor=REQUESTER, score=5),
        move(12, 60 * 24 * 4, "solved", "closed", actor=Actor.system()),
    ]


def test_story_folds_dumps_and_loads_back_equal() -> None:
    events = story()
    ticket = Ticket.from_events(events)
    assert ticket.status == "closed"
    assert ticket.category is Category.CLOSED
    assert ticket.version == 12
    assert ticket.assignee == "ada"
    assert ticket.group == "network"
    assert ticket.reopen_count == 1
    assert ticket.public_agent_replies == 1
    assert ticket.public_requester_replies == 1
    assert ticket.first_replied_at == T0 + timedelta(minutes=20)
    assert ticket.first_solved_at == T0 + timedelta(minutes=180)
    assert ticket.solved_at == T0 + timedelta(minutes=240)
    assert ticket.closed_at == T0 + timedelta(days=4)
    assert ticket.rating == 5
    assert not ticket.is_unsolved

    import json

    data = json.loads(json.dumps(dump(events)))
    assert load(list[Event], data) == events
    assert load(Ticket, json.loads(json.dumps(dump(ticket)))) == ticket


def test_apply_one_by_one_equals_from_events() -> None:
    events = story()
    ticket = Ticket.from_events(events[:1])
    for event in events[1:]:
        ticket = ticket.apply(event)
    assert ticket == Ticket.from_events(events)


def _one_by_one(ticket: Ticket, events: list[Event]) -> Ticket | str:
    try:
        for event in events:
            ticket = ticket.apply(event)
    except InvalidEvent as error:
        return f"{error} ({error.ticket_id} {error.seq})"
    return ticket


def _all_at_once(ticket: Ticket, events: list[Event]) -> Ticket | str:
    try:
        return ticket.apply_all(events)
    except InvalidEvent as error:
        return f"{error} ({error.ticket_id} {error.seq})"


@given(histories(min_events=2), st.data())
def test_apply_all_equals_applying_one_event_at_a_time(events: list[Event], data: st.DataObject) -> None:
    start = data.draw(st.integers(1, len(events)))
    stretch = list(events[start:])
    if stretch and data.draw(st.booleans()):
        # A stretch with one event that cannot continue it: the same error, for the same event.
        where = data.draw(st.integers(0, len(stretch) - 1))
        broken = stretch[where]
        stretch[where] = data.draw(
            st.sampled_from(
                [
                    attrs.evolve(broken, seq=broken.seq + 1),
                    attrs.evolve(broken, ticket_id="T-other"),
                    attrs.evolve(broken, at=events[0].at - timedelta(seconds=1)),
                    attrs.evolve(events[0], seq=broken.seq, at=broken.at),
                ]
            )
        )
    ticket = Ticket.from_events(events[:start])
    kept = attrs.asdict(ticket, recurse=False)
    expected = _one_by_one(ticket, stretch)
    assert _all_at_once(ticket, stretch) == expected
    assert attrs.asdict(ticket, recurse=False) == kept  # the snapshot it started from is unchanged
    if not isinstance(expected, str):
        assert Ticket.from_events([*events[:start], *stretch]) == expected
        assert hash(ticket.apply_all(stretch)) == hash(expected)


def test_apply_all_of_nothing_is_the_same_snapshot() -> None:
    ticket = Ticket.from_events(story())
    assert ticket.apply_all([]) is ticket


@given(histories())
def test_fold_invariants(events: list[Event]) -> None:
    ticket = Ticket.from_events(events)
    assert ticket.version == events[-1].seq == len(events)
    assert ticket.updated_at == events[-1].at
    assert ticket.created_at == events[0].at
    replies = [e for e in events if isinstance(e, Replied) and e.public]
    assert ticket.public_agent_replies == sum(e.actor.role.is_staff for e in replies)
    assert ticket.public_requester_replies == sum(e.actor.role is Role.REQUESTER for e in replies)
    reopens = 0
    category = Category.NEW
    for event in events:
        if isinstance(event, Opened):
            category = event.category
        elif isinstance(event, StatusChanged):
            reopens += (not category.is_unsolved) and event.to_category.is_unsolved
            category = event.to_category
    assert ticket.reopen_count == reopens
    assert ticket.category is category
    tags = set(events[0].tags) if isinstance(events[0], Opened) else set()
    for e in events:
        if isinstance(e, TagsChanged):
            tags = (tags - e.removed) | e.added
    assert ticket.tags == tags


def test_odd_jumps_are_history_not_errors() -> None:
    events = [story()[0], move(2, 1, "new", "closed"), move(3, 2, "closed", "open")]
    ticket = Ticket.from_events(events)
    assert ticket.status == "open"
    assert ticket.reopen_count == 1


def test_refuses_empty_history() -> None:
    with pytest.raises(InvalidEvent, match="at least one event"):
        Ticket.from_events([])


def test_refuses_history_not_starting_with_opened() -> None:
    with pytest.raises(InvalidEvent, match="must start with an 'opened'"):
        Ticket.from_events([story()[1]])


def test_refuses_gap_in_seq() -> None:
    events = story()
    with pytest.raises(InvalidEvent, match="expected seq 2") as info:
        Ticket.from_events([events[0], events[2]])
    assert info.value.ticket_id == "T-1"
    assert info.value.seq == 3


def test_refuses_mixed_ticket_ids() -> None:
    other = Assigned(ticket_id="T-2", seq=2, at=T0, actor=AGENT, agent="ada")
    with pytest.raises(InvalidEvent, match="belongs to ticket 'T-2'"):
        Ticket.from_events([story()[0], other])


def test_refuses_time_going_backwards() -> None:
    early = Assigned(ticket_id="T-1", seq=2, at=T0 - timedelta(seconds=1), actor=AGENT, agent="ada")
    with pytest.raises(InvalidEvent, match="before the previous event"):
        Ticket.from_events([story()[0], early])


def test_refuses_naive_datetimes() -> None:
    with pytest.raises(NaiveDatetimeError, match="timezone-aware"):
        Assigned(ticket_id="T-1", seq=2, at=datetime(2025, 1, 1), actor=AGENT, agent="ada")


def test_event_times_are_kept_in_utc() -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2025, 7, 1, 11, 0, tzinfo=ZoneInfo("Europe/Rome"))
    event = Assigned(ticket_id="T-1", seq=2, at=local, actor=AGENT, agent="ada")
    assert event.at.tzinfo is UTC
    assert event.at == local


def test_refuses_rating_outside_scale() -> None:
    with pytest.raises(InvalidEvent, match="outside 1..5"):
        Rated(ticket_id="T-1", seq=2, at=T0, actor=REQUESTER, score=6)


def test_unknown_role_names_valid_values() -> None:
    with pytest.raises(ValueError, match="valid values: 'requester', 'agent'"):
        Actor("x", "boss")  # type: ignore[arg-type]


def test_solved_then_reopened_clears_solved_at() -> None:
    events = story()[:9]
    ticket = Ticket.from_events(events)
    assert ticket.is_unsolved
    assert ticket.solved_at is None
    assert ticket.first_solved_at == T0 + timedelta(minutes=180)
    assert ticket.last_reopened_at == T0 + timedelta(minutes=200)


def test_staff_is_decided_once_for_roles_and_actors() -> None:
    from ticketcore._lifecycle.defs import STAFF_ROLES as LIFECYCLE_STAFF
    from ticketcore.model import STAFF_ROLES

    assert LIFECYCLE_STAFF is STAFF_ROLES  # the workflow's role checks read the model's one set
    assert (
        {role for role in Role if role.is_staff} == STAFF_ROLES == {Role.AGENT, Role.SUPERVISOR, Role.ADMIN}
    )
    for role in Role:
        assert Actor("x", role).is_staff is (role in STAFF_ROLES)
    assert not Actor.system().is_staff


def test_one_fold_of_ticket_attributes_serves_snapshots_and_sla_selection() -> None:
    from ticketcore.model import FieldChanged, PriorityChanged, attribute_changes

    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    agent = Actor("ada", Role.AGENT)
    ticket = Ticket.from_events(
        [
            Opened(
                ticket_id="t",
                seq=1,
                at=at,
                actor=agent,
                requester="rita",
                tags=frozenset({"a"}),
                fields={"plan": "gold"},
            ),
            TagsChanged(
                ticket_id="t", seq=2, at=at, actor=agent, added=frozenset({"b"}), removed=frozenset({"a"})
            ),
            FieldChanged(ticket_id="t", seq=3, at=at, actor=agent, field="plan", value=None),
            FieldChanged(ticket_id="t", seq=4, at=at, actor=agent, field="channel", value="phone"),
        ]
    )
    assert ticket.tags == {"b"}
    assert dict(ticket.fields) == {}
    assert ticket.channel == "phone"
    change = PriorityChanged(ticket_id="t", seq=5, at=at, actor=agent, from_priority=None, to_priority=2)
    assert attribute_changes(ticket.tags, ticket.fields, change) == {"priority": 2}
    assert ticket.apply(change).priority == 2
    assert (
        attribute_changes(
            ticket.tags, ticket.fields, Replied(ticket_id="t", seq=5, at=at, actor=agent, public=True)
        )
        == {}
    )


def test_a_fold_keeps_a_subclass_of_ticket_and_its_own_attributes() -> None:
    @attrs.frozen(kw_only=True)
    class Flagged(Ticket):
        flag: str = "none"

    first = Flagged.from_events([opened()])
    flagged = attrs.evolve(first, flag="red")
    after = flagged.apply(
        NoteAdded(ticket_id="T-1", seq=2, at=T0 + timedelta(minutes=5), actor=AGENT, body="x")
    )
    assert type(after) is Flagged
    assert (after.flag, after.version, after.internal_comments) == ("red", 2, 1)
