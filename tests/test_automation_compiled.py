"""The trigger engine's speed-ups agree with the plain reading of the rules: compiled conditions with the condition
interpreter, and the tag index with checking every rule's required tags."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ticketcore._automation.conditions import Facts, failed_condition
from ticketcore._automation.engine import Triggers
from ticketcore.automation import Action, Condition, Conditions, Rule
from ticketcore.errors import ConfigError
from ticketcore.model import Actor, Opened, Role, Ticket

T0 = datetime(2025, 3, 3, 9, tzinfo=UTC)
TAGS = ("vip", "outage", "billing")
VALUES: dict[str, list[object]] = {
    "status": ["new", "open", "pending"],
    "category": ["new", "open", "pending"],
    "channel": ["email", "chat"],
    "segment": ["vip", "standard", None],
    "priority": [1, 2, 3, None],
    "tier": [1, 2, 3],
    "group": ["eu", "us", None],
    "fields.plan": ["gold", "free", 3, None],
    "tags": list(TAGS),
}
OPERATORS = [
    "is",
    "is_not",
    "in",
    "not_in",
    "includes",
    "less_than",
    "greater_than",
    "present",
    "changed",
    "changed_to",
    "changed_from",
]


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    field = draw(st.sampled_from(sorted(VALUES)))
    operator = draw(st.sampled_from(OPERATORS))
    options = VALUES[field]
    value: object
    if operator in ("in", "not_in"):
        value = draw(st.lists(st.sampled_from(options), max_size=3))
    elif operator == "present":
        value = draw(st.booleans())
    elif operator in ("less_than", "greater_than"):
        value = draw(st.integers(0, 4))
    elif operator == "includes" and field == "tags":
        value = draw(st.sampled_from(TAGS) | st.lists(st.sampled_from(TAGS), min_size=1, max_size=2))
    else:
        value = draw(st.sampled_from(options))
    try:
        return Condition(field, operator, value)
    except ConfigError:
        assume(False)
        raise


@st.composite
def tickets(draw: st.DrawFn) -> Ticket:
    status = draw(st.sampled_from(["new", "open", "pending"]))
    ticket = Ticket.from_events(
        [
            Opened(
                ticket_id="T-1",
                seq=1,
                at=T0,
                actor=Actor("cy", Role.REQUESTER),
                requester="cy",
                channel=draw(st.sampled_from(["email", "chat"])),
                segment=draw(st.sampled_from(["vip", "standard", None])),
                priority=draw(st.sampled_from([1, 2, 3, None])),
                group=draw(st.sampled_from(["eu", "us", None])),
                tags=draw(st.frozensets(st.sampled_from(TAGS))),
                fields=draw(
                    st.dictionaries(st.sampled_from(["plan", "tier"]), st.sampled_from(["gold", 2, 3]))
                ),
            )
        ]
    )
    return attrs.evolve(ticket, status=status)


@given(
    st.lists(conditions(), max_size=3),
    st.lists(conditions(), max_size=2),
    tickets(),
    st.none() | tickets(),
)
@settings(max_examples=200, deadline=None)
def test_compiled_conditions_agree_with_the_interpreter(
    all_: list[Condition], any_: list[Condition], ticket: Ticket, before: Ticket | None
) -> None:
    rules = Rule("r", Conditions(all=all_, any=any_), [Action("note", text="n")])
    facts = Facts(ticket, before, (), T0)
    assert rules.check(facts) == failed_condition(rules.conditions, facts)


@given(
    st.lists(st.lists(st.sampled_from(TAGS), max_size=2), max_size=8),
    st.frozensets(st.sampled_from(TAGS)),
)
@settings(max_examples=100, deadline=None)
def test_the_tag_index_finds_exactly_the_rules_whose_tags_the_ticket_has(
    needs: list[list[str]], tags: frozenset[str]
) -> None:
    rules = [
        Rule(
            f"r{index}",
            Conditions(all=[Condition("tags", "includes", tag) for tag in wanted]),
            [Action("note", text="n")],
        )
        for index, wanted in enumerate(needs)
    ]
    assert Triggers(rules).candidates(tags) == [rule for rule in rules if rule.needs_tags <= tags]


def test_a_rule_set_says_whether_it_reads_the_sla() -> None:
    from ticketcore.automation import AutomationSet, Macro, pending_reminder, sla_warning, vip_escalation

    assert not AutomationSet(rules=[pending_reminder(), vip_escalation()]).reads_sla
    assert AutomationSet(rules=[vip_escalation(), sla_warning("resolution", 75)]).reads_sla
    due = Macro("due", [Action("reply", text={"en": "Due {sla.resolution.due}"})])
    assert AutomationSet(macros=[due]).reads_sla
    assert not AutomationSet(macros=[Macro("hi", [Action("reply", text="Hi {requester}")])]).reads_sla


def test_a_rule_set_pickles_with_its_compiled_rules() -> None:
    import pickle

    from ticketcore.automation import AutomationSet, pending_reminder, vip_escalation

    rules = AutomationSet(rules=[vip_escalation(), pending_reminder()])
    again = pickle.loads(pickle.dumps(rules))
    assert again == rules
    facts = Facts(
        Ticket.from_events(
            [
                Opened(
                    ticket_id="T-1",
                    seq=1,
                    at=T0,
                    actor=Actor("cy", Role.REQUESTER),
                    requester="cy",
                    segment="vip",
                )
            ]
        ),
        None,
        (),
        T0,
    )
    assert [rule.check(facts) for rule in again.rules] == [rule.check(facts) for rule in rules.rules]
    assert again.triggers == rules.triggers
