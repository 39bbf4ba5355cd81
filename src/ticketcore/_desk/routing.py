"""Agents and their loads as the desks route with them, read through steps (private to ``desk``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import attrs

from ticketcore import codec
from ticketcore._desk.decide import refuse_if_closed
from ticketcore._desk.steps import Steps, step
from ticketcore.lifecycle import Workflow
from ticketcore.model import Actor, Assigned, Category, Event, Ticket
from ticketcore.repositories import Page, TicketQuery
from ticketcore.routing import Agent, AgentLoad, Router, RoutingDecision

__all__ = ["AgentSource", "StepDecide", "routing"]

StepDecide = Callable[[Ticket, datetime], Steps[list[Event]]]
"""A command's decision that may read the store first: the events to append at the instant given."""

_UNSOLVED = TicketQuery(category={c for c in Category if c.is_unsolved}, limit=1_000)


@attrs.frozen
class AgentSource:
    """Where the agents come from: ``agents()`` when given, otherwise the store's agent directory (``directory``:
    whether the store is one; without it, loads are counted from the tickets)."""

    agents: Callable[[], Iterable[Agent]] | None
    directory: bool

    def agent_list(self) -> Steps[list[Agent]]:
        """The agents to route among."""
        if self.agents is not None:
            return list(self.agents())
        assert self.directory  # checked by the desk's __init__
        listed = yield step("list_agents")
        return [codec.load(Agent, data) for _, data in listed]

    def loads(self, excluding: Ticket | None = None) -> Steps[dict[str, AgentLoad]]:
        """Unsolved tickets per agent and channel; ``excluding`` (the ticket being routed) is not counted."""
        counts: dict[str, dict[str, int]]
        if self.directory:
            counts = yield step("agent_loads")
        else:
            counts = {}
            query = _UNSOLVED
            while True:
                page: Page = yield step("find", query)
                for ticket in page:
                    if ticket.assignee is not None:
                        per = counts.setdefault(ticket.assignee, {})
                        per[ticket.channel] = per.get(ticket.channel, 0) + 1
                if page.next_cursor is None:
                    break
                query = attrs.evolve(query, cursor=page.next_cursor)
        if excluding is not None and excluding.assignee is not None and excluding.is_unsolved:
            per = counts.get(excluding.assignee, {})
            if per.get(excluding.channel, 0) > 0:
                per[excluding.channel] -= 1
        return {agent_id: AgentLoad(agent_id, per_channel=per) for agent_id, per in counts.items()}

    def route(self, router: Router, ticket: Ticket, now: datetime) -> Steps[RoutingDecision]:
        """The router's decision for a ticket not yet stored (or routed by a rule), at ``now``."""
        agents = yield from self.agent_list()
        return router.route(ticket, agents, (yield from self.loads()), now=now)


def routing(
    source: AgentSource,
    workflow: Workflow,
    router: Router,
    waited: timedelta | None,
    decisions: list[RoutingDecision],
) -> StepDecide:
    """Route the ticket and assign it when the router picks someone new; each decision is added to ``decisions``.

    ``waited`` (for the router's relaxation steps) defaults to the time since the ticket entered its status.
    """

    def decide(ticket: Ticket, at: datetime) -> Steps[list[Event]]:
        wait = waited if waited is not None else at - ticket.status_since
        agents = yield from source.agent_list()
        decision = router.route(
            ticket, agents, (yield from source.loads(excluding=ticket)), now=at, waited=wait
        )
        decisions.append(decision)
        if decision.agent_id is None or decision.agent_id == ticket.assignee:
            return []
        refuse_if_closed(workflow, ticket, "route")
        by = Actor.system("router")
        return [
            Assigned(ticket_id=ticket.id, seq=ticket.version + 1, at=at, actor=by, agent=decision.agent_id)
        ]

    return decide
