"""Priority: impact × urgency matrices, ordered adjustment rules and assessments that explain themselves.

A :class:`PriorityPolicy` looks the base priority up in its matrix (a :class:`PriorityMatrix`, or a
:class:`WeightedPriorityMatrix` for BMC-style weights), then applies its :class:`PriorityRule` list in order (raise a
VIP by one level, a floor for a region, a ceiling for a channel). The :class:`PriorityAssessment` it returns says which
rules changed what and why, so a UI can show why a ticket is P1. Everything here is pure: no clock, no storage.

>>> policy = PriorityPolicy(PriorityMatrix.itil(), [PriorityRule("vip", Conditions(segment={"vip"}), raise_by=1)])
>>> policy.matrix.priority(2, 2).label
'P3 Moderate'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TypeAlias

import attrs

from ticketcore._priority.levels import DEFAULT_PRIORITY_NAMES, Impact, Priority, PriorityError, Urgency
from ticketcore._priority.matrix import PriorityMatrix, WeightedPriorityMatrix
from ticketcore._priority.rules import AffectedThresholds, Conditions, PriorityRule, PrioritySubject
from ticketcore._time import require_aware
from ticketcore.errors import ConfigError
from ticketcore.model import STAFF_ROLES, Actor, Event, FieldChanged, Opened, PriorityChanged, Role, Ticket

__all__ = [
    "DEFAULT_PRIORITY_NAMES",
    "MATRIX_RULE",
    "AffectedThresholds",
    "AnyPriorityMatrix",
    "AssessmentStep",
    "Conditions",
    "Impact",
    "Priority",
    "PriorityAssessment",
    "PriorityMatrix",
    "PriorityPolicy",
    "PriorityRule",
    "PrioritySubject",
    "Urgency",
    "WeightedPriorityMatrix",
]

AnyPriorityMatrix: TypeAlias = PriorityMatrix | WeightedPriorityMatrix
"""Either kind of matrix; a policy's ``matrix`` field loads either (``"mode": "weighted"`` picks the second)."""

MATRIX_RULE = "matrix"
"""The ``rule`` of a priority change decided by the matrix alone (no adjustment changed the priority)."""


def _rules(values: Iterable[PriorityRule]) -> tuple[PriorityRule, ...]:
    return tuple(values)


def _roles(values: Iterable[Role]) -> frozenset[Role]:
    return frozenset(values)


@attrs.frozen
class AssessmentStep:
    """One rule that changed the priority: its name, the priority before and after, and why it applied."""

    rule: str
    before: Priority
    after: Priority
    why: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.before} → {self.after} ({self.why})"


@attrs.frozen(kw_only=True)
class PriorityAssessment:
    """The outcome of :meth:`PriorityPolicy.assess`: how the final priority came about.

    ``base`` is the matrix's priority for ``impact`` × ``urgency`` (``basis`` says how); ``steps`` are the rules that
    changed it, in order; ``matched`` names every rule whose conditions held, even those that changed nothing.
    """

    impact: Impact
    urgency: Urgency
    impact_source: str
    urgency_source: str
    base: Priority
    basis: str
    final: Priority
    steps: tuple[AssessmentStep, ...] = ()
    matched: tuple[str, ...] = ()

    @property
    def priority(self) -> Priority:
        """The final priority (the same as ``final``)."""
        return self.final

    @property
    def deciding_rule(self) -> str:
        """The last rule that changed the priority, or :data:`MATRIX_RULE` when the matrix alone decided."""
        return self.steps[-1].rule if self.steps else MATRIX_RULE

    def explain(self) -> list[str]:
        """The assessment as lines a person can read, the final priority first.

        ``["P1 Critical", "impact 2 - Medium (set on the ticket) …", "base: impact 2 - Medium × urgency 1 - High → P2
        High", "vip: P2 High → P1 Critical (segment is 'vip': raise by 1 level)"]``
        """
        return [
            str(self.final),
            f"impact {self.impact} ({self.impact_source}), urgency {self.urgency} ({self.urgency_source})",
            f"base: {self.basis}",
            *(str(step) for step in self.steps),
        ]


