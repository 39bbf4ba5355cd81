"""The data that defines SLA clocks: triggers, clock conditions, the metric catalogue and per-metric targets.

Private to :mod:`ticketcore.sla`, which re-exports the public names.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import timedelta

import attrs

from ticketcore._calendar import BusinessCalendar
from ticketcore._check import listed, mapped, texts
from ticketcore.errors import ConfigError
from ticketcore.model import Category, FieldValue, member_set

__all__ = [
    "CATALOGUE",
    "TRIGGER_KINDS",
    "ChannelTargets",
    "ClockConditions",
    "MetricTargets",
    "PauseWhen",
    "PolicyConditions",
    "PriorityChangeMode",
    "Trigger",
]

TRIGGER_KINDS: dict[str, str] = {
    "opened": "the ticket was opened",
    "agent_reply": "a public reply by staff (not the opening comment of a ticket staff opened)",
    "agent_note": "an internal note or a private reply by staff",
    "requester_reply": "a public reply by the requester",
    "requester_followup": "a public reply by the requester after staff have replied publicly at least once",
    "agent_action": "any event whose actor is staff (agent, supervisor, admin)",
    "assigned": "the ticket was assigned to an agent",
    "status": "the status changed (narrow it with 'categories' and/or 'statuses' of the new status)",
    "solved": "the ticket moved from an unsolved category to 'solved' or 'closed'",
    "reopened": "the ticket moved from 'solved' or 'closed' back to an unsolved category",
    "priority_changed": "the priority changed",
}
"""Every event kind a :class:`Trigger` can name, with what it means."""


def _to_categories(values: Iterable[Category | str]) -> frozenset[Category]:
    return member_set(Category, values, "categories")


def _to_names(values: Iterable[str]) -> frozenset[str]:
    return frozenset(texts(values, "names"))


def _check_kind(instance: Trigger, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in TRIGGER_KINDS:
        options = ", ".join(sorted(TRIGGER_KINDS))
        raise ConfigError(f"{value!r} is not a trigger kind; valid kinds: {options}", attribute.name)


@attrs.frozen
class Trigger:
    """An event kind that moves a clock (see :data:`TRIGGER_KINDS`).

    ``categories`` and ``statuses`` narrow a ``status`` trigger to the new status's category or name (either may
    match). In configuration a trigger without filters may be written as its kind alone: ``"agent_reply"``.

    >>> Trigger("status", categories=["pending"]).matches_status("waiting", Category.PENDING)
    True
    """

    on: str = attrs.field(validator=_check_kind)
    categories: frozenset[Category] = attrs.field(factory=frozenset, converter=_to_categories)
    statuses: frozenset[str] = attrs.field(factory=frozenset, converter=_to_names)

    def __attrs_post_init__(self) -> None:
        if (self.categories or self.statuses) and self.on != "status":
            raise ConfigError(
                f"only a 'status' trigger takes 'categories' or 'statuses'; this one is {self.on!r}: "
                "write on: 'status' or drop the filters",
                "categories" if self.categories else "statuses",
            )

    @property
    def filtered(self) -> bool:
        """True when the trigger narrows status changes by category or name."""
        return bool(self.categories or self.statuses)

    def matches_status(self, status: str, category: Category) -> bool:
        """Whether a change to ``status`` (of ``category``) matches this trigger's filters."""
        if not self.filtered:
            return True
        return category in self.categories or status in self.statuses


def _to_triggers(values: Iterable[Trigger | str]) -> tuple[Trigger, ...]:
    return tuple(
        value if isinstance(value, Trigger) else Trigger(value) for value in listed(values, "triggers")
    )


