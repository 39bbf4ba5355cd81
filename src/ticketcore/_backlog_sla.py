"""SLA achievement rates from SLA reports (private to ``ticketcore.backlog``, which re-exports these names)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from ticketcore._backlog_values import Period, _rate
from ticketcore.sla import ClockState, CycleReport, SLAReport

__all__ = ["SlaAchievement", "SlaRate", "outcome", "sla_achievement"]


@attrs.frozen
class SlaRate:
    """Cycles of one metric (at one priority, when broken down) ``achieved`` within target or ``breached``."""

    metric: str
    priority: int | None
    achieved: int
    breached: int

    @property
    def rate(self) -> float | None:
        """Achieved ÷ (achieved + breached); ``None`` when no cycle has an outcome."""
        return _rate(self.achieved, self.achieved + self.breached)


@attrs.frozen
class SlaAchievement:
    """SLA achievement per metric (and per priority when ``by_priority``), over ``period`` or all time (``None``)."""

    period: Period | None
    by_priority: bool
    rates: tuple[SlaRate, ...]


def outcome(cycle: CycleReport, evaluated_at: datetime) -> tuple[bool, datetime] | None:
    """Whether a cycle breached and the instant its outcome was decided, or ``None`` while it has none.

    A breached cycle is decided at its ``breach_at`` (the evaluation instant if the report has none); an achieved one
    when its clock stopped. Running, paused and cancelled cycles within target have no outcome.
    """
    if cycle.ever_breached:
        return True, cycle.breach_at or evaluated_at
    if cycle.state is ClockState.ACHIEVED and cycle.stopped_at is not None:
        return False, cycle.stopped_at
    return None


def sla_achievement(
    reports: Iterable[SLAReport], period: Period | None = None, *, by_priority: bool = False
) -> SlaAchievement:
    """Achieved ÷ (achieved + breached) cycles per metric, from SLA reports (``policy.evaluate(events, now=…)``).

    Every cycle counts once (each ``next_response`` exchange is a cycle), at its own priority; with a ``period``,
    only cycles whose outcome was decided in it (achieved when the clock stopped, breached at ``breach_at``).
    Rows are ordered by metric, then priority (``None`` last).
    """
    counts: dict[tuple[str, int | None], list[int]] = {}
    for report in reports:
        for metric in report.metrics:
            for cycle in metric.cycles:
                decided = outcome(cycle, report.evaluated_at)
                if decided is None or (period is not None and decided[1] not in period):
                    continue
                key = (metric.metric, cycle.priority if by_priority else None)
                counts.setdefault(key, [0, 0])[decided[0]] += 1
    order = sorted(counts, key=lambda k: (k[0], k[1] is None, k[1] or 0))
    rates = tuple(SlaRate(metric, priority, *counts[metric, priority]) for metric, priority in order)
    return SlaAchievement(period, by_priority, rates)
