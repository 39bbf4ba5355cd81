"""ServiceNow exports: incident audit rows (the public "incident event log" shape, one row per update of an
incident), and the change tables ``sys_audit`` and ``sys_history_line`` (one row per changed field).

In the event log each row is the incident's fields after an update; ``sys_mod_count`` counts the updates, ``sys_updated_at`` and
``sys_updated_by`` say when and by whom; ``?`` marks a missing value. Columns the mapping does not name (``active``,
``reassignment_count``, ``made_sla``, ``location``, ``closed_code`` …) are kept as custom fields. The change tables
hold stored values (state ``2``, reference fields as sys_ids) and are rebuilt into states first; journal fields
(``comments``, ``work_notes``) are conversation, not state, and their presets leave them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ticketcore.errors import BadInput

from .changes import Change, rebuild
from .reading import ROW_ERROR, ExportRows, each, read_csv, text

COLUMNS = (
    "number",
    "incident_state",
    "active",
    "reassignment_count",
    "reopen_count",
    "sys_mod_count",
    "made_sla",
    "caller_id",
    "opened_by",
    "opened_at",
    "sys_created_by",
    "sys_created_at",
    "sys_updated_by",
    "sys_updated_at",
    "contact_type",
    "location",
    "category",
    "subcategory",
    "u_symptom",
    "cmdb_ci",
    "impact",
    "urgency",
    "priority",
    "assignment_group",
    "assigned_to",
    "knowledge",
    "u_priority_confirmation",
    "notify",
    "problem_id",
    "rfc",
    "vendor",
    "caused_by",
    "closed_code",
    "resolved_by",
    "resolved_at",
    "closed_at",
)
"""The columns of an incident event log export, in their usual order."""

PRESET: dict[str, Any] = {
    "ticket": "number",
    "order": "sys_mod_count",
    "at": "sys_updated_at",
    "actor": "sys_updated_by",
    "opened_at": "opened_at",
    "columns": {
        "incident_state": "status",
        "priority": "priority",
        "impact": "impact",
        "urgency": "urgency",
        "assignment_group": "group",
        "assigned_to": "assignee",
        "contact_type": "channel",
        "caller_id": "requester",
        "category": "topic",
    },
    "statuses": {
        "New": {"status": "new", "category": "new"},
        "Active": {"status": "active", "category": "open"},
        "Awaiting User Info": {"status": "awaiting_user_info", "category": "pending"},
        "Awaiting Problem": {"status": "awaiting_problem", "category": "on_hold"},
        "Awaiting Vendor": {"status": "awaiting_vendor", "category": "on_hold"},
        "Awaiting Evidence": {"status": "awaiting_evidence", "category": "on_hold"},
        "Resolved": {"status": "resolved", "category": "solved"},
        "Closed": {"status": "closed", "category": "closed"},
    },
    "channels": {
        "Phone": "phone",
        "Email": "email",
        "Self service": "web",
        "IVR": "phone",
        "Direct opening": "walk_in",
    },
    "missing": ["?", ""],
    "timestamp_format": "%d/%m/%Y %H:%M",
    "tz": "UTC",
}
"""The preset mapping (``codec.load(SnapshotMapping, PRESET)``); levels read by their leading integer."""


JSON_KEYS = ("result", "records")
"""Where a JSON document holds its rows (the Table API's ``result``, the JSONv2 export's ``records``)."""


def cells(record: Mapping[str, Any]) -> dict[str, str]:
    """A JSON row as cells; a reference or choice read with display values (``{"display_value": …, "value": …}``)
    gives its display value, the form the preset's state names are in."""
    return {
        key: text(value.get("display_value"))
        if isinstance(value, Mapping) and "display_value" in value
        else text(value)
        for key, value in record.items()
    }


