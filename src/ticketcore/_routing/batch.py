"""Batch assignment: the agents indexed once, a lazy heap of candidates per kind of ticket, loads filled as we go.

A ticket's candidates are an intersection of precomputed sets (online and on shift, group, tier, skill level,
language, channel), so a batch never scans every agent for every ticket. Each kind of ticket (same requirements,
channel and exclusions) keeps a heap of its candidates ordered by the strategy. An assignment only ever makes an agent
rank *later* (less spare capacity, assigned more recently, no longer idle), so a stale heap entry is simply re-keyed
when it reaches the top: the first current entry is the true best.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from ticketcore._calendar import BusinessCalendar
from ticketcore._routing.language import primary_language, region_of
from ticketcore._routing.model import (
    Agent,
    AgentLoad,
    Presence,
    Requirements,
    RoutingRule,
    Strategy,
)
from ticketcore._time import to_micros
from ticketcore.model import Ticket

__all__ = ["Pool", "RequirementsMemo"]

_NEVER = -(2**62)
_BUSY = 2**62
_EMPTY: frozenset[int] = frozenset()

Entry = tuple[int, int, int, str, int, int]  # primary, batch order, region rank, agent id, index, version


class _Kind:
    """The candidates of one kind of ticket and their heap."""

    def __init__(self, requirements: Requirements, channel: str, weight: int, candidates: set[int]) -> None:
        self.requirements = requirements
        self.channel = channel
        self.weight = weight
        self.skills = tuple(requirements.all_skills.items())
        language = requirements.language
        self.regional = language if language is not None and region_of(language) is not None else None
        self.candidates = candidates
        self.heap: list[Entry] = []


class Pool:
    """Agents and their loads for one batch at one instant ``now``; :meth:`take` assigns and updates the loads."""

    def __init__(
        self,
        *,
        agents: Sequence[Agent],
        loads: Mapping[str, AgentLoad],
        now: datetime,
        weights: Mapping[str, int],
        strategy: Strategy,
        shift_cache: dict[BusinessCalendar, bool],
    ) -> None:
        self.agents = tuple(agents)
        self.base = loads
        self.now = now
        self.now_micros = to_micros(now)
        self.weights = weights
        self.strategy = strategy
        self.index = {agent.id: i for i, agent in enumerate(self.agents)}
        available: set[int] = set()
        self.by_group: dict[str, set[int]] = {}
        self.by_language: dict[str, set[int]] = {}
        self.by_tier: dict[int, set[int]] = {tier: set() for tier in range(1, 6)}
        self.by_skill: dict[str, list[tuple[int, int]]] = {}
        for i, agent in enumerate(self.agents):
            if agent.presence is Presence.ONLINE and _on_shift(agent, now, shift_cache):
                available.add(i)
            for group in agent.groups:
                self.by_group.setdefault(group, set()).add(i)
            for tag in agent.languages:
                self.by_language.setdefault(primary_language(tag), set()).add(i)
            for tier in range(1, agent.tier + 1):
                self.by_tier[tier].add(i)
            for skill, level in agent.skills.items():
                self.by_skill.setdefault(skill, []).append((level, i))
        self.available = available
        self._skill_sets: dict[tuple[str, int], set[int]] = {}
        self._channel_sets: dict[str, set[int]] = {}
        self._kinds: dict[tuple[object, ...], _Kind] = {}
        self._quick: dict[tuple[int, str, frozenset[str]], tuple[Requirements, _Kind]] = {}
        n = len(self.agents)
        start = [loads.get(agent.id, AgentLoad(agent.id)) for agent in self.agents]
        self.per_channel = [dict(load.per_channel) for load in start]
        self.units = [sum(c * weights.get(ch, 1) for ch, c in load.per_channel.items()) for load in start]
        self.total = [load.total for load in start]
        self.last = [
            _NEVER if load.last_assigned_at is None else to_micros(load.last_assigned_at) for load in start
        ]
        self.idle = [None if load.idle_since is None else to_micros(load.idle_since) for load in start]
        self.order = [0] * n
        self.version = [0] * n
        self.log: list[tuple[int, str]] = []

    def _skill_set(self, skill: str, level: int) -> set[int]:
        found = self._skill_sets.get((skill, level))
        if found is None:
            found = {i for have, i in self.by_skill.get(skill, ()) if have >= level}
            self._skill_sets[(skill, level)] = found
        return found

    def _channel_set(self, channel: str) -> set[int]:
        found = self._channel_sets.get(channel)
        if found is None:
            found = set()
            for i, agent in enumerate(self.agents):
                limit = agent.capacity.get(channel)
                if (limit is None and agent.units is not None) or (limit is not None and limit > 0):
                    found.add(i)
            self._channel_sets[channel] = found
        return found

    def _kind(self, requirements: Requirements, channel: str, exclude: frozenset[str]) -> _Kind:
        # The router hands the same requirements object to every ticket of a kind: try its identity first.
        quick = (id(requirements), channel, exclude)
        known = self._quick.get(quick)
        if known is not None and known[0] is requirements:  # the id was not reused by another object
            return known[1]
        skills = tuple(sorted(requirements.all_skills.items()))
        key: tuple[object, ...] = (
            channel,
            requirements.group,
            requirements.min_tier,
            skills,
            requirements.language,
            requirements.agents,
        )
        key += (exclude,)
        kind = self._kinds.get(key)
        if kind is not None:
            self._quick[quick] = (requirements, kind)
            return kind
        sets: list[set[int] | frozenset[int]] = [self.available, self._channel_set(channel)]
        if requirements.agents:
            sets.append({self.index[a] for a in requirements.agents if a in self.index})
        if requirements.group is not None:
            sets.append(self.by_group.get(requirements.group, _EMPTY))
        if requirements.min_tier > 1:
            sets.append(self.by_tier[requirements.min_tier])
        sets.extend(self._skill_set(skill, level) for skill, level in skills)
        if requirements.language is not None:
            sets.append(self.by_language.get(primary_language(requirements.language), _EMPTY))
        sets.sort(key=len)
        candidates = set(sets[0]).intersection(*sets[1:])
        candidates.difference_update(self.index[a] for a in exclude if a in self.index)
        kind = _Kind(requirements, channel, self.weights.get(channel, 1), candidates)
        kind.heap = [self._entry(kind, i) for i in candidates if self._spare(kind, i) > 0]
        heapq.heapify(kind.heap)
        self._kinds[key] = kind
        self._quick[quick] = (requirements, kind)
        return kind

    def _spare(self, kind: _Kind, i: int) -> int:
        agent = self.agents[i]
        limit = agent.capacity.get(kind.channel)
        room = limit - self.per_channel[i].get(kind.channel, 0) if limit is not None else _BUSY
        if agent.units is not None:
            room = min(room, (agent.units - self.units[i]) // kind.weight if kind.weight > 0 else _BUSY)
        return room

    def _entry(self, kind: _Kind, i: int) -> Entry:
        agent = self.agents[i]
        strategy = self.strategy
        order = 0
        if strategy is Strategy.LEAST_LOADED:
            primary = -self._spare(kind, i)
        elif strategy is Strategy.ROUND_ROBIN:
            primary, order = self.last[i], self.order[i]
        elif strategy is Strategy.LONGEST_IDLE:
            idle = self.idle[i]
            primary = idle if idle is not None else (_NEVER if self.total[i] == 0 else _BUSY)
        else:
            primary = -sum(agent.skills.get(name, 0) for name, _ in kind.skills)
        region = 0 if kind.regional is None or kind.regional in agent.languages else 1
        return primary, order, region, agent.id, i, self.version[i]

    def take(self, requirements: Requirements, channel: str, exclude: frozenset[str]) -> Agent | None:
        """The best agent with room for a ticket with these requirements, already charged with it; or ``None``."""
        kind = self._kind(requirements, channel, exclude)
        heap = kind.heap
        while heap:
            entry = heap[0]
            i = entry[4]
            if entry[5] != self.version[i]:
                heapq.heappop(heap)
                if self._spare(kind, i) > 0:
                    heapq.heappush(heap, self._entry(kind, i))
                continue
            self._charge(i, channel, kind.weight)
            return self.agents[i]
        return None

    def _charge(self, i: int, channel: str, weight: int) -> None:
        counts = self.per_channel[i]
        counts[channel] = counts.get(channel, 0) + 1
        self.units[i] += weight
        self.total[i] += 1
        self.last[i] = max(self.last[i], self.now_micros)
        self.log.append((i, channel))
        self.order[i] = len(self.log)
        self.idle[i] = None
        self.version[i] += 1

    def loads_at(self, step: int) -> tuple[dict[str, AgentLoad], dict[str, int]]:
        """The loads (and round-robin order) as they were after the first ``step`` assignments of this batch."""
        loads = dict(self.base)
        order: dict[str, int] = {}
        for n, (i, channel) in enumerate(self.log[:step], start=1):
            agent_id = self.agents[i].id
            load = loads.get(agent_id, AgentLoad(agent_id))
            counts = dict(load.per_channel)
            counts[channel] = counts.get(channel, 0) + 1
            last = load.last_assigned_at
            loads[agent_id] = attrs.evolve(
                load,
                per_channel=counts,
                last_assigned_at=self.now if last is None or last < self.now else last,
                idle_since=None,
            )
            order[agent_id] = n
        return loads, order


def _on_shift(agent: Agent, now: datetime, cache: dict[BusinessCalendar, bool]) -> bool:
    if agent.shift is None:
        return True
    known = cache.get(agent.shift)
    if known is None:
        known = cache[agent.shift] = agent.shift.is_open(now)
    return known


_READS = {
    "topics": "topic",
    "channels": "channel",
    "priorities": "priority",
    "segments": "segment",
    "regions": "region",
    "countries": "country",
    "languages": "language",
    "groups": "group",
    "tags_any": "tags",
    "tags_all": "tags",
}


class RequirementsMemo:
    """``Router.requirements_for`` for a batch, remembered by what the rules read and which relaxation steps are due.

    Thousands of queued tickets differ in few of the attributes rules look at, so each distinct combination is
    matched, resolved and relaxed once.
    """

    def __init__(self, rules: tuple[RoutingRule, ...], fallback: Requirements) -> None:
        self.all_rules = rules
        self.fallback = fallback
        reads: set[str] = set()
        self.fields = False
        for rule in rules:
            for name, attribute in _READS.items():
                if getattr(rule.when, name):
                    reads.add(attribute)
            self.fields = self.fields or bool(rule.when.fields)
        self.reads = tuple(sorted(reads))
        self.rules: dict[tuple[object, ...], RoutingRule | None] = {}
        self.requirements: dict[tuple[object, ...], Requirements] = {}

    def get(self, ticket: Ticket, waited: timedelta) -> tuple[RoutingRule | None, Requirements]:
        key: tuple[object, ...] = tuple(getattr(ticket, name) for name in self.reads)
        if self.fields:
            key += (tuple(sorted((k, type(v).__name__, v) for k, v in ticket.fields.items())),)
        if key in self.rules:
            rule = self.rules[key]
        else:
            rule = self.rules[key] = next((r for r in self.all_rules if r.when.matches(ticket)), None)
        base = rule.then if rule is not None else self.fallback
        due = tuple(step.after <= waited for step in base.relax)
        language = ticket.language if base.ticket_language else None
        spec = (rule.name if rule is not None else None, language, due)
        requirements = self.requirements.get(spec)
        if requirements is None:
            requirements = self.requirements[spec] = base.resolve(ticket).relaxed(waited)
        return rule, requirements
