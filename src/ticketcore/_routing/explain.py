"""Eligibility, ranking and the reasons an agent was passed over.

One fast predicate (:meth:`Scene.eligible`) decides; :meth:`Scene.reasons` explains the same checks in words. The tests
hold both against an independent oracle, so a reason is never false and never missing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime

import attrs

from ticketcore._calendar import BusinessCalendar
from ticketcore._routing.language import primary_language, region_of
from ticketcore._routing.model import (
    Agent,
    AgentLoad,
    Presence,
    Requirements,
    Strategy,
)
from ticketcore._time import to_micros

__all__ = ["Explainer", "PassedOver", "Reason", "ReasonKind", "Scene"]

_NEVER = -(2**62)  # ranks before any real instant: "never assigned", "idle since forever"
_BUSY = 2**62


class ReasonKind(enum.StrEnum):
    """Why an agent did not get a ticket. Every kind but ``ranked_lower`` means the agent was not eligible."""

    EXCLUDED = "excluded"
    PRESENCE = "presence"
    OFF_SHIFT = "off_shift"
    NOT_DEDICATED = "not_dedicated"
    NOT_IN_GROUP = "not_in_group"
    TIER_TOO_LOW = "tier_too_low"
    LACKS_SKILL = "lacks_skill"
    WRONG_LANGUAGE = "wrong_language"
    NO_CHANNEL = "no_channel"
    AT_CAPACITY = "at_capacity"
    RANKED_LOWER = "ranked_lower"


@attrs.frozen
class Reason:
    """One reason, as a value (``kind``, the ``subject`` it concerns, ``needed`` and ``actual``) and in words."""

    kind: ReasonKind
    message: str
    subject: str | None = None
    needed: int | None = None
    actual: int | None = None

    def __str__(self) -> str:
        return self.message


@attrs.frozen
class PassedOver:
    """An agent who did not get the ticket, and every reason why."""

    agent_id: str
    reasons: tuple[Reason, ...]

    @property
    def eligible(self) -> bool:
        """True when the agent could have taken the ticket but another ranked higher."""
        return all(r.kind is ReasonKind.RANKED_LOWER for r in self.reasons)

    @property
    def message(self) -> str:
        """The reasons in one line: ``"ada: off shift; lacks skill 'billing' level ≥ 2 (has 1)"``."""
        return f"{self.agent_id}: " + "; ".join(r.message for r in self.reasons)


class Scene:
    """Everything fixed while deciding: requirements, channel, the instant, weights, exclusions."""

    def __init__(
        self,
        requirements: Requirements,
        *,
        channel: str,
        now: datetime,
        weights: Mapping[str, int],
        exclude: Mapping[str, str],
        shift_cache: dict[BusinessCalendar, bool] | None = None,
        batch_order: Mapping[str, int] | None = None,
    ) -> None:
        self.requirements = requirements
        self.channel = channel
        self.now = now
        self.weights = weights
        self.weight = weights.get(channel, 1)
        self.exclude = exclude
        self.skills = tuple(requirements.all_skills.items())
        self.language = primary_language(requirements.language) if requirements.language else None
        self.region = region_of(requirements.language) if requirements.language else None
        self._shifts = shift_cache if shift_cache is not None else {}
        # Round robin inside one batch: agents assigned at the same ``now`` queue up in assignment order.
        self.batch_order = batch_order or {}

    def on_shift(self, agent: Agent) -> bool:
        """Whether ``agent`` is on shift now (one calendar lookup per calendar value per decision)."""
        if agent.shift is None:
            return True
        # Keyed by value: agents loaded from configuration have equal but distinct calendars, and the first lookup
        # in a calendar builds its tables.
        known = self._shifts.get(agent.shift)
        if known is None:
            known = self._shifts[agent.shift] = agent.shift.is_open(self.now)
        return known

    def speaks(self, agent: Agent) -> bool:
        """Whether ``agent`` speaks the wanted language (by language subtag)."""
        return self.language is None or any(primary_language(tag) == self.language for tag in agent.languages)

    def units_used(self, load: AgentLoad) -> int:
        """Capacity units taken by ``load``."""
        return sum(count * self.weights.get(channel, 1) for channel, count in load.per_channel.items())

    def spare(self, agent: Agent, load: AgentLoad) -> int:
        """How many more tickets of this channel ``agent`` can take (0: at capacity, -1: does not take it)."""
        limit = agent.capacity.get(self.channel)
        if limit == 0 or (limit is None and agent.units is None):
            return -1
        room = limit - load.per_channel.get(self.channel, 0) if limit is not None else _BUSY
        if agent.units is not None:
            room = min(
                room, (agent.units - self.units_used(load)) // self.weight if self.weight > 0 else _BUSY
            )
        return max(room, 0)

    def eligible(self, agent: Agent, load: AgentLoad) -> bool:
        """Whether ``agent`` may take the ticket now (every requirement met, on shift, online, with room)."""
        return self.qualifies(agent) and self.spare(agent, load) > 0

    def qualifies(self, agent: Agent) -> bool:
        """Whether ``agent`` meets everything but capacity: online, on shift, group, tier, skills, language …"""
        # The most selective checks first: this runs for every agent of every single decision.
        if agent.presence is not Presence.ONLINE or agent.id in self.exclude:
            return False
        skills = agent.skills
        for name, level in self.skills:
            if skills.get(name, 0) < level:
                return False
        req = self.requirements
        if agent.tier < req.min_tier or (req.group is not None and req.group not in agent.groups):
            return False
        if req.agents and agent.id not in req.agents:
            return False
        return self.speaks(agent) and self.on_shift(agent)

    def rank(self, agent: Agent, load: AgentLoad, strategy: Strategy) -> tuple[int, int, int, str]:
        """The sort key of an eligible agent under ``strategy``: smaller ranks first (see :class:`Strategy`)."""
        if strategy is Strategy.LEAST_LOADED:
            primary = -self.spare(agent, load)
        elif strategy is Strategy.ROUND_ROBIN:
            primary = _NEVER if load.last_assigned_at is None else to_micros(load.last_assigned_at)
        elif strategy is Strategy.LONGEST_IDLE:
            if load.idle_since is not None:
                primary = to_micros(load.idle_since)
            else:
                primary = _NEVER if load.total == 0 else _BUSY
        else:
            primary = -sum(agent.skills.get(name, 0) for name, _ in self.skills)
        order = self.batch_order.get(agent.id, 0) if strategy is Strategy.ROUND_ROBIN else 0
        return primary, order, self.region_rank(agent), agent.id

    def region_rank(self, agent: Agent) -> int:
        """0 when ``agent`` speaks the exact regional variant asked for (or none was asked for), else 1."""
        if self.region is None or self.requirements.language in agent.languages:
            return 0
        return 1

    def reasons(self, agent: Agent, load: AgentLoad) -> list[Reason]:
        """Every reason ``agent`` is not eligible (empty when eligible), each in words."""
        req = self.requirements
        out: list[Reason] = []
        if agent.id in self.exclude:
            out.append(Reason(ReasonKind.EXCLUDED, self.exclude[agent.id]))
        if agent.presence is not Presence.ONLINE:
            out.append(Reason(ReasonKind.PRESENCE, f"presence {agent.presence.value}", agent.presence.value))
        if not self.on_shift(agent):
            out.append(Reason(ReasonKind.OFF_SHIFT, f"off shift at {self.now.isoformat()}"))
        if req.agents and agent.id not in req.agents:
            names = ", ".join(map(repr, sorted(req.agents)))
            out.append(Reason(ReasonKind.NOT_DEDICATED, f"not a dedicated agent of this ticket ({names})"))
        if req.group is not None and req.group not in agent.groups:
            out.append(Reason(ReasonKind.NOT_IN_GROUP, f"not in group {req.group!r}", req.group))
        if agent.tier < req.min_tier:
            out.append(
                Reason(
                    ReasonKind.TIER_TOO_LOW,
                    f"tier {agent.tier} below the required {req.min_tier}",
                    needed=req.min_tier,
                    actual=agent.tier,
                )
            )
        for name, level in self.skills:
            has = agent.skills.get(name, 0)
            if has < level:
                detail = f"has {has}" if has else "does not have it"
                out.append(
                    Reason(
                        ReasonKind.LACKS_SKILL,
                        f"lacks skill {name!r} level ≥ {level} ({detail})",
                        name,
                        needed=level,
                        actual=has,
                    )
                )
        if not self.speaks(agent):
            spoken = ", ".join(sorted(agent.languages)) or "none listed"
            out.append(
                Reason(
                    ReasonKind.WRONG_LANGUAGE,
                    f"does not speak {req.language!r} (speaks {spoken})",
                    req.language,
                )
            )
        out.extend(self._capacity_reasons(agent, load))
        return out

    def _capacity_reasons(self, agent: Agent, load: AgentLoad) -> list[Reason]:
        channel = self.channel
        limit = agent.capacity.get(channel)
        if limit == 0 or (limit is None and agent.units is None):
            taken = ", ".join(sorted(c for c, n in agent.capacity.items() if n > 0)) or "none"
            return [
                Reason(ReasonKind.NO_CHANNEL, f"does not take {channel!r} tickets (takes: {taken})", channel)
            ]
        out: list[Reason] = []
        count = load.per_channel.get(channel, 0)
        if limit is not None and count >= limit:
            out.append(
                Reason(
                    ReasonKind.AT_CAPACITY,
                    f"at capacity for {channel}: {count} of {limit} open",
                    channel,
                    needed=limit,
                    actual=count,
                )
            )
        if agent.units is not None:
            used = self.units_used(load)
            if used + self.weight > agent.units:
                out.append(
                    Reason(
                        ReasonKind.AT_CAPACITY,
                        f"at capacity: {used} of {agent.units} units used, a {channel} ticket needs {self.weight}",
                        channel,
                        needed=agent.units,
                        actual=used,
                    )
                )
        return out

    def ranked_lower(
        self, agent: Agent, load: AgentLoad, winner: Agent, winner_load: AgentLoad, strategy: Strategy
    ) -> Reason:
        """Why eligible ``agent`` lost to ``winner``, naming what the strategy compared."""
        mine, theirs = self.rank(agent, load, strategy), self.rank(winner, winner_load, strategy)
        if mine[0] != theirs[0]:
            why = _compare(self, strategy, (agent, load), (winner, winner_load))
        elif mine[1] != theirs[1]:
            why = f"assigned at the same instant in this batch, {winner.id!r} earlier"
        elif mine[2] != theirs[2]:
            why = f"tied with {winner.id!r}, who speaks {self.requirements.language!r} exactly"
        else:
            why = f"tied with {winner.id!r}, who comes first by agent id"
        return Reason(
            ReasonKind.RANKED_LOWER, f"eligible, ranked lower by {strategy.value}: {why}", winner.id
        )


def _compare(
    scene: Scene, strategy: Strategy, loser: tuple[Agent, AgentLoad], won: tuple[Agent, AgentLoad]
) -> str:
    (agent, load), (winner, wload) = loser, won
    if strategy is Strategy.LEAST_LOADED:
        return (
            f"{scene.spare(agent, load)} free {scene.channel} slots vs {scene.spare(winner, wload)} "
            f"for {winner.id!r}"
        )
    if strategy is Strategy.ROUND_ROBIN:
        return f"last assigned {_when(load.last_assigned_at)}, {winner.id!r} {_when(wload.last_assigned_at)}"
    if strategy is Strategy.LONGEST_IDLE:
        return f"{_idle(load)}, {winner.id!r} {_idle(wload)}"
    score = -scene.rank(agent, load, strategy)[0]
    return f"skill score {score} vs {-scene.rank(winner, wload, strategy)[0]} for {winner.id!r}"


def _when(value: datetime | None) -> str:
    return "never" if value is None else f"at {value.isoformat()}"


def _idle(load: AgentLoad) -> str:
    if load.idle_since is not None:
        return f"idle since {load.idle_since.isoformat()}"
    return "idle with no recorded start" if load.total == 0 else "busy"


class Explainer:
    """Builds the passed-over reasons of one decision on first use, then keeps them.

    A batch of 10,000 tickets over 1,000 agents would otherwise build ten million reasons nobody reads; ``situation``
    recreates the scene and the loads as they were when the decision was taken.
    """

    def __init__(
        self,
        agents: tuple[Agent, ...],
        situation: Callable[[], tuple[Scene, Mapping[str, AgentLoad]]],
        strategy: Strategy,
        chosen: str | None,
    ) -> None:
        self._agents = agents
        self._situation = situation
        self._strategy = strategy
        self._chosen = chosen
        self._result: tuple[PassedOver, ...] | None = None

    def passed_over(self) -> tuple[PassedOver, ...]:
        """Every agent but the chosen one, in the order given, with its reasons."""
        if self._result is None:
            self._result = self._explain()
        return self._result

    def _explain(self) -> tuple[PassedOver, ...]:
        scene, loads = self._situation()
        winner = next((a for a in self._agents if a.id == self._chosen), None)
        winner_load = loads.get(winner.id, AgentLoad(winner.id)) if winner is not None else None
        out = []
        for agent in self._agents:
            if agent.id == self._chosen:
                continue
            load = loads.get(agent.id, AgentLoad(agent.id))
            reasons = scene.reasons(agent, load)
            if not reasons:
                if winner is None or winner_load is None:
                    raise AssertionError(f"agent {agent.id!r} is eligible but nobody was chosen")
                reasons = [scene.ranked_lower(agent, load, winner, winner_load, self._strategy)]
            out.append(PassedOver(agent.id, tuple(reasons)))
        return tuple(out)
