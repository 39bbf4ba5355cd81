"""Adjustment rules and their conditions, and impact from affected counts (re-exported by ``ticketcore.priority``).

Rules are data: a name, the conditions a ticket must meet, and one action (raise by N levels, a floor, a ceiling).
They never evaluate code, so a rule set loads safely from configuration and explains itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from typing import Protocol

import attrs

from ticketcore.errors import ConfigError
from ticketcore.model import FieldValue

__all__ = ["AffectedThresholds", "Conditions", "PriorityRule", "PrioritySubject"]


class PrioritySubject(Protocol):
    """What a priority assessment reads: a :class:`~ticketcore.model.Ticket` or an ``Opened`` event both fit."""

    @property
    def impact(self) -> int | None:
        """The impact level, if known."""

    @property
    def urgency(self) -> int | None:
        """The urgency level, if known."""

    @property
    def priority(self) -> int | None:
        """The current priority level, if any."""

    @property
    def channel(self) -> str:
        """The channel the ticket came in by (``email``, ``phone`` …)."""

    @property
    def segment(self) -> str | None:
        """The customer segment (``vip``, ``enterprise`` …)."""

    @property
    def region(self) -> str | None:
        """The customer's region."""

    @property
    def country(self) -> str | None:
        """The customer's country."""

    @property
    def group(self) -> str | None:
        """The group the ticket belongs to."""

    @property
    def tags(self) -> Set[str]:
        """The ticket's tags."""

    @property
    def fields(self) -> Mapping[str, FieldValue]:
        """The ticket's custom fields."""


