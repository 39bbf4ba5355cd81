"""``scheduling.next_due`` against the oracle: the workflow's own ``timers`` and the rules' own ``fire``.

Nothing may be due at any instant from ``now`` up to the answer, and something must be due at the answer: checked
one microsecond before it, at it, at random instants before it, and by stepping through the days after ``now``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import AGENT, REQUESTER, T0
from ticketcore import codec
from ticketcore.automation import AutomationSet, Rule
from ticketcore.errors import TicketcoreError
from ticketcore.lifecycle import Timer, Workflow, default_workflow
from ticketcore.model import Opened, Ticket
from ticketcore.scheduling import Due, next_due
from ticketcore.sla import BusinessCalendar, MetricTargets, SLAPolicy

OFFICE = BusinessCalendar(
    tz="Europe/Rome",
    hours={day: ["09:00-13:00", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
)
ANCHORS = ["status_since", "created_at", "solved_at", "last_requester_reply"]
ELAPSED = ["hours_since.created", "hours_since.updated", "hours_since.status", "hours_since.requester_reply"]
ACTIONS = ["accept", "wait_for_customer", "solve", "reopen", "resume", "reply", "customer_reply"]
STEP = timedelta(minutes=7)
HORIZON = timedelta(days=12)


def _due_at(ticket: Ticket, at: datetime, workflow: Workflow, rules: AutomationSet | None) -> bool:
    """The oracle: is anything due on ``ticket`` at ``at``, by the workflow's and the rules' own answers?"""
    if any(due.due for due in workflow.timers(ticket, now=at, calendar=OFFICE)):
        return True
    return rules is not None and bool(rules.fire(ticket, now=at, workflow=workflow).fired)


@st.composite
def tickets(draw: st.DrawFn, workflow: Workflow) -> Ticket:
    opened = Opened(
        ticket_id="T-1",
        seq=1,
        at=T0,
        actor=REQUESTER,
        requester="cy",
        tags=draw(st.sets(st.sampled_from(["vip", "billing"]))),
    )
    ticket = Ticket.from_events([opened])
    at = T0
    for action in draw(st.lists(st.sampled_from(ACTIONS), max_size=5)):
        at += timedelta(minutes=draw(st.integers(1, 3000)))
        try:
            if action == "reply":
                events = workflow.reply(ticket, actor=AGENT, at=at, body="hi")
            elif action == "customer_reply":
                events = workflow.reply(ticket, actor=REQUESTER, at=at, body="any news?")
            else:
                events = workflow.apply(ticket, action, actor=AGENT, at=at)
        except TicketcoreError:
            continue
        for event in events:
            ticket = ticket.apply(event)
    return ticket


def conditions() -> st.SearchStrategy[dict[str, object]]:
    elapsed = st.fixed_dictionaries(
        {
            "field": st.sampled_from(ELAPSED),
            "operator": st.sampled_from(["greater_than", "less_than"]),
            "value": st.one_of(st.integers(1, 120), st.sampled_from([0.5, 1.25, 36.75])),
        },
        optional={"calendar": st.just("office")},
    )
    plain = st.sampled_from(
        [
            {"field": "tags", "operator": "includes", "value": "vip"},
            {"field": "status", "operator": "is", "value": "pending"},
            {"field": "status", "operator": "in", "value": ["open", "solved"]},
        ]
    )
    return st.one_of(elapsed, plain)


@st.composite
def rule_sets(draw: st.DrawFn) -> AutomationSet | None:
    if not draw(st.booleans()):
        return None
    rules = []
    for index in range(draw(st.integers(1, 3))):
        schedule: dict[str, object] = {
            "after": f"{draw(st.integers(1, 90))}h",
            "since": draw(st.sampled_from(ANCHORS)),
        }
        if draw(st.booleans()):
            schedule["calendar"] = "office"
        data = {
            "id": f"r{index}",
            "conditions": {
                "all": draw(st.lists(conditions(), max_size=2)),
                "any": draw(st.lists(conditions(), max_size=2)),
            },
            "actions": [{"type": "add_tags", "value": ["x"]}],
            "schedule": schedule,
        }
        rules.append(codec.load(Rule, data))
    return AutomationSet(rules=rules, calendars={"office": OFFICE})


@st.composite
def workflows(draw: st.DrawFn) -> Workflow:
    hours = st.integers(1, 200).map(lambda h: timedelta(hours=h))
    base = default_workflow(
        auto_close_after=draw(hours), pending_reminder_after=draw(hours), pending_solve_after=draw(hours)
    )
    extra = []
    if draw(st.booleans()):
        extra.append(Timer("office_nudge", draw(hours), status="open", business=True))
    return attrs.evolve(base, timers=[*base.timer_rules, *extra])


@st.composite
def cases(draw: st.DrawFn) -> tuple[Ticket, Workflow, AutomationSet | None, datetime]:
    workflow = draw(workflows())
    ticket = draw(tickets(workflow))
    now = ticket.updated_at + timedelta(
        minutes=draw(st.integers(0, 6000)), microseconds=draw(st.integers(0, 9))
    )
    return ticket, workflow, draw(rule_sets()), now


@settings(max_examples=150, deadline=None)
@given(case=cases(), probes=st.lists(st.floats(0, 1, exclude_max=True), max_size=6))
def test_nothing_is_due_before_the_answer_and_something_is_at_it(
    case: tuple[Ticket, Workflow, AutomationSet | None, datetime], probes: list[float]
) -> None:
    ticket, workflow, rules, now = case
    due = next_due(ticket, now=now, workflow=workflow, calendar=OFFICE, automations=rules)
    end = now + HORIZON if due is None else due.at
    if due is not None:
        assert due.at >= now
        assert _due_at(ticket, due.at, workflow, rules), f"nothing is due at {due}"
        if due.at > now:
            assert not _due_at(ticket, due.at - timedelta(microseconds=1), workflow, rules)
    span = end - now
    for fraction in probes:
        probe = now + span * fraction
        assert probe >= end or not _due_at(ticket, probe, workflow, rules), f"due at {probe}, before {due}"
    at = now
    while at < min(end, now + HORIZON):
        assert not _due_at(ticket, at, workflow, rules), f"due at {at}, before the answer {due}"
        at += STEP


def test_the_reasons_name_everything_due_at_that_instant() -> None:
    workflow = attrs.evolve(
        default_workflow(),
        timers=[Timer("a", timedelta(hours=2), status="new"), Timer("b", timedelta(hours=2), status="new")],
    )
    ticket = Ticket.from_events([Opened(ticket_id="T-1", seq=1, at=T0, actor=REQUESTER, requester="cy")])
    assert next_due(ticket, now=T0, workflow=workflow) == Due(T0 + timedelta(hours=2), ("timer:a", "timer:b"))
    # Overdue and not fired: due now.
    late = T0 + timedelta(hours=5)
    assert next_due(ticket, now=late, workflow=workflow) == Due(late, ("timer:a", "timer:b"))


def test_sla_warnings_and_breaches_are_due_instants() -> None:
    policy = SLAPolicy(
        "standard", {"first_response": MetricTargets(default=timedelta(hours=4))}, warnings=(50,)
    )
    events = [Opened(ticket_id="T-1", seq=1, at=T0, actor=REQUESTER, requester="cy", priority=3)]
    ticket = Ticket.from_events(events)
    workflow = attrs.evolve(default_workflow(), timers=[])
    first = next_due(ticket, now=T0, workflow=workflow, sla=policy.evaluate(events, now=T0))
    assert first == Due(T0 + timedelta(hours=2), ("sla:first_response:warning",))
    later = T0 + timedelta(hours=3)
    second = next_due(ticket, now=later, workflow=workflow, sla=policy.evaluate(events, now=later))
    assert second is not None
    assert second.reasons == ("sla:first_response:breach",)
    assert second.at == T0 + timedelta(hours=4)


def test_a_ticket_nothing_waits_on_is_never_due() -> None:
    ticket = Ticket.from_events([Opened(ticket_id="T-1", seq=1, at=T0, actor=REQUESTER, requester="cy")])
    assert next_due(ticket, now=T0, workflow=attrs.evolve(default_workflow(), timers=[])) is None
    assert next_due(ticket, now=datetime(9999, 1, 1, tzinfo=UTC), workflow=default_workflow()) is None


def test_wake_ups_for_sla_conditions_never_pass_the_first_firing() -> None:
    """A rule reading the SLA is checked at a chain of instants, each no later than its first firing."""
    policy = SLAPolicy("office", {"resolution": MetricTargets(default=timedelta(hours=8))}, calendar=OFFICE)
    rules = AutomationSet(
        rules=[
            codec.load(
                Rule,
                {
                    "id": "late",
                    "conditions": {
                        "all": [{"field": "sla.resolution.percent", "operator": "greater_than", "value": 80}]
                    },
                    "actions": [{"type": "add_tags", "value": ["late"]}],
                    "schedule": {"after": "1h", "since": "created_at"},
                },
            )
        ]
    )
    friday = datetime(2025, 3, 7, 15, tzinfo=UTC)
    events = [Opened(ticket_id="T-1", seq=1, at=friday, actor=REQUESTER, requester="cy")]
    ticket = Ticket.from_events(events)
    workflow = attrs.evolve(default_workflow(), timers=[])

    def fires(at: datetime) -> bool:
        report = policy.evaluate(events, now=at)
        return bool(rules.fire(ticket, now=at, workflow=workflow, sla=report).fired)

    now, checks = friday, 0
    while not fires(now):
        due = next_due(
            ticket, now=now, workflow=workflow, automations=rules, sla=policy.evaluate(events, now=now)
        )
        assert due is not None
        assert due.at > now
        at = now
        while at < due.at:
            assert not fires(at), f"fires at {at}, before the wake-up at {due.at}"
            at += timedelta(minutes=10)
        now, checks = due.at, checks + 1
        assert checks < 50
    # 80 % of 8 business hours is 6 h 24 min, passed 1 µs after 14:24 on Monday in Rome (UTC+1): 2 h on Friday
    # (16:00-18:00), 4 h on Monday morning, 24 min after lunch. The checks reach that very microsecond.
    assert now == datetime(2025, 3, 10, 13, 24, 0, 1, tzinfo=UTC)
