"""Routing configuration through the codec: round trips, babel-checked language tags, paths of bad fields, fuzzing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from test_routing_properties import crews, loads_for, routers
from ticketcore import ConfigError
from ticketcore.codec import dump, load
from ticketcore.routing import Agent, AgentLoad, Match, Requirements, Router, RoutingRule
from ticketcore.testing.strategies import json_like


@given(crews())
def test_agents_round_trip(crew: list[Agent]) -> None:
    data = dump(crew)
    assert load(list[Agent], data) == crew
    assert dump(load(list[Agent], data)) == data


@given(routers())
def test_routers_round_trip(router: Router) -> None:
    data = dump(router)
    assert load(Router, data) == router
    assert dump(load(Router, data)) == data


def test_dumps_leave_out_defaults_and_use_plain_strings() -> None:
    router = Router(
        [
            RoutingRule(
                "billing", when=Match(topics={"billing"}), then=Requirements(group="billing", min_tier=2)
            )
        ],
        strategy="round_robin",
    )
    assert dump(router) == {
        "rules": [
            {"name": "billing", "when": {"topics": ["billing"]}, "then": {"group": "billing", "min_tier": 2}}
        ],
        "strategy": "round_robin",
    }
    assert dump(Agent("ada", presence="away", languages=["it_CH"])) == {
        "id": "ada",
        "languages": ["it-CH"],
        "presence": "away",
    }
    assert dump(AgentLoad("ada", per_channel={"chat": 1})) == {"agent_id": "ada", "per_channel": {"chat": 1}}


@pytest.mark.parametrize(
    ("tag", "normal"),
    [
        ("it", "it"),
        ("it_CH", "it-CH"),
        ("IT-it", "it-IT"),
        ("iw", "he"),
        ("sr_latn", "sr-Latn"),
        ("es-419", "es-419"),
    ],
)
def test_babel_checks_and_canonicalises_language_tags(tag: str, normal: str) -> None:
    assert load(Agent, {"id": "a", "languages": [tag]}).languages == {normal}
    assert load(Requirements, {"language": tag}).language == normal
    assert load(Match, {"languages": [tag]}).languages == {normal}


@pytest.mark.parametrize("tag", ["xx", "und", "it-ZZ", "it-Qqqq", "e", "it-CH-x", 7])
def test_unknown_language_tags_are_config_errors(tag: object) -> None:
    with pytest.raises(ConfigError) as info:
        load(Agent, {"id": "a", "languages": ["en", tag]})
    assert info.value.path == "languages[1]"
    assert repr(tag) in info.value.problem


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({"id": "a", "tier": 5}, "tier", "outside 1..4"),
        ({"id": "a", "skills": {"vpn": 0}}, "skills.vpn", "≥ 1"),
        ({"id": "a", "capacity": {"chat": -1}}, "capacity.chat", "≥ 0"),
        ({"id": "a", "capacity": {"chat": "3"}}, "capacity.chat", "expected an integer"),
        ({"id": "a", "presence": "busy"}, "presence", "'online', 'away', 'offline'"),
        ({"id": "a", "units": -1}, "units", "≥ 0"),
        ({"id": "a", "groups": "billing"}, "groups", "expected a list"),
        ({"id": "a", "shift": {"tz": "Mars/Base"}}, "shift.tz", "Mars/Base"),
        ({"id": "a", "colour": "red"}, "", "'colour'"),
    ],
)
def test_bad_agents_name_the_field(data: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(Agent, data)
    assert info.value.path == path
    assert words in info.value.problem


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({"rules": [{"name": "a"}, {"name": "a"}]}, "rules[1].name", "used twice"),
        ({"strategy": "random"}, "strategy", "'least_loaded'"),
        ({"channel_weights": {"phone": 0}}, "channel_weights.phone", "≥ 1"),
        (
            {
                "rules": [
                    {
                        "name": "a",
                        "then": {"additional": {"x": 1}, "relax": [{"after": "2m", "drop_skills": ["y"]}]},
                    }
                ]
            },
            "rules[0].then.relax[0].drop_skills",
            "only additional skills can be dropped; additional skills: 'x'",
        ),
        (
            {"rules": [{"name": "a", "then": {"skills": {"x": 1}, "additional": {"x": 2}}}]},
            "rules[0].then.additional",
            "both required and additional",
        ),
        (
            {"rules": [{"name": "a", "then": {"relax": [{"after": "-5m"}]}}]},
            "rules[0].then.relax[0].after",
            "negative",
        ),
        ({"rules": [{"name": "a", "then": {"min_tier": 0}}]}, "rules[0].then.min_tier", "outside 1..4"),
        (
            {"rules": [{"name": "a", "when": {"languages": ["it", "qq"]}}]},
            "rules[0].when.languages[1]",
            "'qq'",
        ),
        ({"rules": [{"name": "a", "when": {"priority": [1]}}]}, "rules[0].when", "'priority'"),
    ],
)
def test_bad_routers_name_the_field(data: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(Router, data)
    assert info.value.path == path
    assert words in info.value.problem


def test_relaxation_waits_load_in_every_duration_form() -> None:
    router = load(
        Router, {"fallback": {"additional": {"x": 1}, "relax": [{"after": "PT90S", "drop_skills": ["x"]}]}}
    )
    assert router.fallback.relax[0].after == timedelta(seconds=90)


@given(json_like())
def test_loading_junk_raises_only_config_errors(data: object) -> None:
    for type_ in (Agent, Router, list[Agent], AgentLoad, Requirements):
        try:
            load(type_, data)
        except ConfigError:
            pass


@given(
    st.dictionaries(
        st.sampled_from(["id", "skills", "languages", "tier", "groups", "capacity", "units", "presence"]),
        json_like(),
        max_size=6,
    )
)
def test_loading_near_agents_raises_only_config_errors(data: dict[str, Any]) -> None:
    try:
        agent = load(Agent, data)
    except ConfigError:
        return
    assert load(Agent, dump(agent)) == agent


@given(
    st.dictionaries(
        st.sampled_from(["name", "when", "then"]),
        st.dictionaries(
            st.sampled_from(
                ["topics", "languages", "skills", "relax", "min_tier", "agents", "language", "tags_any"]
            ),
            json_like(),
            max_size=3,
        )
        | json_like(),
        max_size=3,
    )
)
def test_loading_near_rules_raises_only_config_errors(data: dict[str, Any]) -> None:
    try:
        rule = load(RoutingRule, data)
    except ConfigError:
        return
    assert load(RoutingRule, dump(rule)) == rule


@given(crews().flatmap(loads_for))
def test_loads_round_trip(loads: dict[str, AgentLoad]) -> None:
    data = dump(list(loads.values()))
    assert load(list[AgentLoad], data) == list(loads.values())
