"""HelpDesk end-to-end stories over the memory store: open, act, reply, timers, listeners, conflicts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from helpers import AGENT as ADA
from helpers import REQUESTER as CY
from helpers import T0, Clock
from ticketcore import (
    Actor,
    ConcurrencyError,
    ConfigError,
    Event,
    InvalidEvent,
    InvalidTransition,
    NaiveDatetimeError,
    Role,
    Ticket,
    TicketNotFound,
)
from ticketcore.adapters.memory import MemoryStore
from ticketcore.desk import HelpDesk
from ticketcore.model import NoteAdded, PriorityChanged, StatusChanged, TimerFired
from ticketcore.priority import PriorityMatrix, PriorityPolicy
from ticketcore.sla import ClockState, MetricTargets, SLAPolicy


def standard_sla() -> SLAPolicy:
    return SLAPolicy(
        "standard",
        {
            "first_response": MetricTargets(
                {1: timedelta(hours=1), 2: timedelta(hours=2)}, timedelta(hours=8)
            ),
            "resolution": MetricTargets({}, timedelta(days=3)),
        },
    )


def make_desk(store: MemoryStore | None = None, clock: Clock | None = None) -> tuple[HelpDesk, Clock]:
    clock = clock or Clock()
    desk = HelpDesk(
        store or MemoryStore("acme"),
        clock=clock,
        priorities=PriorityPolicy(PriorityMatrix.itil()),
        sla=standard_sla(),
    )
    return desk, clock


def test_the_sla_of_an_unknown_ticket_is_refused_by_its_id() -> None:
    desk, _ = make_desk()
    with pytest.raises(TicketNotFound, match="no ticket with id 'T-404'"):
        desk.sla("T-404")
    with pytest.raises(InvalidEvent, match="ticket_id"):
        desk.sla(404)  # type: ignore[arg-type]
    with pytest.raises(InvalidEvent, match="ticket_id"):
        desk.timers(404)  # type: ignore[arg-type]


def test_a_ticket_through_its_life() -> None:
    desk, clock = make_desk()
    opening = desk.open(requester="cy", subject="VPN down", impact=1, urgency=2, tags=["vpn"])
    ticket = opening.ticket
    assert (ticket.id, ticket.status, ticket.priority, ticket.tags) == ("T-1", "new", 2, frozenset({"vpn"}))
    assert opening.assessment is not None
    assert opening.assessment.final.level == 2
    assert opening.sla is not None
    assert opening.sla.metric("first_response").state is ClockState.RUNNING
    assert opening.sla.metric("first_response").current.due_at == T0 + timedelta(hours=2)  # type: ignore[union-attr]

    clock.advance(minutes=10)
    desk.assign("T-1", ADA, agent="ada", group="network")
    desk.act("T-1", "accept", ADA)
    clock.advance(minutes=20)
    desk.reply("T-1", ADA, "Which office are you in?")
    assert desk.sla("T-1").metric("first_response").state is ClockState.ACHIEVED
    desk.act("T-1", "wait_for_customer", ADA)
    clock.advance(hours=3)
    after_reply = desk.reply("T-1", CY, "Rome")
    assert after_reply.status == "open"  # the requester's reply reopened the pending ticket
    clock.advance(hours=1)
    solved = desk.act("T-1", "solve", ADA, reason="restarted the concentrator")
    assert solved.category.value == "solved"
    assert desk.allowed("T-1", CY) == ["reopen"]

    assert desk.run_timers(clock.advance(days=3)) == []
    fired = desk.run_timers(clock.advance(days=1, minutes=1))
    assert [type(e) for e in fired] == [TimerFired, StatusChanged]
    assert desk.get("T-1").status == "closed"
    assert desk.run_timers(clock.advance(days=30)) == []

    with pytest.raises(InvalidTransition, match="immutable"):
        desk.reply("T-1", CY, "thanks!")
    with pytest.raises(InvalidTransition, match="immutable"):
        desk.note("T-1", ADA, "done")
    events = desk.events("T-1")
    assert desk.get("T-1") == Ticket.from_events(events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


def test_pending_timers_remind_then_solve_then_close() -> None:
    desk, clock = make_desk()
    desk.open(requester="cy", subject="printer")
    desk.assign("T-1", ADA, agent="ada")
    desk.act("T-1", "wait_for_customer", ADA)
    reminder = desk.run_timers(clock.advance(days=2))
    assert [(type(e), getattr(e, "timer", None)) for e in reminder] == [(TimerFired, "pending_reminder")]
    assert desk.get("T-1").status == "pending"
    solved = desk.run_timers(clock.advance(days=5))
    assert [getattr(e, "timer", getattr(e, "to_status", None)) for e in solved] == [
        "pending_auto_solve",
        "solved",
    ]
    closed = desk.run_timers(clock.advance(days=4))
    assert [getattr(e, "to_status", None) for e in closed] == [None, "closed"]
    assert desk.run_timers(clock.advance(days=4)) == []


def test_timers_fire_once_even_from_two_desks_on_one_store() -> None:
    store = MemoryStore("acme")
    first, clock = make_desk(store)
    second, _ = make_desk(store, clock)
    first.open(requester="cy")
    first.assign("T-1", ADA, agent="ada")
    first.act("T-1", "solve", ADA)
    clock.advance(days=5)
    assert len(first.run_timers()) == 2
    assert second.run_timers() == []
    assert first.timers("T-1") == []


def test_listeners_hear_every_stored_change_and_only_those() -> None:
    desk, _ = make_desk()
    heard: list[tuple[str, int, list[str]]] = []

    def listener(ticket: Ticket, events: Sequence[Event]) -> None:
        heard.append((ticket.id, ticket.version, [e.type for e in events]))

    stop = desk.subscribe(listener)
    desk.open(requester="cy")
    desk.note("T-1", ADA, "first look")
    with pytest.raises(InvalidTransition):
        desk.act("T-1", "close", ADA)
    desk.tag("T-1", ADA, remove=["absent"])
    stop()
    desk.note("T-1", ADA, "unheard")
    assert heard == [("T-1", 1, ["opened"]), ("T-1", 2, ["note_added"])]


def test_a_failing_listener_does_not_undo_the_change_or_silence_the_others() -> None:
    desk, _ = make_desk()
    heard: list[int] = []

    def broken(ticket: Ticket, events: Sequence[Event]) -> None:
        raise RuntimeError("mail server down")

    desk.subscribe(broken)
    desk.subscribe(lambda ticket, events: heard.append(ticket.version))
    with pytest.raises(RuntimeError, match="mail server down"):
        desk.open(requester="cy")
    assert heard == [1]
    assert desk.get("T-1").version == 1


class RacingStore(MemoryStore):
    """Lets another writer append just before each of the next ``races`` appends."""

    def __init__(self) -> None:
        super().__init__("acme")
        self.races: list[str] = []

    def append(
        self, ticket_id: str, events: Sequence[Event], expected_version: int, *, due: datetime | None = None
    ) -> int:
        if self.races:
            action = self.races.pop(0)
            ticket = self.get(ticket_id)
            at = ticket.updated_at
            if action == "note":
                other = NoteAdded(
                    ticket_id=ticket_id, seq=ticket.version + 1, at=at, actor=Actor("bo", Role.AGENT)
                )
                super().append(ticket_id, [other], ticket.version)
            else:
                desk = HelpDesk(MemoryStore("unused"), clock=lambda: at)
                super().append(
                    ticket_id, desk.workflow.apply(ticket, action, actor=ADA, at=at), ticket.version
                )
        return super().append(ticket_id, events, expected_version, due=due)


def test_a_conflict_is_decided_again_on_the_fresh_ticket() -> None:
    store = RacingStore()
    desk, _ = make_desk(store)  # type: ignore[arg-type]
    desk.open(requester="cy")
    store.races = ["note"]
    ticket = desk.act("T-1", "accept", ADA)
    assert ticket.status == "open"
    assert [e.type for e in desk.events("T-1")] == ["opened", "note_added", "status_changed"]


def test_a_conflict_that_makes_the_action_impossible_raises_it() -> None:
    store = RacingStore()
    desk, _ = make_desk(store)  # type: ignore[arg-type]
    desk.open(requester="cy")
    store.races = ["cancel"]
    with pytest.raises(InvalidTransition, match="'accept'"):
        desk.act("T-1", "accept", ADA)
    assert desk.get("T-1").status == "canceled"


def test_a_second_conflict_is_raised() -> None:
    store = RacingStore()
    desk, _ = make_desk(store)  # type: ignore[arg-type]
    desk.open(requester="cy")
    store.races = ["note", "note"]
    with pytest.raises(ConcurrencyError):
        desk.note("T-1", ADA, "mine")
    assert [e.type for e in desk.events("T-1")] == ["opened", "note_added", "note_added"]


def test_commands_that_change_nothing_store_nothing() -> None:
    desk, _ = make_desk()
    desk.open(requester="cy", tags=["vpn"], group="network")
    version = desk.get("T-1").version
    desk.tag("T-1", ADA, add=["vpn"], remove=["billing"])
    desk.assign("T-1", ADA, group="network")
    desk.unassign("T-1", ADA)
    assert desk.get("T-1").version == version
    changed = desk.tag("T-1", ADA, add=["vip"], remove=["vpn"])
    assert changed.tags == frozenset({"vip"})


def test_bad_commands_are_refused_with_our_errors() -> None:
    desk, _ = make_desk()
    desk.open(requester="cy")
    with pytest.raises(InvalidEvent, match="agent, a group"):
        desk.assign("T-1", ADA)
    with pytest.raises(InvalidEvent, match=r"write \['vip'\]"):
        desk.tag("T-1", ADA, add="vip")
    with pytest.raises(InvalidTransition, match="only the requester"):
        desk.rate("T-1", ADA, 5)
    with pytest.raises(InvalidEvent, match="outside 1..5"):
        desk.rate("T-1", CY, 9)
    assert desk.rate("T-1", CY, 4).rating == 4
    with pytest.raises(ConcurrencyError):
        desk.open(requester="cy", ticket_id="T-1")
    with pytest.raises(ConfigError, match="clock"):
        HelpDesk(MemoryStore(), clock=T0)  # type: ignore[arg-type]
    naive = HelpDesk(MemoryStore(), clock=lambda: datetime(2025, 1, 1))
    with pytest.raises(NaiveDatetimeError):
        naive.open(requester="cy")


def test_optional_collaborators_say_how_to_configure_them() -> None:
    desk = HelpDesk(MemoryStore(), clock=Clock())
    opening = desk.open(requester="cy", impact=1, urgency=1)
    assert (opening.assessment, opening.sla, opening.ticket.priority) == (None, None, None)
    with pytest.raises(ConfigError, match="sla=SLAPolicy"):
        desk.sla("T-1")
    with pytest.raises(ConfigError, match="priorities=PriorityPolicy"):
        desk.override_priority("T-1", ADA, 1, reason="CEO")


def test_a_given_priority_stands_and_overrides_are_recorded() -> None:
    desk, _ = make_desk()
    opening = desk.open(requester="cy", impact=3, urgency=3, priority=1)
    assert (opening.ticket.priority, opening.assessment) == (1, None)
    changed = desk.override_priority("T-1", ADA, 3, reason="not so urgent after all")
    assert changed.priority == 3
    last = desk.events("T-1")[-1]
    assert isinstance(last, PriorityChanged)
    assert last.manual


def test_an_event_never_predates_the_previous_one_when_clocks_disagree() -> None:
    store = MemoryStore("acme")
    ahead, _ = make_desk(store, Clock(T0 + timedelta(minutes=5)))
    behind, _ = make_desk(store, Clock(T0))
    ahead.open(requester="cy")
    behind.note("T-1", ADA, "from a slower clock")
    assert [e.at for e in store.events("T-1")] == [T0 + timedelta(minutes=5)] * 2


def test_a_failing_listener_does_not_stop_the_timer_run() -> None:
    desk, clock = make_desk()
    for requester in ("cy", "dee"):
        ticket_id = desk.open(requester=requester).ticket.id
        desk.assign(ticket_id, ADA, agent="ada")
        desk.act(ticket_id, "solve", ADA)
    calls: list[str] = []

    def broken(ticket: Ticket, events: Sequence[Event]) -> None:
        calls.append(ticket.id)
        raise RuntimeError("pager down")

    desk.subscribe(broken)
    with pytest.raises(RuntimeError, match="pager down"):
        desk.run_timers(clock.advance(days=5))
    assert calls == ["T-1", "T-2"]
    assert [desk.get(t).status for t in ("T-1", "T-2")] == ["closed", "closed"]