@attrs.frozen
class PauseWhen:
    """The state in which a clock is paused: checked after every event.

    ``policy_statuses`` pauses in the policy's pause statuses (by default the ``pending`` and ``on_hold``
    categories, any status recorded with ``pauses_sla=True`` and the statuses the policy names);
    ``categories`` and ``statuses`` pause in those categories or named statuses whatever the policy says.
    """

    policy_statuses: bool = False
    categories: frozenset[Category] = attrs.field(factory=frozenset, converter=_to_categories)
    statuses: frozenset[str] = attrs.field(factory=frozenset, converter=_to_names)

    @property
    def never(self) -> bool:
        """True when nothing pauses the clock."""
        return not (self.policy_statuses or self.categories or self.statuses)


@attrs.frozen
class ClockConditions:
    """When a metric's clock starts, pauses, resumes, stops, resets or is cancelled.

    For each event, in the event's order, every clock applies its conditions in this one order:

    1. **cancel**: an active (running or paused) cycle ends as ``cancelled``;
    2. **stop**: an active cycle ends, achieved or breached;
    3. **reset**: an active cycle ends, achieved or breached, and a new cycle starts at the same instant;
    4. **priority change**: the policy's ``on_priority_change`` mode applies to the cycle still active;
    5. **resume**: if no cycle is active and neither cancel nor stop matched this event, the last cycle — when an
       earlier event stopped it — runs again, keeping the time it had consumed (a reopened ticket's resolution
       clock carries on);
    6. **start**: otherwise, under the same conditions, a new cycle starts (when the metric has a target for the
       ticket's priority and channel);
    7. **pause**: with the ticket's state after the event, an active cycle pauses while ``pause`` holds and runs
       again as soon as it no longer does.

    Start, stop, reset, resume and cancel are event triggers; pause is a state. A cycle that starts while its
    pause state holds starts paused.
    """

    start: tuple[Trigger, ...] = attrs.field(converter=_to_triggers)
    stop: tuple[Trigger, ...] = attrs.field(default=(), converter=_to_triggers)
    pause: PauseWhen = attrs.field(factory=PauseWhen)
    resume: tuple[Trigger, ...] = attrs.field(default=(), converter=_to_triggers)
    reset: tuple[Trigger, ...] = attrs.field(default=(), converter=_to_triggers)
    cancel: tuple[Trigger, ...] = attrs.field(default=(), converter=_to_triggers)

    def __attrs_post_init__(self) -> None:
        if not self.start:
            raise ConfigError("a clock needs at least one start trigger, e.g. ['opened']", "start")


_OPENED, _SOLVED = Trigger("opened"), Trigger("solved")

CATALOGUE: dict[str, ClockConditions] = {
    "first_response": ClockConditions(start=[_OPENED], stop=[Trigger("agent_reply"), _SOLVED]),
    "next_response": ClockConditions(
        start=[Trigger("requester_followup")], stop=[Trigger("agent_reply"), _SOLVED]
    ),
    "periodic_update": ClockConditions(
        start=[Trigger("agent_reply"), Trigger("reopened")], reset=[Trigger("agent_reply")], stop=[_SOLVED]
    ),
    "resolution": ClockConditions(
        start=[_OPENED], stop=[_SOLVED], resume=[Trigger("reopened")], pause=PauseWhen(policy_statuses=True)
    ),
    "requester_wait": ClockConditions(
        start=[_OPENED],
        stop=[_SOLVED],
        resume=[Trigger("reopened")],
        pause=PauseWhen(categories=[Category.PENDING]),
    ),
    "agent_work": ClockConditions(
        start=[_OPENED],
        stop=[_SOLVED],
        resume=[Trigger("reopened")],
        pause=PauseWhen(categories=[Category.PENDING, Category.ON_HOLD]),
    ),
    "acknowledge": ClockConditions(
        start=[_OPENED], stop=[Trigger("assigned"), Trigger("agent_action"), _SOLVED]
    ),
}
"""The built-in metrics and their clocks:

- ``first_response``: opened → first public staff reply (the opening comment of a ticket staff opened does not
  count) or solved;
- ``next_response``: a public requester reply after a staff reply → the next public staff reply or solved (a new
  cycle for every exchange; the oldest unanswered reply counts);
- ``periodic_update``: between public staff replies while the ticket is unsolved (each reply completes a cycle and
  starts the next; a reopen starts one);
- ``resolution``: opened → solved, paused in the policy's pause statuses, resumed on reopen;
- ``requester_wait``: time in new/open/on_hold (paused in pending) until solved, resumed on reopen;
- ``agent_work``: time in new/open (paused in pending and on_hold) until solved, resumed on reopen;
- ``acknowledge``: opened → first assignment or first staff action ("taken in charge"); a ticket staff opened is
  in charge from the start and gets no cycle.
"""


