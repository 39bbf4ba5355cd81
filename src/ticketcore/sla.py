"""Business calendars, SLA policies and clocks evaluated from a ticket's events.

Every clock is a pure function of the ticket's events, the policy and ``now``: change a policy, a calendar or a
priority and re-evaluate the same events to get the new answer, for open tickets and last quarter's alike.

An :class:`SLAPolicy` gives targets per metric (per priority, per channel; business or calendar time), the statuses
that pause its clocks, warning thresholds and what a priority change does. An :class:`SLAPolicySet` picks the first
policy whose conditions match a ticket. ``evaluate(events, now=...)`` returns an :class:`SLAReport` with every cycle
of every metric; :func:`upcoming` lists the breaches and warnings due soon across tickets and :func:`compliance`
sums achieved and breached cycles. Metrics are defined by :class:`ClockConditions` (see its evaluation order); the
built-in ones are in :data:`CATALOGUE`.

The breach rule (DESIGN.md): a cycle with target ``d`` is breached at ``x`` iff more than ``d`` has elapsed,
iff ``x > breach_at``; a stop exactly at ``due_at``, or in a closed gap after it, is achieved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

import attrs

from ticketcore._calendar import BusinessCalendar, Elapsed, Holidays, RecurringClosure
from ticketcore._check import each, instance, listed, mapped
from ticketcore._sla.clock import CompiledMetric, PauseRule, compile_metric, run_clocks
from ticketcore._sla.config import (
    CATALOGUE,
    TRIGGER_KINDS,
    ChannelTargets,
    ClockConditions,
    MetricTargets,
    PauseWhen,
    PolicyConditions,
    PriorityChangeMode,
    Trigger,
)
from ticketcore._sla.report import (
    ClockState,
    CycleReport,
    MetricReport,
    PausedInterval,
    PolicyMatch,
    SLAReport,
    WarningInstant,
)
from ticketcore._sla.rows import compliance_counts, due_soon
from ticketcore._sla.timeline import Timeline
from ticketcore._time import utc
from ticketcore.errors import ConfigError, InvalidEvent, NoBusinessTime, WrongType
from ticketcore.model import (
    Assigned,
    Category,
    Event,
    FieldChanged,
    Opened,
    PriorityChanged,
    TagsChanged,
    attribute_changes,
)

__all__ = [
    "CATALOGUE",
    "TRIGGER_KINDS",
    "BusinessCalendar",
    "ChannelTargets",
    "ClockConditions",
    "ClockState",
    "ComplianceRow",
    "CycleReport",
    "Elapsed",
    "Holidays",
    "MetricReport",
    "MetricTargets",
    "PauseWhen",
    "PausedInterval",
    "PolicyConditions",
    "PolicyMatch",
    "PriorityChangeMode",
    "RecurringClosure",
    "SLAEvaluator",
    "SLAPolicy",
    "SLAPolicySet",
    "SLAReport",
    "Trigger",
    "Upcoming",
    "WarningInstant",
    "compliance",
    "upcoming",
]


def _to_metrics(values: Mapping[str, MetricTargets]) -> dict[str, MetricTargets]:
    result = {}
    for name, targets in mapped(values, "metric names to MetricTargets", "metrics").items():
        instance(targets, MetricTargets, "MetricTargets, e.g. MetricTargets({1: '1h'})", f"metrics.{name}")
        if targets.clock is None and name not in CATALOGUE:
            options = ", ".join(sorted(CATALOGUE))
            raise ConfigError(
                f"{name!r} is not a built-in metric ({options}); give a custom metric its 'clock'",
                f"metrics.{name}",
            )
        result[name] = targets
    return result


def _to_percents(values: Iterable[int]) -> tuple[int, ...]:
    given = listed(values, "warning percentages", "warnings")
    for value in given:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(
                f"warning threshold {value!r} must be a positive whole percentage, e.g. 75", "warnings"
            )
    return tuple(sorted(set(given)))


def _to_categories(values: Iterable[Category | str]) -> frozenset[Category]:
    return PauseWhen(categories=values).categories


def _to_names(values: Iterable[str]) -> frozenset[str]:
    return PauseWhen(statuses=values).statuses


def _to_mode(value: PriorityChangeMode | str) -> PriorityChangeMode:
    try:
        return PriorityChangeMode(value)
    except ValueError:
        raise ConfigError.invalid_choice(value, PriorityChangeMode) from None


@attrs.frozen
class SLAPolicy:
    """An SLA policy: targets per metric, the calendar they run on, pause statuses, warnings, priority-change mode.

    ``metrics`` maps a metric name (built-in, see :data:`CATALOGUE`, or custom with its ``clock``) to its
    :class:`MetricTargets`; reports list metrics in this order. ``pause_categories``, ``pause_statuses`` and
    ``honor_pause_flags`` define the pause statuses of metrics that pause "in the policy's pause statuses": a named
    status always pauses; otherwise a status change's explicit ``pauses_sla`` decides (when honoured), else the
    category. ``warnings`` are percentages of the target (50/75/100 by default). ``when`` is used by
    :class:`SLAPolicySet` to pick the policy.

    >>> from datetime import timedelta
    >>> policy = SLAPolicy("standard", {"first_response": MetricTargets({1: timedelta(hours=1)}, timedelta(hours=8))})
    >>> policy.metrics["first_response"].lookup(1, "email")
    datetime.timedelta(seconds=3600)
    """

    name: str
    metrics: dict[str, MetricTargets] = attrs.field(converter=_to_metrics, hash=False)
    calendar: BusinessCalendar = attrs.field(factory=BusinessCalendar.always)
    pause_categories: frozenset[Category] = attrs.field(
        default=frozenset({Category.PENDING, Category.ON_HOLD}), converter=_to_categories
    )
    pause_statuses: frozenset[str] = attrs.field(factory=frozenset, converter=_to_names)
    honor_pause_flags: bool = True
    warnings: tuple[int, ...] = attrs.field(default=(50, 75, 100), converter=_to_percents)
    on_priority_change: PriorityChangeMode = attrs.field(
        default=PriorityChangeMode.RECOMPUTE, converter=_to_mode
    )
    when: PolicyConditions = attrs.field(factory=PolicyConditions)
    _compiled: tuple[tuple[CompiledMetric, ...], PauseRule] = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        timelines: dict[int, Timeline] = {}
        compiled = tuple(
            compile_metric(name, targets, self.calendar, timelines, self.warnings)
            for name, targets in self.metrics.items()
        )
        rule = PauseRule(self.pause_categories, self.pause_statuses, self.honor_pause_flags)
        object.__setattr__(self, "_compiled", (compiled, rule))

    def evaluate(self, events: Sequence[Event], *, now: datetime) -> SLAReport:
        """The ticket's SLA as it stood at ``now``: events after ``now`` are ignored, so evaluating at a past instant
        gives the report of that instant (the same as evaluating the history cut at ``now``).

        ``events`` is the ticket's history in order (an :class:`~ticketcore.model.Opened` first). Raises
        :class:`~ticketcore.errors.InvalidEvent` for a history that is not one.
        """
        instant = now if type(now) is datetime and now.tzinfo is UTC else utc(now, "now")  # UTC: as it is
        return self._evaluate(events, instant, None)

    def _evaluate(self, events: Sequence[Event], now: datetime, match: PolicyMatch | None) -> SLAReport:
        metrics, rule = self._compiled
        try:
            priority, reports = run_clocks(events, now, metrics, rule, self.on_priority_change)
        except OverflowError:
            # A due instant past what a datetime can hold: a huge target, or a clock running in year 9999.
            raise NoBusinessTime(
                f"policy {self.name!r}: an SLA instant lies beyond the datetimes Python supports (year 9999); "
                "use shorter targets or evaluate nearer the present"
            ) from None
        return SLAReport(events[0].ticket_id, self.name, now, priority, reports, match)  # packed until read


class SLAEvaluator(Protocol):
    """What the desks and the automation rules need from an SLA configuration: ``SLAPolicy`` and ``SLAPolicySet``
    both fit."""

    def evaluate(self, events: Sequence[Event], *, now: datetime) -> SLAReport:
        """The ticket's SLA report at ``now``."""
        ...


