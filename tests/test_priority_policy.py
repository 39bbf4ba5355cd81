"""Adjustment rules, assessments, re-assessment and manual overrides (with an oracle and a state machine)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from helpers import AGENT, REQUESTER, SYSTEM, T0, opened
from ticketcore.errors import ConfigError, NaiveDatetimeError
from ticketcore.model import Event, FieldChanged, PriorityChanged, Ticket
from ticketcore.priority import (
    MATRIX_RULE,
    AffectedThresholds,
    Conditions,
    Impact,
    Priority,
    PriorityError,
    PriorityMatrix,
    PriorityPolicy,
    PriorityRule,
    Urgency,
)


def ticket(**attributes: Any) -> Ticket:
    return Ticket.from_events([opened(**attributes)])


VIP = PriorityRule("vip", Conditions(segment={"vip"}), raise_by=1, reason="VIP customers come first")
EU_FLOOR = PriorityRule("eu-floor", Conditions(region={"eu"}), floor=3)
WEB_CEILING = PriorityRule("web-ceiling", Conditions(channel={"web"}), ceiling=2)


# --- conditions and rules ---------------------------------------------------------------------------------------


def test_conditions_match_every_given_criterion() -> None:
    when = Conditions(segment={"vip", "gold"}, channel={"phone"}, tags={"outage", "security"})
    assert when.matches(ticket(segment="gold", channel="phone", tags={"outage", "x"}))
    assert not when.matches(ticket(segment="gold", channel="email", tags={"outage"}))
    assert not when.matches(ticket(segment="gold", channel="phone", tags={"x"}))
    assert not when.matches(ticket(channel="phone", tags={"outage"}))
    assert Conditions().matches(ticket())
    assert Conditions().describe(ticket()) == "every ticket"
    assert when.describe(ticket(segment="gold", channel="phone", tags={"outage", "x"})) == (
        "segment is 'gold' and channel is 'phone' and tags include 'outage'"
    )


def test_conditions_on_region_country_group_and_custom_fields() -> None:
    when = Conditions(
        region={"eu"}, country={"IT"}, group={"network"}, fields={"plan": ("gold",), "sso": (True,)}
    )
    match = ticket(region="eu", country="IT", group="network", fields={"plan": "gold", "sso": True})
    assert when.matches(match)
    assert not when.matches(
        ticket(region="eu", country="IT", group="network", fields={"plan": "gold", "sso": 1})
    )
    assert not when.matches(
        ticket(region="eu", country="FR", group="network", fields={"plan": "gold", "sso": True})
    )
    assert Conditions(fields={"plan": (None,)}).matches(ticket())
    assert "field 'plan' is 'gold'" in when.describe(match)


def test_rule_actions() -> None:
    assert VIP.apply(3, lowest=5) == 2
    assert VIP.apply(1, lowest=5) == 1
    assert PriorityRule("down", raise_by=-2).apply(4, lowest=5) == 5
    assert PriorityRule("down", raise_by=-2).action == "lower by 2 levels"
    assert EU_FLOOR.apply(5, lowest=5) == 3
    assert EU_FLOOR.apply(2, lowest=5) == 2
    assert EU_FLOOR.action == "at least P3"
    assert WEB_CEILING.apply(1, lowest=5) == 2
    assert WEB_CEILING.action == "at most P2"


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"name": ""}, "name"),
        ({"name": "r"}, "raise_by"),
        ({"name": "r", "raise_by": 1, "ceiling": 2}, "ceiling"),
        ({"name": "r", "floor": 0}, "floor"),
        ({"name": "r", "raise_by": True}, "raise_by"),
    ],
)
def test_rule_refusals(kwargs: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        PriorityRule(**kwargs)
    assert caught.value.path == path


def test_policy_refusals() -> None:
    with pytest.raises(ConfigError) as caught:
        PriorityPolicy(PriorityMatrix.itil(), [VIP, VIP])
    assert caught.value.path == "rules[1].name"
    with pytest.raises(ConfigError, match="reserved"):
        PriorityPolicy(PriorityMatrix.itil(), [PriorityRule(MATRIX_RULE, raise_by=1)])
    with pytest.raises(ConfigError) as caught:
        PriorityPolicy(PriorityMatrix.itil(), [VIP, PriorityRule("x", ceiling=6)])
    assert caught.value.path == "rules[1].ceiling"
    with pytest.raises(ConfigError) as caught:
        PriorityPolicy(default_urgency=4)
    assert caught.value.path == "default_urgency"
    with pytest.raises(ConfigError) as caught:
        PriorityPolicy(affected=AffectedThresholds(systems=(10, 5, 2)))
    assert caught.value.path == "affected.systems"


# --- assessments ------------------------------------------------------------------------------------------------


def test_assessment_explains_a_vip_p1() -> None:
    policy = PriorityPolicy(PriorityMatrix.itil(), [VIP, EU_FLOOR])
    result = policy.assess(ticket(impact=1, urgency=2, segment="vip", region="eu"))
    assert result.base == Priority.HIGH
    assert result.final == Priority.CRITICAL == result.priority
    assert result.matched == ("vip", "eu-floor")
    assert [(s.rule, s.before.label, s.after.label) for s in result.steps] == [
        ("vip", "P2 High", "P1 Critical")
    ]
    assert result.deciding_rule == "vip"
    assert result.explain() == [
        "P1 Critical",
        "impact 1 - High (set on the ticket), urgency 2 - Medium (set on the ticket)",
        "base: impact 1 - High × urgency 2 - Medium → P2 High",
        "vip: P2 High → P1 Critical (segment is 'vip': raise by 1 level; VIP customers come first)",
    ]


def test_defaults_apply_when_impact_or_urgency_is_missing() -> None:
    assert PriorityPolicy().assess(ticket()).final == Priority.PLANNING
    result = PriorityPolicy(default_impact=2, default_urgency=1).assess(ticket())
    assert (result.impact, result.urgency, result.final) == (Impact(2), Urgency(1), Priority(2))
    assert result.impact_source == "default: no impact given"
    assert result.deciding_rule == MATRIX_RULE


def test_impact_from_affected_counts() -> None:
    policy = PriorityPolicy(affected=AffectedThresholds(users=(100, 10), systems=(5,)))
    assert policy.impact_from(users=150) == Impact.HIGH
    assert policy.impact_from(users=40) == Impact.MEDIUM
    assert policy.impact_from(users=3, systems=9) == Impact.HIGH
    assert policy.impact_from(users=3).name == "Low"
    result = policy.assess(ticket(urgency=1, fields={"affected_users": 40}))
    assert (result.impact, result.impact_source, result.final) == (
        Impact(2),
        "40 affected users",
        Priority(2),
    )
    # An impact set on the ticket wins over counts.
    assert policy.assess(ticket(impact=3, urgency=1, fields={"affected_users": 400})).impact == Impact(3)
    with pytest.raises(PriorityError, match="no `affected` thresholds"):
        PriorityPolicy().impact_from(users=3)
    with pytest.raises(PriorityError, match="give a count"):
        policy.impact_from()


def test_stop_ends_the_rule_list() -> None:
    first = PriorityRule("first", Conditions(segment={"vip"}), floor=2, stop=True)
    policy = PriorityPolicy(PriorityMatrix.itil(), [first, VIP])
    result = policy.assess(ticket(segment="vip", impact=3, urgency=3))
    assert result.final == Priority(2)
    assert result.matched == ("first",)


def test_assessing_an_opened_event_before_the_ticket_exists() -> None:
    policy = PriorityPolicy(PriorityMatrix.itil(), [VIP])
    event = opened(impact=2, urgency=2, segment="vip")
    assert policy.assess(event).final == Priority(2)
    stamped = policy.prioritize(event)
    assert stamped.priority == 2
    assert Ticket.from_events([stamped]).priority == 2
    assert policy.prioritize(opened(priority=4)).priority == 4


def test_ticket_levels_outside_the_matrix_are_refused() -> None:
    with pytest.raises(PriorityError, match="impact 4: not a valid impact level here; valid levels: 1 to 3"):
        PriorityPolicy().assess(ticket(impact=4))


# --- the oracle: rules applied one by one, in order -------------------------------------------------------------

SEGMENTS = [None, "vip", "gold", "std"]
REGIONS = [None, "eu", "us"]
CHANNELS = ["email", "phone", "web"]
TAGS = ["outage", "security", "billing"]


def oracle_matches(rule: PriorityRule, subject: Ticket) -> bool:
    when = rule.when
    checks = [
        not when.segment or subject.segment in when.segment,
        not when.region or subject.region in when.region,
        not when.channel or subject.channel in when.channel,
        not when.tags or any(tag in subject.tags for tag in when.tags),
    ]
    return all(checks)


def oracle_assess(rules: list[PriorityRule], subject: Ticket) -> tuple[int, list[str]]:
    level = PriorityMatrix.itil().table[(subject.impact or 3) - 1][(subject.urgency or 3) - 1]
    changed = []
    for candidate in rules:
        if not oracle_matches(candidate, subject):
            continue
        if candidate.floor is not None:
            new = min(level, candidate.floor)
        elif candidate.ceiling is not None:
            new = max(level, candidate.ceiling)
        else:
            new = level - candidate.raise_by
            new = 1 if new < 1 else 5 if new > 5 else new
        if new != level:
            changed.append(candidate.name)
        level = new
        if candidate.stop:
            break
    return level, changed


conditions = st.builds(
    Conditions,
    segment=st.frozensets(st.sampled_from(SEGMENTS[1:]), max_size=2),
    region=st.frozensets(st.sampled_from(REGIONS[1:]), max_size=1),
    channel=st.frozensets(st.sampled_from(CHANNELS), max_size=2),
    tags=st.frozensets(st.sampled_from(TAGS), max_size=2),
)
actions: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.fixed_dictionaries({"raise_by": st.integers(-3, 3).filter(bool)}),
    st.fixed_dictionaries({"floor": st.integers(1, 5)}),
    st.fixed_dictionaries({"ceiling": st.integers(1, 5)}),
)


@st.composite
def rule_lists(draw: st.DrawFn) -> list[PriorityRule]:
    count = draw(st.integers(0, 5))
    return [
        PriorityRule(f"r{n}", draw(conditions), stop=draw(st.integers(0, 6)) == 0, **draw(actions))
        for n in range(count)
    ]


tickets = st.builds(
    ticket,
    impact=st.sampled_from([None, 1, 2, 3]),
    urgency=st.sampled_from([None, 1, 2, 3]),
    segment=st.sampled_from(SEGMENTS),
    region=st.sampled_from(REGIONS),
    channel=st.sampled_from(CHANNELS),
    tags=st.frozensets(st.sampled_from(TAGS), max_size=2),
)


@given(rule_lists(), tickets)
def test_assessments_follow_the_rules_in_order(rules: list[PriorityRule], subject: Ticket) -> None:
    policy = PriorityPolicy(PriorityMatrix.itil(), rules)
    result = policy.assess(subject)
    assert result == policy.assess(subject)  # deterministic
    level, changed = oracle_assess(rules, subject)
    assert result.final == Priority(level)
    assert [step.rule for step in result.steps] == changed
    # The steps chain from the base to the final priority, in the policy's rule order.
    chain = [result.base, *(step.after for step in result.steps)]
    assert [step.before for step in result.steps] == chain[:-1]
    assert chain[-1] == result.final
    order = [rule.name for rule in rules]
    assert [order.index(name) for name in result.matched] == sorted(
        order.index(name) for name in result.matched
    )


# --- re-assessment and manual overrides -------------------------------------------------------------------------


def field(seq: int, name: str, value: int | str | None, minutes: int = 1) -> FieldChanged:
    return FieldChanged(
        ticket_id="T-1", seq=seq, at=T0 + timedelta(minutes=minutes), actor=AGENT, field=name, value=value
    )


def test_reassess_only_when_the_priority_changes() -> None:
    policy = PriorityPolicy(PriorityMatrix.itil(), [VIP])
    first = opened(impact=2, urgency=2, priority=3)
    at = T0 + timedelta(minutes=5)
    assert policy.reassess(Ticket.from_events([first]), actor=SYSTEM, at=at) == []
    history: list[Event] = [first, field(2, "urgency", 1)]
    (event,) = policy.reassess(Ticket.from_events(history), actor=SYSTEM, at=at)
    assert isinstance(event, PriorityChanged)
    assert (event.seq, event.from_priority, event.to_priority) == (3, 3, 2)
    assert (event.manual, event.rule, event.at) == (False, MATRIX_RULE, at)
    assert event.reason is not None
    assert "urgency 1 - High" in event.reason
    history += [event, field(4, "segment", "vip", minutes=6)]
    (event,) = policy.reassess(Ticket.from_events(history), actor=SYSTEM, at=T0 + timedelta(minutes=7))
    assert isinstance(event, PriorityChanged)
    assert (event.to_priority, event.rule) == (1, "vip")
    assert Ticket.from_events([*history, event]).priority == 1


def test_reassess_refuses_naive_times() -> None:
    with pytest.raises(NaiveDatetimeError):
        PriorityPolicy().reassess(ticket(), actor=SYSTEM, at=datetime(2025, 3, 3, 9))


def test_manual_override_is_recorded_and_sticks_until_impact_or_urgency_change() -> None:
    policy = PriorityPolicy()
    history: list[Event] = [opened(impact=3, urgency=3, priority=5)]
    override = policy.override(
        Ticket.from_events(history),
        Priority.HIGH,
        reason="CEO's laptop",
        actor=AGENT,
        at=T0 + timedelta(minutes=1),
    )
    assert (override.manual, override.to_priority, override.reason, override.rule) == (
        True,
        2,
        "CEO's laptop",
        None,
    )
    history.append(override)
    at = T0 + timedelta(minutes=9)
    # The snapshot alone cannot tell a manual priority from a stale one; the history can.
    assert len(policy.reassess(Ticket.from_events(history), actor=SYSTEM, at=at)) == 1
    assert policy.reassess(history, actor=SYSTEM, at=at) == []
    history.append(field(3, "impact", 2, minutes=8))
    (event,) = policy.reassess(history, actor=SYSTEM, at=at)
    assert isinstance(event, PriorityChanged)
    assert event.to_priority == 4


def test_override_refusals() -> None:
    policy = PriorityPolicy()
    at = T0 + timedelta(minutes=1)
    with pytest.raises(PriorityError, match="needs a reason"):
        policy.override(ticket(), 1, reason="  ", actor=AGENT, at=at)
    with pytest.raises(
        PriorityError, match="role 'requester' may not override priorities; allowed roles: admin, agent"
    ):
        policy.override(ticket(), 1, reason="please", actor=REQUESTER, at=at)
    with pytest.raises(PriorityError, match="valid levels: 1 to 5"):
        policy.override(ticket(), 6, reason="why not", actor=AGENT, at=at)
    with pytest.raises(PriorityError, match="none"):
        PriorityPolicy(override_roles=()).override(ticket(), 1, reason="x", actor=AGENT, at=at)


class TriageMachine(RuleBasedStateMachine):
    """Field changes, overrides and re-assessments in any order keep the history valid and the priority explained."""

    def __init__(self) -> None:
        super().__init__()
        self.policy = PriorityPolicy(PriorityMatrix.itil(), [VIP, EU_FLOOR, WEB_CEILING])
        self.events: list[Event] = [opened(impact=3, urgency=3)]
        self.pinned = False

    @property
    def now(self) -> datetime:
        return T0 + timedelta(minutes=len(self.events))

    @property
    def snapshot(self) -> Ticket:
        return Ticket.from_events(self.events)

    @rule(name=st.sampled_from(["impact", "urgency"]), value=st.sampled_from([1, 2, 3, None]))
    def change_level(self, name: str, value: int | None) -> None:
        self.events.append(
            FieldChanged(
                ticket_id="T-1", seq=len(self.events) + 1, at=self.now, actor=AGENT, field=name, value=value
            )
        )
        self.pinned = False

    @rule(
        name=st.sampled_from(["segment", "region", "channel"]),
        value=st.sampled_from(["vip", "eu", "web", "x"]),
    )
    def change_attribute(self, name: str, value: str) -> None:
        self.events.append(
            FieldChanged(
                ticket_id="T-1", seq=len(self.events) + 1, at=self.now, actor=AGENT, field=name, value=value
            )
        )

    @rule(level=st.integers(1, 5))
    def override(self, level: int) -> None:
        self.events.append(
            self.policy.override(self.snapshot, level, reason="judgement", actor=AGENT, at=self.now)
        )
        self.pinned = True

    @rule()
    def reassess(self) -> None:
        produced = self.policy.reassess(self.events, actor=SYSTEM, at=self.now)
        if self.pinned:
            assert produced == []
        self.events.extend(produced)
        if not self.pinned:
            assert self.snapshot.priority == self.policy.assess(self.snapshot).final.level
            # Idempotent: a second pass has nothing to change.
            assert self.policy.reassess(self.events, actor=SYSTEM, at=self.now) == []

    @invariant()
    def history_folds(self) -> None:
        assert self.snapshot.version == len(self.events)


TestTriage = TriageMachine.TestCase
