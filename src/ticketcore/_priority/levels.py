"""Ordered levels (impact, urgency, priority) and the priority area's refusal (re-exported by ``ticketcore.priority``).

A level is a small frozen value: a ``level`` number (1 is the most severe) and a display ``name``. Equality, hashing
and order use the number only, so ``Priority(1, "Critical") == Priority(1)`` and sorting tickets by priority puts P1
first. Levels of different kinds never compare equal (an impact is not an urgency).
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from ticketcore.errors import PriorityError

__all__ = [
    "DEFAULT_PRIORITY_NAMES",
    "Impact",
    "Priority",
    "PriorityError",
    "Urgency",
    "default_level_names",
]

DEFAULT_PRIORITY_NAMES: tuple[str, ...] = ("Critical", "High", "Moderate", "Low", "Planning")
"""The names of P1 … P5 unless a matrix configures its own."""

_LEVEL_NAMES: dict[int, tuple[str, ...]] = {
    2: ("High", "Low"),
    3: ("High", "Medium", "Low"),
    4: ("Critical", "High", "Medium", "Low"),
    5: ("Critical", "High", "Medium", "Low", "Very low"),
}


def default_level_names(count: int) -> tuple[str, ...]:
    """The default display names of ``count`` impact or urgency levels ("High", "Medium", "Low" for three)."""
    return _LEVEL_NAMES.get(count, tuple(f"Level {n}" for n in range(1, count + 1)))


def _check_level(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise PriorityError(
            type(instance).__name__.lower(),
            value,
            "a level must be an integer of 1 or more (1 is the most severe)",
        )


@attrs.frozen(order=True)
class _Level:
    level: int = attrs.field(validator=_check_level)
    name: str = attrs.field(default="", eq=False, order=False)

    @property
    def label(self) -> str:
        """``"1 - High"`` (the form ServiceNow shows), or just ``"1"`` without a name."""
        return f"{self.level} - {self.name}" if self.name else str(self.level)

    def __str__(self) -> str:
        return self.label


@attrs.frozen(order=True)
class Impact(_Level):
    """How widely an incident hurts the business: level 1 is the widest (``Impact.HIGH``).

    >>> Impact(1, "High") == Impact.HIGH, Impact.HIGH < Impact.LOW
    (True, True)
    """

    HIGH: ClassVar[Impact]
    MEDIUM: ClassVar[Impact]
    LOW: ClassVar[Impact]


@attrs.frozen(order=True)
class Urgency(_Level):
    """How soon the business needs a fix: level 1 is the most pressing (``Urgency.HIGH``)."""

    HIGH: ClassVar[Urgency]
    MEDIUM: ClassVar[Urgency]
    LOW: ClassVar[Urgency]


Impact.HIGH, Impact.MEDIUM, Impact.LOW = (Impact(n, name) for n, name in enumerate(_LEVEL_NAMES[3], 1))
Urgency.HIGH, Urgency.MEDIUM, Urgency.LOW = (Urgency(n, name) for n, name in enumerate(_LEVEL_NAMES[3], 1))


@attrs.frozen(order=True)
class Priority(_Level):
    """The order in which work is done: P1 first. Order follows the number, so ``sorted`` puts P1 first.

    >>> p = Priority(1, "Critical")
    >>> p.code, p.label, p.outranks(Priority.HIGH)
    ('P1', 'P1 Critical', True)
    """

    CRITICAL: ClassVar[Priority]
    HIGH: ClassVar[Priority]
    MODERATE: ClassVar[Priority]
    LOW: ClassVar[Priority]
    PLANNING: ClassVar[Priority]

    @property
    def code(self) -> str:
        """``"P1"``, ``"P2"`` …"""
        return f"P{self.level}"

    @property
    def label(self) -> str:
        """``"P1 Critical"``, or just ``"P1"`` without a name."""
        return f"{self.code} {self.name}" if self.name else self.code

    def outranks(self, other: Priority) -> bool:
        """True when this priority is more urgent than ``other`` (P1 outranks P2)."""
        return self.level < other.level


(Priority.CRITICAL, Priority.HIGH, Priority.MODERATE, Priority.LOW, Priority.PLANNING) = (
    Priority(n, name) for n, name in enumerate(DEFAULT_PRIORITY_NAMES, 1)
)
