"""Routing properties against the slow, obviously correct oracles of test_routing_support.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from test_routing_support import expected_kinds, oracle_key, ticket
from ticketcore.model import Ticket
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
    RoutingDecision,
    RoutingRule,
    Strategy,
)
from ticketcore.sla import BusinessCalendar

SKILLS = ["a", "b", "c"]
LANGUAGES = ["it", "it-CH", "it-IT", "en", "de-AT"]
GROUPS = ["g1", "g2"]
CHANNELS = ["email", "chat", "phone"]
IDS = [f"ag{n}" for n in range(8)]
WEEKDAYS = BusinessCalendar(
    tz="Europe/Rome", hours={d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
)
SHIFTS = [None, None, WEEKDAYS, BusinessCalendar.always("America/New_York")]
NOWS = [datetime(2025, 3, 3, 10, tzinfo=UTC), datetime(2025, 3, 8, 10, tzinfo=UTC)]  # Monday, Saturday
BASE = datetime(2025, 3, 3, 8, tzinfo=UTC)

instants = st.integers(0, 120).map(lambda m: BASE + timedelta(minutes=m))
levels = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), max_size=3)


@st.composite
def agents(draw: st.DrawFn, agent_id: str) -> Agent:
    return Agent(
        agent_id,
        skills=draw(levels),
        languages=draw(st.frozensets(st.sampled_from(LANGUAGES), max_size=2)),
        tier=draw(st.integers(1, 4)),
        groups=draw(st.frozensets(st.sampled_from(GROUPS), max_size=2)),
        capacity=draw(st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 3), max_size=3)),
        units=draw(st.none() | st.integers(0, 120)),
        shift=draw(st.sampled_from(SHIFTS)),
        presence=draw(st.sampled_from([Presence.ONLINE, Presence.ONLINE, Presence.AWAY, Presence.OFFLINE])),
    )


@st.composite
def crews(draw: st.DrawFn) -> list[Agent]:
    ids = draw(st.lists(st.sampled_from(IDS), unique=True, min_size=1, max_size=6))
    return [draw(agents(agent_id)) for agent_id in ids]


@st.composite
def loads_for(draw: st.DrawFn, crew: list[Agent]) -> dict[str, AgentLoad]:
    out = {}
    for agent in crew:
        if draw(st.booleans()):
            out[agent.id] = AgentLoad(
                agent.id,
                per_channel=draw(st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 3), max_size=3)),
                last_assigned_at=draw(st.none() | instants),
                idle_since=draw(st.none() | instants),
            )
    return out


@st.composite
def requirements(draw: st.DrawFn) -> Requirements:
    skills = draw(levels)
    additional = draw(
        st.dictionaries(
            st.sampled_from([s for s in SKILLS if s not in skills] or ["z"]), st.integers(1, 3), max_size=2
        )
    )
    relax = draw(
        st.lists(
            st.builds(
                Relaxation,
                after=st.integers(0, 20).map(lambda m: timedelta(minutes=m)),
                drop_skills=st.frozensets(st.sampled_from(sorted(additional)), max_size=2)
                if additional
                else st.just(frozenset()),
                release_agents=st.booleans(),
                drop_language=st.booleans(),
            ),
            max_size=2,
        )
    )
    return Requirements(
        group=draw(st.none() | st.sampled_from(GROUPS)),
        min_tier=draw(st.integers(1, 4)),
        skills=skills,
        additional=additional,
        relax=relax,
        language=draw(st.none() | st.sampled_from(LANGUAGES)),
        ticket_language=draw(st.booleans()),
        agents=draw(st.frozensets(st.sampled_from(IDS), max_size=3)),
    )


@st.composite
def routers(draw: st.DrawFn) -> Router:
    rules = [
        RoutingRule(
            f"r{n}",
            when=Match(topics=draw(st.frozensets(st.sampled_from(["x", "y"]), max_size=1))),
            then=draw(requirements()),
        )
        for n in range(draw(st.integers(0, 2)))
    ]
    return Router(
        rules,
        strategy=draw(st.sampled_from(list(Strategy))),
        channel_weights=draw(st.dictionaries(st.sampled_from(CHANNELS), st.integers(1, 60), max_size=3)),
        fallback=draw(requirements()),
    )


@st.composite
def tickets(draw: st.DrawFn, ticket_id: str = "T-1") -> Ticket:
    return ticket(
        ticket_id,
        channel=draw(st.sampled_from(CHANNELS)),
        topic=draw(st.none() | st.sampled_from(["x", "y"])),
        language=draw(st.none() | st.sampled_from([*LANGUAGES, "it_ch", "EN"])),
        priority=draw(st.none() | st.integers(1, 4)),
    )


@st.composite
def scenes(draw: st.DrawFn) -> dict[str, Any]:
    crew = draw(crews())
    return {
        "router": draw(routers()),
        "crew": crew,
        "loads": draw(loads_for(crew)),
        "ticket": draw(tickets()),
        "now": draw(st.sampled_from(NOWS)),
        "waited": timedelta(minutes=draw(st.integers(0, 25))),
        "exclude": draw(st.frozensets(st.sampled_from(IDS), max_size=2)),
    }


def check_decision(
    decision: RoutingDecision,
    router: Router,
    crew: list[Agent],
    loads: dict[str, AgentLoad],
    channel: str,
    now: datetime,
    exclude: frozenset[str],
    order: dict[str, int] | None = None,
) -> None:
    req = decision.requirements
    kinds = {
        agent.id: expected_kinds(
            agent,
            loads.get(agent.id),
            req,
            channel=channel,
            now=now,
            weights=router.channel_weights,
            excluded=exclude,
        )
        for agent in crew
    }
    eligible = [agent for agent in crew if not kinds[agent.id]]
    if decision.agent_id is None:
        assert not eligible, "an eligible agent was left idle"
    else:
        assert not kinds[decision.agent_id], "the chosen agent does not meet the requirements"
        best = min(
            eligible,
            key=lambda a: oracle_key(
                a,
                loads.get(a.id),
                req,
                router.strategy,
                channel,
                router.channel_weights,
                (order or {}).get(a.id, 0),
            ),
        )
        assert decision.agent_id == best.id
    assert [entry.agent_id for entry in decision.passed_over] == [
        a.id for a in crew if a.id != decision.agent_id
    ]
    for entry in decision.passed_over:
        given_kinds = {reason.kind for reason in entry.reasons}
        if kinds[entry.agent_id]:
            assert given_kinds == kinds[entry.agent_id], entry.message
        else:
            assert given_kinds == {ReasonKind.RANKED_LOWER}, entry.message
        assert all(reason.message for reason in entry.reasons)


@given(scenes())
def test_route_chooses_per_oracle_and_every_reason_is_true(scene: dict[str, Any]) -> None:
    router, crew, loads = scene["router"], scene["crew"], scene["loads"]
    t, now = scene["ticket"], scene["now"]
    decision = router.route(t, crew, loads, now=now, waited=scene["waited"], exclude=scene["exclude"])
    rule, req = router.requirements_for(t, waited=scene["waited"])
    assert decision.requirements == req
    assert decision.rule == (rule.name if rule else None)
    assert not any(step.after <= scene["waited"] for step in req.relax)
    check_decision(decision, router, crew, loads, t.channel, now, scene["exclude"])


@given(scenes(), st.randoms(use_true_random=False))
def test_decisions_are_deterministic_and_ignore_input_order(scene: dict[str, Any], rnd: Any) -> None:
    router, crew, loads, t, now = (
        scene["router"],
        scene["crew"],
        scene["loads"],
        scene["ticket"],
        scene["now"],
    )
    first = router.route(t, crew, loads, now=now, waited=scene["waited"])
    shuffled = list(crew)
    rnd.shuffle(shuffled)
    again = router.route(t, shuffled, list(loads.values()), now=now, waited=scene["waited"])
    assert first == again
    assert sorted(first.passed_over, key=lambda p: p.agent_id) == sorted(
        again.passed_over, key=lambda p: p.agent_id
    )


@st.composite
def queues(draw: st.DrawFn) -> list[QueueItem]:
    items = []
    for n in range(draw(st.integers(0, 14))):
        items.append(
            QueueItem(
                draw(tickets(f"Q{n}")),
                waiting_since=draw(instants),
                due=draw(st.none() | instants),
                declined_by=draw(st.frozensets(st.sampled_from(IDS), max_size=2)),
            )
        )
    return items


def _charge(loads: dict[str, AgentLoad], agent_id: str, channel: str, now: datetime) -> None:
    load = loads.get(agent_id, AgentLoad(agent_id))
    counts = dict(load.per_channel)
    counts[channel] = counts.get(channel, 0) + 1
    last = load.last_assigned_at
    loads[agent_id] = attrs.evolve(
        load,
        per_channel=counts,
        idle_since=None,
        last_assigned_at=now if last is None or last < now else last,
    )


@given(scenes(), queues())
def test_batch_assignment_fills_capacity_in_queue_order(
    scene: dict[str, Any], queue: list[QueueItem]
) -> None:
    router, crew, loads, now = scene["router"], scene["crew"], scene["loads"], scene["now"]
    now = now + timedelta(hours=3)
    decisions = router.assign(queue, crew, loads, now=now)
    by_id = {item.ticket.id: item for item in queue}
    assert [d.ticket_id for d in decisions] == [i.ticket.id for i in sorted(queue, key=QueueItem.sort_key)]
    current = dict(loads)
    order: dict[str, int] = {}
    for decision in decisions:
        item = by_id[decision.ticket_id]
        waited = now - item.waiting_since
        # Each decision is the one `route` would make given the assignments before it.
        if router.strategy is not Strategy.ROUND_ROBIN:
            single = router.route(
                item.ticket, crew, current, now=now, waited=waited, exclude=item.declined_by
            )
            assert single == decision
        check_decision(decision, router, crew, current, item.ticket.channel, now, item.declined_by, order)
        if decision.agent_id is not None:
            _charge(current, decision.agent_id, item.ticket.channel, now)
            order[decision.agent_id] = len(order) + 1 + sum(order.values())  # later assignments rank later
    # Never over capacity, and no ticket left waiting while an eligible agent still has room.
    for agent in crew:
        load = current.get(agent.id)
        start = loads.get(agent.id)
        for channel, count in load.per_channel.items() if load else ():
            limit = agent.capacity.get(channel)
            added = count - (start.per_channel.get(channel, 0) if start else 0)
            if added and limit is not None:
                assert count <= limit
    for decision in decisions:
        if decision.agent_id is None:
            item = by_id[decision.ticket_id]
            for agent in crew:
                assert expected_kinds(
                    agent,
                    current.get(agent.id),
                    decision.requirements,
                    channel=item.ticket.channel,
                    now=now,
                    weights=router.channel_weights,
                    excluded=item.declined_by,
                )


@given(scenes(), queues())
def test_batch_units_never_overflow(scene: dict[str, Any], queue: list[QueueItem]) -> None:
    router, crew, now = scene["router"], scene["crew"], scene["now"]
    decisions = router.assign(queue, crew, {}, now=now)
    used: dict[str, int] = {}
    channel_of = {item.ticket.id: item.ticket.channel for item in queue}
    for d in decisions:
        if d.agent_id is not None:
            used[d.agent_id] = used.get(d.agent_id, 0) + router.channel_weights.get(
                channel_of[d.ticket_id], 1
            )
    for agent in crew:
        if agent.units is not None:
            assert used.get(agent.id, 0) <= agent.units