def _set(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        raise ConfigError(f"expected a list of values, got the string {values!r}; write [{values!r}]")
    return frozenset(values)


def _field_values(values: Mapping[str, Iterable[FieldValue]]) -> dict[str, tuple[FieldValue, ...]]:
    result: dict[str, tuple[FieldValue, ...]] = {}
    for key, options in values.items():
        if isinstance(options, str):
            raise ConfigError(
                f"expected a list of values, got the string {options!r}; write [{options!r}]", key
            )
        result[key] = tuple(options)
    return result


def _same(a: FieldValue, b: FieldValue) -> bool:
    # True == 1 in Python; a field rule for `true` must not match the number 1.
    return isinstance(a, bool) == isinstance(b, bool) and a == b


_ATTRIBUTES = ("segment", "region", "country", "channel", "group")


@attrs.frozen
class Conditions:
    """What a ticket must be for a rule to apply. Every given criterion must hold; within one, any value will do.

    ``tags`` holds when the ticket has any of them; ``fields`` maps a custom field to its accepted values (a missing
    field is ``None``). No criteria at all means every ticket. Values compare exactly (``"VIP"`` is not ``"vip"``).
    """

    segment: frozenset[str] = attrs.field(factory=frozenset, converter=_set)
    region: frozenset[str] = attrs.field(factory=frozenset, converter=_set)
    country: frozenset[str] = attrs.field(factory=frozenset, converter=_set)
    channel: frozenset[str] = attrs.field(factory=frozenset, converter=_set)
    group: frozenset[str] = attrs.field(factory=frozenset, converter=_set)
    tags: frozenset[str] = attrs.field(factory=frozenset, converter=_set)
    fields: dict[str, tuple[FieldValue, ...]] = attrs.field(factory=dict, converter=_field_values, hash=False)

    def matches(self, subject: PrioritySubject) -> bool:
        """True when ``subject`` meets every criterion."""
        for name in _ATTRIBUTES:
            wanted: frozenset[str] = getattr(self, name)
            if wanted and getattr(subject, name) not in wanted:
                return False
        if self.tags and self.tags.isdisjoint(subject.tags):
            return False
        return all(
            any(_same(subject.fields.get(key), option) for option in options)
            for key, options in self.fields.items()
        )

    def describe(self, subject: PrioritySubject) -> str:
        """What made ``subject`` match, in words: ``"segment is 'vip' and tags include 'outage'"``."""
        parts = [f"{name} is {getattr(subject, name)!r}" for name in _ATTRIBUTES if getattr(self, name)]
        if self.tags:
            found = ", ".join(repr(tag) for tag in sorted(self.tags & frozenset(subject.tags)))
            parts.append(f"tags include {found}")
        parts.extend(f"field {key!r} is {subject.fields.get(key)!r}" for key in sorted(self.fields))
        return " and ".join(parts) if parts else "every ticket"


def _check_level(value: int | None, path: str) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ConfigError(f"{value!r} is not a priority level; give 1 (P1) or more", path)


@attrs.frozen
class PriorityRule:
    """An adjustment applied after the matrix, when the ticket meets ``when``: exactly one action of

    - ``raise_by``: move N levels towards P1 (VIP, a high-value segment); a negative N lowers;
    - ``floor``: never less urgent than this level (``2``: at least P2, e.g. for a region);
    - ``ceiling``: never more urgent than this level (``3``: at most P3, e.g. for a web-form channel).

    ``reason`` is shown in the assessment; ``stop`` ends the rule list once this rule matched.

    >>> vip = PriorityRule("vip", Conditions(segment={"vip"}), raise_by=1)
    >>> vip.action, vip.apply(3, lowest=5)
    ('raise by 1 level', 2)
    """

    name: str
    when: Conditions = attrs.field(factory=Conditions)
    raise_by: int = attrs.field(default=0, kw_only=True)
    floor: int | None = attrs.field(default=None, kw_only=True)
    ceiling: int | None = attrs.field(default=None, kw_only=True)
    reason: str = attrs.field(default="", kw_only=True)
    stop: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError(f"{self.name!r} is not a rule name; give a non-blank name", "name")
        if not isinstance(self.raise_by, int) or isinstance(self.raise_by, bool):
            raise ConfigError(f"{self.raise_by!r} is not a number of levels; give an integer", "raise_by")
        _check_level(self.floor, "floor")
        _check_level(self.ceiling, "ceiling")
        given = [name for name in ("raise_by", "floor", "ceiling") if getattr(self, name) not in (0, None)]
        if len(given) != 1:
            problem = (
                f"rule {self.name!r} has {len(given)} actions ({', '.join(given) or 'none'}); give exactly one: "
                "raise_by (levels towards P1), floor (e.g. 2: at least P2) or ceiling (e.g. 3: at most P3)"
            )
            raise ConfigError(problem, given[1] if len(given) > 1 else "raise_by")

    @property
    def action(self) -> str:
        """The action in words: ``"raise by 1 level"``, ``"at least P2"``, ``"at most P3"``."""
        if self.floor is not None:
            return f"at least P{self.floor}"
        if self.ceiling is not None:
            return f"at most P{self.ceiling}"
        verb = "raise" if self.raise_by > 0 else "lower"
        count = abs(self.raise_by)
        return f"{verb} by {count} level{'s' if count != 1 else ''}"

    def apply(self, level: int, *, lowest: int) -> int:
        """The priority level after this rule, kept within P1 … P``lowest`` (conditions are not checked here)."""
        if self.floor is not None:
            return min(level, self.floor)
        if self.ceiling is not None:
            return max(level, self.ceiling)
        return max(1, min(lowest, level - self.raise_by))


def _counts(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


def _check_thresholds(values: tuple[int, ...], path: str) -> None:
    for index, value in enumerate(values):
        where = f"{path}[{index}]"
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{value!r} is not a count; give a whole number of 1 or more", where)
        if index and value >= values[index - 1]:
            raise ConfigError(
                f"{value} is not below the previous threshold {values[index - 1]}; list the counts for impact 1 "
                "first, each smaller than the one before",
                where,
            )


@attrs.frozen
class AffectedThresholds:
    """Impact from how many users or systems are affected: ``users[k]`` is the least count for impact ``k + 1``.

    With ``users=(100, 10)``: 100 or more users → impact 1, 10 or more → 2, fewer → 3. When both users and systems
    are counted, the more severe impact wins. During an assessment the counts are read from the custom fields
    ``users_field`` and ``systems_field`` of a ticket that has no impact of its own.

    >>> AffectedThresholds(users=(100, 10)).level(users=40)
    2
    """

    users: tuple[int, ...] = attrs.field(default=(), converter=_counts)
    systems: tuple[int, ...] = attrs.field(default=(), converter=_counts)
    users_field: str = attrs.field(default="affected_users", kw_only=True)
    systems_field: str = attrs.field(default="affected_systems", kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not self.users and not self.systems:
            raise ConfigError(
                "give thresholds for users, systems or both (counts for impact 1 first)", "users"
            )
        _check_thresholds(self.users, "users")
        _check_thresholds(self.systems, "systems")

    @property
    def levels(self) -> int:
        """How many impact levels these thresholds tell apart."""
        return max(len(self.users), len(self.systems)) + 1

    def level(self, *, users: int | None = None, systems: int | None = None) -> int | None:
        """The impact level for these counts (``None`` when no count is given for a configured scale)."""
        found = [
            _first_met(count, thresholds)
            for count, thresholds in ((users, self.users), (systems, self.systems))
            if count is not None and thresholds
        ]
        return min(found) if found else None


def _first_met(count: int, thresholds: tuple[int, ...]) -> int:
    return next((k for k, least in enumerate(thresholds, 1) if count >= least), len(thresholds) + 1)