AUDIT_PRESET: dict[str, Any] = {
    "ticket": "documentkey",
    "order": "record_checkpoint",
    "at": "sys_created_on",
    "actor": "user",
    # The incident's own column names, as the audit rows name the fields, plus two that audits often carry.
    "columns": {**PRESET["columns"], "state": "status", "short_description": "subject"},
    "statuses": {
        "1": {"status": "new", "category": "new"},
        "2": {"status": "in_progress", "category": "open"},
        "3": {"status": "on_hold", "category": "on_hold"},
        "6": {"status": "resolved", "category": "solved"},
        "7": {"status": "closed", "category": "closed"},
        "8": {"status": "canceled", "category": "closed"},
    },
    "channels": {"phone": "phone", "email": "email", "self-service": "web", "walk-in": "walk_in"},
    "missing": [""],
    "timestamp_format": "%Y-%m-%d %H:%M:%S",
    "tz": "UTC",
    # Journal entries are conversation, not ticket state; sys_* bookkeeping is no history of the incident.
    "ignore": ["comments", "work_notes", "sys_mod_count", "sys_updated_on", "sys_updated_by", "tablename"],
}
"""The preset of ``sys_audit`` exports: stored values (state ``2``, reference fields as sys_ids), UTC stamps."""

HISTORY_PRESET: dict[str, Any] = {
    **AUDIT_PRESET,
    "ticket": "set.id",
    "order": "update",
    "at": "update_time",
    "actor": "user_name",
}
"""The preset of ``sys_history_line`` exports: the same stored values as ``sys_audit``, under the history table's
column names (``set.id`` is the audited record's sys_id, dot-walked from the line's history set)."""


@attrs.frozen
class ChangeTable:
    """Where a change table's rows keep each part of a record: the audited record, the field, its old and new
    stored value, who changed it, when, and the update's number (the order of the states)."""

    name: str
    ticket: str
    field: str
    old: str
    new: str
    actor: str
    at: str
    order: str

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns an export of this table must have."""
        return (self.ticket, self.field, self.old, self.new, self.actor, self.at, self.order)


SYS_AUDIT = ChangeTable(
    "sys_audit",
    "documentkey",
    "fieldname",
    "oldvalue",
    "newvalue",
    "user",
    "sys_created_on",
    "record_checkpoint",
)
SYS_HISTORY_LINE = ChangeTable(
    "sys_history_line", "set.id", "field", "old_value", "new_value", "user_name", "update_time", "update"
)

AUDIT_COLUMNS = SYS_AUDIT.columns
"""The columns a ``sys_audit`` export must have."""

HISTORY_COLUMNS = SYS_HISTORY_LINE.columns
"""The columns a ``sys_history_line`` export must have."""


def read_changes(path: Path, table: ChangeTable) -> ExportRows:
    """A change table's export (CSV, one row per changed field) as the states of each record it audits."""
    read = read_csv(path)
    missing = [column for column in table.columns if column not in read.header]
    if missing:
        raise BadInput(
            f"the file has no column {', '.join(map(repr, missing))} of a {table.name} export; "
            f"its columns are {', '.join(read.header)} (is it the declared format?)",
            line=1,
        )
    changes: list[Change] = []
    problems: list[tuple[int, str, str]] = []
    count = 0
    for line, cells in read.rows:
        count += 1
        ticket = (cells.get(table.ticket) or "").strip()
        if ROW_ERROR in cells:
            problems.append((line, ticket, str(cells[ROW_ERROR])))
            continue
        changes.append(
            Change(
                line=line,
                ticket=ticket,
                order=cells.get(table.order) or "",
                at=cells.get(table.at) or "",
                actor=cells.get(table.actor) or "",
                field=(cells.get(table.field) or "").strip(),
                old=cells.get(table.old) or None,
                new=cells.get(table.new) or "",
            )
        )
    rows = rebuild(
        changes, ticket=table.ticket, order=table.order, at=table.at, actor=table.actor, problems=problems
    )
    header: dict[str, None] = {}
    for _, named in rows:
        header.update(dict.fromkeys(name for name in named if name != ROW_ERROR))
    note = f"{count} change records, read as {len(rows)} states of the records they audit (the rows counted here)"
    return ExportRows(header=tuple(header), rows=each(rows), bom=read.bom, sparse=True, note=note)


def read_audit(path: Path) -> ExportRows:
    """A ``sys_audit`` export as the states of each record it audits."""
    return read_changes(path, SYS_AUDIT)


def read_history(path: Path) -> ExportRows:
    """A ``sys_history_line`` export as the states of each record it holds the history of."""
    return read_changes(path, SYS_HISTORY_LINE)
