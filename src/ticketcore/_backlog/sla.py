"""SLA achievement rates from SLA reports (private to ``ticketcore.backlog``, which re-exports these names)."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from ticketcore._backlog.values import Period, _rate
from ticketcore._check import each
from ticketcore._sla.rows import achievement_counts
from ticketcore.sla import SLAReport

__all__ = ["SLAAchievement", "SLARate", "sla_achievement"]


@attrs.frozen
class SLARate:
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
class SLAAchievement:
    """SLA achievement per metric (and per priority when ``by_priority``), over ``period`` or all time (``None``)."""

    period: Period | None
    by_priority: bool
    rates: tuple[SLARate, ...]


def sla_achievement(
    reports: Iterable[SLAReport], period: Period | None = None, *, by_priority: bool = False
) -> SLAAchievement:
    """Achieved ÷ (achieved + breached) cycles per metric, from SLA reports (``policy.evaluate(events, now=…)``).

    Every cycle counts once (each ``next_response`` exchange is a cycle), at its own priority; with a ``period``,
    only cycles whose outcome was decided in it (achieved when the clock stopped, breached at ``breach_at``).
    Rows are ordered by metric, then priority (``None`` last).
    """
    # Read packed (see ticketcore._sla.rows): no report values built.
    within = None if period is None else (period.start, period.end)
    counts = achievement_counts(each(reports, "reports", "an iterable of SLA reports"), within, by_priority)
    order = sorted(counts, key=lambda k: (k[0], k[1] is None, k[1] or 0))
    rates = tuple(SLARate(metric, priority, *counts[metric, priority]) for metric, priority in order)
    return SLAAchievement(period, by_priority, rates)
