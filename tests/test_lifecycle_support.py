"""Shared builders for the lifecycle tests (no tests here): tickets opened through a workflow, driven by commands."""

from __future__ import annotations

from datetime import datetime, timedelta

from helpers import AGENT, REQUESTER, T0
from ticketcore.lifecycle import Workflow
from ticketcore.model import Actor, Assigned, Event, FieldChanged, Role, Ticket

STRANGER = Actor("eve", Role.REQUESTER)


class History:
    """A ticket's events and its snapshot, advanced one command at a time (as a store would keep them)."""

    def __init__(self, workflow: Workflow, ticket_id: str = "T-1", at: datetime = T0) -> None:
        self.workflow = workflow
        self.events: list[Event] = list(
            workflow.open(ticket_id, requester=REQUESTER.id, at=at, subject="VPN down")
        )
        self.ticket = Ticket.from_events(self.events)

    @property
    def now(self) -> datetime:
        return self.ticket.updated_at

    def record(self, events: list[Event]) -> list[Event]:
        for event in events:
            self.ticket = self.ticket.apply(event)
        self.events.extend(events)
        return events

    def act(self, action: str, actor: Actor = AGENT, after: timedelta = timedelta(minutes=5)) -> list[Event]:
        return self.record(self.workflow.apply(self.ticket, action, actor=actor, at=self.now + after))

    def reply(self, actor: Actor = REQUESTER, after: timedelta = timedelta(minutes=5)) -> list[Event]:
        return self.record(self.workflow.reply(self.ticket, actor=actor, at=self.now + after, body="hello"))

    def assign(self, agent: str = AGENT.id, after: timedelta = timedelta(minutes=1)) -> list[Event]:
        event = Assigned(
            ticket_id=self.ticket.id,
            seq=self.ticket.version + 1,
            at=self.now + after,
            actor=AGENT,
            agent=agent,
        )
        return self.record([event])

    def set_field(self, name: str, value: bool, after: timedelta = timedelta(minutes=1)) -> list[Event]:
        event = FieldChanged(
            ticket_id=self.ticket.id,
            seq=self.ticket.version + 1,
            at=self.now + after,
            actor=AGENT,
            field=name,
            value=value,
        )
        return self.record([event])