@attrs.frozen
class PriorityPolicy:
    """A matrix, the ordered adjustment rules and the triage defaults that together decide priorities.

    A ticket without an impact (or urgency) gets ``default_impact`` (``default_urgency``); ``None`` means the least
    severe level. With ``affected`` thresholds, a ticket without an impact gets one from its affected-users/systems
    fields first. Only actors whose role is in ``override_roles`` may override a priority by hand.
    """

    matrix: AnyPriorityMatrix = attrs.field(factory=PriorityMatrix.itil)
    rules: tuple[PriorityRule, ...] = attrs.field(default=(), converter=_rules)
    default_impact: int | None = attrs.field(default=None, kw_only=True)
    default_urgency: int | None = attrs.field(default=None, kw_only=True)
    affected: AffectedThresholds | None = attrs.field(default=None, kw_only=True)
    override_roles: frozenset[Role] = attrs.field(default=STAFF_ROLES, converter=_roles, kw_only=True)

    def __attrs_post_init__(self) -> None:
        impacts, urgencies = len(self.matrix.impacts), len(self.matrix.urgencies)
        lowest = len(self.matrix.names)
        for name, value, count in (
            ("default_impact", self.default_impact, impacts),
            ("default_urgency", self.default_urgency, urgencies),
        ):
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= count
            ):
                raise ConfigError(f"{value!r} is not a level of the matrix; valid levels: 1 to {count}", name)
        seen: dict[str, int] = {}
        for index, rule in enumerate(self.rules):
            if rule.name == MATRIX_RULE or rule.name in seen:
                clash = (
                    "is reserved for the matrix"
                    if rule.name == MATRIX_RULE
                    else f"repeats rules[{seen.get(rule.name)}]"
                )
                raise ConfigError(
                    f"rule name {rule.name!r} {clash}; give each rule its own name", f"rules[{index}].name"
                )
            seen[rule.name] = index
            for field in ("floor", "ceiling"):
                level = getattr(rule, field)
                if level is not None and level > lowest:
                    raise ConfigError(
                        f"P{level} is not a priority of the matrix; valid levels: 1 to {lowest}",
                        f"rules[{index}].{field}",
                    )
        if self.affected is not None and self.affected.levels > impacts:
            longest = "users" if len(self.affected.users) >= len(self.affected.systems) else "systems"
            raise ConfigError(
                f"{self.affected.levels - 1} thresholds tell {self.affected.levels} impact levels apart, but the "
                f"matrix has {impacts}; give at most {impacts - 1}",
                f"affected.{longest}",
            )

    def impact_from(self, *, users: int | None = None, systems: int | None = None) -> Impact:
        """The impact for this many affected users and/or systems (:class:`PriorityError` without thresholds)."""
        if self.affected is None:
            raise PriorityError(
                "affected", None, "this policy has no `affected` thresholds; configure them first"
            )
        level = self.affected.level(users=users, systems=systems)
        if level is None:
            raise PriorityError(
                "affected", None, "give a count of users or systems that the thresholds cover"
            )
        return self.matrix.impact(level)

    def assess(self, subject: PrioritySubject) -> PriorityAssessment:
        """The priority of ``subject`` (a :class:`Ticket`, or an ``Opened`` event before the ticket exists).

        Deterministic: the same subject and policy always give the same assessment.
        """
        impact, impact_source = self._impact(subject)
        urgency, urgency_source = self._urgency(subject)
        base = self.matrix.priority(impact, urgency)
        lowest = len(self.matrix.names)
        current = base
        steps: list[AssessmentStep] = []
        matched: list[str] = []
        for rule in self.rules:
            if not rule.when.matches(subject):
                continue
            matched.append(rule.name)
            after = self.matrix.priority_of(rule.apply(current.level, lowest=lowest))
            if after != current:
                why = f"{rule.when.describe(subject)}: {rule.action}"
                steps.append(
                    AssessmentStep(rule.name, current, after, f"{why}; {rule.reason}" if rule.reason else why)
                )
                current = after
            if rule.stop:
                break
        return PriorityAssessment(
            impact=impact,
            urgency=urgency,
            impact_source=impact_source,
            urgency_source=urgency_source,
            base=base,
            basis=self.matrix.basis(impact, urgency),
            final=current,
            steps=tuple(steps),
            matched=tuple(matched),
        )

    def prioritize(self, opened: Opened) -> Opened:
        """``opened`` with its assessed priority filled in; unchanged when it already carries one."""
        if opened.priority is not None:
            return opened
        return attrs.evolve(opened, priority=self.assess(opened).final.level)

    def reassess(self, ticket: Ticket | Sequence[Event], *, actor: Actor, at: datetime) -> list[Event]:
        """A rule-driven ``PriorityChanged`` event when the assessed priority differs from the ticket's, else ``[]``.

        Pass the ticket's events instead of its snapshot to respect manual overrides: a priority set by hand stands
        until the impact or urgency changes after it.
        """
        require_aware(at, "at")
        if isinstance(ticket, Ticket):
            snapshot = ticket
        else:
            snapshot = Ticket.from_events(ticket)
            if _pinned(ticket):
                return []
        assessment = self.assess(snapshot)
        if snapshot.priority == assessment.final.level:
            return []
        return [
            PriorityChanged(
                ticket_id=snapshot.id,
                seq=snapshot.version + 1,
                at=at,
                actor=actor,
                from_priority=snapshot.priority,
                to_priority=assessment.final.level,
                manual=False,
                rule=assessment.deciding_rule,
                reason="; ".join(assessment.explain()[1:]),
            )
        ]

    def override(
        self, ticket: Ticket, priority: Priority | int, *, reason: str, actor: Actor, at: datetime
    ) -> PriorityChanged:
        """A manual ``PriorityChanged`` event setting ``priority`` with ``reason`` (recorded even if unchanged, so it
        pins the priority against :meth:`reassess` until impact or urgency change).

        Raises :class:`PriorityError` for a priority outside the matrix's names, a blank reason, or an actor whose
        role is not in ``override_roles``.
        """
        require_aware(at, "at")
        level = self.matrix.priority_of(priority).level
        if not reason.strip():
            raise PriorityError(
                "reason", reason, "a manual override needs a reason; say why this priority is right"
            )
        if actor.role not in self.override_roles:
            allowed = (
                ", ".join(sorted(role.value for role in self.override_roles)) or "none (overrides are off)"
            )
            raise PriorityError(
                "actor",
                actor.id,
                f"role {actor.role.value!r} may not override priorities; allowed roles: {allowed}",
            )
        return PriorityChanged(
            ticket_id=ticket.id,
            seq=ticket.version + 1,
            at=at,
            actor=actor,
            from_priority=ticket.priority,
            to_priority=level,
            manual=True,
            reason=reason,
        )

    def _impact(self, subject: PrioritySubject) -> tuple[Impact, str]:
        if subject.impact is not None:
            return self.matrix.impact(subject.impact), "set on the ticket"
        if self.affected is not None:
            users = _count(subject, self.affected.users_field)
            systems = _count(subject, self.affected.systems_field)
            level = self.affected.level(users=users, systems=systems)
            if level is not None:
                pairs = ((users, "affected users"), (systems, "affected systems"))
                return self.matrix.impact(level), " and ".join(
                    f"{n} {what}" for n, what in pairs if n is not None
                )
        level = self.default_impact if self.default_impact is not None else len(self.matrix.impacts)
        return self.matrix.impact(level), "default: no impact given"

    def _urgency(self, subject: PrioritySubject) -> tuple[Urgency, str]:
        if subject.urgency is not None:
            return self.matrix.urgency(subject.urgency), "set on the ticket"
        level = self.default_urgency if self.default_urgency is not None else len(self.matrix.urgencies)
        return self.matrix.urgency(level), "default: no urgency given"


def _count(subject: PrioritySubject, field: str) -> int | None:
    value = subject.fields.get(field)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _pinned(events: Iterable[Event]) -> bool:
    """True when the last priority change was manual and neither impact nor urgency changed since."""
    pinned = False
    for event in events:
        if isinstance(event, PriorityChanged):
            pinned = event.manual
        elif isinstance(event, FieldChanged) and event.field in ("impact", "urgency"):
            pinned = False
    return pinned
