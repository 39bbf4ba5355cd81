"""Agents and their loads as ``HelpDesk`` routes with them, and paging through a store (private to ``desk``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta

import attrs

from ticketcore import codec
from ticketcore._desk.decide import Decide, refuse_if_closed
from ticketcore.lifecycle import Workflow
from ticketcore.model import Actor, Assigned, Category, Event, Ticket
from ticketcore.repositories import AgentDirectory, TicketQuery, TicketStore
from ticketcore.routing import Agent, AgentLoad, Router, RoutingDecision

__all__ = ["agent_list", "all_tickets", "loads", "routing"]


def agent_list(store: TicketStore, agents: Callable[[], Iterable[Agent]] | None) -> list[Agent]:
    """The agents to route among: from ``agents()`` when given, otherwise from the store's agent directory."""
    if agents is not None:
        return list(agents())
    assert isinstance(store, AgentDirectory)  # checked by HelpDesk.__init__
    return [codec.load(Agent, data) for _, data in store.list_agents()]


def loads(store: TicketStore, excluding: Ticket | None = None) -> dict[str, AgentLoad]:
    """Unsolved tickets per agent and channel; ``excluding`` (the ticket being routed) is not counted."""
    if isinstance(store, AgentDirectory):
        counts = store.agent_loads()
    else:
        counts = {}
        query = TicketQuery(category={c for c in Category if c.is_unsolved}, limit=1_000)
        for ticket in all_tickets(store, query):
            if ticket.assignee is not None:
                per = counts.setdefault(ticket.assignee, {})
                per[ticket.channel] = per.get(ticket.channel, 0) + 1
    if excluding is not None and excluding.assignee is not None and excluding.is_unsolved:
        per = counts.get(excluding.assignee, {})
        if per.get(excluding.channel, 0) > 0:
            per[excluding.channel] -= 1
    return {agent_id: AgentLoad(agent_id, per_channel=per) for agent_id, per in counts.items()}


def all_tickets(store: TicketStore, query: TicketQuery) -> Iterator[Ticket]:
    """Every ticket matching ``query``, page after page."""
    page = store.find(query)
    while True:
        yield from page
        if page.next_cursor is None:
            return
        page = store.find(attrs.evolve(query, cursor=page.next_cursor))


def routing(  # noqa: PLR0917 (the desk's parts, passed once)
    store: TicketStore,
    workflow: Workflow,
    router: Router,
    agents: Callable[[], Iterable[Agent]] | None,
    waited: timedelta | None,
    decisions: list[RoutingDecision],
) -> Decide:
    """Route the ticket and assign it when the router picks someone new; each decision is added to ``decisions``.

    ``waited`` (for the router's relaxation steps) defaults to the time since the ticket entered its status.
    """

    def decide(ticket: Ticket, at: datetime) -> list[Event]:
        wait = waited if waited is not None else at - ticket.status_since
        decision = router.route(
            ticket, agent_list(store, agents), loads(store, excluding=ticket), now=at, waited=wait
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
