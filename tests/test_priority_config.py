"""Priority configuration as data: round trips, fuzzed loaders that raise only ConfigError, and the "Done when" story."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import T0
from ticketcore import codec
from ticketcore.errors import ConfigError
from ticketcore.model import Actor, Opened, Role, Ticket
from ticketcore.priority import (
    AffectedThresholds,
    Conditions,
    Impact,
    Priority,
    PriorityAssessment,
    PriorityMatrix,
    PriorityPolicy,
    PriorityRule,
    WeightedPriorityMatrix,
)


def ticket(**attributes: Any) -> Ticket:
    opened = Opened(
        ticket_id="T-7", seq=1, at=T0, actor=Actor("cy", Role.REQUESTER), requester="cy", **attributes
    )
    return Ticket.from_events([opened])


def test_done_when_servicenow_3x3_a_5x5_and_a_vip_rule_explain_themselves() -> None:
    # A 3×3 matrix whose low/low cell is P4, as many ServiceNow instances run it.
    servicenow = codec.load(PriorityMatrix, {"levels": 3, "table": [[1, 2, 3], [2, 3, 4], [3, 4, 4]]})
    assert servicenow.priority(3, 3).label == "P4 Low"
    # A 5×5 matrix onto five priorities.
    five = codec.load(
        PriorityMatrix,
        {
            "levels": 5,
            "table": [
                [1, 1, 2, 2, 3],
                [1, 2, 2, 3, 3],
                [2, 2, 3, 3, 4],
                [2, 3, 3, 4, 5],
                [3, 3, 4, 5, 5],
            ],
        },
    )
    assert five.priority(4, 2).label == "P3 Moderate"
    vip = {"name": "vip", "when": {"segment": ["vip"]}, "raise_by": 1, "reason": "VIP customers come first"}
    for matrix in (servicenow, five):
        policy = codec.load(PriorityPolicy, {"matrix": codec.dump(matrix), "rules": [vip]})
        assert policy.matrix == matrix
    policy = codec.load(PriorityPolicy, {"matrix": codec.dump(servicenow), "rules": [vip]})
    assessment = policy.assess(ticket(impact=1, urgency=2, segment="vip"))
    assert assessment.final.label == "P1 Critical"
    assert assessment.base.label == "P2 High"
    assert [step.rule for step in assessment.steps] == ["vip"]
    assert assessment.explain() == [
        "P1 Critical",
        "impact 1 - High (set on the ticket), urgency 2 - Medium (set on the ticket)",
        "base: impact 1 - High × urgency 2 - Medium → P2 High",
        "vip: P2 High → P1 Critical (segment is 'vip': raise by 1 level; VIP customers come first)",
    ]
    five_policy = codec.load(PriorityPolicy, {"matrix": codec.dump(five), "rules": [vip]})
    assert five_policy.assess(ticket(impact=4, urgency=4, segment="vip")).explain()[-1] == (
        "vip: P4 Low → P3 Moderate (segment is 'vip': raise by 1 level; VIP customers come first)"
    )


def test_check_lists_every_problem_with_its_path() -> None:
    data = {"levels": 2, "table": [[1, 2], [2, 3]], "names": [1], "urgency_levels": "2"}
    assert {problem.path for problem in codec.check(PriorityMatrix, data)} == {"names[0]", "urgency_levels"}
    assert codec.check(PriorityMatrix, {"levels": 1, "table": [[1]]}) == []
    with pytest.raises(ConfigError, match="level must be an integer of 1 or more"):
        codec.load(Priority, {"level": 0})


def test_the_issue_example_loads_and_dumps_back() -> None:
    data = {"levels": 3, "table": [[1, 2, 3], [2, 3, 4], [3, 4, 4]]}
    assert codec.dump(codec.load(PriorityMatrix, data)) == data
    assert codec.dump(PriorityPolicy()) == {}


def test_weighted_mode_loads_from_the_same_configuration() -> None:
    data = {
        "mode": "weighted",
        "impact_weights": [9, 5, 3, 0],
        "urgency_weights": [20, 15, 10, 0],
        "thresholds": [24, 16, 10, 0],
        "names": ["Critical", "High", "Medium", "Low"],
    }
    policy = codec.load(PriorityPolicy, {"matrix": data})
    assert isinstance(policy.matrix, WeightedPriorityMatrix)
    assert policy.matrix.priority(2, 1).label == "P1 Critical"
    assert codec.dump(policy) == {"matrix": data}
    assert codec.load(WeightedPriorityMatrix, data) == policy.matrix
    assert isinstance(
        codec.load(PriorityPolicy, {"matrix": {"mode": "lookup", "levels": 1, "table": [[1]]}}).matrix,
        PriorityMatrix,
    )


@pytest.mark.parametrize(
    ("type_", "data", "path"),
    [
        (PriorityMatrix, {"levels": 3, "table": [[1, 2, 3], [2, 3, 4], [3, 2, 4]]}, "table[2][1]"),
        (PriorityMatrix, {"levels": 3, "table": [[1, 2, 3], [2, 3, 4], [3, True, 4]]}, "table[2][1]"),
        (PriorityMatrix, {"levels": 2, "table": [[1, 2], [2, 3]], "colour": "red"}, ""),
        (PriorityMatrix, {"levels": 2, "table": [[1, 2], [2, 3]], "mode": "weighted"}, "mode"),
        (PriorityPolicy, {"matrix": {"levels": 2, "table": [[1, 2], [2, 1]]}}, "matrix.table[1][1]"),
        (PriorityPolicy, {"matrix": {"mode": "fancy"}}, "matrix.mode"),
        (
            PriorityPolicy,
            {"rules": [{"name": "a", "when": {"segment": "vip"}, "raise_by": 1}]},
            "rules[0].when.segment",
        ),
        (
            PriorityPolicy,
            {"rules": [{"name": "a", "raise_by": 1}, {"name": "b", "floor": 9}]},
            "rules[1].floor",
        ),
        (PriorityPolicy, {"override_roles": ["boss"]}, "override_roles[0]"),
        (PriorityPolicy, {"affected": {"users": [5, 50]}}, "affected.users[1]"),
    ],
)
def test_bad_configuration_names_its_path(type_: type[Any], data: object, path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        codec.load(type_, data)
    assert caught.value.path == path


# --- round trips ------------------------------------------------------------------------------------------------

names = st.lists(
    st.text("abcXYZ ", min_size=1, max_size=6).filter(str.strip), min_size=1, max_size=7, unique=True
)


@st.composite
def lookup_matrices(draw: st.DrawFn) -> PriorityMatrix:
    levels = draw(st.integers(1, 4))
    columns = draw(st.integers(1, 4))
    priority_names = draw(names)
    table: list[list[int]] = []
    for i in range(levels):
        row: list[int] = []
        for j in range(columns):
            low = max([1] + ([table[i - 1][j]] if i else []) + ([row[j - 1]] if j else []))
            row.append(min(len(priority_names), low + draw(st.integers(0, 1))))
        table.append(row)
    return PriorityMatrix(
        levels,
        table,
        names=priority_names,
        urgency_levels=None if columns == levels else columns,
        impact_names=draw(st.sampled_from([(), tuple(f"I{n}" for n in range(levels))])),
    )


@st.composite
def weighted_matrices(draw: st.DrawFn) -> WeightedPriorityMatrix:
    impact = sorted(draw(st.lists(st.integers(-5, 20), min_size=1, max_size=4)), reverse=True)
    urgency = sorted(draw(st.lists(st.integers(-5, 20), min_size=1, max_size=4)), reverse=True)
    thresholds = sorted(set(draw(st.lists(st.integers(-10, 40), min_size=1, max_size=5))), reverse=True)
    thresholds[-1] = min(thresholds[-1], impact[-1] + urgency[-1])
    return WeightedPriorityMatrix(impact, urgency, thresholds)


values = st.frozensets(st.sampled_from(["vip", "eu", "IT", "web", "net", "x y"]), max_size=3)
field_values = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=4))
rule_conditions = st.builds(
    Conditions,
    segment=values,
    region=values,
    country=values,
    channel=values,
    group=values,
    tags=values,
    fields=st.dictionaries(st.sampled_from(["plan", "tier"]), st.lists(field_values, max_size=3).map(tuple)),
)


@st.composite
def policies(draw: st.DrawFn) -> PriorityPolicy:
    matrix: PriorityMatrix | WeightedPriorityMatrix = draw(st.one_of(lookup_matrices(), weighted_matrices()))
    lowest = len(matrix.names)
    rules = []
    for n in range(draw(st.integers(0, 4))):
        action: dict[str, int] = draw(
            st.one_of(
                st.fixed_dictionaries({"raise_by": st.integers(-2, 2).filter(bool)}),
                st.fixed_dictionaries({"floor": st.integers(1, lowest)}),
                st.fixed_dictionaries({"ceiling": st.integers(1, lowest)}),
            )
        )
        rules.append(
            PriorityRule(
                f"rule {n}",
                draw(rule_conditions),
                reason=draw(st.text(max_size=8)),
                stop=draw(st.booleans()),
                **action,
            )
        )
    impacts = len(matrix.impacts)
    affected = None
    if impacts > 1 and draw(st.booleans()):
        users = tuple(
            sorted(draw(st.sets(st.integers(1, 500), min_size=1, max_size=impacts - 1)), reverse=True)
        )
        affected = AffectedThresholds(
            users=users, users_field=draw(st.sampled_from(["affected_users", "users"]))
        )
    return PriorityPolicy(
        matrix,
        rules,
        default_impact=draw(st.one_of(st.none(), st.integers(1, impacts))),
        default_urgency=draw(st.one_of(st.none(), st.integers(1, len(matrix.urgencies)))),
        affected=affected,
        override_roles=draw(st.frozensets(st.sampled_from(list(Role)))),
    )


@given(policies())
def test_policies_round_trip(policy: PriorityPolicy) -> None:
    data = codec.dump(policy)
    assert codec.load(PriorityPolicy, data) == policy
    assert codec.dump(codec.load(PriorityPolicy, data)) == data


subjects = st.builds(
    ticket,
    impact=st.sampled_from([None, 1]),
    urgency=st.sampled_from([None, 1]),
    segment=st.sampled_from([None, "vip", "eu"]),
    tags=values,
    fields=st.dictionaries(st.sampled_from(["plan", "affected_users"]), field_values),
)


@given(policies(), subjects)
def test_assessments_round_trip_and_are_deterministic(policy: PriorityPolicy, subject: Ticket) -> None:
    assessment = policy.assess(subject)
    assert assessment == policy.assess(subject)
    assert codec.load(PriorityAssessment, codec.dump(assessment)) == assessment


# --- fuzzing: only ConfigError, never a crash -------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 12), st.floats(allow_nan=False), st.text(max_size=5)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
KEYS = [
    "levels",
    "table",
    "names",
    "mode",
    "urgency_levels",
    "impact_weights",
    "urgency_weights",
    "thresholds",
    "matrix",
    "rules",
    "name",
    "when",
    "raise_by",
    "floor",
    "ceiling",
    "segment",
    "fields",
    "affected",
    "users",
    "override_roles",
    "default_impact",
    "level",
    "base",
    "final",
    "steps",
]
configs = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=5)
CONFIG_TYPES = [
    PriorityMatrix,
    WeightedPriorityMatrix,
    PriorityPolicy,
    PriorityRule,
    Conditions,
    AffectedThresholds,
    PriorityAssessment,
    Priority,
    Impact,
]


@given(st.sampled_from(CONFIG_TYPES), st.one_of(configs, json_values))
def test_fuzzed_configuration_raises_only_config_error(type_: type[Any], data: object) -> None:
    with contextlib.suppress(ConfigError):
        codec.load(type_, data)


def _mutate(data: object, path: list[int], replacement: object) -> object:
    """``data`` with the leaf reached by following ``path`` (indices into lists and sorted keys) replaced."""
    if not path or not isinstance(data, list | dict) or not data:
        return replacement
    step, rest = path[0], path[1:]
    if isinstance(data, list):
        index = step % len(data)
        return [_mutate(item, rest, replacement) if n == index else item for n, item in enumerate(data)]
    key = sorted(data)[step % len(data)]
    return {k: _mutate(v, rest, replacement) if k == key else v for k, v in data.items()}


@given(policies(), st.lists(st.integers(0, 20), max_size=6), json_values)
def test_mutated_valid_configuration_raises_only_config_error(
    policy: PriorityPolicy, path: list[int], replacement: object
) -> None:
    data = _mutate(codec.dump(policy), path, replacement)
    with contextlib.suppress(ConfigError):
        codec.load(PriorityPolicy, data)
