"""Skill-based routing with decisions that explain themselves.

A :class:`Router` holds ordered :class:`RoutingRule` s (first match wins) that turn a ticket into
:class:`Requirements` (group, minimum tier, skills, language, dedicated agents, relaxation after waits) and a
:class:`Strategy` that picks among the eligible agents. It is pure: agents and their current loads are passed in, and so
is ``now``. Every :class:`RoutingDecision` names the chosen agent (or nobody), the rule, the requirements after
relaxation, and for every other agent the reasons it was passed over.

>>> from datetime import datetime, UTC
>>> from ticketcore.model import Actor, Opened, Role, Ticket
>>> router = Router([RoutingRule("billing", when=Match(topics={"billing"}), then=Requirements(group="billing"))])
>>> opened = Opened(ticket_id="T-1", seq=1, at=datetime(2025, 3, 3, 9, tzinfo=UTC), actor=Actor("cy", Role.REQUESTER),
...                 requester="cy", topic="billing")
>>> ticket = Ticket.from_events([opened])
>>> agents = [Agent("ada", groups={"billing"}, capacity={"email": 5}), Agent("bob", capacity={"email": 5})]
>>> decision = router.route(ticket, agents, {}, now=datetime(2025, 3, 3, 10, tzinfo=UTC))
>>> decision.agent_id, [p.message for p in decision.passed_over]
('ada', ["bob: not in group 'billing'"])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from ticketcore._calendar import BusinessCalendar
from ticketcore._check import instance, listed, mapped
from ticketcore._routing.batch import Pool, RequirementsMemo
from ticketcore._routing.explain import Explainer, PassedOver, Reason, ReasonKind, Scene
from ticketcore._routing.language import normalize_language
from ticketcore._routing.model import (
    TIERS,
    Agent,
    AgentLoad,
    Match,
    Presence,
    Relaxation,
    Requirements,
    RoutingRule,
    Strategy,
    _agent_ids,
)
from ticketcore._time import require_aware, to_micros
from ticketcore.errors import ConfigError
from ticketcore.model import Ticket

__all__ = [
    "Agent",
    "AgentLoad",
    "Match",
    "PassedOver",
    "Presence",
    "QueueItem",
    "Reason",
    "ReasonKind",
    "Relaxation",
    "Requirements",
    "Router",
    "RoutingDecision",
    "RoutingRule",
    "Strategy",
    "normalize_language",
]

Loads = Mapping[str, AgentLoad] | Iterable[AgentLoad]
"""Current loads: a mapping by agent id, or any iterable of :class:`AgentLoad`. A missing agent has no load."""


@attrs.frozen
class RoutingDecision:
    """Where one ticket goes, and why.

    ``agent_id`` is the chosen agent, or ``None`` when nobody is eligible (:attr:`assigned` is false; the reasons say
    why each agent could not take it). ``rule`` names the rule that matched (``None``: the router's fallback).
    ``requirements`` are the ones decided with, after resolving the ticket's language and relaxing for the wait.
    """

    ticket_id: str
    agent_id: str | None
    rule: str | None
    requirements: Requirements
    strategy: Strategy
    _explainer: Explainer = attrs.field(eq=False, repr=False, alias="explainer")

    @property
    def assigned(self) -> bool:
        """True when an agent was chosen."""
        return self.agent_id is not None

    @property
    def passed_over(self) -> tuple[PassedOver, ...]:
        """Every agent not chosen, in the order given to the router, with every reason (computed on first use)."""
        return self._explainer.passed_over()

    def reasons_for(self, agent_id: str) -> tuple[Reason, ...]:
        """Why ``agent_id`` was passed over (empty for the chosen agent); ``KeyError`` for an unknown agent."""
        if agent_id == self.agent_id:
            return ()
        for entry in self.passed_over:
            if entry.agent_id == agent_id:
                return entry.reasons
        raise KeyError(f"agent {agent_id!r} was not among the agents of this decision")

    def explain(self) -> str:
        """The whole decision in readable lines."""
        rule = f"rule {self.rule!r}" if self.rule is not None else "no rule matched (fallback requirements)"
        head = (
            f"ticket {self.ticket_id!r} → {self.agent_id!r} by {self.strategy.value}"
            if self.agent_id is not None
            else f"ticket {self.ticket_id!r}: nobody eligible"
        )
        return "\n".join([f"{head} ({rule})", *(f"  {entry.message}" for entry in self.passed_over)])


def _to_utc_aware(value: datetime) -> datetime:
    return require_aware(value, "waiting_since")


@attrs.frozen
class QueueItem:
    """A ticket waiting to be assigned.

    ``waiting_since`` is its routing age: it stays when an agent declines (pass the agent in ``declined_by``), so a
    declined ticket keeps its place. ``due`` is its SLA due instant, if any (queue order: priority, then due, then
    age). Relaxation counts from ``relaxed_since`` (default ``waiting_since``); set it to the decline time to restart
    relaxation after a decline, as Salesforce does.
    """

    ticket: Ticket
    waiting_since: datetime = attrs.field(kw_only=True, converter=_to_utc_aware)
    due: datetime | None = attrs.field(default=None, kw_only=True)
    declined_by: frozenset[str] = attrs.field(factory=frozenset, converter=_agent_ids, kw_only=True)
    relaxed_since: datetime | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.due is not None:
            require_aware(self.due, "due")
        if self.relaxed_since is not None:
            require_aware(self.relaxed_since, "relaxed_since")

    def sort_key(self) -> tuple[bool, int, bool, int, int, str]:
        """Queue order: priority (1 first, none last), then SLA due instant (none last), then age, then ticket id."""
        priority = self.ticket.priority
        return (
            priority is None,
            priority or 0,
            self.due is None,
            to_micros(self.due) if self.due is not None else 0,
            to_micros(self.waiting_since),
            self.ticket.id,
        )


def _rules(value: Iterable[RoutingRule]) -> tuple[RoutingRule, ...]:
    rules = listed(value, "routing rules", "rules")
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        instance(rule, RoutingRule, "a RoutingRule", f"rules[{index}]")
        if rule.name in seen:
            raise ConfigError(
                f"rule name {rule.name!r} is used twice; give every rule its own name", f"rules[{index}].name"
            )
        seen.add(rule.name)
    return rules


def _to_strategy(value: object) -> Strategy:
    try:
        return Strategy(str(value))
    except ValueError:
        raise ConfigError.invalid_choice(value, Strategy, "strategy") from None


def _weights(value: Mapping[str, int]) -> dict[str, int]:
    out = mapped(value, "channels to weights", "channel_weights")
    for channel, weight in out.items():
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
            raise ConfigError(
                f"channel weight {weight!r} must be an integer ≥ 1", f"channel_weights.{channel}"
            )
    return out


def _load_map(loads: Loads) -> dict[str, AgentLoad]:
    # A copy: decisions explain themselves later, from the loads as they were, whatever the caller does with theirs.
    if isinstance(loads, Mapping):
        return dict(loads)
    return {load.agent_id: load for load in loads}


def _agent_tuple(agents: Iterable[Agent]) -> tuple[Agent, ...]:
    out = tuple(agents)
    if len({agent.id for agent in out}) == len(out):
        return out
    seen: set[str] = set()
    for agent in out:
        if agent.id in seen:
            raise ConfigError(f"agent id {agent.id!r} appears twice; give every agent its own id", "agents")
        seen.add(agent.id)
    return out


@attrs.frozen
class Router:
    """Ordered rules, a strategy and channel weights: decides who takes a ticket, and says why.

    ``fallback`` are the requirements of a ticket no rule matches (by default: none). ``channel_weights`` are the units
    a ticket of each channel costs agents with a ``units`` budget (unlisted channels cost 1).
    """

    rules: tuple[RoutingRule, ...] = attrs.field(default=(), converter=_rules)
    strategy: Strategy = attrs.field(default=Strategy.LEAST_LOADED, converter=_to_strategy, kw_only=True)
    channel_weights: dict[str, int] = attrs.field(factory=dict, converter=_weights, hash=False, kw_only=True)
    fallback: Requirements = attrs.field(factory=Requirements, kw_only=True)

    def requirements_for(
        self, ticket: Ticket, *, waited: timedelta = timedelta(0)
    ) -> tuple[RoutingRule | None, Requirements]:
        """The first rule matching ``ticket`` (or ``None``) and its requirements, resolved and relaxed for ``waited``."""
        rule = next((r for r in self.rules if r.when.matches(ticket)), None)
        requirements = rule.then if rule is not None else self.fallback
        return rule, requirements.resolve(ticket).relaxed(waited)

    def route(
        self,
        ticket: Ticket,
        agents: Iterable[Agent],
        loads: Loads,
        *,
        now: datetime,
        waited: timedelta = timedelta(0),
        exclude: Iterable[str] = (),
    ) -> RoutingDecision:
        """Decide who takes ``ticket`` at ``now``, after it has waited ``waited`` (for relaxation).

        ``exclude`` names agents who may not take it (they declined it). The chosen agent meets every requirement, is
        online, on shift and has room for the ticket's channel; if nobody does, the decision says so, with reasons.
        """
        require_aware(now, "now")
        rule, requirements = self.requirements_for(ticket, waited=waited)
        excluded = dict.fromkeys(exclude, "declined this ticket")
        return self._decide(
            ticket=ticket,
            agents=_agent_tuple(agents),
            loads=_load_map(loads),
            now=now,
            rule=rule,
            requirements=requirements,
            excluded=excluded,
        )

    def escalate(
        self,
        ticket: Ticket,
        agents: Iterable[Agent],
        loads: Loads,
        *,
        now: datetime,
        waited: timedelta = timedelta(0),
        by: int = 1,
        exclude: Iterable[str] = (),
    ) -> RoutingDecision:
        """Route ``ticket`` to a higher tier: ``by`` tiers above its requirements or its current assignee's tier.

        The current assignee is passed over (the ticket is escalated away from them). The tier stops at 4.
        """
        require_aware(now, "now")
        if by < 1:
            raise ValueError(f"escalate by {by!r} tiers: give at least 1")
        crew = _agent_tuple(agents)
        rule, requirements = self.requirements_for(ticket, waited=waited)
        current = next((a.tier for a in crew if a.id == ticket.assignee), 0)
        tier = min(max(requirements.min_tier, current) + by, TIERS[-1])
        requirements = attrs.evolve(requirements, min_tier=tier)
        excluded = dict.fromkeys(exclude, "declined this ticket")
        if ticket.assignee is not None:
            excluded[ticket.assignee] = "current assignee; the ticket is being escalated away from them"
        return self._decide(
            ticket=ticket,
            agents=crew,
            loads=_load_map(loads),
            now=now,
            rule=rule,
            requirements=requirements,
            excluded=excluded,
        )

    def _decide(
        self,
        *,
        ticket: Ticket,
        agents: tuple[Agent, ...],
        loads: Mapping[str, AgentLoad],
        now: datetime,
        rule: RoutingRule | None,
        requirements: Requirements,
        excluded: Mapping[str, str],
    ) -> RoutingDecision:
        scene = Scene(
            requirements, channel=ticket.channel, now=now, weights=self.channel_weights, exclude=excluded
        )
        best: tuple[Any, ...] | None = None
        chosen: str | None = None
        for agent in agents:
            if not scene.qualifies(agent):
                continue
            load = loads.get(agent.id) or AgentLoad(agent.id)
            if scene.spare(agent, load) > 0:
                key = scene.rank(agent, load, self.strategy)
                if best is None or key < best:
                    best, chosen = key, agent.id
        explainer = Explainer(agents, lambda: (scene, loads), self.strategy, chosen)
        name = rule.name if rule is not None else None
        return RoutingDecision(ticket.id, chosen, name, requirements, self.strategy, explainer=explainer)

    def assign(
        self, queue: Iterable[QueueItem], agents: Iterable[Agent], loads: Loads, *, now: datetime
    ) -> list[RoutingDecision]:
        """Assign many waiting tickets at once, in queue order, filling capacity as it goes.

        Tickets are taken by priority (1 first), then SLA due instant, then age (``waiting_since``), then id, and each
        gets what :meth:`route` would give it given the assignments before it. A ticket is left unassigned only when,
        at its turn, no eligible agent had room. Decisions come back in that order; their reasons describe the loads
        as they were at the ticket's turn.
        """
        require_aware(now, "now")
        crew = _agent_tuple(agents)
        base = _load_map(loads)
        shifts: dict[BusinessCalendar, bool] = {}
        memo = RequirementsMemo(self.rules, self.fallback)
        pool = Pool(
            agents=crew,
            loads=base,
            now=now,
            weights=self.channel_weights,
            strategy=self.strategy,
            shift_cache=shifts,
        )
        decisions: list[RoutingDecision] = []
        for item in sorted(queue, key=QueueItem.sort_key):
            ticket = item.ticket
            waited = now - (item.relaxed_since or item.waiting_since)
            rule, requirements = memo.get(ticket, max(waited, timedelta(0)))
            step = len(pool.log)
            agent = pool.take(requirements, ticket.channel, item.declined_by)
            excluded = dict.fromkeys(item.declined_by, "declined this ticket")
            explainer = Explainer(
                crew,
                _situation(
                    pool=pool,
                    step=step,
                    requirements=requirements,
                    ticket=ticket,
                    excluded=excluded,
                    shifts=shifts,
                ),
                self.strategy,
                agent.id if agent is not None else None,
            )
            name = rule.name if rule is not None else None
            decisions.append(
                RoutingDecision(
                    ticket.id,
                    agent.id if agent else None,
                    name,
                    requirements,
                    self.strategy,
                    explainer=explainer,
                )
            )
        return decisions


def _situation(
    *,
    pool: Pool,
    step: int,
    requirements: Requirements,
    ticket: Ticket,
    excluded: Mapping[str, str],
    shifts: dict[BusinessCalendar, bool],
) -> Any:
    def rebuild() -> tuple[Scene, Mapping[str, AgentLoad]]:
        loads, order = pool.loads_at(step)
        scene = Scene(
            requirements,
            channel=ticket.channel,
            now=pool.now,
            weights=pool.weights,
            exclude=excluded,
            shift_cache=shifts,
            batch_order=order,
        )
        return scene, loads

    return rebuild
