"""What ``HelpDesk``'s plain commands decide: the events each one appends to a ticket (private to ``desk``).

Each function returns the command's ``decide(ticket, at)``: given the ticket as stored and the instant of the change,
the events to append (none when nothing changes), or the refusal. The desk runs it again on a fresh ticket after a
concurrent write, so a decider only reads what it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ticketcore.errors import InvalidTransition
from ticketcore.lifecycle import Workflow
from ticketcore.model import (
    Actor,
    Assigned,
    Category,
    Event,
    NoteAdded,
    Rated,
    Role,
    TagsChanged,
    Ticket,
    Unassigned,
)

__all__ = ["Decide", "assigning", "noting", "rating", "refuse_if_closed", "tagging", "unassigning"]

Decide = Callable[[Ticket, datetime], list[Event]]
"""A command's decision: the events to append to the ticket at the instant given."""


def refuse_if_closed(workflow: Workflow, ticket: Ticket, action: str) -> None:
    """Refuse ``action`` on a closed ticket when the workflow keeps closed tickets immutable."""
    if workflow.rules.closed_immutable and ticket.category is Category.CLOSED:
        raise InvalidTransition(
            action,
            ticket.status,
            ticket_id=ticket.id,
            reason="closed tickets are immutable; open a follow-up ticket instead",
        )


def noting(workflow: Workflow, actor: Actor, body: str) -> Decide:
    """Add an internal note."""

    def decide(ticket: Ticket, at: datetime) -> list[Event]:
        refuse_if_closed(workflow, ticket, "note")
        return [NoteAdded(ticket_id=ticket.id, seq=ticket.version + 1, at=at, actor=actor, body=body)]

    return decide


def assigning(workflow: Workflow, actor: Actor, agent: str | None, group: str | None) -> Decide:
    """Assign to ``agent`` and/or ``group``; nothing when neither changes."""

    def decide(ticket: Ticket, at: datetime) -> list[Event]:
        refuse_if_closed(workflow, ticket, "assign")
        if (agent is None or agent == ticket.assignee) and (group is None or group == ticket.group):
            return []
        return [
            Assigned(
                ticket_id=ticket.id, seq=ticket.version + 1, at=at, actor=actor, agent=agent, group=group
            )
        ]

    return decide


def unassigning(workflow: Workflow, actor: Actor, reason: str | None) -> Decide:
    """Remove the assignee; nothing when there is none."""

    def decide(ticket: Ticket, at: datetime) -> list[Event]:
        refuse_if_closed(workflow, ticket, "unassign")
        if ticket.assignee is None:
            return []
        return [Unassigned(ticket_id=ticket.id, seq=ticket.version + 1, at=at, actor=actor, reason=reason)]

    return decide


def tagging(workflow: Workflow, actor: Actor, adding: frozenset[str], removing: frozenset[str]) -> Decide:
    """Add and remove tags, recording only real changes; nothing when there are none."""

    def decide(ticket: Ticket, at: datetime) -> list[Event]:
        refuse_if_closed(workflow, ticket, "tag")
        added, removed = adding - ticket.tags, (removing & ticket.tags) - adding
        if not added and not removed:
            return []
        return [
            TagsChanged(
                ticket_id=ticket.id, seq=ticket.version + 1, at=at, actor=actor, added=added, removed=removed
            )
        ]

    return decide


def rating(actor: Actor, score: int, scale: int, comment: str | None) -> Decide:
    """Record the requester's rating; anyone else is refused."""

    def decide(ticket: Ticket, at: datetime) -> list[Event]:
        if actor.role not in (Role.REQUESTER, Role.SYSTEM):
            raise InvalidTransition(
                "rate",
                ticket.status,
                ticket_id=ticket.id,
                reason=f"only the requester rates a ticket, not a {actor.role.value!r}",
            )
        return [
            Rated(
                ticket_id=ticket.id,
                seq=ticket.version + 1,
                at=at,
                actor=actor,
                score=score,
                scale=scale,
                comment=comment,
            )
        ]

    return decide
