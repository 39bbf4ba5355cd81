"""The nouns of routing: agents, their loads, language tags, requirements, rules and strategies.

Everything here is a frozen value. The public names are re-exported by :mod:`ticketcore.routing`; this private module
exists to keep the router itself short.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from ticketcore._calendar import BusinessCalendar
from ticketcore._check import instance, listed, mapped, texts
from ticketcore._routing.language import normalize_language, primary_language, region_of
from ticketcore._time import utc
from ticketcore.errors import ConfigError
from ticketcore.model import FieldValue, Ticket

__all__ = [
    "TIERS",
    "Agent",
    "AgentLoad",
    "Match",
    "Presence",
    "Relaxation",
    "Requirements",
    "RoutingRule",
    "Strategy",
]

TIERS = range(1, 5)
"""Support tiers, 1 (first line) to 4 (the seeds' L1–L4)."""


class Presence(enum.StrEnum):
    """An agent's presence. Only ``online`` agents are offered work."""

    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class Strategy(enum.StrEnum):
    """How the router picks among eligible agents.

    - ``least_loaded``: the most spare capacity for the ticket's channel (Zendesk's standard, Salesforce's "most
      available").
    - ``round_robin``: the longest since the agent's last assignment (never assigned counts as longest).
    - ``longest_idle``: the earliest ``idle_since``; an agent with no open work and no recorded ``idle_since`` counts as
      idle longest, an agent with work and no ``idle_since`` as not idle at all.
    - ``best_skill``: the highest sum of the agent's levels over the required skills (missing skills count 0).

    Ties are broken the same way for every strategy: first an agent who speaks the exact regional variant the ticket
    asks for (``it-CH`` for an ``it-CH`` ticket), then the smallest agent id (string order).
    """

    LEAST_LOADED = "least_loaded"
    ROUND_ROBIN = "round_robin"
    LONGEST_IDLE = "longest_idle"
    BEST_SKILL = "best_skill"


def _strings(value: Iterable[str], what: str) -> frozenset[str]:
    return frozenset(texts(value, what))


def _group_names(value: Iterable[str]) -> frozenset[str]:
    return _strings(value, "group names")


def _skill_names(value: Iterable[str]) -> frozenset[str]:
    return _strings(value, "skill names")


def _agent_ids(value: Iterable[str]) -> frozenset[str]:
    return _strings(value, "agent ids")


def _topic_names(value: Iterable[str]) -> frozenset[str]:
    return _strings(value, "values")


def _ints(value: Iterable[int]) -> frozenset[int]:
    return frozenset(listed(value, "integers"))


def _relax_steps(value: Iterable[Relaxation]) -> tuple[Relaxation, ...]:
    return tuple(
        instance(
            step, Relaxation, "a Relaxation, e.g. Relaxation(after=timedelta(minutes=5))", f"relax[{index}]"
        )
        for index, step in enumerate(listed(value, "relaxation steps", "relax"))
    )


def _languages(value: Iterable[str]) -> frozenset[str]:
    return frozenset(normalize_language(tag) for tag in texts(value, "language tags"))


def _optional_language(value: str | None) -> str | None:
    return None if value is None else normalize_language(value)


def _levels(value: Mapping[str, int], what: str) -> dict[str, int]:
    out = mapped(value, "skill names to levels", what)
    for name, level in out.items():
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise ConfigError(
                f"skill level {level!r} must be an integer ≥ 1; write e.g. 1, 2 or 3", f"{what}.{name}"
            )
    return out


def _skill_levels(value: Mapping[str, int]) -> dict[str, int]:
    return _levels(value, "skills")


def _additional_levels(value: Mapping[str, int]) -> dict[str, int]:
    return _levels(value, "additional")


def _capacity(value: Mapping[str, int]) -> dict[str, int]:
    out = mapped(value, "channels to open-ticket limits", "capacity")
    for channel, limit in out.items():
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ConfigError(
                f"capacity {limit!r} must be an integer ≥ 0 (0: does not take this channel)",
                f"capacity.{channel}",
            )
    return out


def _counts(value: Mapping[str, int]) -> dict[str, int]:
    out = mapped(value, "channels to open-ticket counts", "per_channel")
    for channel, count in out.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ConfigError(f"open ticket count {count!r} must be an integer ≥ 0", f"per_channel.{channel}")
    return out


def _check_tier(instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if isinstance(value, bool) or value not in TIERS:
        raise ConfigError(f"tier {value!r} is outside 1..4; use 1 (first line) to 4", attribute.name)


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value, "load time")


def _to_presence(value: object) -> Presence:
    try:
        return Presence(str(value))
    except ValueError:
        raise ConfigError(
            f"{value!r} is not a presence; valid values: 'online', 'away', 'offline'", "presence"
        ) from None


@attrs.frozen
class Agent:
    """Someone who takes tickets: skills with levels, languages, a tier, groups, capacity, a shift and a presence.

    ``capacity`` gives the most open tickets per channel (``{"email": 10, "chat": 3, "phone": 1}``); a channel that is
    missing (or 0) is not taken, unless ``units`` is set: then the agent has a budget of weighted units, each channel
    costing its weight from :attr:`Router.channel_weights` (1 when unlisted), and per-channel limits still apply where
    given. ``shift`` is the agent's working calendar (``None``: always on shift); they are offered work only while it is
    open, in its own time zone.

    >>> ada = Agent("ada", skills={"billing": 3}, languages=["it_IT", "en"], capacity={"email": 10})
    >>> sorted(ada.languages), ada.tier
    (['en', 'it-IT'], 1)
    """

    id: str
    skills: dict[str, int] = attrs.field(factory=dict, converter=_skill_levels, hash=False, kw_only=True)
    languages: frozenset[str] = attrs.field(factory=frozenset, converter=_languages, kw_only=True)
    tier: int = attrs.field(default=1, validator=_check_tier, kw_only=True)
    groups: frozenset[str] = attrs.field(factory=frozenset, converter=_group_names, kw_only=True)
    capacity: dict[str, int] = attrs.field(factory=dict, converter=_capacity, hash=False, kw_only=True)
    units: int | None = attrs.field(default=None, kw_only=True)
    shift: BusinessCalendar | None = attrs.field(default=None, kw_only=True)
    presence: Presence = attrs.field(default=Presence.ONLINE, converter=_to_presence, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.units is not None and (isinstance(self.units, bool) or self.units < 0):
            raise ConfigError(
                f"units {self.units!r} must be an integer ≥ 0 or null (no unit budget)", "units"
            )


@attrs.frozen
class AgentLoad:
    """An agent's current work, passed to the router (which reads no storage).

    ``per_channel`` counts open tickets per channel; ``last_assigned_at`` drives round robin, ``idle_since`` (``None``
    while the agent has work) drives longest idle. A missing load means no open work and no history.
    """

    agent_id: str
    per_channel: dict[str, int] = attrs.field(factory=dict, converter=_counts, hash=False, kw_only=True)
    last_assigned_at: datetime | None = attrs.field(default=None, converter=_optional_utc, kw_only=True)
    idle_since: datetime | None = attrs.field(default=None, converter=_optional_utc, kw_only=True)

    @property
    def total(self) -> int:
        """Open tickets over every channel."""
        return sum(self.per_channel.values())


def _check_after(owner: object, attribute: attrs.Attribute[Any], value: timedelta) -> None:
    instance(value, timedelta, "a wait as a timedelta, e.g. timedelta(minutes=2)", attribute.name)
    if value < timedelta(0):
        raise ConfigError(f"wait {value!r} must not be negative; write e.g. '2m' or 'PT30S'", attribute.name)


@attrs.frozen(kw_only=True)
class Relaxation:
    """One step of relaxation: after the ticket has waited ``after``, drop some requirements.

    ``drop_skills`` names additional skills (never required ones) to stop asking for; ``release_agents`` opens a
    dedicated ticket to every other eligible agent; ``drop_language`` stops asking for the language.
    """

    after: timedelta = attrs.field(validator=_check_after)
    drop_skills: frozenset[str] = attrs.field(factory=frozenset, converter=_skill_names)
    release_agents: bool = False
    drop_language: bool = False


@attrs.frozen(kw_only=True)
class Requirements:
    """What an agent needs to take a ticket.

    ``skills`` are required (name → minimum level); ``additional`` skills are required too until a :class:`Relaxation`
    step in ``relax`` drops them. ``language`` asks for a language (matched by language subtag, the region only a
    preference); ``ticket_language`` asks for the ticket's own language instead. ``agents`` restricts the ticket to
    dedicated agents (a VIP's account manager). A router resolves and relaxes requirements before deciding; the
    requirements in a :class:`RoutingDecision` are the resolved ones.
    """

    group: str | None = None
    min_tier: int = attrs.field(default=1, validator=_check_tier)
    skills: dict[str, int] = attrs.field(factory=dict, converter=_skill_levels, hash=False)
    additional: dict[str, int] = attrs.field(factory=dict, converter=_additional_levels, hash=False)
    relax: tuple[Relaxation, ...] = attrs.field(default=(), converter=_relax_steps)
    language: str | None = attrs.field(default=None, converter=_optional_language)
    ticket_language: bool = False
    agents: frozenset[str] = attrs.field(factory=frozenset, converter=_agent_ids)

    def __attrs_post_init__(self) -> None:
        both = sorted(set(self.skills) & set(self.additional))
        if both:
            raise ConfigError(
                f"skill {both[0]!r} is both required and additional; list it in one of them", "additional"
            )
        for index, step in enumerate(self.relax):
            unknown = sorted(step.drop_skills - set(self.additional))
            if unknown:
                options = ", ".join(map(repr, sorted(self.additional))) or "none"
                raise ConfigError(
                    f"cannot drop {unknown[0]!r}: only additional skills can be dropped; additional skills: {options}",
                    f"relax[{index}].drop_skills",
                )

    @property
    def all_skills(self) -> dict[str, int]:
        """Every skill currently asked for (required and not yet dropped additional), name → minimum level."""
        return {**self.skills, **self.additional}

    def resolve(self, ticket: Ticket) -> Requirements:
        """These requirements for ``ticket``: ``ticket_language`` becomes the ticket's language.

        A ticket without a language, or whose language is not a language tag, keeps ``language`` as configured.
        """
        if not self.ticket_language:
            return self
        language = self.language
        if ticket.language:
            try:
                language = normalize_language(ticket.language)
            except ConfigError:
                language = self.language
        return attrs.evolve(self, language=language, ticket_language=False)

    def relaxed(self, waited: timedelta) -> Requirements:
        """These requirements after waiting ``waited``: every step due by then applied and removed from ``relax``."""
        due = [step for step in self.relax if step.after <= waited]
        if not due:
            return self
        dropped = frozenset().union(*(step.drop_skills for step in due))
        agents = frozenset() if any(step.release_agents for step in due) else self.agents
        language = None if any(step.drop_language for step in due) else self.language
        later = []
        for step in self.relax:
            if step.after > waited:
                # A later step may name what an earlier one already dropped; keep only what it still changes.
                rest = attrs.evolve(step, drop_skills=step.drop_skills - dropped)
                if rest.drop_skills or (rest.release_agents and agents) or (rest.drop_language and language):
                    later.append(rest)
        return attrs.evolve(
            self,
            additional={k: v for k, v in self.additional.items() if k not in dropped},
            relax=tuple(later),
            agents=frozenset() if any(step.release_agents for step in due) else self.agents,
            language=None if any(step.drop_language for step in due) else self.language,
        )


def _field_values(value: Mapping[str, FieldValue]) -> dict[str, FieldValue]:
    return mapped(value, "field names to values", "fields")


def _same(a: FieldValue, b: FieldValue) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


@attrs.frozen(kw_only=True)
class Match:
    """The ticket attributes a rule matches on. Every condition given must hold; an empty one matches anything.

    Set conditions match when the ticket's value is one of them (``tags_any``: the ticket has at least one of the tags;
    ``tags_all``: all of them). ``languages`` match by language subtag, or exactly when a region is given
    (``'it'`` matches ``'it-CH'``; ``'it-CH'`` does not match ``'it-IT'``). ``fields`` compares custom fields by value.
    """

    topics: frozenset[str] = attrs.field(factory=frozenset, converter=_topic_names)
    channels: frozenset[str] = attrs.field(factory=frozenset, converter=_topic_names)
    priorities: frozenset[int] = attrs.field(factory=frozenset, converter=_ints)
    segments: frozenset[str] = attrs.field(factory=frozenset, converter=_topic_names)
    regions: frozenset[str] = attrs.field(factory=frozenset, converter=_topic_names)
    countries: frozenset[str] = attrs.field(factory=frozenset, converter=_topic_names)
    languages: frozenset[str] = attrs.field(factory=frozenset, converter=_languages)
    groups: frozenset[str] = attrs.field(factory=frozenset, converter=_topic_names)
    tags_any: frozenset[str] = attrs.field(factory=frozenset, converter=_topic_names)
    tags_all: frozenset[str] = attrs.field(factory=frozenset, converter=_topic_names)
    fields: dict[str, FieldValue] = attrs.field(factory=dict, converter=_field_values, hash=False)

    def matches(self, ticket: Ticket) -> bool:
        """True when ``ticket`` meets every condition."""
        pairs: tuple[tuple[frozenset[Any], Any], ...] = (
            (self.topics, ticket.topic),
            (self.channels, ticket.channel),
            (self.priorities, ticket.priority),
            (self.segments, ticket.segment),
            (self.regions, ticket.region),
            (self.countries, ticket.country),
            (self.groups, ticket.group),
        )
        if any(wanted and value not in wanted for wanted, value in pairs):
            return False
        if self.tags_any and not (self.tags_any & ticket.tags):
            return False
        if not self.tags_all <= ticket.tags:
            return False
        if self.languages and not _language_matches(self.languages, ticket.language):
            return False
        return all(_same(ticket.fields.get(name), value) for name, value in self.fields.items())


def _language_matches(wanted: frozenset[str], language: str | None) -> bool:
    if not language:
        return False
    try:
        tag = normalize_language(language)
    except ConfigError:
        return False
    primary = primary_language(tag)
    return any(w == tag or (region_of(w) is None and primary_language(w) == primary) for w in wanted)


@attrs.frozen
class RoutingRule:
    """When a ticket matches ``when``, it needs ``then``. A router tries its rules in order; the first match wins."""

    name: str
    when: Match = attrs.field(factory=Match, kw_only=True)
    then: Requirements = attrs.field(factory=Requirements, kw_only=True)
