"""The cycles of many SLA reports read at once, without building their values. Private to the SLA area.

With :mod:`ticketcore._sla.report` (which packs and unpacks them), the one place that reads packed cycles: for
``compliance`` and ``upcoming``, and — through this module only — ``backlog.sla_achievement`` and the cycles frame
of ``dataframes``. Each function reads a batch of reports as a batch: no report value is built, so summarising
100,000 kept reports costs a fraction of reading their ``metrics``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from ticketcore._sla.report import (
    BREACH_AT,
    EVER_BREACHED,
    INDEX,
    METRIC,
    PRIORITY,
    STATE,
    STOPPED_AT,
    WARNINGS,
    SLAReport,
    cycle_fields,
)

__all__ = ["CYCLE_COLUMNS", "CycleRow", "achievement_counts", "compliance_counts", "cycle_rows", "due_soon"]

ComplianceCounts = tuple[str | None, str, int | None, int, int, int, int]
"""Policy, metric, priority, then the achieved, breached, active and cancelled cycles."""


def compliance_counts(reports: Iterable[SLAReport]) -> list[ComplianceCounts]:
    """The cycles per policy, metric and priority (each at its own priority), by outcome; ordered by policy
    (``None`` first), metric, then priority (``None`` first)."""
    counts: dict[tuple[str, str, int], list[int]] = {}
    keys: dict[tuple[str, str, int], tuple[str | None, str, int | None]] = {}
    for report in reports:
        for fields in cycle_fields(report):
            metric, priority, state = fields[METRIC], fields[PRIORITY], fields[STATE]
            sort_key = (report.policy or "", metric, priority if priority is not None else -1)
            keys[sort_key] = (report.policy, metric, priority)
            row = counts.setdefault(sort_key, [0, 0, 0, 0])
            if fields[EVER_BREACHED]:
                row[1] += 1
            elif state == "achieved":
                row[0] += 1
            elif state == "cancelled":
                row[3] += 1
            else:
                row[2] += 1
    rows: list[ComplianceCounts] = []
    for key in sorted(counts):
        achieved, breached, active, cancelled = counts[key]
        rows.append((*keys[key], achieved, breached, active, cancelled))
    return rows


DueSoon = tuple[datetime, str, int, int | None]
"""The instant, the metric, the cycle's index, and the warning's percentage (``None`` for the breach)."""


def due_soon(report: SLAReport, after: datetime, horizon: datetime) -> list[DueSoon]:
    """The breaches due in ``[after, horizon]`` and the warnings not yet reached in ``(after, horizon]`` of the
    report's running cycles."""
    found: list[DueSoon] = []
    for fields in cycle_fields(report):
        if fields[STATE] != "running":
            continue  # only a running clock moves towards a breach
        metric, index, breach_at = fields[METRIC], fields[INDEX], fields[BREACH_AT]
        if breach_at is not None and after <= breach_at <= horizon:
            found.append((breach_at, metric, index, None))
        warnings = fields[WARNINGS]  # percent, at, reached, percent, …
        for k in range(0, len(warnings), 3):
            percent, at, reached = warnings[k], warnings[k + 1], warnings[k + 2]
            assert isinstance(at, datetime)  # the flat layout's order
            assert not isinstance(percent, datetime)
            if not reached and after < at <= horizon:
                found.append((at, metric, index, percent))
    return found


def achievement_counts(
    reports: Iterable[SLAReport], within: tuple[datetime, datetime] | None, by_priority: bool
) -> dict[tuple[str, int | None], list[int]]:
    """The achieved and breached cycles per metric (and per priority when ``by_priority``, else ``None``) whose
    outcome was decided ``within`` ``[start, end)`` (every one when ``None``): a breached cycle at its ``breach_at`` (the
    evaluation instant if it has none), an achieved one when its clock stopped. Running, paused and cancelled
    cycles within target have no outcome yet."""
    counts: dict[tuple[str, int | None], list[int]] = {}
    for report in reports:
        for fields in cycle_fields(report):
            breached = fields[EVER_BREACHED]
            if breached:
                decided = fields[BREACH_AT] or report.evaluated_at
            elif fields[STATE] == "achieved" and fields[STOPPED_AT] is not None:
                decided = fields[STOPPED_AT]
            else:
                continue
            if within is not None and not within[0] <= decided < within[1]:
                continue
            key = (fields[METRIC], fields[PRIORITY] if by_priority else None)
            counts.setdefault(key, [0, 0])[breached] += 1
    return counts


CYCLE_COLUMNS = (
    "ticket_id", "policy", "evaluated_at", "metric", "index", "priority", "target", "state", "started_at",
    "stopped_at", "due_at", "breach_at", "elapsed", "remaining", "ever_breached",
)  # fmt: skip
"""The names of a :data:`CycleRow`'s values, in order."""

CycleRow = tuple[
    str, str | None, datetime, str, int, int | None, timedelta, str, datetime, datetime | None, datetime | None,
    datetime | None, timedelta, timedelta, bool,
]  # fmt: skip
"""A cycle as a row: its report's ticket, policy and evaluation instant, then the cycle's own fields (the state as
its value), as :data:`CYCLE_COLUMNS` names them."""


def cycle_rows(reports: Iterable[SLAReport]) -> list[CycleRow]:
    """Every cycle of every report as a :data:`CycleRow`, report by report, metric by metric."""
    # The first twelve packed fields of a cycle are the row's values after the report's own three, in order.
    return [
        (report.ticket_id, report.policy, report.evaluated_at, *fields[:12])
        for report in reports
        for fields in cycle_fields(report)
    ]
