"""Issue 3's "Done when" story, with public names only: a custom workflow from a dict, refused when a status is
unreachable, a ticket run through it, allowed actions per role, and the timers that are due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ticketcore import Actor, Assigned, ConfigError, GuardRefused, Role, Ticket
from ticketcore.codec import dump, load
from ticketcore.lifecycle import Workflow


def facilities_desk() -> dict[str, Any]:
    return {
        "statuses": [
            {"name": "reported", "category": "new", "default_for_new": True},
            {"name": "in_work", "category": "open", "default_for_follow_up": True},
            {"name": "awaiting_reporter", "category": "pending"},
            {"name": "awaiting_contractor", "category": "on_hold", "pauses_sla": False},
            {"name": "fixed", "category": "solved"},
            {"name": "closed", "category": "closed"},
            {"name": "rejected", "category": "closed"},
        ],
        "transitions": [
            {"action": "start", "sources": ["reported"], "target": "in_work"},
            {"action": "reject", "sources": ["reported"], "target": "rejected", "roles": ["supervisor"]},
            {"action": "ask_reporter", "sources": ["in_work"], "target": "awaiting_reporter"},
            {"action": "call_contractor", "sources": ["in_work"], "target": "awaiting_contractor"},
            {
                "action": "resume",
                "sources": ["awaiting_reporter", "awaiting_contractor"],
                "target": "in_work",
            },
            {"action": "fix", "sources": ["in_work", "awaiting_contractor"], "target": "fixed"},
            {"action": "reopen", "sources": ["fixed"], "target": "in_work", "roles": ["agent", "requester"]},
            {"action": "close", "sources": ["fixed"], "target": "closed", "roles": ["supervisor", "system"]},
        ],
        "timers": [
            {"name": "chase_reporter", "after": "24h", "status": "awaiting_reporter"},
            {
                "name": "give_up",
                "after": "5d",
                "status": "awaiting_reporter",
                "since": "last_requester_reply",
                "action": "resume",
            },
            {
                "name": "auto_close",
                "after": "3d",
                "category": "solved",
                "since": "solved_at",
                "action": "close",
            },
        ],
    }


def test_a_custom_workflow_from_a_dict_end_to_end() -> None:
    # Refused, with a clear error, when a status cannot be reached.
    broken = facilities_desk()
    broken["statuses"].append({"name": "escalated", "category": "open"})
    with pytest.raises(ConfigError) as caught:
        load(Workflow, broken)
    assert caught.value.path == "statuses[7]"
    assert "status 'escalated' is unreachable from the initial status 'reported'" in str(caught.value)

    workflow = load(Workflow, facilities_desk())
    assert load(Workflow, dump(workflow)) == workflow

    t0 = datetime(2025, 6, 2, 8, 30, tzinfo=UTC)
    tech, boss = Actor("tom", Role.AGENT), Actor("beth", Role.SUPERVISOR)
    reporter, bot = Actor("rita", Role.REQUESTER), Actor.system()
    events = workflow.open("FAC-7", requester="rita", at=t0, subject="Leaking tap, room 4.12")
    ticket = Ticket.from_events(events)

    def record(new: list[Any]) -> Ticket:
        events.extend(new)
        return Ticket.from_events(events)

    # Allowed actions per role.
    assert workflow.allowed(ticket, tech) == ["start"]
    assert workflow.allowed(ticket, boss) == ["reject", "start"]
    assert workflow.allowed(ticket, reporter) == []

    ticket = record(workflow.apply(ticket, "start", actor=tech, at=t0 + timedelta(minutes=10)))
    ticket = record(workflow.apply(ticket, "ask_reporter", actor=tech, at=t0 + timedelta(minutes=20)))
    waiting_since = ticket.status_since

    # Which timers are due, and when the others fire.
    due = workflow.timers(ticket, now=waiting_since + timedelta(hours=30))
    assert [(d.timer.name, d.due_at, d.due) for d in due] == [
        ("chase_reporter", waiting_since + timedelta(hours=24), True),
        ("give_up", waiting_since + timedelta(days=5), False),
    ]
    ticket = record(workflow.fire(ticket, due[0], at=waiting_since + timedelta(hours=30)))
    assert [d.timer.name for d in workflow.timers(ticket, now=waiting_since + timedelta(hours=30))] == [
        "give_up"
    ]

    # The reporter answers: the ticket is back in work, by the reply rule.
    ticket = record(
        workflow.reply(ticket, actor=reporter, at=waiting_since + timedelta(hours=31), body="Room 4.12")
    )
    assert ticket.status == "in_work"

    # Fixing needs an assignee.
    with pytest.raises(GuardRefused, match="has_assignee"):
        workflow.apply(ticket, "fix", actor=tech, at=ticket.updated_at)
    assigned = Assigned(
        ticket_id="FAC-7", seq=ticket.version + 1, at=ticket.updated_at, actor=tech, agent="tom"
    )
    ticket = record([assigned])
    ticket = record(workflow.apply(ticket, "fix", actor=tech, at=ticket.updated_at + timedelta(hours=1)))
    assert workflow.allowed(ticket, reporter) == ["reopen"]
    assert workflow.allowed(ticket, bot) == ["close"]

    # Three days later the auto-close timer is due; firing it closes the ticket for good.
    (close,) = workflow.timers(ticket, now=ticket.updated_at + timedelta(days=3))
    assert close.due
    ticket = record(workflow.fire(ticket, close, at=ticket.updated_at + timedelta(days=3)))
    assert (ticket.status, ticket.category.value) == ("closed", "closed")
    assert all(workflow.allowed(ticket, actor) == [] for actor in (tech, boss, reporter, bot))
    assert workflow.audit(events) == []