def _to_priority_targets(values: Mapping[int, timedelta]) -> dict[int, timedelta]:
    result: dict[int, timedelta] = {}
    for key, value in values.items():
        if isinstance(key, bool) or not isinstance(key, int):
            raise ConfigError(
                f"priority {key!r} is not a priority level; use integers such as 1 for P1", str(key)
            )
        if not isinstance(value, timedelta) or value <= timedelta(0):
            raise ConfigError(f"target {value!r} must be a positive duration, e.g. '8h'", str(key))
        result[key] = value
    return result


def _check_positive(
    instance: object, attribute: attrs.Attribute[timedelta | None], value: timedelta | None
) -> None:
    if value is not None and value <= timedelta(0):
        raise ConfigError(f"target {value!r} must be a positive duration, e.g. '8h'", attribute.name)


@attrs.frozen
class ChannelTargets:
    """Targets for one channel: per priority level, and a default for any other priority (or none)."""

    targets: dict[int, timedelta] = attrs.field(factory=dict, converter=_to_priority_targets, hash=False)
    default: timedelta | None = attrs.field(default=None, validator=_check_positive)

    def lookup(self, priority: int | None) -> timedelta | None:
        """The target for ``priority``, else the default (``None``: no target)."""
        if priority is not None:
            found = self.targets.get(priority)
            if found is not None:
                return found
        return self.default


class PriorityChangeMode(enum.StrEnum):
    """What a priority change does to an active cycle (one whose clock is running or paused)."""

    RECOMPUTE = "recompute"
    """Keep the cycle and its consumed time; its target becomes the new priority's, as if it had applied from the
    start (the breach may be in the past — breached at once — or an earlier breach may vanish). Zendesk's rule."""
    RESTART = "restart"
    """End the cycle as ``cancelled`` at the change and start a new one there with the new target, from zero."""
    CARRY_ELAPSED = "carry_elapsed"
    """End the cycle as ``cancelled`` at the change and start a new one there with the new target, carrying the
    business time consumed so far (if that already exceeds the new target, the new cycle is breached at once)."""


@attrs.frozen
class MetricTargets:
    """The targets of one metric in a policy.

    ``targets`` per priority level and ``default`` for any other (or no) priority; ``channels`` override both for a
    ticket's channel (chat first response 60 s, email 60 min). ``business_hours=False`` measures calendar time;
    ``calendar`` overrides the policy's calendar for this metric. ``clock`` defines a custom metric (and may
    redefine a built-in one); without it the metric's name must be in :data:`CATALOGUE`.
    """

    targets: dict[int, timedelta] = attrs.field(factory=dict, converter=_to_priority_targets, hash=False)
    default: timedelta | None = attrs.field(default=None, validator=_check_positive)
    channels: dict[str, ChannelTargets] = attrs.field(factory=dict, hash=False)
    business_hours: bool = True
    calendar: BusinessCalendar | None = None
    clock: ClockConditions | None = None

    def lookup(self, priority: int | None, channel: str | None) -> timedelta | None:
        """The target for a ticket of ``priority`` on ``channel`` (``None``: the metric does not apply)."""
        if channel is not None:
            per_channel = self.channels.get(channel)
            if per_channel is not None:
                found = per_channel.lookup(priority)
                if found is not None:
                    return found
        if priority is not None:
            found = self.targets.get(priority)
            if found is not None:
                return found
        return self.default


