"""Automation rules: loading, conditions, actions, trigger passes, time-based rules, explain and macros."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helpers
from helpers import T0
from ticketcore import codec
from ticketcore.automation import (
    Action,
    AutomationSet,
    Condition,
    Conditions,
    Macro,
    Rule,
    Schedule,
)
from ticketcore.errors import AutomationLoop, ConfigError, InvalidEvent, TicketcoreError
from ticketcore.lifecycle import default_workflow
from ticketcore.model import (
    Actor,
    Assigned,
    Event,
    FieldChanged,
    NoteAdded,
    Opened,
    PriorityChanged,
    Replied,
    Role,
    StatusChanged,
    TagsChanged,
    Ticket,
    TimerFired,
)
from ticketcore.sla import BusinessCalendar, MetricTargets, SLAPolicy

WORKFLOW = default_workflow()
NOTE = {"type": "note", "text": "n"}


def opened(**fields: object) -> Opened:
    """The shared ``opened()`` with priority 3, which the rules here read."""
    return helpers.opened(**({"priority": 3} | fields))


def rule(
    rule_id: str, conditions: list[dict[str, object]], actions: list[dict[str, object]], **more: object
) -> Rule:
    return codec.load(Rule, {"id": rule_id, "conditions": {"all": conditions}, "actions": actions, **more})


def run(rules: list[Rule], *events: Event, before: Ticket | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    return AutomationSet(rules=rules).run(
        before, list(events), now=events[-1].at, workflow=WORKFLOW, **kwargs
    )  # type: ignore[arg-type]


RULE_SET = """
default_locale = "en"

[[rules]]
id = "vip"
conditions.any = [
  {field = "segment", operator = "is", value = "vip"},
  {field = "tags", operator = "includes", value = "urgent"},
]
actions = [{type = "raise_priority", value = 1}, {type = "escalate"}]

[[rules]]
id = "pending_reminder"
schedule = {after = "48h"}
conditions.all = [{field = "status", operator = "is", value = "pending"}]
actions = [{type = "reply", text = {en = "Dear {requester}, any news on {ticket.id}?", it = "Gentile {requester}"}}]

