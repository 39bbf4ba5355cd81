"""A Hypothesis state machine drives random commands by random roles through the workflows and checks invariants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from helpers import ADMIN, AGENT, REQUESTER, SUPERVISOR, SYSTEM
from test_lifecycle_support import STRANGER, History
from ticketcore.errors import InvalidTransition
from ticketcore.lifecycle import (
    CONFIRMATION_FIELD,
    SystemRules,
    Workflow,
    default_workflow,
    itil_incident_workflow,
)
from ticketcore.model import Actor, Category, Event, Opened, StatusChanged, Ticket, Unassigned


def _variant(rules: SystemRules) -> Workflow:
    default = default_workflow()
    return Workflow(default.statuses, default.transitions, rules=rules, timers=default.timer_rules)


WORKFLOWS = [
    default_workflow(),
    itil_incident_workflow(),
    _variant(SystemRules(solve_needs_assignee=False, reply_reopens=False)),
    _variant(
        SystemRules(
            closed_immutable=False, reply_reopens_from=frozenset(Category) - {Category.NEW, Category.OPEN}
        )
    ),
]
ACTORS = [AGENT, SUPERVISOR, ADMIN, REQUESTER, STRANGER, SYSTEM]
MINUTES = st.integers(0, 3 * 24 * 60).map(lambda m: timedelta(minutes=m))


def accepted(workflow: Workflow, ticket: Ticket, action: str, actor: Actor) -> bool:
    try:
        workflow.apply(ticket, action, actor=actor, at=ticket.updated_at)
    except InvalidTransition:
        return False
    return True


class WorkflowMachine(RuleBasedStateMachine):
    history: History

    @initialize(workflow=st.sampled_from(WORKFLOWS))
    def open_ticket(self, workflow: Workflow) -> None:
        self.history = History(workflow)
        self.closed_version: int | None = None
        self.follow_ups: list[list[Event]] = []

    @property
    def frozen(self) -> bool:
        rules = self.history.workflow.rules
        return rules.closed_immutable and self.history.ticket.category is Category.CLOSED

    @rule(
        action=st.sampled_from(sorted({a for w in WORKFLOWS for a in w.actions} | {"bogus"})),
        actor=st.sampled_from(ACTORS),
        after=MINUTES,
    )
    def act(self, action: str, actor: Actor, after: timedelta) -> None:
        history = self.history
        allowed = history.workflow.allowed(history.ticket, actor)
        if action in allowed:
            history.act(action, actor=actor, after=after)
            return
        with pytest.raises(InvalidTransition) as caught:
            history.act(action, actor=actor, after=after)
        assert caught.value.allowed == tuple(allowed)

    @rule(data=st.data(), actor=st.sampled_from(ACTORS), after=MINUTES)
    def act_allowed(self, data: st.DataObject, actor: Actor, after: timedelta) -> None:
        history = self.history
        allowed = history.workflow.allowed(history.ticket, actor)
        if allowed:
            (changed,) = history.act(data.draw(st.sampled_from(allowed)), actor=actor, after=after)
            assert isinstance(changed, StatusChanged)

    @rule(actor=st.sampled_from(ACTORS), public=st.booleans(), after=MINUTES)
    def reply(self, actor: Actor, public: bool, after: timedelta) -> None:
        history = self.history
        at = history.now + after
        if self.frozen:
            with pytest.raises(InvalidTransition):
                history.workflow.reply(history.ticket, actor=actor, at=at, public=public)
            new_id = f"F-{len(self.follow_ups) + 1}"
            events = history.workflow.follow_up(
                history.ticket, new_ticket_id=new_id, actor=actor, at=at, body="again"
            )
            follow_up = Ticket.from_events(events)
            assert (follow_up.follow_up_of, follow_up.status) == (
                history.ticket.id,
                history.workflow.initial_status.name,
            )
            self.follow_ups.append(events)
            return
        history.record(history.workflow.reply(history.ticket, actor=actor, at=at, public=public))

    @precondition(lambda self: not self.frozen)
    @rule(agent=st.sampled_from(["ada", "bob", None]), after=MINUTES)
    def assign(self, agent: str | None, after: timedelta) -> None:
        history = self.history
        if agent is not None:
            history.assign(agent, after=after)
        else:
            ticket = history.ticket
            history.record(
                [Unassigned(ticket_id=ticket.id, seq=ticket.version + 1, at=history.now + after, actor=AGENT)]
            )

    @precondition(lambda self: not self.frozen)
    @rule(value=st.booleans(), after=MINUTES)
    def confirm_elsewhere(self, value: bool, after: timedelta) -> None:
        self.history.set_field(CONFIRMATION_FIELD, value, after=after)

    @rule(after=st.integers(0, 6 * 24).map(lambda h: timedelta(hours=h)))
    def run_timers(self, after: timedelta) -> None:
        history = self.history
        now = history.now + after
        for _ in range(10):
            due = [d for d in history.workflow.timers(history.ticket, now=now) if d.due]
            if not due:
                return
            fired = history.workflow.fire(history.ticket, due[0], at=now)
            assert fired, "a due timer fires"
            history.record(fired)
            assert history.workflow.fire(history.ticket, due[0], at=now) == [], "never twice"

    @invariant()
    def status_belongs_to_the_workflow(self) -> None:
        ticket, workflow = self.history.ticket, self.history.workflow
        assert workflow.status(ticket.status).category is ticket.category
        event(f"reached {ticket.category.value}")
        if ticket.reopen_count:
            event("reopened")
        if self.follow_ups:
            event("followed up")

    @invariant()
    def allowed_is_exactly_what_apply_accepts(self) -> None:
        workflow, ticket = self.history.workflow, self.history.ticket
        for actor in ACTORS:
            expected = [a for a in workflow.actions if accepted(workflow, ticket, a, actor)]
            assert workflow.allowed(ticket, actor) == expected

    @invariant()
    def closed_never_changes(self) -> None:
        if not self.history.workflow.rules.closed_immutable:
            return
        ticket = self.history.ticket
        if self.closed_version is not None:
            assert ticket.version == self.closed_version
        elif ticket.category is Category.CLOSED:
            self.closed_version = ticket.version

    @invariant()
    def reopens_count_moves_out_of_done(self) -> None:
        moves = [
            e
            for e in self.history.events
            if isinstance(e, StatusChanged) and not e.from_category.is_unsolved and e.to_category.is_unsolved
        ]
        assert self.history.ticket.reopen_count == len(moves)

    def teardown(self) -> None:
        # Whole-history checks run once per example: re-folding and re-auditing after every step costs O(n^2).
        if not hasattr(self, "history"):
            return
        assert Ticket.from_events(self.history.events) == self.history.ticket, "fold == step-by-step apply"
        assert self.history.workflow.audit(self.history.events) == [], (
            "the workflow's own history passes audit"
        )
        for events in self.follow_ups:
            assert isinstance(events[0], Opened)
            assert self.history.workflow.audit(events) == []


# Each step re-checks allowed() against apply() for every role and re-audits the history; 40 steps reach every
# category, reopens and follow-ups while keeping the CI profile fast on a shared machine.
TestWorkflowMachine = WorkflowMachine.TestCase
TestWorkflowMachine.settings = settings(TestWorkflowMachine.settings, stateful_step_count=40)