def _to_field_conditions(values: Mapping[str, Iterable[FieldValue]]) -> dict[str, frozenset[FieldValue]]:
    result: dict[str, frozenset[FieldValue]] = {}
    for key, options in mapped(values, "field names to lists of accepted values", "fields").items():
        result[key] = frozenset(listed(options, "accepted values", key))
    return result


def _to_ints(values: Iterable[int]) -> frozenset[int]:
    return frozenset(listed(values, "priority levels"))


@attrs.frozen
class PolicyConditions:
    """Which tickets a policy applies to. Every non-empty condition must hold (an empty one matches anything).

    Each attribute condition lists accepted values (a ticket with no value never matches a non-empty one);
    ``tags`` are all required, ``any_tags`` need one of them; ``fields`` maps a custom field to accepted values.
    """

    channel: frozenset[str] = attrs.field(factory=frozenset, converter=_to_names)
    priority: frozenset[int] = attrs.field(factory=frozenset, converter=_to_ints)
    segment: frozenset[str] = attrs.field(factory=frozenset, converter=_to_names)
    region: frozenset[str] = attrs.field(factory=frozenset, converter=_to_names)
    country: frozenset[str] = attrs.field(factory=frozenset, converter=_to_names)
    language: frozenset[str] = attrs.field(factory=frozenset, converter=_to_names)
    group: frozenset[str] = attrs.field(factory=frozenset, converter=_to_names)
    tags: frozenset[str] = attrs.field(factory=frozenset, converter=_to_names)
    any_tags: frozenset[str] = attrs.field(factory=frozenset, converter=_to_names)
    fields: dict[str, frozenset[FieldValue]] = attrs.field(
        factory=dict, converter=_to_field_conditions, hash=False
    )
    # Each attribute's accepted values as a reason lists them, written once per conditions object: explain runs for
    # every evaluated ticket, while the conditions never change. Not part of the value.
    _listings: dict[str, str] = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        listings = {
            name: repr(sorted(getattr(self, name), key=repr)) for name in _ATTRIBUTES if getattr(self, name)
        }
        object.__setattr__(self, "_listings", listings)

    def explain(self, attributes: Mapping[str, object]) -> tuple[str, ...] | None:
        """The reasons these conditions match a ticket's ``attributes``, or ``None`` when one does not hold."""
        reasons: list[str] = []
        for name in _ATTRIBUTES:
            accepted: frozenset[object] = getattr(self, name)
            if not accepted:
                continue
            value = attributes.get(name)
            if value not in accepted:
                return None
            reasons.append(f"{name} {value!r} is one of {self._listings[name]}")
        if not (self.tags or self.any_tags or self.fields):
            return tuple(reasons) or _UNCONDITIONAL
        tags = attributes.get("tags", frozenset())
        assert isinstance(tags, frozenset)
        if self.tags:
            if not self.tags <= tags:
                return None
            reasons.append(f"tags include all of {sorted(self.tags)!r}")
        if self.any_tags:
            shared = self.any_tags & tags
            if not shared:
                return None
            reasons.append(f"tags include {sorted(shared)!r}")
        fields = attributes.get("fields", {})
        assert isinstance(fields, Mapping)
        for key, options in sorted(self.fields.items()):
            value = fields.get(key)
            if value not in options:
                return None
            reasons.append(f"field {key!r} = {value!r} is one of {sorted(options, key=repr)!r}")
        return tuple(reasons) or _UNCONDITIONAL


_ATTRIBUTES = ("channel", "priority", "segment", "region", "country", "language", "group")
"""The ticket attributes a :class:`PolicyConditions` lists accepted values of, in the order it checks them."""
_UNCONDITIONAL = ("no conditions: matches every ticket",)
