"""The issue's "Done when" story, with public names only; and policy sets, configuration and its refusals."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketcore import Actor, ConfigError, Opened, PriorityChanged, Replied, Role
from ticketcore.codec import dump, load
from ticketcore.sla import SLAPolicySet, compliance, upcoming

ROME = ZoneInfo("Europe/Rome")
OFFICE_HOURS = {day: ["09:00-13:00", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}

POLICY_SET = {
    "policies": [
        {
            "name": "vip_chat",
            "when": {"channel": ["chat"], "segment": ["vip"]},
            "metrics": {
                "first_response": {"targets": {"1": "30s"}, "default": "60s"},
                "resolution": {"targets": {"1": "2h", "2": "4h"}, "default": "8h"},
            },
            "on_priority_change": "recompute",
        },
        {
            "name": "eu_email",
            "when": {"channel": ["email"], "region": ["EU"]},
            "calendar": {"tz": "Europe/Rome", "hours": OFFICE_HOURS, "holidays": {"country": "IT"}},
            "metrics": {
                "first_response": {"targets": {"1": "1h", "2": "2h"}, "default": "60m"},
                "next_response": {"default": "4h"},
                "resolution": {"targets": {"1": "4h", "2": "8h"}, "default": "3d"},
            },
            "pause_statuses": ["awaiting_vendor"],
            "warnings": [50, 75, 100],
        },
        {
            "name": "default",
            "metrics": {"first_response": {"default": "8h"}, "resolution": {"default": "5d"}},
        },
    ]
}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=ROME)


def test_done_when_load_evaluate_change_priority_evaluate_again_and_list_breaches_due_within_the_hour() -> (
    None
):
    policies = load(SLAPolicySet, POLICY_SET)
    requester = Actor("cy", Role.REQUESTER)
    events = [
        Opened(
            ticket_id="T-42",
            seq=1,
            at=at(3, 9),
            actor=requester,
            requester="cy",
            subject="Invoices missing",
            channel="email",
            region="EU",
            priority=3,
        ),
        Replied(ticket_id="T-42", seq=2, at=at(3, 9, 20), actor=Actor("ada", Role.AGENT)),
    ]
    before = policies.evaluate(events, now=at(3, 11))
    assert before.policy == "eu_email"
    assert before.match is not None
    assert before.match.reasons == ("channel 'email' is one of ['email']", "region 'EU' is one of ['EU']")
    resolution = before.metric("resolution").current
    assert resolution is not None
    assert (resolution.target, resolution.state.value) == (timedelta(days=3), "running")

    events.append(
        PriorityChanged(
            ticket_id="T-42",
            seq=3,
            at=at(3, 11),
            actor=Actor("ada", Role.AGENT),
            from_priority=3,
            to_priority=1,
        )
    )
    after = policies.evaluate(events, now=at(3, 11, 30))
    resolution = after.metric("resolution").current
    assert resolution is not None
    assert (resolution.priority, resolution.target) == (1, timedelta(hours=4))
    assert resolution.due_at == at(3, 13)  # 09:00 + 4 business hours: due when the office closes for lunch,
    assert resolution.breach_at == at(3, 14)  # breached only once business time runs again after lunch

    due_soon = [
        u for u in upcoming([after], now=at(3, 13, 30), within=timedelta(hours=1)) if u.kind == "breach"
    ]
    assert [(u.ticket_id, u.metric, u.at) for u in due_soon] == [("T-42", "resolution", at(3, 14))]
    listed = upcoming([events], now=at(3, 13, 30), within=timedelta(hours=1), policy=policies)
    assert [(u.kind, u.percent, u.at) for u in listed] == [
        ("breach", None, at(3, 14))
    ]  # 100 % was reached at 13:00
    assert compliance([after])[0].metric == "first_response"


def test_the_first_matching_policy_applies_and_says_why() -> None:
    policies = load(SLAPolicySet, POLICY_SET)
    vip = Opened(
        ticket_id="V",
        seq=1,
        at=at(3, 9),
        actor=Actor("v", Role.REQUESTER),
        requester="v",
        channel="chat",
        segment="vip",
    )
    other = Opened(
        ticket_id="O", seq=1, at=at(3, 9), actor=Actor("o", Role.REQUESTER), requester="o", channel="phone"
    )
    chosen = policies.select([vip], now=at(3, 10))
    assert chosen is not None
    assert chosen[1].policy == "vip_chat"
    assert chosen[1].index == 0
    report = policies.evaluate([other], now=at(3, 10))
    assert (report.policy, report.match and report.match.reasons) == (
        "default",
        ("no conditions: matches every ticket",),
    )


def test_a_set_without_a_default_reports_no_policy_for_unmatched_tickets() -> None:
    only_vip = load(SLAPolicySet, {"policies": POLICY_SET["policies"][:1]})
    other = Opened(ticket_id="O", seq=1, at=at(3, 9), actor=Actor("o", Role.REQUESTER), requester="o")
    report = only_vip.evaluate([other], now=at(3, 10))
    assert (report.policy, report.metrics, report.match) == (None, (), None)


def test_policy_sets_round_trip_through_the_codec() -> None:
    policies = load(SLAPolicySet, POLICY_SET)
    assert load(SLAPolicySet, dump(policies)) == policies


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"metrics": {"first_respons": {"default": "1h"}}}, "policies[0].metrics.first_respons"),
        (
            {"metrics": {"first_response": {"targets": {"P1": "1h"}}}},
            "policies[0].metrics.first_response.targets.P1",
        ),
        ({"metrics": {"first_response": {"default": "soon"}}}, "policies[0].metrics.first_response.default"),
        ({"metrics": {"first_response": {"default": "-1h"}}}, "policies[0].metrics.first_response.default"),
        ({"on_priority_change": "never"}, "policies[0].on_priority_change"),
        ({"warnings": [0]}, "policies[0].warnings"),
        ({"when": {"channel": "chat"}}, "policies[0].when.channel"),
        ({"pause_categories": ["paused"]}, "policies[0].pause_categories[0]"),
        ({"colour": "red"}, "policies[0]"),
        (
            {"metrics": {"x": {"default": "1h", "clock": {"start": ["opend"]}}}},
            "policies[0].metrics.x.clock.start[0].on",
        ),
        ({"metrics": {"x": {"default": "1h", "clock": {"start": []}}}}, "policies[0].metrics.x.clock.start"),
        (
            {
                "metrics": {
                    "x": {"default": "1h", "clock": {"start": [{"on": "opened", "categories": ["new"]}]}}
                }
            },
            "policies[0].metrics.x.clock.start[0].categories",
        ),
    ],
)
def test_bad_configuration_names_the_field(change: dict[str, object], path: str) -> None:
    data = {"name": "p", "metrics": {"first_response": {"default": "1h"}}, **change}
    with pytest.raises(ConfigError) as caught:
        load(SLAPolicySet, {"policies": [data]})
    assert caught.value.path == path


def test_duplicate_policy_names_and_empty_sets_are_refused() -> None:
    with pytest.raises(ConfigError, match="used twice") as caught:
        load(SLAPolicySet, {"policies": [{"name": "a", "metrics": {}}, {"name": "a", "metrics": {}}]})
    assert caught.value.path == "policies[1].name"
    with pytest.raises(ConfigError, match="at least one policy"):
        load(SLAPolicySet, {"policies": []})


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.sampled_from(["1h", "opened", "chat", "x", "-1", "P1"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "metrics",
                    "first_response",
                    "default",
                    "targets",
                    "1",
                    "clock",
                    "start",
                    "when",
                    "channels",
                    "warnings",
                    "policies",
                    "calendar",
                    "on",
                    "pause",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@given(JSON)
def test_loading_anything_raises_only_config_errors(data: object) -> None:
    try:
        load(
            SLAPolicySet,
            {"policies": [data]} if not isinstance(data, dict) or "policies" not in data else data,
        )
    except ConfigError:
        pass


def test_conditions_on_tags_custom_fields_priority_and_group_explain_the_match() -> None:
    policies = load(
        SLAPolicySet,
        {
            "policies": [
                {
                    "name": "key_accounts",
                    "when": {
                        "tags": ["enterprise"],
                        "any_tags": ["outage", "security"],
                        "fields": {"plan": ["gold", "platinum"]},
                        "priority": [1, 2],
                        "group": ["tier2"],
                    },
                    "metrics": {"first_response": {"default": "15m"}},
                },
                {"name": "default", "metrics": {"first_response": {"default": "8h"}}},
            ]
        },
    )
    opened = Opened(
        ticket_id="K",
        seq=1,
        at=at(3, 9),
        actor=Actor("k", Role.REQUESTER),
        requester="k",
        priority=2,
        group="tier2",
        tags=["enterprise", "outage"],
        fields={"plan": "gold"},
    )
    report = policies.evaluate([opened], now=at(3, 10))
    assert report.policy == "key_accounts"
    assert report.match is not None
    assert report.match.reasons == (
        "priority 2 is one of [1, 2]",
        "group 'tier2' is one of ['tier2']",
        "tags include all of ['enterprise']",
        "tags include ['outage']",
        "field 'plan' = 'gold' is one of ['gold', 'platinum']",
    )
    lowered = PriorityChanged(
        ticket_id="K", seq=2, at=at(3, 9, 30), actor=Actor("ada", Role.AGENT), from_priority=2, to_priority=4
    )
    assert policies.evaluate([opened, lowered], now=at(3, 10)).policy == "default"
    assert policies.evaluate([opened, lowered], now=at(3, 9, 15)).policy == "key_accounts"
