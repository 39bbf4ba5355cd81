"""Stored histories evaluated again under a proposed SLA policy set, side by side with the current one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from ticketcore._time import utc
from ticketcore.errors import ConfigError
from ticketcore.model import Event, Ticket
from ticketcore.sla import ClockState, SLAPolicySet, SLAReport

DIMENSIONS = ("group", "channel", "priority")
"""The ticket attributes a replay can break its comparison down by."""

NONE = "-"
"""The key of tickets that have no value for a dimension."""


@attrs.frozen
class Outcome:
    """Tickets whose metric ended within target (``achieved``) or breached at least once (``breached``).

    A ticket whose clock still runs within target, or was cancelled, counts in neither.
    """

    achieved: int = 0
    breached: int = 0

    @property
    def rate(self) -> float | None:
        """Achieved ÷ (achieved + breached), or ``None`` when no ticket has an outcome yet."""
        done = self.achieved + self.breached
        return self.achieved / done if done else None


@attrs.frozen
class ReplayRow:
    """One metric for the tickets with one value of a dimension (``by="all"``: every ticket), under both sets."""

    by: str
    key: str
    metric: str
    current: Outcome
    proposed: Outcome


@attrs.frozen
class Replay:
    """The comparison: rows by dimension, key and metric, and the tickets whose outcome the proposal changes.

    ``newly_breached`` and ``no_longer_breached`` map each metric to the ids of the tickets that breach only under
    the proposed set, and only under the current set.
    """

    as_of: datetime
    rows: tuple[ReplayRow, ...]
    newly_breached: dict[str, tuple[str, ...]]
    no_longer_breached: dict[str, tuple[str, ...]]

    def render(self, examples: int = 5) -> str:
        """The comparison as a text table, with up to ``examples`` ticket ids per changed metric."""

        def rate(outcome: Outcome) -> str:
            return "-" if outcome.rate is None else f"{outcome.rate:.1%}"

        lines = [
            f"as of {self.as_of.isoformat()}",
            f"{'by':<9} {'key':<10} {'metric':<17} {'current':>19}  {'proposed':>19}",
        ]
        for row in self.rows:
            now = f"{row.current.breached:>3} breached {rate(row.current):>7}"
            then = f"{row.proposed.breached:>3} breached {rate(row.proposed):>7}"
            lines.append(f"{row.by:<9} {row.key:<10} {row.metric:<17} {now:>19}  {then:>19}")
        for title, changed in (
            ("newly breached", self.newly_breached),
            ("no longer breached", self.no_longer_breached),
        ):
            for metric, tickets in changed.items():
                shown = ", ".join(tickets[:examples]) + (" …" if len(tickets) > examples else "")
                lines.append(f"{title} ({metric}): {len(tickets)} tickets: {shown}")
        return "\n".join(lines)


def _outcomes(report: SLAReport) -> dict[str, bool | None]:
    """Per metric: ``True`` breached, ``False`` achieved, ``None`` no outcome yet."""
    found: dict[str, bool | None] = {}
    for metric in report.metrics:
        if metric.ever_breached:
            found[metric.metric] = True
        elif metric.state is ClockState.ACHIEVED:
            found[metric.metric] = False
        else:
            found[metric.metric] = None
    return found


def replay(
    histories: Iterable[Sequence[Event]],
    *,
    current: SLAPolicySet,
    proposed: SLAPolicySet,
    as_of: datetime,
    by: Sequence[str] = DIMENSIONS,
) -> Replay:
    """Evaluate every history at ``as_of`` under the ``current`` and the ``proposed`` policy sets and compare.

    Each ticket counts once per metric (breached when any cycle breached), in the ``all`` rows and in the rows of
    its value of each dimension of ``by`` as it stands at ``as_of``.
    """
    instant = utc(as_of, "as_of")
    unknown = [name for name in by if name not in DIMENSIONS]
    if unknown:
        raise ConfigError(f"cannot replay by {unknown[0]!r}; choose from {', '.join(DIMENSIONS)}", "by")
    counts: dict[tuple[str, str, str], tuple[list[int], list[int]]] = {}
    newly: dict[str, list[str]] = {}
    gone: dict[str, list[str]] = {}
    for events in histories:
        shown = [event for event in events if event.at <= instant]
        if not shown:
            continue
        ticket = Ticket.from_events(shown)
        before = _outcomes(current.evaluate(shown, now=instant))
        after = _outcomes(proposed.evaluate(shown, now=instant))
        keys = [("all", "all")] + [(name, _key(ticket, name)) for name in by]
        for metric in sorted(before.keys() | after.keys()):
            was, will = before.get(metric), after.get(metric)
            if will and not was:
                newly.setdefault(metric, []).append(ticket.id)
            if was and not will:
                gone.setdefault(metric, []).append(ticket.id)
            for dimension, key in keys:
                now, then = counts.setdefault((dimension, key, metric), ([0, 0], [0, 0]))
                _count(now, was)
                _count(then, will)
    order = {name: index for index, name in enumerate(("all", *DIMENSIONS))}
    rows = tuple(
        ReplayRow(dimension, key, metric, Outcome(*now), Outcome(*then))
        for (dimension, key, metric), (now, then) in sorted(
            counts.items(), key=lambda item: (order[item[0][0]], item[0][1], item[0][2])
        )
    )
    return Replay(
        as_of=instant,
        rows=rows,
        newly_breached={m: tuple(sorted(t)) for m, t in sorted(newly.items())},
        no_longer_breached={m: tuple(sorted(t)) for m, t in sorted(gone.items())},
    )


def _count(counts: list[int], breached: bool | None) -> None:
    if breached is not None:
        counts[1 if breached else 0] += 1


def _key(ticket: Ticket, dimension: str) -> str:
    value = getattr(ticket, dimension)
    return NONE if value is None else f"P{value}" if dimension == "priority" else str(value)
