"""The values an SLA evaluation returns: per ticket, per metric, per cycle. Private to :mod:`ticketcore.sla`."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

__all__ = [
    "ClockState",
    "CycleReport",
    "MetricReport",
    "PausedInterval",
    "PolicyMatch",
    "SLAReport",
    "WarningInstant",
]


class ClockState(enum.StrEnum):
    """Where a cycle of a metric's clock stands.

    ``breached`` wins over every state but ``cancelled``: a cycle that has consumed more than its target is
    ``breached`` whether it is still running, paused or stopped (``stopped_at`` tells which).
    """

    RUNNING = "running"
    PAUSED = "paused"
    ACHIEVED = "achieved"
    BREACHED = "breached"
    CANCELLED = "cancelled"


@attrs.frozen
class PausedInterval:
    """A stretch ``[start, end)`` during which a cycle's clock was paused; ``end`` is ``None`` while still paused."""

    start: datetime
    end: datetime | None = None


@attrs.frozen
class WarningInstant:
    """The instant a cycle's consumed time reaches ``percent`` % of its target (``reached`` once it has).

    Reached warnings are kept for every cycle; warnings still to come are given only for running cycles.
    """

    percent: int
    at: datetime
    reached: bool


@attrs.frozen
class CycleReport:
    """One cycle of a metric's clock, as it stood at the evaluation instant.

    ``elapsed`` is the business (or calendar) time consumed — ``carried`` from an earlier cycle included — and
    ``remaining`` is ``target - elapsed`` (negative once overdue). ``due_at`` is the instant the consumed time reaches
    the target and ``breach_at`` the last instant at which it has not exceeded it: the cycle is breached at ``x`` iff
    ``x > breach_at``. Both are ``None`` while the cycle is paused within its target (a paused clock has no due);
    for a stopped cycle within its target they give the due as it stood when the clock last ran.
    """

    metric: str
    index: int
    priority: int | None
    target: timedelta
    state: ClockState
    started_at: datetime
    stopped_at: datetime | None
    due_at: datetime | None
    breach_at: datetime | None
    elapsed: timedelta
    remaining: timedelta
    ever_breached: bool
    paused: tuple[PausedInterval, ...] = ()
    warnings: tuple[WarningInstant, ...] = ()
    carried: timedelta = timedelta(0)

    @property
    def active(self) -> bool:
        """True while the cycle's clock runs or is paused (it has neither stopped nor been cancelled)."""
        return self.stopped_at is None


@attrs.frozen
class MetricReport:
    """Every cycle of one metric (completed ones first, the ongoing one last).

    ``state`` is the last cycle's state (``None`` when the clock never started); ``ever_breached`` is true when any
    cycle breached (JSM's ``everBreached()``), ``breached`` when the last one did (``breached()``).
    """

    metric: str
    cycles: tuple[CycleReport, ...] = ()

    @property
    def current(self) -> CycleReport | None:
        """The last cycle (the ongoing one if the clock is active), or ``None``."""
        return self.cycles[-1] if self.cycles else None

    @property
    def state(self) -> ClockState | None:
        """The last cycle's state, or ``None`` when the clock never started."""
        return self.cycles[-1].state if self.cycles else None

    @property
    def ever_breached(self) -> bool:
        """True when any cycle breached."""
        return any(cycle.ever_breached for cycle in self.cycles)

    @property
    def breached(self) -> bool:
        """True when the last cycle breached."""
        return bool(self.cycles) and self.cycles[-1].ever_breached


@attrs.frozen
class PolicyMatch:
    """Which policy of a set applied to a ticket, its position in the set, and why it matched."""

    policy: str
    index: int
    reasons: tuple[str, ...]


@attrs.frozen
class SLAReport:
    """The SLA of one ticket evaluated at ``evaluated_at``: one :class:`MetricReport` per metric of the policy.

    ``match`` says why the policy applied when it was chosen from an :class:`~ticketcore.sla.SLAPolicySet`;
    ``policy`` is ``None`` (and there are no metrics) when no policy of a set matched the ticket.
    """

    ticket_id: str
    policy: str | None
    evaluated_at: datetime
    priority: int | None
    metrics: tuple[MetricReport, ...] = ()
    match: PolicyMatch | None = None

    def metric(self, name: str) -> MetricReport:
        """The report of metric ``name``; raises ``KeyError`` naming the metrics there are."""
        for report in self.metrics:
            if report.metric == name:
                return report
        options = ", ".join(repr(m.metric) for m in self.metrics)
        raise KeyError(f"policy {self.policy!r} has no metric {name!r}; its metrics: {options}")

    @property
    def ever_breached(self) -> bool:
        """True when any cycle of any metric breached."""
        return any(report.ever_breached for report in self.metrics)
