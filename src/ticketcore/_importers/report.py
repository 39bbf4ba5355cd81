"""The accounting of an import: what became of every input row."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from ticketcore.model import Event

if TYPE_CHECKING:
    import pandas as pd

EXAMPLES = 3
"""How many examples of each anomaly kind a report keeps."""


class AnomalyKind(enum.StrEnum):
    """What was odd about a row. The row is still accounted for: its events are kept unless the ticket is refused."""

    OUT_OF_ORDER = "out_of_order"
    """Stamped before the row before it: clamped to the earlier stamp, the recorded stamp kept in the anomaly."""
    UNKNOWN_STATE = "unknown_state"
    """A state the mapping does not know: kept by name, in the mapping's ``unknown_category``."""
    REFUSED_JUMP = "refused_jump"
    """A status change the workflow would refuse as a command (history keeps it: it happened)."""
    ORDER_GAP = "order_gap"
    """The order column skips values (snapshots are missing from the export) or repeats one."""
    FORMULA = "formula"
    """A cell a spreadsheet would run as a formula; kept as text, never evaluated."""
    BAD_ROW = "bad_row"
    """The row cannot be read (an unparsable timestamp, a missing ticket id): its ticket is refused whole."""
    SPLIT_TICKET = "split_ticket"
    """The ticket's rows are not together in the file: the later group is refused (input must be grouped by ticket)."""


@attrs.frozen(kw_only=True)
class Anomaly:
    """One odd row: its line, ticket, column (when one cell is to blame), kind, and what was found."""

    line: int
    ticket_id: str | None
    kind: AnomalyKind
    detail: str
    column: str | None = None


@attrs.frozen(kw_only=True)
class RowOutcome:
    """What became of one input row: the number of events it gave, or that it repeats the state before it."""

    line: int
    events: int
    duplicate: bool = False


@attrs.frozen(kw_only=True)
class TicketImport:
    """One ticket's rows turned into its history, or refused whole (``events`` empty and ``refused`` set)."""

    ticket_id: str
    events: tuple[Event, ...]
    rows: tuple[RowOutcome, ...]
    anomalies: tuple[Anomaly, ...] = ()
    refused: str | None = None


@attrs.frozen(kw_only=True)
class ImportReport:
    """The accounting of an import: rows in, events out, duplicates, refused rows and anomalies by kind.

    Every row is counted once in ``rows_with_events``, ``duplicates`` or ``rows_refused``, so
    ``rows_in == rows_with_events + duplicates + rows_refused`` (:attr:`balanced`).
    """

    rows_in: int
    events_out: int
    tickets: int
    tickets_refused: int
    rows_with_events: int
    duplicates: int
    rows_refused: int
    anomalies: dict[str, int] = attrs.field(factory=dict)
    examples: dict[str, tuple[Anomaly, ...]] = attrs.field(factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def balanced(self) -> bool:
        """True when every input row is accounted for exactly once."""
        return self.rows_in == self.rows_with_events + self.duplicates + self.rows_refused

    @classmethod
    def of(cls, imports: Iterable[TicketImport], notes: Iterable[str] = ()) -> ImportReport:
        """The report of a finished import."""
        counts: Counter[str] = Counter()
        examples: dict[str, list[Anomaly]] = {}
        rows_in = events = tickets = refused = with_events = duplicates = rows_refused = 0
        for item in imports:
            rows_in += len(item.rows)
            if item.refused is not None:
                refused += 1
                rows_refused += len(item.rows)
            else:
                tickets += 1
                events += sum(r.events for r in item.rows)
                duplicates += sum(1 for r in item.rows if r.duplicate)
                with_events += sum(1 for r in item.rows if not r.duplicate)
            for anomaly in item.anomalies:
                counts[anomaly.kind.value] += 1
                kept = examples.setdefault(anomaly.kind.value, [])
                if len(kept) < EXAMPLES:
                    kept.append(anomaly)
        return cls(
            rows_in=rows_in,
            events_out=events,
            tickets=tickets,
            tickets_refused=refused,
            rows_with_events=with_events,
            duplicates=duplicates,
            rows_refused=rows_refused,
            anomalies=dict(sorted(counts.items())),
            examples={k: tuple(v) for k, v in sorted(examples.items())},
            notes=tuple(notes),
        )

    def summary(self, where: str) -> str:
        """One line of counts, and a line per refused or odd kind of row (``--report`` gives the examples)."""
        lines = [
            f"imported {self.tickets} tickets ({self.rows_in} rows, {self.events_out} events) into {where}",
        ]
        if self.tickets_refused:
            lines.append(
                f"refused {self.tickets_refused} tickets ({self.rows_refused} rows), nothing of them was imported"
            )
        lines.extend(f"anomaly {kind}: {count}" for kind, count in self.anomalies.items())
        if self.tickets_refused or self.anomalies:
            lines.append("run again with --report for the lines")
        return "\n".join(lines)

    def render(self) -> str:
        """The report as lines of text, for ``ticketcore import --report``."""
        lines = [
            f"rows in: {self.rows_in}",
            f"  with events: {self.rows_with_events}",
            f"  duplicates (same state as the row before): {self.duplicates}",
            f"  refused (with their whole ticket): {self.rows_refused}",
            f"events out: {self.events_out}",
            f"tickets: {self.tickets} imported, {self.tickets_refused} refused",
        ]
        lines.extend(f"note: {note}" for note in self.notes)
        for kind, count in self.anomalies.items():
            lines.append(f"anomaly {kind}: {count}")
            for a in self.examples.get(kind, ()):
                where = f"line {a.line}" + (f", column {a.column!r}" if a.column else "")
                lines.append(f"  {where} (ticket {a.ticket_id}): {a.detail}")
        return "\n".join(lines)


@attrs.frozen(kw_only=True)
class FrameImport:
    """An export read into an events DataFrame (:func:`ticketcore.importers.read_frame`): the frame, in the shape
    ``ticketcore.dataframes.events_to_frame`` gives (so every ``ticketcore.dataframes`` metric takes it), the
    accounting of every row, every anomaly with its line (the report keeps a few examples of each kind), and
    whether the columns were diffed with pandas (``vectorised``) or the file went through the engine as a whole."""

    events: pd.DataFrame = attrs.field(eq=False)
    report: ImportReport
    anomalies: tuple[Anomaly, ...] = ()
    vectorised: bool = False
