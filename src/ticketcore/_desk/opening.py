"""What opening a ticket decides: the checked request, its ``Opened`` event, the priority and the assignment.

Shared by the blocking and the asyncio desks; the caller draws the ticket id and, with a router, reads the agents
and their loads (``route``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

import attrs

from ticketcore._desk import check
from ticketcore.lifecycle import Workflow
from ticketcore.model import Actor, Assigned, Event, FieldValue, Opened, Role, Ticket
from ticketcore.priority import PriorityAssessment, PriorityPolicy
from ticketcore.routing import RoutingDecision

__all__ = ["OpenRequest"]


@attrs.frozen(kw_only=True)
class OpenRequest:
    """The arguments of ``open``, checked one by one when made (the refusal names the argument)."""

    requester: str
    subject: str = ""
    actor: Actor | None = None
    ticket_id: str | None = None
    channel: str = "email"
    topic: str | None = None
    impact: int | None = None
    urgency: int | None = None
    priority: int | None = None
    segment: str | None = None
    region: str | None = None
    country: str | None = None
    language: str | None = None
    group: str | None = None
    tags: Iterable[str] = ()
    fields: Mapping[str, FieldValue] | None = None
    agent: str | None = None

    def checked(self) -> OpenRequest:
        """This request with its tags and custom fields as the event keeps them; a mistyped argument refused."""
        check.text(self.requester, "requester")
        check.text(self.subject, "subject")
        check.actor(self.actor, optional=True)
        check.text(self.ticket_id, "ticket_id", optional=True)
        check.text(self.channel, "channel")
        for name in ("topic", "segment", "region", "country", "language", "group", "agent"):
            check.text(getattr(self, name), name, optional=True)
        for name in ("impact", "urgency", "priority"):
            check.integer(getattr(self, name), name, optional=True)
        return attrs.evolve(self, tags=check.tags(self.tags, "tags"), fields=check.fields(self.fields))

    def decide(
        self,
        workflow: Workflow,
        priorities: PriorityPolicy | None,
        *,
        ticket_id: str,
        now: datetime,
        route: Callable[[Ticket], RoutingDecision] | None,
    ) -> tuple[list[Event], Ticket, PriorityAssessment | None, RoutingDecision | None]:
        """The opening's events (the ``Opened`` event, and the assignment when someone takes the ticket), the
        ticket they make, how its priority was assessed and how it was routed. The request is :meth:`checked`."""
        start = workflow.initial_status
        opened = Opened(
            ticket_id=ticket_id,
            seq=1,
            at=now,
            actor=self.actor if self.actor is not None else Actor(self.requester, Role.REQUESTER),
            requester=self.requester,
            subject=self.subject,
            status=start.name,
            category=start.category,
            channel=self.channel,
            topic=self.topic,
            impact=self.impact,
            urgency=self.urgency,
            priority=self.priority,
            segment=self.segment,
            region=self.region,
            country=self.country,
            language=self.language,
            group=self.group,
            tags=frozenset(self.tags),
            fields=dict(self.fields or {}),
        )
        assessment = None
        if priorities is not None and self.priority is None:
            assessment = priorities.assess(opened)
            opened = attrs.evolve(opened, priority=assessment.final.level)
        events: list[Event] = [opened]
        ticket = Ticket.from_events(events)
        agent, decision = self.agent, None
        if agent is None and route is not None:
            decision = route(ticket)
            agent = decision.agent_id
        if agent is not None:
            by = self.actor if self.actor is not None and self.actor.is_staff else Actor.system("router")
            events.append(Assigned(ticket_id=ticket_id, seq=2, at=now, actor=by, agent=agent))
            ticket = ticket.apply(events[-1])
        return events, ticket, assessment, decision
