"""Helpers for the routing tests: tickets from keyword arguments, and slow, obviously correct oracles."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from helpers import T0
from ticketcore.model import Actor, Opened, Role, Ticket
from ticketcore.routing import Agent, AgentLoad, ReasonKind, Requirements, Strategy


def ticket(ticket_id: str = "T-1", *, at: datetime = T0, **fields: Any) -> Ticket:
    """A fresh ticket opened at ``at`` with the given attributes (channel, topic, language, tags …)."""
    fields.setdefault("requester", "cy")
    opened = Opened(ticket_id=ticket_id, seq=1, at=at, actor=Actor("cy", Role.REQUESTER), **fields)
    return Ticket.from_events([opened])


def expected_kinds(
    agent: Agent,
    load: AgentLoad | None,
    req: Requirements,
    *,
    channel: str,
    now: datetime,
    weights: Mapping[str, int] | None = None,
    excluded: frozenset[str] = frozenset(),
) -> set[ReasonKind]:
    """Every kind of reason ``agent`` cannot take a ticket, decided from first principles (the test oracle)."""
    weights = weights or {}
    counts = dict(load.per_channel) if load is not None else {}
    kinds: set[ReasonKind] = set()
    if agent.id in excluded:
        kinds.add(ReasonKind.EXCLUDED)
    if agent.presence.value != "online":
        kinds.add(ReasonKind.PRESENCE)
    if agent.shift is not None and not agent.shift.is_open(now):
        kinds.add(ReasonKind.OFF_SHIFT)
    if req.agents and agent.id not in req.agents:
        kinds.add(ReasonKind.NOT_DEDICATED)
    if req.group is not None and req.group not in agent.groups:
        kinds.add(ReasonKind.NOT_IN_GROUP)
    if agent.tier < req.min_tier:
        kinds.add(ReasonKind.TIER_TOO_LOW)
    wanted = {**req.skills, **req.additional}
    if any(agent.skills.get(name, 0) < level for name, level in wanted.items()):
        kinds.add(ReasonKind.LACKS_SKILL)
    if req.language is not None:
        spoken = {tag.split("-")[0] for tag in agent.languages}
        if req.language.split("-")[0] not in spoken:
            kinds.add(ReasonKind.WRONG_LANGUAGE)
    limit = agent.capacity.get(channel)
    takes = (limit is not None and limit > 0) or (limit is None and agent.units is not None)
    if not takes:
        kinds.add(ReasonKind.NO_CHANNEL)
    else:
        full = limit is not None and counts.get(channel, 0) >= limit
        if agent.units is not None:
            used = sum(n * weights.get(c, 1) for c, n in counts.items())
            full = full or used + weights.get(channel, 1) > agent.units
        if full:
            kinds.add(ReasonKind.AT_CAPACITY)
    return kinds


def spare(agent: Agent, load: AgentLoad | None, channel: str, weights: Mapping[str, int]) -> int:
    """Free slots for ``channel``, by brute force: add tickets one at a time until a limit is hit (bounded)."""
    counts = dict(load.per_channel) if load is not None else {}
    free = 0
    while free < 10_000:
        counts[channel] = counts.get(channel, 0) + 1
        limit = agent.capacity.get(channel)
        if limit is not None and counts[channel] > limit:
            break
        if agent.units is not None and sum(n * weights.get(c, 1) for c, n in counts.items()) > agent.units:
            break
        free += 1
    return free


def oracle_key(
    agent: Agent,
    load: AgentLoad | None,
    req: Requirements,
    strategy: Strategy,
    channel: str,
    weights: Mapping[str, int],
    batch_order: int = 0,
) -> tuple[Any, ...]:
    """The documented ranking: the strategy's measure (round robin: then the order of assignment within a batch),
    then an exact regional language match, then the agent id."""
    early = datetime(1, 1, 1, tzinfo=UTC)
    late = datetime(9999, 1, 1, tzinfo=UTC)
    if strategy is Strategy.LEAST_LOADED:
        primary: Any = -spare(agent, load, channel, weights)
    elif strategy is Strategy.ROUND_ROBIN:
        primary = load.last_assigned_at if load is not None and load.last_assigned_at else early
    elif strategy is Strategy.LONGEST_IDLE:
        if load is not None and load.idle_since is not None:
            primary = load.idle_since
        else:
            primary = early if load is None or sum(load.per_channel.values()) == 0 else late
    else:
        wanted = {**req.skills, **req.additional}
        primary = -sum(agent.skills.get(name, 0) for name in wanted)
    regional = req.language is not None and any(
        p.isupper() or p.isdigit() for p in req.language.split("-")[1:]
    )
    region = 1 if regional and req.language not in agent.languages else 0
    order = batch_order if strategy is Strategy.ROUND_ROBIN else 0
    return primary, order, region, agent.id
