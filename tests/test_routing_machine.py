"""A help desk's day as a state machine: tickets arrive, batches assign them, agents decline, solve and go away.

Invariants: no agent ever holds more than their capacity for a channel; a declined ticket keeps its original age and is
never offered again to an agent who declined it; every decision's reasons agree with the oracle.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from test_routing_support import expected_kinds, ticket
from ticketcore.model import Ticket
from ticketcore.routing import Agent, AgentLoad, Presence, QueueItem, Requirements, Router, Strategy

CHANNELS = ["email", "chat"]
START = datetime(2025, 3, 3, 9, tzinfo=UTC)


class RoutingDay(RuleBasedStateMachine):
    """The model: a queue of waiting items, the open tickets of each agent, and every decline."""

    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.queue: dict[str, QueueItem] = {}
        self.first_wait: dict[str, datetime] = {}
        self.tickets: dict[str, Ticket] = {}
        self.holding: dict[str, list[tuple[str, str]]] = {}
        self.declined: dict[str, set[str]] = {}
        self.agents: list[Agent] = []
        self.router = Router()
        self.count = 0

    @initialize(
        strategy=st.sampled_from(list(Strategy)),
        crew=st.lists(
            st.tuples(st.integers(0, 3), st.integers(0, 2), st.sampled_from(["en", "it", "de"])),
            min_size=1,
            max_size=4,
        ),
        ticket_language=st.booleans(),
    )
    def setup(self, strategy: Strategy, crew: list[tuple[int, int, str]], ticket_language: bool) -> None:
        self.agents = [
            Agent(f"ag{n}", capacity={"email": email, "chat": chat}, languages=[language])
            for n, (email, chat, language) in enumerate(crew)
        ]
        self.holding = {agent.id: [] for agent in self.agents}
        self.router = Router(strategy=strategy, fallback=Requirements(ticket_language=ticket_language))

    def loads(self) -> dict[str, AgentLoad]:
        out = {}
        for agent_id, held in self.holding.items():
            counts: dict[str, int] = {}
            for _, channel in held:
                counts[channel] = counts.get(channel, 0) + 1
            out[agent_id] = AgentLoad(agent_id, per_channel=counts)
        return out

    @rule(
        channel=st.sampled_from(CHANNELS),
        language=st.sampled_from(["en", "it", "de"]),
        priority=st.integers(1, 3),
    )
    def arrive(self, channel: str, language: str, priority: int) -> None:
        self.count += 1
        ticket_id = f"T{self.count}"
        t = ticket(ticket_id, channel=channel, language=language, priority=priority)
        self.queue[ticket_id] = QueueItem(t, waiting_since=self.now)
        self.first_wait[ticket_id] = self.now
        self.tickets[ticket_id] = t

    @rule(minutes=st.integers(1, 30))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule()
    def assign(self) -> None:
        loads = self.loads()
        decisions = self.router.assign(list(self.queue.values()), self.agents, loads, now=self.now)
        assert sorted(d.ticket_id for d in decisions) == sorted(self.queue)
        for decision in decisions:
            item = self.queue[decision.ticket_id]
            if decision.agent_id is None:
                for agent in self.agents:
                    kinds = expected_kinds(
                        agent,
                        AgentLoad(agent.id, per_channel=_counts(self.holding[agent.id])),
                        decision.requirements,
                        channel=item.ticket.channel,
                        now=self.now,
                        excluded=item.declined_by,
                    )
                    assert kinds, f"{agent.id} could still take {decision.ticket_id}"
                continue
            assert decision.agent_id not in self.declined.get(decision.ticket_id, set())
            self.holding[decision.agent_id].append((decision.ticket_id, item.ticket.channel))
            del self.queue[decision.ticket_id]

    @precondition(lambda self: any(self.holding.values()))
    @rule(data=st.data())
    def decline(self, data: st.DataObject) -> None:
        agent_id = data.draw(st.sampled_from(sorted(a for a, held in self.holding.items() if held)))
        ticket_id, _ = self.holding[agent_id].pop(0)
        self.declined.setdefault(ticket_id, set()).add(agent_id)
        # Back to the queue with its original age, naming everyone who declined it.
        self.queue[ticket_id] = QueueItem(
            self.tickets[ticket_id],
            waiting_since=self.first_wait[ticket_id],
            declined_by=frozenset(self.declined[ticket_id]),
        )

    @precondition(lambda self: any(self.holding.values()))
    @rule(data=st.data())
    def solve(self, data: st.DataObject) -> None:
        agent_id = data.draw(st.sampled_from(sorted(a for a, held in self.holding.items() if held)))
        self.holding[agent_id].pop(0)

    @rule(index=st.integers(0, 3), presence=st.sampled_from(list(Presence)))
    def set_presence(self, index: int, presence: Presence) -> None:
        if index < len(self.agents):
            self.agents[index] = attrs.evolve(self.agents[index], presence=presence)

    @invariant()
    def never_over_capacity(self) -> None:
        for agent in self.agents:
            for channel, count in _counts(self.holding[agent.id]).items():
                assert count <= agent.capacity.get(channel, 0)

    @invariant()
    def waiting_tickets_keep_their_age(self) -> None:
        for ticket_id, item in self.queue.items():
            assert item.waiting_since == self.first_wait[ticket_id]


def _counts(held: list[tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, channel in held:
        counts[channel] = counts.get(channel, 0) + 1
    return counts


RoutingDay.TestCase.settings = settings(RoutingDay.TestCase.settings, stateful_step_count=25)
TestRoutingDay = RoutingDay.TestCase