def _to_policies(values: Iterable[SLAPolicy]) -> tuple[SLAPolicy, ...]:
    policies = listed(values, "SLAPolicy values", "policies")
    seen: set[str] = set()
    for index, policy in enumerate(policies):
        instance(policy, SLAPolicy, "an SLAPolicy", f"policies[{index}]")
        if policy.name in seen:
            raise ConfigError(
                f"policy name {policy.name!r} is used twice; give every policy its own name",
                f"policies[{index}].name",
            )
        seen.add(policy.name)
    if not policies:
        raise ConfigError("a policy set needs at least one policy; end it with a default policy", "policies")
    return policies


@attrs.frozen
class SLAPolicySet:
    """Ordered SLA policies: the first whose ``when`` conditions match a ticket applies.

    Conditions are matched against the ticket's attributes as they stand at the evaluation instant, so a ticket
    that changes channel, segment or priority is evaluated — over its whole history — under the policy that matches
    it now. Put a policy without conditions last as the default.
    """

    policies: tuple[SLAPolicy, ...] = attrs.field(converter=_to_policies)
    # Equal matches are one shared value: most tickets match for the same few reasons, and a report holding a
    # shared match costs neither its construction nor the garbage collector's attention. Not part of the value.
    _matches: dict[tuple[int, tuple[str, ...]], PolicyMatch] = attrs.field(
        factory=dict, init=False, eq=False, repr=False
    )

    def select(self, events: Sequence[Event], *, now: datetime) -> tuple[SLAPolicy, PolicyMatch] | None:
        """The policy that applies to the ticket at ``now`` and why, or ``None`` when none matches."""
        return self._select(_attributes(events, utc(now, "now")))

    def _select(self, attributes: Mapping[str, object]) -> tuple[SLAPolicy, PolicyMatch] | None:
        for index, policy in enumerate(self.policies):
            reasons = policy.when.explain(attributes)
            if reasons is not None:
                matches = self._matches
                key = (index, reasons)
                match = matches.get(key)
                if match is None:
                    if len(matches) >= _MATCHES_KEPT:
                        matches.clear()  # odd field values could make it grow without bound
                    match = matches[key] = PolicyMatch(policy.name, index, reasons)
                return policy, match
        return None

    def evaluate(self, events: Sequence[Event], *, now: datetime) -> SLAReport:
        """The ticket's SLA at ``now`` under the first matching policy; ``report.match`` says which and why.

        When no policy matches, the report names no policy and has no metrics.
        """
        instant = now if type(now) is datetime and now.tzinfo is UTC else utc(now, "now")  # UTC: as it is
        attributes = _attributes(events, instant)
        chosen = self._select(attributes)
        if chosen is None:
            priority = attributes["priority"]
            return SLAReport(
                events[0].ticket_id, None, instant, priority if isinstance(priority, int) else None
            )
        policy, match = chosen
        return policy._evaluate(events, instant, match)