[[macros]]
id = "refund"
actions = [{type = "reply", text = "Refund for {ticket.id}"}, {type = "add_tags", value = ["refund"]}]
"""


def test_a_rule_set_loads_from_toml_and_dumps_back() -> None:
    import tomllib

    rules = codec.load(AutomationSet, tomllib.loads(RULE_SET))
    assert [r.id for r in rules.triggers] == ["vip"]
    assert [r.id for r in rules.time_based] == ["pending_reminder"]
    assert rules.macro("refund").actions[1].value == ("refund",)
    assert codec.load(AutomationSet, codec.dump(rules)) == rules


BAD = [
    ({"field": "status", "operator": "eq", "value": "x"}, "operator", "valid values: 'is', 'is_not'"),
    ({"field": "statuz", "operator": "is", "value": "x"}, "field", "valid fields:"),
    ({"field": "status", "operator": "in", "value": "x"}, "value", "needs a list"),
    ({"field": "priority", "operator": "less_than", "value": "x"}, "value", "needs a number"),
    ({"field": "tags", "operator": "present", "value": 1}, "value", "true or false"),
    ({"field": "update.created", "operator": "changed"}, "operator", "before and after"),
    ({"field": "hours_since.created", "operator": "is", "value": 1}, "operator", "less_than"),
    ({"field": "status", "operator": "is", "value": "x", "calendar": "c"}, "calendar", "hours_since"),
    ({"field": "status", "operator": "is", "value": {"a": 1}}, "value", "expected a string"),
]


@pytest.mark.parametrize(("condition", "where", "words"), BAD)
def test_a_bad_condition_names_its_path_and_the_choices(
    condition: dict[str, object], where: str, words: str
) -> None:
    data = {"rules": [{"id": f"r{i}", "actions": [NOTE]} for i in range(3)]}
    data["rules"].append({"id": "bad", "conditions": {"all": [condition]}, "actions": [NOTE]})
    with pytest.raises(ConfigError) as caught:
        codec.load(AutomationSet, data)
    assert caught.value.path == f"rules[3].conditions.all[0].{where}"
    assert words in caught.value.problem


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"rules": [{"id": "a", "actions": [{"type": "explode"}]}]}, "rules[0].actions[0].type"),
        ({"rules": [{"id": "a", "actions": []}]}, "rules[0].actions"),
        ({"rules": [{"id": "a b", "actions": [NOTE]}]}, "rules[0].id"),
        ({"rules": [{"id": "a", "actions": [NOTE]}, {"id": "a", "actions": [NOTE]}]}, "rules[1].id"),
        (
            {"rules": [{"id": "a", "actions": [{"type": "add_tags", "value": "x"}]}]},
            "rules[0].actions[0].value",
        ),
        (
            {"rules": [{"id": "a", "actions": [{"type": "set_priority", "value": 0}]}]},
            "rules[0].actions[0].value",
        ),
        ({"rules": [{"id": "a", "actions": [{"type": "note"}]}]}, "rules[0].actions[0].text"),
        (
            {"rules": [{"id": "a", "actions": [{"type": "notify", "text": "x"}]}]},
            "rules[0].actions[0].recipient",
        ),
        (
            {"rules": [{"id": "a", "actions": [{"type": "set_field", "value": 1}]}]},
            "rules[0].actions[0].field",
        ),
        ({"rules": [{"id": "a", "actions": [{"type": "route", "value": 1}]}]}, "rules[0].actions[0].value"),
        ({"rules": [{"id": "a", "actions": [NOTE], "schedule": {"after": "0h"}}]}, "rules[0].schedule.after"),
        (
            {"rules": [{"id": "a", "actions": [NOTE], "schedule": {"after": "1h", "calendar": "x"}}]},
            "rules[0].schedule.calendar",
        ),
        ({"macros": [{"id": "m", "actions": [NOTE]}, {"id": "m", "actions": [NOTE]}]}, "macros[1].id"),
        ({"rules": [], "max_passes": 0}, "max_passes"),
        ({"rules": [{"id": "a", "actions": [NOTE], "extra": 1}]}, "rules[0]"),
    ],
)
def test_bad_rules_and_actions_are_refused_with_their_path(data: dict[str, object], path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        codec.load(AutomationSet, data)
    assert caught.value.path == path


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
        max_leaves=8,
    )
)
@settings(max_examples=60)
def test_loading_junk_raises_only_config_errors(data: object) -> None:
    for shaped in (data, {"rules": [data]}, {"rules": [{"id": "a", "actions": [data]}]}):
        try:
            codec.load(AutomationSet, shaped)
        except ConfigError:
            pass


# conditions --------------------------------------------------------------------------------------------------


def matches(
    condition: dict[str, object], *events: Event, before: Ticket | None = None, **kwargs: object
) -> bool:
    outcome = run(
        [rule("r", [condition], [{"type": "add_tags", "value": ["hit"]}])], *events, before=before, **kwargs
    )
    return outcome.fired == ("r",)


TICKET = opened(
    segment="vip", tags=["urgent", "billing"], fields={"plan": "gold", "seats": 12}, language="it"
)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "segment", "operator": "is", "value": "vip"}, True),
        ({"field": "segment", "operator": "is_not", "value": "vip"}, False),
        ({"field": "status", "operator": "in", "value": ["new", "open"]}, True),
        ({"field": "category", "operator": "not_in", "value": ["new"]}, False),
        ({"field": "tags", "operator": "includes", "value": ["urgent", "billing"]}, True),
        ({"field": "tags", "operator": "includes", "value": "refund"}, False),
        ({"field": "priority", "operator": "less_than", "value": 4}, True),
        ({"field": "priority", "operator": "greater_than", "value": 3}, False),
        ({"field": "group", "operator": "greater_than", "value": 3}, False),
        ({"field": "fields.plan", "operator": "is", "value": "gold"}, True),
        ({"field": "fields.seats", "operator": "greater_than", "value": 10}, True),
        ({"field": "fields.missing", "operator": "present", "value": False}, True),
        ({"field": "assignee", "operator": "present", "value": True}, False),
        ({"field": "subject", "operator": "present", "value": True}, None),
        ({"field": "tier", "operator": "is", "value": 1}, True),
        ({"field": "language", "operator": "includes", "value": "it"}, True),
        ({"field": "update.created", "operator": "is", "value": True}, True),
        ({"field": "update.requester_replied", "operator": "is", "value": True}, False),
        ({"field": "tags", "operator": "changed_to", "value": "urgent"}, True),
        ({"field": "priority", "operator": "changed"}, True),
        ({"field": "priority", "operator": "changed_from", "value": 2}, False),
    ],
)
def test_conditions_on_the_ticket_and_its_creation(
    condition: dict[str, object], expected: bool | None
) -> None:
    if expected is None:
        with pytest.raises(ConfigError):
            matches(condition, TICKET)
    else:
        assert matches(condition, TICKET) is expected


def test_conditions_on_an_update() -> None:
    before = Ticket.from_events([TICKET])
    later = T0 + timedelta(hours=1)
    reply = Replied(ticket_id="T-1", seq=2, at=later, actor=Actor("cy", Role.REQUESTER), body="hi")
    tags = TagsChanged(ticket_id="T-1", seq=2, at=later, actor=Actor("ada", Role.AGENT), removed=["urgent"])
    status = StatusChanged(
        ticket_id="T-1",
        seq=2,
        at=later,
        actor=Actor("ada", Role.AGENT),
        from_status="new",
        from_category="new",
        to_status="open",
        to_category="open",
    )
    assert matches(
        {"field": "update.requester_replied", "operator": "is", "value": True}, reply, before=before
    )
    assert not matches(
        {"field": "update.agent_replied", "operator": "is", "value": True}, reply, before=before
    )
    assert not matches({"field": "update.created", "operator": "is", "value": True}, reply, before=before)
    assert matches({"field": "tags", "operator": "changed_from", "value": "urgent"}, tags, before=before)
    assert not matches({"field": "tags", "operator": "changed_to", "value": "urgent"}, tags, before=before)
    assert not matches({"field": "status", "operator": "changed"}, tags, before=before)
    assert matches({"field": "status", "operator": "changed_to", "value": "open"}, status, before=before)
    assert matches({"field": "status", "operator": "changed_from", "value": "new"}, status, before=before)
    assert not matches(
        {"field": "status", "operator": "changed_to", "value": "pending"}, status, before=before
    )
    note = NoteAdded(ticket_id="T-1", seq=2, at=later, actor=Actor("ada", Role.AGENT), body="x")
    assert matches({"field": "update.note_added", "operator": "is", "value": True}, note, before=before)


def test_elapsed_hours_count_in_calendar_or_business_time() -> None:
    friday = datetime(2025, 3, 7, 17, tzinfo=UTC)
    ticket = Ticket.from_events([opened(at=friday)])
    cal = BusinessCalendar(
        tz="UTC", hours={day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    )
    monday = datetime(2025, 3, 10, 10, tzinfo=UTC)
    rules = AutomationSet(
        rules=[
            rule(
                "calendar",
                [{"field": "hours_since.created", "operator": "greater_than", "value": 60}],
                [NOTE],
            ),
            rule(
                "business",
                [
                    {
                        "field": "hours_since.created",
                        "operator": "greater_than",
                        "value": 2,
                        "calendar": "office",
                    }
                ],
                [NOTE],
            ),
            rule(
                "business_less",
                [
                    {
                        "field": "hours_since.created",
                        "operator": "less_than",
                        "value": 2.5,
                        "calendar": "office",
                    }
                ],
                [NOTE],
            ),
            rule(
                "never_solved",
                [{"field": "hours_since.solved", "operator": "greater_than", "value": 0}],
                [NOTE],
            ),
        ],
        calendars={"office": cal},
    )
    checks = {c.rule: c.matched for c in rules.explain(ticket, now=monday)}
    # 65 calendar hours, but only 1 h Friday + 1 h Monday = 2 h of business time: not more than 2 h.
    assert checks == {"calendar": True, "business": False, "business_less": True, "never_solved": False}


def test_sla_conditions_read_the_report() -> None:
    policy = SLAPolicy("std", {"first_response": MetricTargets(default=timedelta(hours=8))})
    events = [opened()]
    now = T0 + timedelta(hours=6)
    report = policy.evaluate(events, now=now)
    ticket = Ticket.from_events(events)
    rules = AutomationSet(
        rules=[
            rule(
                "seventy_five",
                [{"field": "sla.first_response.percent", "operator": "greater_than", "value": 74}],
                [NOTE],
            ),
            rule(
                "running",
                [{"field": "sla.first_response.state", "operator": "is", "value": "running"}],
                [NOTE],
            ),
            rule(
                "soon",
                [{"field": "sla.first_response.hours_to_breach", "operator": "less_than", "value": 2.5}],
                [NOTE],
            ),
            rule(
                "unknown_metric",
                [{"field": "sla.resolution.state", "operator": "present", "value": True}],
                [NOTE],
            ),
        ]
    )
    checks = {c.rule: c.matched for c in rules.explain(ticket, now=now, sla=report)}
    assert checks == {"seventy_five": True, "running": True, "soon": True, "unknown_metric": False}
    assert not any(c.matched for c in rules.explain(ticket, now=now) if c.rule != "unknown_metric")


# actions -------------------------------------------------------------------------------------------------------


def test_every_action_names_its_rule() -> None:
    actions = [
        {"type": "set_priority", "value": 1},
        {"type": "add_tags", "value": ["vip", "urgent"]},
        {"type": "remove_tags", "value": ["billing", "nope"]},
        {"type": "set_group", "value": "tier2"},
        {"type": "assign", "value": "ada"},
        {"type": "escalate", "value": 2},
        {"type": "set_field", "field": "plan", "value": "platinum"},
        {"type": "set_field", "field": "region", "value": "EU"},
        {"type": "note", "text": "Escalated {ticket.id} for {requester}"},
        {"type": "reply", "text": {"en": "Hello {requester}", "it": "Ciao {requester} {unknown}"}},
        {"type": "notify", "recipient": "group_lead", "text": "{ticket.id} is VIP"},
        {"type": "unassign"},
    ]
    outcome = run([rule("big", [], actions)], TICKET)
    kinds = [type(e) for e in outcome.events]
    assert kinds == [
        PriorityChanged,
        TagsChanged,
        TagsChanged,
        Assigned,
        Assigned,
        FieldChanged,
        FieldChanged,
        FieldChanged,
        NoteAdded,
        Replied,
        type(outcome.events[-1]),
    ]
    assert {e.actor for e in outcome.events} == {Actor("automation:big", Role.SYSTEM)}
    priority = outcome.events[0]
    assert isinstance(priority, PriorityChanged)
    assert (priority.rule, priority.reason, priority.manual) == ("big", "big", False)
    ticket = outcome.ticket
    assert ticket.priority == 1
    assert ticket.group == "tier2"
    assert ticket.assignee is None
    assert ticket.tags == {"urgent", "vip"}
    assert ticket.fields["tier"] == 3
    assert ticket.region == "EU"
    note, reply = outcome.events[8], outcome.events[9]
    assert isinstance(note, NoteAdded)
    assert note.body == "Escalated T-1 for cy"
    assert isinstance(reply, Replied)
    assert reply.body == "Ciao cy {unknown}"
    (notification,) = outcome.notifications
    assert (notification.recipient, notification.text, notification.locale) == (
        "group_lead",
        "T-1 is VIP",
        "it",
    )


def test_actions_that_change_nothing_record_nothing() -> None:
    actions = [
        {"type": "set_priority", "value": 3},
        {"type": "add_tags", "value": ["urgent"]},
        {"type": "remove_tags", "value": ["nope"]},
        {"type": "unassign"},
        {"type": "set_field", "field": "plan", "value": "gold"},
    ]
    outcome = run([rule("idle", [], actions)], TICKET)
    assert outcome.fired == ("idle",)
    assert outcome.events == ()


def test_set_status_goes_through_the_workflow_and_a_refusal_is_reported() -> None:
    outcome = run([rule("open_it", [], [{"type": "set_status", "value": "accept"}])], TICKET)
    assert outcome.ticket.status == "open"
    assert not outcome.refusals
    refused = run([rule("solve_it", [], [{"type": "set_status", "value": "solve"}])], TICKET)
    assert refused.events == ()
    assert refused.ticket.status == "new"
    (refusal,) = refused.refusals
    assert refusal.rule == "solve_it"
    assert "solve" in refusal.reason


def test_route_asks_the_router_and_reports_when_nobody_is_found() -> None:
    routed = run([rule("r", [], [{"type": "route"}])], TICKET, route=lambda ticket, at: "bo")
    assert routed.ticket.assignee == "bo"
    nobody = run([rule("r", [], [{"type": "route"}])], TICKET, route=lambda ticket, at: None)
    assert nobody.events == ()
    assert "no eligible agent" in nobody.refusals[0].reason
    unrouted = run([rule("r", [], [{"type": "route"}])], TICKET)
    assert "no router" in unrouted.refusals[0].reason


def test_raise_priority_stops_at_the_top_and_needs_a_priority() -> None:
    assert run([rule("up", [], [{"type": "raise_priority", "value": 5}])], TICKET).ticket.priority == 1
    assert run([rule("up", [], [{"type": "raise_priority"}])], opened(priority=None)).events == ()


def test_templates_render_sla_due_through_the_formatter() -> None:
    policy = SLAPolicy("std", {"resolution": MetricTargets(default=timedelta(hours=8))})
    report = policy.evaluate([TICKET], now=T0)
    outcome = run(
        [rule("due", [], [{"type": "note", "text": "due {sla.resolution.due}"}])],
        TICKET,
        sla=report,
        format_datetime=lambda at, locale: f"{locale}:{at:%H:%M}",
    )
    note = outcome.events[0]
    assert isinstance(note, NoteAdded)
    assert note.body == "due it:17:00"


# triggers ------------------------------------------------------------------------------------------------------


def test_triggers_run_in_order_in_passes_until_none_fires() -> None:
    rules = [
        rule(
            "second",
            [{"field": "tags", "operator": "includes", "value": "a"}],
            [{"type": "add_tags", "value": ["b"]}],
        ),
        rule("first", [], [{"type": "add_tags", "value": ["a"]}]),
        rule(
            "third",
            [{"field": "tags", "operator": "includes", "value": "b"}],
            [{"type": "add_tags", "value": ["c"]}],
        ),
    ]
    outcome = run(rules, TICKET)
    assert outcome.fired == ("first", "second", "third")
    assert {"a", "b", "c"} <= outcome.ticket.tags
    assert [e.seq for e in outcome.events] == [2, 3, 4]


def test_a_rule_fires_once_per_update_and_stop_ends_the_pass() -> None:
    rules = [
        rule("stopper", [], [NOTE], stop=True),
        rule("later", [], [NOTE]),
    ]
    outcome = run(rules, TICKET)
    # The stopper ends the first pass; the second pass skips it (fired) and runs the later rule.
    assert outcome.fired == ("stopper", "later")
    assert len(outcome.events) == 2


def test_a_rule_matches_in_the_pass_where_an_earlier_rule_gave_it_its_tag() -> None:
    rules = [
        rule("tagger", [], [{"type": "add_tags", "value": ["hot"]}]),
        rule("hot", [{"field": "tags", "operator": "includes", "value": "hot"}], [NOTE]),
        rule("cold", [{"field": "tags", "operator": "includes", "value": "cold"}], [NOTE]),
    ]
    # One pass: "hot" is checked against the ticket as "tagger" left it, as every rule is.
    outcome = AutomationSet(rules=rules, max_passes=2).run(None, [TICKET], now=T0, workflow=WORKFLOW)
    assert outcome.fired == ("tagger", "hot")
    # The same for a fact of the update an earlier rule makes true (its note).
    rules = [
        rule("noter", [], [NOTE]),
        rule("noted", [{"field": "update.note_added", "operator": "is", "value": True}], [NOTE]),
    ]
    outcome = AutomationSet(rules=rules, max_passes=2).run(None, [TICKET], now=T0, workflow=WORKFLOW)
    assert outcome.fired == ("noter", "noted")


def test_rules_that_undo_each_other_raise_automation_loop() -> None:
    rules = [
        rule(
            "add",
            [{"field": "tags", "operator": "includes", "value": "x"}],
            [{"type": "remove_tags", "value": ["x"]}, {"type": "add_tags", "value": ["y"]}],
        ),
        rule(
            "back",
            [{"field": "tags", "operator": "includes", "value": "y"}],
            [{"type": "remove_tags", "value": ["y"]}, {"type": "add_tags", "value": ["x"]}],
        ),
    ]
    with pytest.raises(AutomationLoop) as caught:
        run(rules, opened(tags=["x"]))
    assert caught.value.rules == ("add", "back")
    assert isinstance(caught.value, TicketcoreError)
    assert "'add', 'back'" in str(caught.value)


def test_a_chain_longer_than_the_pass_limit_raises_automation_loop() -> None:
    chain = [
        rule(
            f"r{i}",
            [{"field": "tags", "operator": "includes", "value": f"t{i - 1}"}],
            [{"type": "add_tags", "value": [f"t{i}"]}],
        )
        for i in range(5, 0, -1)
    ]
    rules = AutomationSet(rules=chain, max_passes=3)
    with pytest.raises(AutomationLoop) as caught:
        rules.run(None, [opened(tags=["t0"])], now=T0, workflow=WORKFLOW)
    assert caught.value.passes == 3
    assert (
        AutomationSet(rules=chain).run(None, [opened(tags=["t0"])], now=T0, workflow=WORKFLOW).fired[-1]
        == "r5"
    )


TAGS = ["a", "b", "c", "d"]
conditions_st = st.lists(
    st.builds(
        lambda tag, op: {"field": "tags", "operator": op, "value": tag},
        st.sampled_from(TAGS),
        st.sampled_from(["includes", "changed_to"]),
    ),
    max_size=2,
)
actions_st = st.lists(
    st.builds(
        lambda kind, tag: {"type": kind, "value": [tag]},
        st.sampled_from(["add_tags", "remove_tags"]),
        st.sampled_from(TAGS),
    ),
    min_size=1,
    max_size=3,
)


@given(
    st.lists(st.tuples(conditions_st, actions_st, st.booleans()), max_size=6),
    st.frozensets(st.sampled_from(TAGS)),
    st.integers(1, 6),
)
@settings(max_examples=80, deadline=None)
def test_random_rule_sets_reach_a_fixed_point_or_raise_automation_loop(
    specs: list[tuple[list[dict[str, object]], list[dict[str, object]], bool]],
    tags: frozenset[str],
    passes: int,
) -> None:
    rules = [rule(f"r{i}", c, a, stop=s) for i, (c, a, s) in enumerate(specs)]
    automations = AutomationSet(rules=rules, max_passes=passes)
    first = opened(tags=sorted(tags))
    try:
        outcome = automations.run(None, [first], now=T0, workflow=WORKFLOW)
    except AutomationLoop as loop:
        involved = set(loop.rules)
        assert involved, "a loop names the rules involved"
        assert involved <= {r.id for r in rules}
        return
    # Fixed point: no rule that has not fired would fire on the final ticket.
    history = [first, *outcome.events]
    assert Ticket.from_events(history) == outcome.ticket
    unfired = [r for r in rules if r.id not in outcome.fired]
    checks = AutomationSet(rules=unfired).explain(outcome.ticket, history, now=T0)
    assert not any(check.matched for check in checks)
    assert len(set(outcome.fired)) == len(outcome.fired)


# time-based rules, explain and macros --------------------------------------------------------------------------


def pending_ticket() -> Ticket:
    to_pending = StatusChanged(
        ticket_id="T-1",
        seq=2,
        at=T0,
        actor=Actor("ada", Role.AGENT),
        from_status="new",
        from_category="new",
        to_status="pending",
        to_category="pending",
    )
    return Ticket.from_events([opened(), to_pending])


REMINDER = rule(
    "remind",
    [{"field": "status", "operator": "is", "value": "pending"}],
    [{"type": "reply", "text": "Any news, {requester}?"}],
    schedule={"after": "48h"},
)


def test_a_time_based_rule_fires_once_at_its_due_instant() -> None:
    rules = AutomationSet(rules=[REMINDER])
    ticket = pending_ticket()
    (due,) = rules.due(ticket)
    assert due.due_at == T0 + timedelta(hours=48)
    assert due.timer == "automation:remind"
    assert rules.fire(ticket, now=T0 + timedelta(hours=47), workflow=WORKFLOW).events == ()
    outcome = rules.fire(ticket, now=T0 + timedelta(hours=49), workflow=WORKFLOW)
    marker, reply = outcome.events
    assert isinstance(marker, TimerFired)
    assert marker.timer == "automation:remind"
    assert isinstance(reply, Replied)
    assert reply.body == "Any news, cy?"
    assert rules.fire(outcome.ticket, now=T0 + timedelta(hours=99), workflow=WORKFLOW).events == ()
    assert rules.due(outcome.ticket) == []
    # Not run as a trigger on updates.
    assert rules.run(None, [opened()], now=T0, workflow=WORKFLOW).fired == ()


def test_a_time_based_rule_whose_conditions_fail_does_not_fire() -> None:
    rules = AutomationSet(
        rules=[
            rule("r", [{"field": "priority", "operator": "is", "value": 1}], [NOTE], schedule={"after": "1h"})
        ]
    )
    assert rules.fire(pending_ticket(), now=T0 + timedelta(hours=2), workflow=WORKFLOW).fired == ()


def test_business_time_schedules_use_the_named_calendar() -> None:
    cal = BusinessCalendar(
        tz="UTC", hours={day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    )
    rules = AutomationSet(
        rules=[rule("r", [], [NOTE], schedule={"after": "10h", "calendar": "office", "since": "created_at"})],
        calendars={"office": cal},
    )
    (due,) = rules.due(pending_ticket())
    assert due.due_at == datetime(2025, 3, 4, 11, tzinfo=UTC)


def test_explain_says_which_condition_failed() -> None:
    rules = AutomationSet(
        rules=[
            rule("ok", [{"field": "status", "operator": "is", "value": "pending"}], [NOTE]),
            rule(
                "no",
                [
                    {"field": "status", "operator": "is", "value": "pending"},
                    {"field": "priority", "operator": "is", "value": 1},
                ],
                [NOTE],
            ),
            codec.load(
                Rule,
                {
                    "id": "any",
                    "conditions": {"any": [{"field": "priority", "operator": "is", "value": 1}]},
                    "actions": [NOTE],
                },
            ),
            REMINDER,
        ]
    )
    checks = rules.explain(pending_ticket(), now=T0)
    assert [(c.rule, c.matched, c.failed) for c in checks] == [
        ("ok", True, None),
        ("no", False, "all[1]"),
        ("any", False, "any"),
        ("remind", False, None),
    ]
    assert checks[3].reason is not None
    assert "due at" in checks[3].reason


def test_macros_preview_their_events_and_localize_the_reply() -> None:
    import tomllib

    rules = codec.load(AutomationSet, tomllib.loads(RULE_SET))
    ticket = Ticket.from_events([TICKET])
    outcome = rules.apply_macro(ticket, "refund", at=T0, workflow=WORKFLOW)
    reply, _tags = outcome.events
    assert isinstance(reply, Replied)
    assert reply.body == "Refund for T-1"
    assert reply.actor.id == "automation:macro.refund"
    assert "refund" in outcome.ticket.tags
    with pytest.raises(ConfigError, match="'refund'"):
        rules.macro("nope")
    with pytest.raises(ConfigError, match="vip"):
        rules.rule("nope")
    assert rules.rule("vip").id == "vip"
    assert Macro("m", [Action("note", text="x")]).actions[0].text == {"": "x"}
    with pytest.raises(ConfigError):
        Macro("m", [])
    assert Condition("tags", "includes", ["x"]).value == ("x",)
    assert Schedule(timedelta(hours=1)).calendar is None
    assert Conditions().all == ()


def test_macro_preview_shows_the_ticket_after_it() -> None:
    macro = codec.load(
        Macro,
        {
            "id": "refund",
            "actions": [{"type": "add_tags", "value": ["refund"]}, {"type": "set_status", "value": "accept"}],
        },
    )
    ticket = Ticket.from_events([TICKET])
    preview = macro.preview(ticket)
    assert "refund" in preview.tags
    assert preview.status == "open"
    assert ticket.status == "new"
    assert macro.preview(ticket, at=T0 + timedelta(hours=1), workflow=WORKFLOW).updated_at == T0 + timedelta(
        hours=1
    )


# simulate ------------------------------------------------------------------------------------------------------


def test_simulate_replays_histories_and_reports_each_firing() -> None:
    import tomllib

    rules = codec.load(AutomationSet, tomllib.loads(RULE_SET))
    vip = [opened(ticket_id="T-1", segment="vip")]
    pending = list(pending_ticket_events())
    plain = [opened(ticket_id="T-3", at=T0 + timedelta(hours=1))]
    simulation = rules.simulate([vip, pending, plain, []], until=T0 + timedelta(days=3))
    assert simulation.counts() == {"vip": 1, "pending_reminder": 1}
    reminder = next(f for f in simulation.firings if f.rule == "pending_reminder")
    assert reminder.at == T0 + timedelta(hours=48, minutes=5)
    assert isinstance(reminder.events[0], TimerFired)
    assert [type(e) for e in simulation.histories["T-1"]] == [Opened, PriorityChanged, FieldChanged]
    assert simulation.events_replayed == 4
    early = rules.simulate([pending], until=T0 + timedelta(hours=47))
    assert early.firings == ()


def pending_ticket_events() -> list[Event]:
    return [
        opened(ticket_id="T-2"),
        StatusChanged(
            ticket_id="T-2",
            seq=2,
            at=T0 + timedelta(minutes=5),
            actor=Actor("ada", Role.AGENT),
            from_status="new",
            from_category="new",
            to_status="pending",
            to_category="pending",
        ),
    ]


def test_simulate_lists_the_tickets_on_which_rules_loop() -> None:
    rules = AutomationSet(
        rules=[
            rule(
                "add",
                [{"field": "tags", "operator": "includes", "value": "x"}],
                [{"type": "remove_tags", "value": ["x"]}, {"type": "add_tags", "value": ["y"]}],
            ),
            rule(
                "back",
                [{"field": "tags", "operator": "includes", "value": "y"}],
                [{"type": "remove_tags", "value": ["y"]}, {"type": "add_tags", "value": ["x"]}],
            ),
        ]
    )
    simulation = rules.simulate([[opened(tags=["x"])], [opened(ticket_id="T-2")]], until=T0)
    ((ticket_id, loop),) = simulation.loops
    assert ticket_id == "T-1"
    assert loop.rules == ("add", "back")


def test_simulate_evaluates_sla_conditions_with_the_policy() -> None:
    policy = SLAPolicy("std", {"resolution": MetricTargets(default=timedelta(hours=8))})
    rules = AutomationSet(
        rules=[
            rule(
                "late",
                [{"field": "sla.resolution.state", "operator": "is", "value": "breached"}],
                [NOTE],
                schedule={"after": "9h", "since": "created_at"},
            )
        ]
    )
    simulation = rules.simulate([[opened()]], until=T0 + timedelta(days=1), sla=policy)
    assert simulation.counts() == {"late": 1}


# presets -------------------------------------------------------------------------------------------------------


def test_presets_remind_close_escalate_and_warn_once() -> None:
    from ticketcore.automation import (
        close_after_solved,
        pending_reminder,
        sla_breach_escalation,
        sla_warning,
        vip_escalation,
    )

    rules = AutomationSet(
        rules=[
            pending_reminder(),
            close_after_solved(days=2),
            vip_escalation(),
            sla_warning(),
            sla_breach_escalation(),
        ]
    )
    assert codec.load(AutomationSet, codec.dump(rules)) == rules
    policy = SLAPolicy("std", {"resolution": MetricTargets(default=timedelta(hours=8))})
    vip = [opened(segment="vip", priority=3)]
    simulation = rules.simulate([vip], until=T0 + timedelta(days=1), sla=policy)
    assert simulation.counts() == {"vip_escalation": 1}
    # Updates at 7 h and at 9 h: the warning at 75 % and the breach escalation fire once each.
    note = NoteAdded(
        ticket_id="T-1", seq=2, at=T0 + timedelta(hours=7), actor=Actor("ada", Role.AGENT), body="a"
    )
    late = NoteAdded(
        ticket_id="T-1", seq=3, at=T0 + timedelta(hours=9), actor=Actor("ada", Role.AGENT), body="b"
    )
    again = NoteAdded(
        ticket_id="T-1", seq=4, at=T0 + timedelta(hours=10), actor=Actor("ada", Role.AGENT), body="c"
    )
    simulation = rules.simulate([[*vip, note, late, again]], until=T0 + timedelta(days=1), sla=policy)
    assert simulation.counts() == {"vip_escalation": 1, "sla_resolution_75": 1, "sla_resolution_breach": 1}
    history = simulation.histories["T-1"]
    ticket = Ticket.from_events(history)
    assert ticket.priority == 2
    assert ticket.fields["tier"] == 3
    (warning,) = [n for f in simulation.firings for n in f.notifications]
    assert warning.recipient == "group_lead"
    assert "75 %" in warning.text
    assert "resolution" in warning.text
    solved = [
        opened(),
        Assigned(ticket_id="T-1", seq=2, at=T0, actor=Actor("ada", Role.AGENT), agent="ada"),
        StatusChanged(
            ticket_id="T-1",
            seq=3,
            at=T0 + timedelta(hours=1),
            actor=Actor("ada", Role.AGENT),
            from_status="new",
            from_category="new",
            to_status="solved",
            to_category="solved",
        ),
    ]
    closed = rules.simulate([solved], until=T0 + timedelta(days=3))
    assert closed.counts() == {"close_solved": 1}
    assert Ticket.from_events(closed.histories["T-1"]).status == "closed"
    reminded = rules.simulate([pending_ticket_events()], until=T0 + timedelta(days=3))
    assert reminded.counts() == {"pending_reminder": 1}


@pytest.mark.parametrize(
    "build",
    [
        lambda: Condition("status", "nope", "x"),
        lambda: Conditions(all="status"),  # type: ignore[arg-type]
        lambda: Action("explode"),
        lambda: Action("set_group", 3),
        lambda: Action("raise_priority", "up"),
        lambda: Action("set_field", ["a"], field="x"),
        lambda: Rule("r", actions="note"),  # type: ignore[arg-type]
        lambda: Schedule(timedelta(hours=1), since="whenever"),  # type: ignore[arg-type]
        lambda: codec.load(Action, {"type": "note", "text": 3}),
        lambda: codec.load(Condition, {"field": "status", "operator": "in", "value": [{"a": 1}]}),
    ],
)
def test_values_built_in_code_are_checked_like_loaded_ones(build: object) -> None:
    with pytest.raises(ConfigError):
        build()  # type: ignore[operator]


def test_rules_know_whether_they_are_time_based_and_which_tags_they_need() -> None:
    assert REMINDER.time_based
    trigger = rule("t", [{"field": "tags", "operator": "includes", "value": "vip"}], [NOTE])
    assert not trigger.time_based
    assert trigger.needs_tags == {"vip"}
    assert AutomationSet(rules=[trigger]).rule("t") is trigger


@pytest.mark.parametrize("gap", [1, 3])
def test_simulate_refuses_a_broken_stored_history_as_folding_it_does(gap: int) -> None:
    # Each reply fires a rule, so the stored events after it stand later in the simulated history than their seq.
    rules = AutomationSet(
        rules=[rule("noted", [{"field": "update.agent_replied", "operator": "is", "value": True}], [NOTE])]
    )
    ada = Actor("ada", Role.AGENT)
    stored: list[Event] = [
        opened(),
        Replied(ticket_id="T-1", seq=2, at=T0 + timedelta(minutes=1), actor=ada, body="a"),
        Replied(ticket_id="T-1", seq=3, at=T0 + timedelta(minutes=2), actor=ada, body="b"),
        NoteAdded(ticket_id="T-1", seq=3 + gap, at=T0 + timedelta(minutes=gap), actor=ada, body="c"),
    ]
    with pytest.raises(InvalidEvent) as folding:
        Ticket.from_events(stored)
    with pytest.raises(InvalidEvent) as simulating:
        rules.simulate([stored], until=T0 + timedelta(days=1))
    assert str(simulating.value) == str(folding.value)
