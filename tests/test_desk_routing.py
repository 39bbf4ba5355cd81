"""HelpDesk with a router: new tickets are routed as they open, loads come from the store, decisions explain."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from helpers import AGENT as ADA
from helpers import T0
from ticketcore import Actor, ConfigError, Event, Ticket
from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.desk import HelpDesk
from ticketcore.model import Assigned
from ticketcore.repositories import DuePage, Page, TicketQuery, TicketStore
from ticketcore.routing import Agent, Match, Presence, Requirements, Router, RoutingRule

ROUTER = Router([RoutingRule("billing", when=Match(topics={"billing"}), then=Requirements(group="billing"))])
AGENTS = [
    Agent("ada", groups={"billing"}, capacity={"email": 2}),
    Agent("bo", groups={"billing"}, capacity={"email": 5}),
    Agent("cy", capacity={"email": 5}),
]


def desk_on(store: TicketStore) -> HelpDesk:
    desk = HelpDesk(store, clock=lambda: T0, router=ROUTER)
    for agent in AGENTS:
        desk.put_agent(agent)
    return desk


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TicketStore]:
    made: TicketStore = (
        MemoryStore("acme") if request.param == "memory" else SQLiteStore(tmp_path / "r.db", tenant="acme")
    )
    yield made
    made.close()


def test_new_tickets_are_routed_by_load_within_the_rule(store: TicketStore) -> None:
    desk = desk_on(store)
    owners = [desk.open(requester=f"r{n}", topic="billing").ticket.assignee for n in range(5)]
    # Least loaded = most spare email capacity (ada 2, bo 5), read from the store's loads after every ticket.
    assert owners == ["bo", "bo", "bo", "ada", "bo"]
    opening = desk.open(requester="x", topic="hardware")
    assert opening.routing is not None
    assert opening.routing.rule is None
    assert [type(e) for e in opening.events] == [type(opening.events[0]), Assigned]
    assert desk.get(opening.ticket.id) == Ticket.from_events(opening.events)


def test_nobody_eligible_leaves_the_ticket_unassigned_and_says_why(store: TicketStore) -> None:
    desk = HelpDesk(store, clock=lambda: T0, router=ROUTER)
    desk.put_agent(Agent("cy", capacity={"email": 5}))
    opening = desk.open(requester="r", topic="billing")
    assert opening.ticket.assignee is None
    assert opening.routing is not None
    assert not opening.routing.assigned
    assert "not in group 'billing'" in opening.routing.explain()
    assert len(desk.events(opening.ticket.id)) == 1


def test_route_moves_a_ticket_when_its_agent_goes_offline(store: TicketStore) -> None:
    desk = desk_on(store)
    ticket = desk.open(requester="r", topic="billing", agent="ada").ticket
    assert ticket.assignee == "ada"
    assert desk.route(ticket.id).agent_id in {"ada", "bo"}
    desk.put_agent(Agent("ada", groups={"billing"}, capacity={"email": 2}, presence=Presence.OFFLINE))
    decision = desk.route(ticket.id)
    assert decision.agent_id == "bo"
    assert desk.get(ticket.id).assignee == "bo"
    last = desk.events(ticket.id)[-1]
    assert isinstance(last, Assigned)
    assert last.actor == Actor.system("router")


class PlainStore:
    """A TicketStore that is not an AgentDirectory: the desk counts loads itself."""

    def __init__(self) -> None:
        self.inner = MemoryStore("acme")
        self.tenant = "acme"

    def append(
        self, ticket_id: str, events: Sequence[Event], expected_version: int, *, due: datetime | None = None
    ) -> int:
        return self.inner.append(ticket_id, events, expected_version, due=due)

    def due(self, at_or_before: datetime, *, limit: int = 100, cursor: str | None = None) -> DuePage:
        return self.inner.due(at_or_before, limit=limit, cursor=cursor)

    def set_due(self, ticket_id: str, version: int, due: datetime) -> bool:
        return self.inner.set_due(ticket_id, version, due)

    def events(self, ticket_id: str, after: int = 0) -> list[Event]:
        return self.inner.events(ticket_id, after)

    def get(self, ticket_id: str) -> Ticket:
        return self.inner.get(ticket_id)

    def find(self, query: TicketQuery) -> Page:
        return self.inner.find(query)

    def stream(self, after: int = 0) -> Iterator[tuple[int, Event]]:
        return self.inner.stream(after)

    def next_ticket_id(self) -> str:
        return self.inner.next_ticket_id()

    def close(self) -> None:
        self.inner.close()


def test_agents_can_come_from_the_application_and_loads_from_any_store() -> None:
    store = PlainStore()
    with pytest.raises(ConfigError, match="a router needs agents"):
        HelpDesk(store, clock=lambda: T0, router=ROUTER)
    desk = HelpDesk(store, clock=lambda: T0, router=ROUTER, agents=lambda: AGENTS[:2])
    owners = [desk.open(requester=f"r{n}", topic="billing").ticket.assignee for n in range(5)]
    assert owners == ["bo", "bo", "bo", "ada", "bo"]
    with pytest.raises(ConfigError, match="not an AgentDirectory"):
        desk.put_agent(AGENTS[0])


def test_route_without_a_router_says_how_to_configure_one() -> None:
    desk = HelpDesk(MemoryStore(), clock=lambda: T0)
    desk.open(requester="r")
    with pytest.raises(ConfigError, match="router=Router"):
        desk.route("T-1", waited=timedelta(minutes=5))
    desk.assign("T-1", ADA, agent="ada")
    assert desk.get("T-1").assignee == "ada"
