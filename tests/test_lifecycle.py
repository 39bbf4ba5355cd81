"""Workflow commands: apply, allowed, errors, the system rules, follow-ups, audit and the diagram."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from helpers import ADMIN, AGENT, REQUESTER, SUPERVISOR, SYSTEM, T0
from test_lifecycle_support import STRANGER, History
from ticketcore.errors import GuardRefused, InvalidEvent, InvalidTransition, NaiveDatetimeError
from ticketcore.lifecycle import (
    CONFIRMATION_FIELD,
    REPLY_ACTION,
    Category,
    Status,
    SystemRules,
    Transition,
    Workflow,
    default_workflow,
    itil_incident_workflow,
)
from ticketcore.model import Linked, Opened, Replied, StatusChanged, Ticket


def test_apply_produces_a_status_change_that_continues_the_history() -> None:
    history = History(default_workflow())
    events = history.workflow.apply(
        history.ticket, "accept", actor=AGENT, at=T0 + timedelta(hours=1), reason="triage"
    )
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, StatusChanged)
    assert (event.seq, event.ticket_id, event.actor) == (2, "T-1", AGENT)
    assert (event.from_status, event.from_category, event.to_status, event.to_category) == (
        "new",
        Category.NEW,
        "open",
        Category.OPEN,
    )
    assert (event.action, event.reason, event.pauses_sla) == ("accept", "triage", False)
    assert history.ticket.version == 1, "apply never changes the ticket it is given"


def test_status_changed_records_pauses_sla_of_a_custom_target() -> None:
    workflow = Workflow(
        [
            Status("new", Category.NEW, default_for_new=True),
            Status("open", Category.OPEN),
            Status("awaiting_vendor", Category.ON_HOLD, pauses_sla=False),
            Status("closed", Category.CLOSED),
        ],
        [
            Transition("accept", ["new"], "open"),
            Transition("ask_vendor", ["open"], "awaiting_vendor"),
            Transition("close", ["open", "awaiting_vendor"], "closed"),
        ],
    )
    history = History(workflow)
    history.act("accept")
    (event,) = history.act("ask_vendor")
    assert isinstance(event, StatusChanged)
    assert (event.to_category, event.pauses_sla) == (Category.ON_HOLD, False)


def test_unknown_action_lists_the_allowed_ones() -> None:
    history = History(default_workflow())
    with pytest.raises(InvalidTransition) as caught:
        history.act("teleport")
    error = caught.value
    assert not isinstance(error, GuardRefused)
    assert error.action == "teleport"
    assert error.status == "new"
    assert error.allowed == ("accept", "cancel", "hold", "wait_for_customer")
    assert "no transition is named 'teleport'" in str(error)
    assert "Allowed now: accept, cancel, hold, wait_for_customer" in str(error)


def test_action_from_the_wrong_status_names_its_sources() -> None:
    history = History(default_workflow())
    with pytest.raises(InvalidTransition, match=r"'reopen' is possible only from 'solved'"):
        history.act("reopen")


def test_role_not_allowed_names_the_roles() -> None:
    history = History(default_workflow())
    with pytest.raises(InvalidTransition, match=r"role 'requester' may not take 'accept'") as caught:
        history.act("accept", actor=REQUESTER)
    assert caught.value.allowed == ()


def test_solving_needs_an_assignee() -> None:
    history = History(default_workflow())
    history.act("accept")
    assert "solve" not in history.workflow.allowed(history.ticket, AGENT)
    with pytest.raises(GuardRefused) as caught:
        history.act("solve")
    assert caught.value.guard == "has_assignee"
    assert "assign it to an agent first" in str(caught.value)
    history.assign()
    assert "solve" in history.workflow.allowed(history.ticket, AGENT)
    (event,) = history.act("solve")
    assert isinstance(event, StatusChanged)
    assert event.to_status == "solved"


def test_the_assignee_rule_can_be_switched_off() -> None:
    default = default_workflow()
    workflow = Workflow(
        default.statuses,
        default.transitions,
        rules=SystemRules(solve_needs_assignee=False),
        timers=default.timer_rules,
    )
    history = History(workflow)
    history.act("accept")
    history.act("solve")
    assert history.ticket.status == "solved"


def test_confirmation_guard_lets_the_requester_or_a_recorded_confirmation_through() -> None:
    history = History(default_workflow())
    history.act("accept")
    history.assign()
    history.act("request_confirmation")
    assert history.ticket.status == "pending_confirmation"
    with pytest.raises(GuardRefused) as caught:
        history.act("confirm", actor=AGENT)
    assert caught.value.guard == "requester_confirmed"
    assert "confirm" not in history.workflow.allowed(history.ticket, STRANGER), (
        "only the ticket's own requester"
    )
    assert "confirm" in history.workflow.allowed(history.ticket, REQUESTER)
    history.set_field(CONFIRMATION_FIELD, True)
    assert "confirm" in history.workflow.allowed(history.ticket, AGENT)
    history.act("confirm", actor=AGENT)
    assert history.ticket.category is Category.SOLVED


def test_allowed_differs_per_role() -> None:
    history = History(default_workflow())
    history.act("accept")
    history.assign()
    history.act("solve")
    workflow, ticket = history.workflow, history.ticket
    assert workflow.allowed(ticket, AGENT) == ["reopen"]
    assert workflow.allowed(ticket, REQUESTER) == ["reopen"]
    assert workflow.allowed(ticket, SUPERVISOR) == ["close", "reopen"]
    assert workflow.allowed(ticket, ADMIN) == ["close", "reopen"]
    assert workflow.allowed(ticket, SYSTEM) == ["close"]


@pytest.mark.parametrize("category_status", ["pending", "on_hold", "solved"])
def test_a_public_requester_reply_moves_back_to_the_follow_up_status(category_status: str) -> None:
    history = History(default_workflow())
    history.act("accept")
    history.assign()
    history.act({"pending": "wait_for_customer", "on_hold": "hold", "solved": "solve"}[category_status])
    assert history.ticket.status == category_status
    reopens = history.ticket.reopen_count
    replied, moved = history.reply()
    assert isinstance(replied, Replied)
    assert isinstance(moved, StatusChanged)
    assert (moved.action, moved.to_status, moved.actor) == (REPLY_ACTION, "open", REQUESTER)
    assert moved.seq == replied.seq + 1
    assert history.ticket.status == "open"
    expected = reopens + 1 if category_status == "solved" else reopens
    assert history.ticket.reopen_count == expected


def test_replies_that_do_not_reopen() -> None:
    history = History(default_workflow())
    assert len(history.reply()) == 1, (
        "a reply on a new ticket leaves it new: nothing returns to new or skips triage"
    )
    history.act("accept")
    history.act("wait_for_customer")
    assert len(history.reply(actor=AGENT)) == 1, "an agent's reply is not the requester's"
    events = history.record(
        history.workflow.reply(history.ticket, actor=REQUESTER, at=history.now, body="x", public=False)
    )
    assert len(events) == 1, "a private comment does not move the ticket"
    assert history.ticket.status == "pending"


def test_the_reply_rule_can_be_switched_off() -> None:
    default = default_workflow()
    workflow = Workflow(default.statuses, default.transitions, rules=SystemRules(reply_reopens=False))
    history = History(workflow)
    history.act("accept")
    history.act("wait_for_customer")
    assert len(history.reply()) == 1
    assert history.ticket.status == "pending"


def test_react_needs_the_snapshot_that_includes_the_event() -> None:
    history = History(default_workflow())
    reply = Replied(ticket_id="T-1", seq=2, at=T0, actor=REQUESTER)
    with pytest.raises(InvalidEvent, match=r"pass ticket.apply\(event\)"):
        history.workflow.react(history.ticket, reply)
    assert history.workflow.react(history.ticket.apply(reply), reply) == []


def test_itil_caller_reply_resumes_awaiting_caller_but_not_awaiting_vendor() -> None:
    history = History(itil_incident_workflow())
    history.act("start")
    history.act("await_vendor")
    assert history.ticket.category is Category.ON_HOLD
    assert len(history.reply()) == 1
    history.act("resume")
    history.act("await_caller")
    assert len(history.reply()) == 2
    assert history.ticket.status == "in_progress"


def _closed(workflow: Workflow | None = None) -> History:
    history = History(workflow or default_workflow())
    history.act("accept")
    history.assign()
    history.act("solve")
    history.act("close", actor=SUPERVISOR)
    return history


def test_a_closed_ticket_is_immutable() -> None:
    history = _closed()
    workflow, ticket = history.workflow, history.ticket
    for actor in (AGENT, SUPERVISOR, ADMIN, REQUESTER, SYSTEM):
        assert workflow.allowed(ticket, actor) == []
    with pytest.raises(InvalidTransition, match="closed tickets are immutable"):
        workflow.apply(ticket, "reopen", actor=ADMIN, at=history.now)
    with pytest.raises(InvalidTransition, match=r"workflow.follow_up"):
        workflow.reply(ticket, actor=REQUESTER, at=history.now)
    assert workflow.timers(ticket, now=history.now + timedelta(days=365)) == []


def test_a_reply_to_a_closed_ticket_becomes_a_linked_follow_up() -> None:
    history = _closed()
    later = history.now + timedelta(days=30)
    events = history.workflow.follow_up(
        history.ticket, new_ticket_id="T-2", actor=REQUESTER, at=later, body="It broke again"
    )
    opened, replied = events
    assert isinstance(opened, Opened)
    assert isinstance(replied, Replied)
    assert not any(isinstance(event, Linked) for event in events)
    assert {event.ticket_id for event in events} == {"T-2"}, "the closed ticket gets no event"
    follow_up = Ticket.from_events(events)
    assert (follow_up.follow_up_of, follow_up.status, follow_up.subject) == ("T-1", "new", "VPN down")
    assert follow_up.links == (("follow_up_of", "T-1"),)
    assert follow_up.last_requester_reply_at == later
    assert (
        len(history.workflow.follow_up(history.ticket, new_ticket_id="T-3", actor=REQUESTER, at=later)) == 1
    )


def test_follow_up_is_only_for_closed_tickets() -> None:
    history = History(default_workflow())
    with pytest.raises(InvalidTransition, match="only a closed ticket gets a follow-up"):
        history.workflow.follow_up(history.ticket, new_ticket_id="T-2", actor=REQUESTER, at=history.now)
    closed = _closed()
    with pytest.raises(InvalidTransition, match="new ticket id"):
        closed.workflow.follow_up(closed.ticket, new_ticket_id="T-1", actor=REQUESTER, at=closed.now)


def test_cancel_ends_in_a_closed_status() -> None:
    history = History(default_workflow())
    history.act("cancel")
    assert (history.ticket.status, history.ticket.category) == ("canceled", Category.CLOSED)
    assert history.workflow.allowed(history.ticket, ADMIN) == []


def test_times_must_be_aware_and_in_order() -> None:
    history = History(default_workflow())
    with pytest.raises(NaiveDatetimeError):
        history.workflow.apply(history.ticket, "accept", actor=AGENT, at=datetime(2025, 3, 3, 10))
    with pytest.raises(InvalidEvent, match="before the ticket's last event"):
        history.workflow.apply(history.ticket, "accept", actor=AGENT, at=T0 - timedelta(seconds=1))


def test_a_status_outside_the_workflow_allows_nothing() -> None:
    opened = Opened(ticket_id="X", seq=1, at=T0, actor=REQUESTER, requester="cy", status="limbo")
    ticket = Ticket.from_events([opened])
    workflow = default_workflow()
    assert workflow.allowed(ticket, ADMIN) == []
    with pytest.raises(InvalidTransition, match="'limbo' is not one of this workflow's statuses"):
        workflow.apply(ticket, "accept", actor=ADMIN, at=T0)


def test_audit_of_a_history_made_by_the_workflow_is_clean() -> None:
    history = _closed()
    assert history.workflow.audit(history.events) == []


def _change(
    seq: int, source: str, target: str, cat_from: Category, cat_to: Category, **extra: object
) -> StatusChanged:
    return StatusChanged(
        ticket_id="T-1",
        seq=seq,
        at=T0 + timedelta(hours=seq),
        actor=AGENT,
        from_status=source,
        from_category=cat_from,
        to_status=target,
        to_category=cat_to,
        **extra,  # type: ignore[arg-type]
    )


def test_audit_reports_deviations_without_refusing_them() -> None:
    workflow = default_workflow()
    events = [
        Opened(ticket_id="T-1", seq=1, at=T0, actor=REQUESTER, requester="cy"),
        _change(2, "new", "solved", Category.NEW, Category.SOLVED, action="solve"),
        _change(3, "solved", "closed", Category.SOLVED, Category.CLOSED),
        _change(4, "closed", "open", Category.CLOSED, Category.OPEN),
        Opened(
            ticket_id="T-9", seq=1, at=T0, actor=REQUESTER, requester="cy", status="triage", category="open"
        ),
        StatusChanged(
            ticket_id="T-9",
            seq=2,
            at=T0,
            actor=AGENT,
            from_status="open",
            from_category="open",
            to_status="new",
            to_category="new",
        ),
        StatusChanged(
            ticket_id="T-9",
            seq=3,
            at=T0,
            actor=AGENT,
            from_status="new",
            from_category="new",
            to_status="open",
            to_category="pending",
            action="accept",
        ),
    ]
    found = [(v.ticket_id, v.seq, v.rule) for v in workflow.audit(events)]
    assert found == [
        ("T-1", 2, "solved_unassigned"),
        ("T-1", 4, "closed_changed"),
        ("T-9", 1, "unknown_status"),
        ("T-9", 2, "from_mismatch"),
        ("T-9", 2, "back_to_new"),
        ("T-9", 3, "category_mismatch"),
    ]
    messages = {v.rule: v.message for v in workflow.audit(events)}
    assert "'closed'" in messages["closed_changed"]
    assert "'triage'" in messages["unknown_status"]


def test_audit_knows_the_reply_rule_and_imported_moves_without_action() -> None:
    workflow = default_workflow()
    events = [
        Opened(ticket_id="T-1", seq=1, at=T0, actor=REQUESTER, requester="cy"),
        _change(2, "new", "pending", Category.NEW, Category.PENDING),
        _change(3, "pending", "open", Category.PENDING, Category.OPEN, action=REPLY_ACTION),
        _change(4, "open", "on_hold", Category.OPEN, Category.ON_HOLD, action="wait_for_customer"),
        _change(5, "on_hold", "pending", Category.ON_HOLD, Category.PENDING, action=REPLY_ACTION),
    ]
    assert [(v.seq, v.rule) for v in workflow.audit(events)] == [(4, "no_transition"), (5, "no_transition")]


def test_audit_of_an_impossible_history_raises_like_the_fold() -> None:
    with pytest.raises(InvalidEvent):
        default_workflow().audit([_change(2, "new", "open", Category.NEW, Category.OPEN)])


def test_mermaid_draws_every_status_and_transition() -> None:
    workflow = default_workflow()
    text = workflow.to_mermaid()
    assert text.startswith("stateDiagram-v2\n")
    assert "    [*] --> new\n" in text
    assert "    new --> open : accept\n" in text
    assert "    pending --> open : resume / requester reply\n" in text
    assert "    solved --> closed : close\n" in text
    assert "    closed --> [*]\n" in text
    assert "    class closed,canceled cat_closed\n" in text


def test_mermaid_aliases_names_it_cannot_draw_plainly() -> None:
    workflow = Workflow(
        [
            Status("new", Category.NEW, default_for_new=True),
            Status("Awaiting vendor: EU", Category.OPEN),
            Status("end", Category.CLOSED),
        ],
        [
            Transition("go", ["new"], "Awaiting vendor: EU"),
            Transition("stop", ["Awaiting vendor: EU"], "end"),
        ],
    )
    text = workflow.to_mermaid()
    assert '    state "Awaiting vendor  EU" as s1\n' in text
    assert "    s1 --> s2 : stop\n" in text