_MATCHES_KEPT = 4096
"""The most policy matches a set keeps for sharing."""


_ATTRIBUTE_EVENTS = frozenset({PriorityChanged, Assigned, TagsChanged, FieldChanged})
"""The kinds of event :func:`~ticketcore.model.attribute_changes` may change a policy's selecting attributes by."""


def _attributes(events: Sequence[Event], now: datetime) -> dict[str, object]:
    first = events[0] if events else None
    if not isinstance(first, Opened):
        raise InvalidEvent("an SLA is evaluated over a history that starts with an 'opened' event")
    attributes: dict[str, object] = {
        "channel": first.channel,
        "priority": first.priority,
        "segment": first.segment,
        "region": first.region,
        "country": first.country,
        "language": first.language,
        "group": first.group,
        "tags": first.tags,
        "fields": first.fields,
    }
    for event in events:
        if event.at > now:
            break
        if type(event) in _ATTRIBUTE_EVENTS:
            tags, fields = attributes["tags"], attributes["fields"]
            assert isinstance(tags, frozenset)
            assert isinstance(fields, Mapping)
            attributes.update(attribute_changes(tags, fields, event))
    return attributes


@attrs.frozen
class Upcoming:
    """A breach or warning due soon: ``kind`` is ``"breach"`` (at the cycle's ``breach_at``: breached just after)
    or ``"warning"`` (at the instant ``percent`` % of the target is reached)."""

    at: datetime
    ticket_id: str
    policy: str | None
    metric: str
    cycle: int
    kind: str
    percent: int | None = None


