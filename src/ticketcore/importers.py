"""Real help-desk exports in, every row accounted for: audit snapshots diffed into events.

An export that holds successive *states* of tickets (ServiceNow's incident audit rows, Zendesk ticket exports,
Freshdesk tickets) is read with a :class:`SnapshotMapping` — data saying which column is the ticket, the order, the time, the actor, which
columns are which ticket fields, and how states, channels and levels read. Each ticket's rows become its history:
the first row an ``opened`` event, each later row the events that turn the state before it into its own. Unmapped
columns are kept as custom fields.

Exports that record *changes* — Jira issues with their change log, ServiceNow's ``sys_audit`` table, Zendesk
ticket audits — are first rebuilt into the successive states they record, and then read the same way. The named
:data:`FORMATS` each bring a preset mapping, which a user's overrides amend (:func:`mapping_for`).

Nothing is dropped silently: every row gives events, is a duplicate of the state before it, or is refused with its
whole ticket, and odd rows are reported as :class:`Anomaly` values with their line (:class:`ImportReport`).
:func:`round_trip` checks that each row can be reproduced from the folded history at its position.

:func:`replay` evaluates histories under a proposed SLA policy set beside the current one: compliance, breaches
and the tickets whose outcome changes, by group, channel and priority.

CSV snapshot exports stream: rows grouped by ticket are diffed one ticket at a time, so memory holds the largest
ticket's rows (and the ids of the tickets seen), whatever the file's size. JSON documents, change logs and audit
tables are read whole.

>>> from pathlib import Path
>>> from ticketcore.adapters.memory import MemoryStore
>>> store = MemoryStore()
>>> report = import_file(store, Path("docs/samples/servicenow-incidents.csv"), format="servicenow")
>>> report.balanced, report.tickets
(True, 3)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from ticketcore import codec
from ticketcore._importers import freshdesk as _freshdesk
from ticketcore._importers import jira as _jira
from ticketcore._importers import servicenow as _servicenow
from ticketcore._importers import zendesk as _zendesk
from ticketcore._importers.diff import Reader, diff_rows, round_trip
from ticketcore._importers.mapping import TICKET_FIELDS, SnapshotMapping, StatusValue
from ticketcore._importers.reading import ExportRows, Row, read_csv, read_json
from ticketcore._importers.replay import DIMENSIONS, Outcome, Replay, ReplayRow, replay
from ticketcore._importers.report import (
    Anomaly,
    AnomalyKind,
    FrameImport,
    ImportReport,
    RowOutcome,
    TicketImport,
)
from ticketcore.errors import BadInput, ConcurrencyError, ConfigError, MissingExtra, WrongType
from ticketcore.lifecycle import Workflow
from ticketcore.repositories import TicketStore, append_each

__all__ = [
    "DIMENSIONS",
    "FORMATS",
    "TICKET_FIELDS",
    "Anomaly",
    "AnomalyKind",
    "ExportFormat",
    "ExportRows",
    "FrameImport",
    "ImportReport",
    "Outcome",
    "Replay",
    "ReplayRow",
    "Row",
    "RowOutcome",
    "SnapshotMapping",
    "StatusValue",
    "TicketImport",
    "diff_snapshots",
    "import_file",
    "import_snapshots",
    "mapping_for",
    "read_export",
    "read_frame",
    "replay",
    "round_trip",
]

_CHUNK = 500
"""How many tickets an import hands the store at once (one transaction on a ``BatchAppender``)."""


@attrs.frozen(kw_only=True)
class ExportFormat:
    """A named export: its preset mapping as data (what a ``--mapping`` file overrides), and how its JSON records
    read (the document keys holding them; ``cells`` flattens a snapshot record into one row, ``expand`` rebuilds
    the successive states a change-log record holds — a format has one of them)."""

    name: str
    preset: Mapping[str, Any]
    json_keys: tuple[str, ...]
    cells: Callable[[Mapping[str, Any]], dict[str, str]] | None = None
    read: Callable[[Path], ExportRows] | None = None
    columns: tuple[str, ...] = ()
    """The columns an export of this format carries, in their usual order (for writing samples and tests)."""


FORMATS: dict[str, ExportFormat] = {
    "servicenow": ExportFormat(
        name="servicenow",
        preset=_servicenow.PRESET,
        json_keys=_servicenow.JSON_KEYS,
        cells=_servicenow.cells,
        columns=_servicenow.COLUMNS,
    ),
    "zendesk": ExportFormat(
        name="zendesk",
        preset=_zendesk.PRESET,
        json_keys=_zendesk.JSON_KEYS,
        cells=_zendesk.cells,
        columns=_zendesk.COLUMNS,
    ),
    "zendesk-audits": ExportFormat(
        name="zendesk-audits",
        preset=_zendesk.AUDIT_PRESET,
        json_keys=_zendesk.AUDIT_KEYS,
        read=_zendesk.read_audits,
    ),
    "servicenow-audit": ExportFormat(
        name="servicenow-audit",
        preset=_servicenow.AUDIT_PRESET,
        json_keys=(),
        read=_servicenow.read_audit,
        columns=_servicenow.AUDIT_COLUMNS,
    ),
    "servicenow-history": ExportFormat(
        name="servicenow-history",
        preset=_servicenow.HISTORY_PRESET,
        json_keys=(),
        read=_servicenow.read_history,
        columns=_servicenow.HISTORY_COLUMNS,
    ),
    "freshdesk": ExportFormat(
        name="freshdesk", preset=_freshdesk.PRESET, json_keys=_freshdesk.JSON_KEYS, cells=_freshdesk.cells
    ),
    "freshdesk-activities": ExportFormat(
        name="freshdesk-activities",
        preset=_freshdesk.ACTIVITY_PRESET,
        json_keys=_freshdesk.ACTIVITY_KEYS,
        read=_freshdesk.read_activities,
    ),
    "jira": ExportFormat(name="jira", preset=_jira.PRESET, json_keys=_jira.JSON_KEYS, read=_jira.read),
}
"""The named export formats."""

_JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


def _format(format: object) -> ExportFormat:
    if not isinstance(format, str):
        raise WrongType("format", format, f"the name of a format: {', '.join(sorted(FORMATS))}")
    if format not in FORMATS:
        raise ConfigError(
            f"unknown format {format!r}; available formats: {', '.join(sorted(FORMATS))}", "format"
        )
    return FORMATS[format]


def _file(path: object) -> Path:
    if not isinstance(path, str | Path):
        raise WrongType("path", path, "a file path (str or pathlib.Path)")
    found = Path(path)
    if not found.is_file():
        raise BadInput(f"cannot read {str(found)!r}: no such file")
    return found


def mapping_for(format: str, overrides: Mapping[str, Any] | None = None) -> SnapshotMapping:
    """The preset mapping of a named format, with ``overrides`` (top-level keys, or entries of ``columns``,
    ``statuses``, ``channels`` and ``levels``, which merge) applied.

    >>> mapping_for("servicenow", {"tz": "Europe/Rome"}).tz
    'Europe/Rome'
    """
    data = dict(_format(format).preset)
    if overrides is not None and not isinstance(overrides, Mapping):
        raise WrongType("overrides", overrides, "a mapping of the keys to override")
    for key, value in (overrides or {}).items():
        merged = key in ("columns", "statuses", "channels", "levels") and isinstance(value, Mapping)
        data[key] = {**data.get(key, {}), **value} if merged else value
    return codec.load(SnapshotMapping, data)


def read_export(path: str | Path, format: str) -> ExportRows:
    """The rows of an export file of a named ``format``: CSV (streamed) or JSON (by the file's suffix); a change-log
    format (``jira``) is JSON, and its rows are the states it rebuilds.

    Raises :class:`~ticketcore.errors.BadInput` naming the line for a file that is not UTF-8, not CSV or not JSON.
    """
    chosen, found = _format(format), _file(path)
    try:
        if chosen.read is not None:
            return chosen.read(found)
        if found.suffix.lower() in _JSON_SUFFIXES and chosen.cells is not None:
            return read_json(found, chosen.cells, keys=chosen.json_keys)
        return read_csv(found)
    except OSError as error:
        raise BadInput(f"cannot read {str(found)!r}: {error.strerror}") from None


def diff_snapshots(
    rows: Iterable[Row],
    header: tuple[str, ...],
    mapping: SnapshotMapping,
    *,
    workflow: Workflow | None = None,
    sparse: bool = False,
) -> Iterator[TicketImport]:
    """Each ticket's history, a ticket at a time, from ``(line, cells)`` rows grouped by ticket.

    With a ``workflow``, status changes it would refuse as commands are reported as ``refused_jump`` anomalies (and
    kept: history is fact). Raises :class:`~ticketcore.errors.BadInput` when the header lacks a mapped column
    (with ``sparse``, as for JSON records, only the ticket and time columns are required).
    """
    if not isinstance(header, tuple) or not all(isinstance(name, str) for name in header):
        raise WrongType("header", header, "a tuple of column names")
    return diff_rows(rows, header, mapping, workflow, sparse=sparse)


def import_snapshots(
    store: TicketStore,
    imports: Iterable[TicketImport],
    *,
    notes: Iterable[str] = (),
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Append each ticket's history to ``store`` in one atomic batch, and account for every row.

    A ticket already in the store is refused whole (nothing of it is written); ``progress`` is called with the
    number of rows of each ticket done.
    """

    def stored() -> Iterator[TicketImport]:
        pending = iter(imports)
        # Tickets go to the store a chunk at a time: one transaction for many on a BatchAppender (SQLite), and the
        # report keeps counts and a few examples only, so memory does not grow with the file.
        while chunk := list(itertools.islice(pending, _CHUNK)):
            ready = [item for item in chunk if item.refused is None]
            results = iter(append_each(store, [(item.ticket_id, list(item.events), 0) for item in ready]))
            for item in chunk:
                outcome = item
                if item.refused is None:
                    refusal = next(results)
                    if isinstance(refusal, ConcurrencyError):
                        outcome = attrs.evolve(item, refused="the ticket is already in the store")
                    elif refusal is not None:
                        raise refusal
                if progress is not None:
                    progress(len(item.rows))
                yield outcome

    return ImportReport.of(stored(), notes)


def _notes(read: ExportRows) -> list[str]:
    notes = ["the file starts with a byte-order mark; it was dropped"] if read.bom else []
    return notes + ([read.note] if read.note is not None else [])


def read_frame(
    path: str | Path,
    format: str = "servicenow",
    mapping: SnapshotMapping | None = None,
    *,
    workflow: Workflow | None = None,
) -> FrameImport:
    """Read a snapshot export (of a named ``format``, with ``mapping`` or the format's preset) into an events
    DataFrame, with the same accounting and anomalies as :func:`import_file` (extra ``[pandas]``).

    The frame equals ``ticketcore.dataframes.events_to_frame`` of the histories the engine gives for the file, row
    for row and cell for cell. A CSV snapshot export (ServiceNow incident audit rows, a Zendesk CSV without a tags
    column) is diffed over whole columns with pandas: each distinct cell read once by the mapping, consecutive rows
    of a ticket compared with a shift, the changed cells made into events; a ticket whose rows are odd in any way
    (an anomaly, a row that cannot be read) is diffed by the engine itself. Everything else goes through the engine
    and ``events_to_frame`` as a whole, with ``vectorised`` false: JSON files, change logs and audit tables
    (``jira``, ``servicenow-audit`` …), a mapping with a ``tags`` column or two columns for one field, a
    ``workflow`` to audit the jumps with, and a file whose tickets' rows are split or lack an id.

    Raises :class:`~ticketcore.errors.MissingExtra` without pandas, and :class:`~ticketcore.errors.BadInput` as
    :func:`import_file` does.
    """
    try:
        import numpy  # noqa: F401 (imported to check the extra is installed)
        import pandas  # noqa: F401 (imported to check the extra is installed)
    except ImportError:
        raise MissingExtra("ticketcore.importers.read_frame", "pandas", ["pandas", "numpy"]) from None
    from ticketcore._importers import frame as _frame
    from ticketcore.dataframes import events_to_frame

    chosen_format, found = _format(format), _file(path)
    chosen = mapping if mapping is not None else mapping_for(format)
    read = read_export(found, format)
    notes = _notes(read)
    snapshot_csv = chosen_format.read is None and not read.sparse
    if snapshot_csv and workflow is None:
        read.close()
        chosen.check_header(read.header)
        reader = Reader(read.header, chosen)
        if _frame.supported(reader):
            done = _frame.diff_frame(found, read.header, read.bom, reader)
            if done is not None:
                events, report, anomalies = done
                report = attrs.evolve(report, notes=tuple(notes))
                return FrameImport(events=events, report=report, anomalies=anomalies, vectorised=True)
        read = read_export(found, format)
    items: list[TicketImport] = []
    try:
        items.extend(diff_snapshots(read.rows, read.header, chosen, workflow=workflow, sparse=read.sparse))
    finally:
        read.close()
    return FrameImport(
        events=events_to_frame([item.events for item in items if item.refused is None]),
        report=ImportReport.of(items, notes),
        anomalies=tuple(a for item in items for a in item.anomalies),
    )


def import_file(
    store: TicketStore,
    path: str | Path,
    *,
    format: str = "servicenow",
    mapping: SnapshotMapping | None = None,
    workflow: Workflow | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a snapshot export (CSV or JSON) of a named ``format`` (read with ``mapping`` when given, else with the
    format's preset) into ``store``.

    Raises :class:`~ticketcore.errors.BadInput` (naming the line and column) for a file that cannot be read as
    declared; a ticket with a row that cannot be read is refused whole and reported, the others are imported.
    """
    chosen = mapping if mapping is not None else mapping_for(format)
    read = read_export(path, format)
    notes = _notes(read)
    try:
        return import_snapshots(
            store,
            diff_snapshots(read.rows, read.header, chosen, workflow=workflow, sparse=read.sparse),
            notes=notes,
            progress=progress,
        )
    finally:
        read.close()
