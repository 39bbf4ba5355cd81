"""Routing by example: the seeds' scenarios, each strategy, reasons in words, escalation, queues, and the story."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from helpers import T0
from test_routing_support import ticket
from ticketcore import ConfigError, NaiveDatetimeError
from ticketcore.codec import load
from ticketcore.routing import (
    Agent,
    AgentLoad,
    Match,
    Presence,
    QueueItem,
    ReasonKind,
    Relaxation,
    Requirements,
    Router,
    RoutingRule,
    Strategy,
    normalize_language,
)
from ticketcore.sla import BusinessCalendar

ROME_OFFICE = {
    "tz": "Europe/Rome",
    "hours": {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
}
NIGHTS = {"tz": "Europe/Rome", "hours": {d: ["22:00-06:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}

CONFIG = {
    "router": {
        "strategy": "least_loaded",
        "rules": [
            {
                "name": "system down",
                "when": {"tags_any": ["system down"]},
                "then": {"min_tier": 3, "skills": {"incident": 1}},
            },
            {
                "name": "vip",
                "when": {"segments": ["vip"]},
                "then": {
                    "agents": ["maria"],
                    "ticket_language": True,
                    "relax": [{"after": "10m", "release_agents": True}],
                },
            },
            {
                "name": "billing",
                "when": {"topics": ["billing"]},
                "then": {"group": "billing", "ticket_language": True},
            },
            {
                "name": "advanced technical",
                "when": {"topics": ["technical"], "tags_all": ["advanced"]},
                "then": {"min_tier": 2, "skills": {"network": 2}},
            },
            {"name": "by language", "when": {}, "then": {"ticket_language": True}},
        ],
    },
    "agents": [
        {
            "id": "maria",
            "skills": {"billing": 3},
            "languages": ["it_IT", "en"],
            "tier": 2,
            "groups": ["billing", "accounts"],
            "capacity": {"email": 10, "chat": 3, "phone": 1},
            "shift": ROME_OFFICE,
        },
        {
            "id": "luca",
            "skills": {"billing": 2},
            "languages": ["it-CH"],
            "groups": ["billing"],
            "capacity": {"email": 10, "chat": 3},
            "shift": ROME_OFFICE,
        },
        {
            "id": "anna",
            "skills": {"network": 3, "incident": 2},
            "languages": ["de", "en"],
            "tier": 3,
            "groups": ["network"],
            "capacity": {"email": 5, "phone": 1},
        },
        {
            "id": "tom",
            "skills": {"network": 1},
            "languages": ["en"],
            "groups": ["support"],
            "capacity": {"email": 10, "chat": 3},
        },
        {
            "id": "night",
            "skills": {"billing": 1},
            "languages": ["it"],
            "groups": ["billing"],
            "capacity": {"email": 10},
            "shift": NIGHTS,
        },
        {
            "id": "gone",
            "languages": ["it"],
            "groups": ["billing"],
            "capacity": {"email": 10},
            "presence": "offline",
        },
    ],
}

MONDAY_10 = datetime(2025, 3, 3, 10, tzinfo=ZoneInfo("Europe/Rome"))


@pytest.fixture(scope="module")
def router() -> Router:
    return load(Router, CONFIG["router"])


@pytest.fixture(scope="module")
def agents() -> list[Agent]:
    return load(list[Agent], CONFIG["agents"])


def test_done_when_story() -> None:
    """Load agents and rules from a dict, route an Italian VIP's billing ticket, read the reasons, assign 1,000.

    Public names only: ``ticketcore.codec``, ``ticketcore.model`` and ``ticketcore.routing``.
    """
    from ticketcore.codec import load as load_config
    from ticketcore.model import Actor, Opened, Role, Ticket
    from ticketcore.routing import Agent, AgentLoad, QueueItem, Router

    def new_ticket(ticket_id: str, **attributes: Any) -> Ticket:
        requester = Actor("giulia", Role.REQUESTER)
        opened = Opened(
            ticket_id=ticket_id, seq=1, at=MONDAY_10, actor=requester, requester="giulia", **attributes
        )
        return Ticket.from_events([opened])

    router = load_config(Router, CONFIG["router"])
    agents = load_config(list[Agent], CONFIG["agents"])
    loads = [AgentLoad("maria", per_channel={"email": 4}), AgentLoad("luca", per_channel={"email": 1})]
    vip = new_ticket("VIP-1", topic="billing", segment="vip", language="it_IT", channel="email")

    decision = router.route(vip, agents, loads, now=MONDAY_10)

    assert decision.agent_id == "maria"
    assert decision.rule == "vip"
    assert decision.requirements.language == "it-IT"
    why = {entry.agent_id: entry.message for entry in decision.passed_over}
    assert why == {
        "luca": "luca: not a dedicated agent of this ticket ('maria')",
        "anna": "anna: not a dedicated agent of this ticket ('maria'); does not speak 'it-IT' (speaks de, en)",
        "tom": "tom: not a dedicated agent of this ticket ('maria'); does not speak 'it-IT' (speaks en)",
        "night": "night: off shift at 2025-03-03T10:00:00+01:00; not a dedicated agent of this ticket ('maria')",
        "gone": "gone: presence offline; not a dedicated agent of this ticket ('maria')",
    }
    assert "ticket 'VIP-1' → 'maria' by least_loaded (rule 'vip')" in decision.explain()

    queue = [
        QueueItem(
            new_ticket(
                f"Q-{n}",
                topic=("billing", "technical", "other")[n % 3],
                language=("it", "en", "de")[n % 3],
                priority=1 + n % 4,
            ),
            waiting_since=MONDAY_10 - timedelta(minutes=n % 50),
        )
        for n in range(1_000)
    ]
    decisions = router.assign(queue, agents, loads, now=MONDAY_10)

    assert len(decisions) == 1_000
    taken: dict[str, int] = {}
    for d in decisions:
        if d.agent_id is not None:
            taken[d.agent_id] = taken.get(d.agent_id, 0) + 1
    assert taken == {"maria": 6, "luca": 9, "anna": 5, "tom": 10}  # every free email slot filled, no more
    assert all(not d.assigned for d in decisions[-100:])
    last = decisions[-1]
    assert last.passed_over
    assert all(not entry.eligible for entry in last.passed_over)


def test_billing_goes_to_the_billing_department(router: Router, agents: list[Agent]) -> None:
    decision = router.route(ticket(topic="billing", language="it"), agents, {}, now=MONDAY_10)
    assert decision.rule == "billing"
    assert decision.agent_id == "luca"  # maria and luca both have 10 free email slots: tie broken by id
    reasons = decision.reasons_for("tom")
    assert [r.kind for r in reasons] == [ReasonKind.NOT_IN_GROUP, ReasonKind.WRONG_LANGUAGE]
    assert reasons[0].message == "not in group 'billing'"
    assert decision.reasons_for("maria")[0].kind is ReasonKind.RANKED_LOWER
    assert decision.reasons_for("maria")[0].message == (
        "eligible, ranked lower by least_loaded: tied with 'luca', who comes first by agent id"
    )


def test_advanced_technical_needs_a_senior_engineer(router: Router, agents: list[Agent]) -> None:
    decision = router.route(ticket(topic="technical", tags=["advanced"]), agents, {}, now=MONDAY_10)
    assert decision.rule == "advanced technical"
    assert decision.agent_id == "anna"
    assert [r.message for r in decision.reasons_for("tom")] == [
        "tier 1 below the required 2",
        "lacks skill 'network' level ≥ 2 (has 1)",
    ]
    assert decision.reasons_for("luca")[-1].message == "lacks skill 'network' level ≥ 2 (does not have it)"


def test_vip_waits_for_the_account_manager_then_is_released(router: Router, agents: list[Agent]) -> None:
    evening = datetime(2025, 3, 3, 19, tzinfo=ZoneInfo("Europe/Rome"))
    vip = ticket(segment="vip", language="it", topic="billing")
    waiting = router.route(vip, agents, {}, now=evening)
    assert not waiting.assigned
    assert [r.kind for r in waiting.reasons_for("maria")] == [ReasonKind.OFF_SHIFT]
    assert waiting.explain().startswith("ticket 'T-1': nobody eligible (rule 'vip')")
    released = router.route(vip, agents, {}, now=evening + timedelta(hours=4), waited=timedelta(minutes=10))
    assert released.agent_id == "night"
    assert released.requirements.agents == frozenset()
    assert released.requirements.relax == ()


def test_system_down_goes_to_a_higher_tier(router: Router, agents: list[Agent]) -> None:
    decision = router.route(ticket(tags=["system down"], topic="billing"), agents, {}, now=MONDAY_10)
    assert decision.rule == "system down"
    assert decision.requirements.min_tier == 3
    assert decision.agent_id == "anna"


def test_route_by_customer_language(router: Router, agents: list[Agent]) -> None:
    assert router.route(ticket(language="de-AT"), agents, {}, now=MONDAY_10).agent_id == "anna"
    decision = router.route(ticket(language="fr"), agents, {}, now=MONDAY_10)
    assert not decision.assigned
    assert all(ReasonKind.WRONG_LANGUAGE in {r.kind for r in entry.reasons} for entry in decision.passed_over)


def test_region_is_a_preference_not_a_requirement() -> None:
    it_it = Agent("a", languages=["it-IT"], capacity={"email": 5})
    it_ch = Agent("b", languages=["it_CH"], capacity={"email": 5})
    router = Router(fallback=Requirements(ticket_language=True))
    swiss = router.route(ticket(language="it_ch"), [it_it, it_ch], {}, now=T0)
    assert swiss.agent_id == "b"
    assert (
        swiss.reasons_for("a")[0].message
        == "eligible, ranked lower by least_loaded: tied with 'b', who speaks 'it-CH' exactly"
    )
    assert router.route(ticket(language="it"), [it_it, it_ch], {}, now=T0).agent_id == "a"
    only_italy = router.route(ticket(language="it-CH"), [it_it], {}, now=T0)
    assert only_italy.agent_id == "a"


@pytest.mark.parametrize(
    ("tag", "normal"),
    [
        ("it", "it"),
        ("IT-it", "it-IT"),
        ("it_CH", "it-CH"),
        ("zh_hant_tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("de_DE.UTF-8", "de-DE"),
        ("it_IT@euro", "it-IT"),
        ("ca-ES-valencia", "ca-ES-valencia"),
    ],
)
def test_language_tags_normalise(tag: str, normal: str) -> None:
    assert normalize_language(tag) == normal


@pytest.mark.parametrize("tag", ["", "i", "it-C", "12", "it--CH", "ital1an", "it-CH-x"])
def test_bad_language_tags_are_refused(tag: str) -> None:
    with pytest.raises(ConfigError, match="language tag"):
        normalize_language(tag)


def _crew() -> list[Agent]:
    return [
        Agent(name, skills={"s": level}, capacity={"chat": 3})
        for name, level in (("c", 1), ("a", 2), ("b", 3))
    ]


def test_least_loaded_prefers_most_spare_capacity() -> None:
    loads = {"a": AgentLoad("a", per_channel={"chat": 2}), "b": AgentLoad("b", per_channel={"chat": 1})}
    decision = Router().route(ticket(channel="chat"), _crew(), loads, now=T0)
    assert decision.agent_id == "c"
    assert decision.reasons_for("a")[0].message == (
        "eligible, ranked lower by least_loaded: 1 free chat slots vs 3 for 'c'"
    )


def test_round_robin_prefers_longest_since_last_assignment() -> None:
    loads = [
        AgentLoad("a", last_assigned_at=T0 - timedelta(minutes=5)),
        AgentLoad("b", last_assigned_at=T0 - timedelta(minutes=9)),
        AgentLoad("c", last_assigned_at=T0 - timedelta(minutes=1)),
    ]
    assert (
        Router(strategy="round_robin").route(ticket(channel="chat"), _crew(), loads, now=T0).agent_id == "b"
    )
    loads.append(AgentLoad("never"))
    crew = [*_crew(), Agent("never", capacity={"chat": 1})]
    assert (
        Router(strategy="round_robin").route(ticket(channel="chat"), crew, loads, now=T0).agent_id == "never"
    )


def test_longest_idle_prefers_earliest_idle_since() -> None:
    loads = [
        AgentLoad("a", idle_since=T0 - timedelta(minutes=30)),
        AgentLoad("b", per_channel={"chat": 1}),  # working, so not idle at all
        AgentLoad("c", idle_since=T0 - timedelta(minutes=3)),
    ]
    decision = Router(strategy=Strategy.LONGEST_IDLE).route(ticket(channel="chat"), _crew(), loads, now=T0)
    assert decision.agent_id == "a"
    assert "busy" in decision.reasons_for("b")[0].message


def test_best_skill_prefers_highest_levels() -> None:
    router = Router(strategy="best_skill", fallback=Requirements(skills={"s": 1}))
    decision = router.route(ticket(channel="chat"), _crew(), {}, now=T0)
    assert decision.agent_id == "b"
    assert decision.reasons_for("c")[0].message == (
        "eligible, ranked lower by best_skill: skill score 1 vs 3 for 'b'"
    )


def test_ties_break_by_agent_id_whatever_the_order() -> None:
    crew = [Agent(name, capacity={"email": 1}) for name in ("zed", "amy", "kim")]
    for strategy in Strategy:
        router = Router(strategy=strategy)
        assert router.route(ticket(), crew, {}, now=T0).agent_id == "amy"
        assert router.route(ticket(), crew[::-1], {}, now=T0).agent_id == "amy"


def test_every_reason_in_words() -> None:
    shift = BusinessCalendar(tz="Europe/Rome", hours={"sat": ["09:00-12:00"]})
    crew = [
        Agent("away", presence=Presence.AWAY, capacity={"chat": 3}, skills={"vpn": 2}, languages=["en"]),
        Agent("weekend", shift=shift, capacity={"chat": 3}, skills={"vpn": 2}, languages=["en"]),
        Agent("novice", capacity={"chat": 3}, skills={"vpn": 1}, languages=["en"]),
        Agent("full", capacity={"chat": 3}, skills={"vpn": 2}, languages=["en"]),
        Agent("mailonly", capacity={"email": 3}, skills={"vpn": 2}, languages=["en"]),
        Agent("units", units=90, capacity={}, skills={"vpn": 2}, languages=["en"]),
        Agent("french", capacity={"chat": 3}, skills={"vpn": 2}, languages=["fr"]),
    ]
    loads = [
        AgentLoad("full", per_channel={"chat": 3}),
        AgentLoad("units", per_channel={"phone": 1, "email": 1}),
    ]
    router = Router(
        fallback=Requirements(skills={"vpn": 2}, language="en"), channel_weights={"phone": 70, "chat": 25}
    )
    decision = router.route(ticket(channel="chat"), crew, loads, now=T0)
    assert not decision.assigned
    assert {entry.agent_id: entry.message for entry in decision.passed_over} == {
        "away": "away: presence away",
        "weekend": "weekend: off shift at 2025-03-03T09:00:00+00:00",
        "novice": "novice: lacks skill 'vpn' level ≥ 2 (has 1)",
        "full": "full: at capacity for chat: 3 of 3 open",
        "mailonly": "mailonly: does not take 'chat' tickets (takes: email)",
        "units": "units: at capacity: 71 of 90 units used, a chat ticket needs 25",
        "french": "french: does not speak 'en' (speaks fr)",
    }
    with pytest.raises(KeyError, match="nobody"):
        decision.reasons_for("nobody")


def test_declined_agents_are_excluded_with_a_reason() -> None:
    crew = _crew()
    decision = Router().route(ticket(channel="chat"), crew, {}, now=T0, exclude=["a"])
    assert decision.agent_id == "b"
    assert decision.reasons_for("a")[0].message == "declined this ticket"


def test_escalate_raises_the_tier_above_the_assignee() -> None:
    crew = [Agent(f"t{tier}", tier=tier, capacity={"email": 5}) for tier in (1, 2, 3, 4)]
    assigned = attrs.evolve(ticket(), assignee="t2")
    decision = Router().escalate(assigned, crew, {}, now=T0)
    assert decision.requirements.min_tier == 3
    assert decision.agent_id == "t3"
    assert (
        decision.reasons_for("t2")[0].message
        == "current assignee; the ticket is being escalated away from them"
    )
    assert Router().escalate(ticket(), crew, {}, now=T0).agent_id == "t2"
    top = Router().escalate(attrs.evolve(ticket(), assignee="t4"), crew, {}, now=T0, by=2)
    assert top.requirements.min_tier == 4
    assert not top.assigned
    with pytest.raises(ValueError, match="at least 1"):
        Router().escalate(ticket(), crew, {}, now=T0, by=0)


def test_additional_skills_drop_in_steps() -> None:
    requirements = Requirements(
        skills={"billing": 1},
        additional={"sepa": 2, "german": 1},
        relax=[
            Relaxation(after=timedelta(minutes=2), drop_skills={"german"}),
            Relaxation(after=timedelta(minutes=5), drop_skills={"sepa"}, drop_language=True),
        ],
        language="de",
    )
    router = Router([RoutingRule("billing", when=Match(topics={"billing"}), then=requirements)])
    crew = [
        Agent("plain", skills={"billing": 1}, capacity={"email": 1}, languages=["en"]),
        Agent("sepa", skills={"billing": 1, "sepa": 2}, capacity={"email": 1}, languages=["de"]),
    ]
    t = ticket(topic="billing")
    assert not router.route(t, crew, {}, now=T0).assigned
    after_2 = router.route(t, crew, {}, now=T0, waited=timedelta(minutes=2))
    assert after_2.agent_id == "sepa"
    assert after_2.requirements.additional == {"sepa": 2}
    assert len(after_2.requirements.relax) == 1
    after_5 = router.route(t, crew, {}, now=T0, waited=timedelta(minutes=5))
    assert after_5.requirements.all_skills == {"billing": 1}
    assert after_5.requirements.language is None
    assert after_5.agent_id == "plain"


def test_queue_order_is_priority_then_due_then_age() -> None:
    crew = [Agent("solo", capacity={"email": 2})]
    queue = [
        QueueItem(ticket("old-p3", priority=3), waiting_since=T0 - timedelta(hours=5)),
        QueueItem(ticket("p1-late-due", priority=1), waiting_since=T0, due=T0 + timedelta(hours=4)),
        QueueItem(ticket("p1-soon-due", priority=1), waiting_since=T0, due=T0 + timedelta(hours=1)),
        QueueItem(ticket("p2-old", priority=2), waiting_since=T0 - timedelta(hours=1)),
    ]
    decisions = Router().assign(queue, crew, {}, now=T0 + timedelta(hours=6))
    assert [d.ticket_id for d in decisions] == ["p1-soon-due", "p1-late-due", "p2-old", "old-p3"]
    assert [d.agent_id for d in decisions] == ["solo", "solo", None, None]
    assert decisions[2].reasons_for("solo")[0].message == "at capacity for email: 2 of 2 open"
    assert decisions[1].reasons_for("solo") == ()


def test_a_declined_ticket_keeps_its_age() -> None:
    crew = [Agent("a", capacity={"email": 1}), Agent("b", capacity={"email": 1})]
    queue = [
        QueueItem(ticket("young"), waiting_since=T0),
        QueueItem(ticket("declined"), waiting_since=T0 - timedelta(hours=1), declined_by={"a"}),
        QueueItem(ticket("newest"), waiting_since=T0 + timedelta(minutes=1)),
    ]
    decisions = Router().assign(queue, crew, {}, now=T0 + timedelta(hours=1))
    assert [(d.ticket_id, d.agent_id) for d in decisions] == [
        ("declined", "b"),
        ("young", "a"),
        ("newest", None),
    ]
    assert decisions[0].reasons_for("a")[0].kind is ReasonKind.EXCLUDED


def test_relaxation_restarts_after_a_decline_when_asked() -> None:
    requirements = Requirements(
        additional={"x": 1}, relax=[Relaxation(after=timedelta(minutes=5), drop_skills={"x"})]
    )
    crew = [Agent("a", capacity={"email": 1})]
    router = Router(fallback=requirements)
    old = T0 - timedelta(minutes=10)
    relaxed = router.assign([QueueItem(ticket(), waiting_since=old)], crew, {}, now=T0)
    restarted = router.assign(
        [QueueItem(ticket(), waiting_since=old, relaxed_since=T0 - timedelta(minutes=1))], crew, {}, now=T0
    )
    assert relaxed[0].agent_id == "a"
    assert not restarted[0].assigned


def test_round_robin_spreads_a_batch() -> None:
    crew = [Agent(name, capacity={"email": 10}) for name in ("a", "b", "c")]
    loads = [AgentLoad("b", last_assigned_at=T0 - timedelta(minutes=1))]
    queue = [QueueItem(ticket(f"T{n}"), waiting_since=T0 + timedelta(seconds=n)) for n in range(7)]
    decisions = Router(strategy="round_robin").assign(queue, crew, loads, now=T0 + timedelta(minutes=5))
    assert [d.agent_id for d in decisions] == ["a", "c", "b", "a", "c", "b", "a"]
    assert (
        decisions[1]
        .reasons_for("a")[0]
        .message.endswith("last assigned at 2025-03-03T09:05:00+00:00, 'c' never")
    )
    assert "same instant in this batch" in decisions[4].reasons_for("b")[0].message


def test_weighted_units_limit_mixed_channels() -> None:
    crew = [Agent("w", units=100, capacity={"chat": 2})]
    router = Router(channel_weights={"phone": 60, "chat": 30, "email": 10})
    queue = [
        QueueItem(ticket(f"T{n}", channel=ch), waiting_since=T0 + timedelta(seconds=n))
        for n, ch in enumerate(["chat", "chat", "chat", "email", "email", "phone"])
    ]
    decisions = router.assign(queue, crew, {}, now=T0 + timedelta(minutes=1))
    assert [d.agent_id for d in decisions] == ["w", "w", None, "w", "w", None]
    assert decisions[2].reasons_for("w")[0].message == "at capacity for chat: 2 of 2 open"


def test_times_must_be_aware() -> None:
    naive = datetime(2025, 3, 3, 9)
    with pytest.raises(NaiveDatetimeError):
        Router().route(ticket(), [], {}, now=naive)
    with pytest.raises(NaiveDatetimeError):
        QueueItem(ticket(), waiting_since=naive)


def test_duplicate_agents_are_refused() -> None:
    with pytest.raises(ConfigError, match="appears twice"):
        Router().route(ticket(), [Agent("a"), Agent("a")], {}, now=T0)


@pytest.mark.parametrize(
    ("when", "matching", "other"),
    [
        (Match(topics={"billing"}), {"topic": "billing"}, {"topic": "network"}),
        (Match(channels={"chat", "phone"}), {"channel": "phone"}, {"channel": "email"}),
        (Match(priorities={1, 2}), {"priority": 2}, {"priority": 3}),
        (Match(segments={"vip"}), {"segment": "vip"}, {}),
        (Match(regions={"EMEA"}), {"region": "EMEA"}, {"region": "APAC"}),
        (Match(countries={"IT"}), {"country": "IT"}, {"country": "CH"}),
        (Match(languages={"it"}), {"language": "it_CH"}, {"language": "en"}),
        (Match(languages={"it-CH"}), {"language": "it-ch"}, {"language": "it-IT"}),
        (Match(groups={"billing"}), {"group": "billing"}, {"group": None}),
        (Match(tags_any={"system down", "outage"}), {"tags": ["outage", "x"]}, {"tags": ["x"]}),
        (Match(tags_all={"vip", "billing"}), {"tags": ["vip", "billing", "x"]}, {"tags": ["vip"]}),
        (
            Match(fields={"plan": "gold", "seats": 10}),
            {"fields": {"plan": "gold", "seats": 10}},
            {"fields": {"plan": "gold"}},
        ),
        (Match(fields={"urgent": True}), {"fields": {"urgent": True}}, {"fields": {"urgent": 1}}),
        (Match(fields={"team": None}), {}, {"fields": {"team": "a"}}),
    ],
)
def test_each_rule_condition(when: Match, matching: dict[str, Any], other: dict[str, Any]) -> None:
    assert when.matches(ticket(**matching))
    assert not when.matches(ticket(**other))
    assert Match().matches(ticket(**other))


def test_first_matching_rule_wins() -> None:
    router = Router(
        [
            RoutingRule("outage", when=Match(tags_any={"outage"}), then=Requirements(min_tier=3)),
            RoutingRule("billing", when=Match(topics={"billing"}), then=Requirements(group="billing")),
        ],
        fallback=Requirements(min_tier=2),
    )
    rule, requirements = router.requirements_for(ticket(topic="billing", tags=["outage"]))
    assert rule is not None
    assert (rule.name, requirements.min_tier, requirements.group) == ("outage", 3, None)
    assert router.requirements_for(ticket(topic="billing"))[1].group == "billing"
    assert router.requirements_for(ticket(topic="other")) == (None, Requirements(min_tier=2))


def test_decisions_keep_the_loads_they_were_made_with() -> None:
    crew = [Agent("a", capacity={"email": 1}), Agent("b", capacity={"email": 1})]
    loads = {"a": AgentLoad("a", per_channel={"email": 1})}
    decision = Router().route(ticket(), crew, loads, now=T0)
    loads["a"] = AgentLoad("a")
    assert decision.reasons_for("a")[0].message == "at capacity for email: 1 of 1 open"