def upcoming(
    items: Iterable[SLAReport | Sequence[Event]],
    *,
    now: datetime,
    within: timedelta,
    policy: SLAPolicy | SLAPolicySet | None = None,
) -> list[Upcoming]:
    """The breaches and warnings of running cycles due in ``[now, now + within]``, ordered by instant.

    ``items`` are reports, or ticket histories evaluated at ``now`` with ``policy`` (a policy or a policy set).
    A breach is listed while it is still ahead (``now <= breach_at``), a warning until it is reached. Feed the
    result to escalation jobs; since everything is recomputed from events, the schedule survives restarts.
    """
    instant = utc(now, "now")
    if not isinstance(within, timedelta):
        raise WrongType("within", within, "a timedelta, e.g. timedelta(hours=4)")
    try:
        horizon = instant + within
    except OverflowError:
        horizon = (
            datetime.max.replace(tzinfo=UTC) if within > timedelta(0) else datetime.min.replace(tzinfo=UTC)
        )
    found: list[Upcoming] = []
    for item in each(items, "items", "an iterable of SLA reports or ticket histories"):
        if isinstance(item, SLAReport):
            report = item
        elif policy is None:
            raise WrongType(
                "policy",
                policy,
                "given as policy=<SLAPolicy or SLAPolicySet> when upcoming() reads ticket histories",
            )
        else:
            report = policy.evaluate(item, now=instant)
        # The cycles read packed (see _sla.rows): reading a batch of reports builds none of their values.
        for at, metric, index, percent in due_soon(report, instant, horizon):
            kind = "breach" if percent is None else "warning"
            found.append(Upcoming(at, report.ticket_id, report.policy, metric, index, kind, percent))
    found.sort(key=lambda u: (u.at, u.ticket_id, u.metric, u.cycle, u.kind == "breach", u.percent or 0))
    return found


@attrs.frozen
class ComplianceRow:
    """Cycles of one metric under one policy at one priority: ``achieved`` within target, ``breached`` (ever),
    still ``active`` within target, ``cancelled`` within target."""

    policy: str | None
    metric: str
    priority: int | None
    achieved: int = 0
    breached: int = 0
    active: int = 0
    cancelled: int = 0

    @property
    def rate(self) -> float | None:
        """Achieved ÷ (achieved + breached), or ``None`` when no cycle has an outcome yet."""
        done = self.achieved + self.breached
        return self.achieved / done if done else None


def compliance(reports: Iterable[SLAReport]) -> list[ComplianceRow]:
    """Achieved and breached cycles per policy, metric and priority (each cycle counts once, at its own priority)."""
    counts = compliance_counts(
        each(reports, "reports", "an iterable of SLA reports")
    )  # packed: see upcoming()
    return [ComplianceRow(*row) for row in counts]
