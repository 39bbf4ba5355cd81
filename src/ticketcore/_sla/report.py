"""The values an SLA evaluation returns: per ticket, per metric, per cycle. Private to :mod:`ticketcore.sla`.

An evaluation stores its metrics packed (:class:`Packed`: a cycle is a tuple of strings, numbers, datetimes and
durations) and :attr:`SLAReport.metrics` builds the report values from them when first read. The garbage collector
stops tracking such tuples, so a batch that keeps 100,000 reports gives it two objects to walk per report instead of
about twenty, and building values nobody reads costs nothing. Reading, comparing, hashing, printing, pickling and
dumping a report behave as if the values had been built at once; the batch readers (``compliance``, ``upcoming``,
``sla_achievement``, the cycles frame) read the packed cycles through :mod:`ticketcore._sla.rows`, and nothing else
indexes them.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple

import attrs

from ticketcore.errors import WrongType

__all__ = [
    "ClockState",
    "CycleFields",
    "CycleReport",
    "MetricReport",
    "Metrics",
    "Packed",
    "PausedInterval",
    "PolicyMatch",
    "SLAReport",
    "WarningInstant",
    "cycle_fields",
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


CycleFields = tuple[
    str,  # metric
    int,  # index
    int | None,  # priority
    timedelta,  # target
    str,  # state: the ClockState's value (a tuple holding an enum member stays tracked)
    datetime,  # started_at
    datetime | None,  # stopped_at
    datetime | None,  # due_at
    datetime | None,  # breach_at
    timedelta,  # elapsed
    timedelta,  # remaining
    bool,  # ever_breached
    tuple[datetime | None, ...],  # paused, flat: start, end, start, end, …
    tuple[int | datetime | bool, ...],  # warnings, flat: percent, at, reached, percent, …
    timedelta,  # carried
]
"""A :class:`CycleReport` packed: its fields in order, plain values only, nested values flattened."""

# Indexes into CycleFields for the readers that work on packed cycles.
METRIC: Final = 0
INDEX: Final = 1
PRIORITY: Final = 2
STATE: Final = 4
STOPPED_AT: Final = 6
BREACH_AT: Final = 8
EVER_BREACHED: Final = 11
WARNINGS: Final = 13


class Packed(NamedTuple):
    """An evaluation's metrics: the metric names in the policy's order, then every cycle's :data:`CycleFields`,
    metric by metric.

    Shallow on purpose: the collector stops tracking an exact tuple once everything in it is untracked, so the names
    and the cycles (plain values, and flat tuples of them) end untracked, and a kept report stays two tracked objects:
    itself and this (a tuple subclass is always tracked). A cycle is therefore a plain tuple, not a named one.
    """

    names: tuple[str, ...]
    cycles: tuple[CycleFields, ...]

    def unpack(self) -> tuple[MetricReport, ...]:
        """The report values these fields describe."""
        found: dict[str, list[CycleReport]] = {name: [] for name in self.names}
        for fields in self.cycles:
            found[fields[0]].append(_unpack_cycle(fields))
        return tuple(MetricReport(name, tuple(cycles)) for name, cycles in found.items())


Metrics = tuple[MetricReport, ...] | Packed
"""What a report holds: its metric reports as given, or an evaluation's, :class:`Packed` until first read."""


def _unpack_cycle(fields: CycleFields) -> CycleReport:
    metric, index, priority, target, state, started, stopped, due, breach, elapsed, left, ever, paused, warns, carried = fields  # fmt: skip
    return CycleReport(
        metric, index, priority, target, _STATES[state], started, stopped, due, breach, elapsed, left, ever,
        _paused(paused) if paused else (),  # most cycles have neither: no generator to start
        _warnings(warns) if warns else (),
        carried,
    )  # fmt: skip


# The flat tuples alternate their values' types (start, end, … and percent, at, reached, …), which no tuple type
# can say: read here as Any, written by measure() under CycleFields' types.
def _paused(flat: tuple[Any, ...]) -> tuple[PausedInterval, ...]:
    return tuple(PausedInterval(flat[k], flat[k + 1]) for k in range(0, len(flat), 2))


def _warnings(flat: tuple[Any, ...]) -> tuple[WarningInstant, ...]:
    return tuple(WarningInstant(flat[k], flat[k + 1], flat[k + 2]) for k in range(0, len(flat), 3))


_STATES = {state.value: state for state in ClockState}


def cycle_fields(report: SLAReport) -> tuple[CycleFields, ...]:
    """The fields of every cycle of the report, without building the values while they are still packed: for the
    readers that go over many reports (:mod:`ticketcore._sla.rows`)."""
    if not isinstance(report, SLAReport):
        raise WrongType("each report", report, "an SLAReport, as policy.evaluate(events, now=...) returns")
    value = report._metrics
    if type(value) is Packed:
        return value.cycles
    return tuple(_pack_cycle(cycle) for metric in report.metrics for cycle in metric.cycles)


def _pack_cycle(cycle: CycleReport) -> CycleFields:
    return (
        cycle.metric,
        cycle.index,
        cycle.priority,
        cycle.target,
        cycle.state.value,
        cycle.started_at,
        cycle.stopped_at,
        cycle.due_at,
        cycle.breach_at,
        cycle.elapsed,
        cycle.remaining,
        cycle.ever_breached,
        tuple(instant for p in cycle.paused for instant in (p.start, p.end)),
        tuple(value for w in cycle.warnings for value in (w.percent, w.at, w.reached)),
        cycle.carried,
    )


def _unpacked(value: Metrics) -> tuple[MetricReport, ...]:
    return value.unpack() if isinstance(value, Packed) else value


@attrs.frozen(repr=False, match_args=False)
class SLAReport:
    """The SLA of one ticket evaluated at ``evaluated_at``: one :class:`MetricReport` per metric of the policy.

    ``match`` says why the policy applied when it was chosen from an :class:`~ticketcore.sla.SLAPolicySet`;
    ``policy`` is ``None`` (and there are no metrics) when no policy of a set matched the ticket.
    """

    ticket_id: str
    policy: str | None
    evaluated_at: datetime
    priority: int | None
    # Given as ``metrics``; an evaluation passes them packed (see the module), compared and hashed as built.
    _metrics: Metrics = attrs.field(default=(), alias="metrics", eq=_unpacked)
    match: PolicyMatch | None = None
    # The values built from packed metrics when first read; the packed form stays for the batch readers.
    _built: tuple[MetricReport, ...] | None = attrs.field(default=None, init=False, eq=False, repr=False)

    __match_args__ = ("ticket_id", "policy", "evaluated_at", "priority", "metrics", "match")

    @property
    def metrics(self) -> tuple[MetricReport, ...]:
        """One :class:`MetricReport` per metric of the policy, in the policy's order."""
        value = self._metrics
        if not isinstance(value, Packed):
            return value
        built = self._built
        if built is None:
            built = value.unpack()
            object.__setattr__(self, "_built", built)  # built once; the same values every time
        return built

    def __repr__(self) -> str:
        return (
            f"{type(self).__qualname__}(ticket_id={self.ticket_id!r}, policy={self.policy!r}, "
            f"evaluated_at={self.evaluated_at!r}, priority={self.priority!r}, metrics={self.metrics!r}, "
            f"match={self.match!r})"
        )

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
        return any(fields[EVER_BREACHED] for fields in cycle_fields(self))
