"""ServiceNow incident audit rows: the public "incident event log" shape, one row per update of an incident.

Each row is the incident's fields after an update; ``sys_mod_count`` counts the updates, ``sys_updated_at`` and
``sys_updated_by`` say when and by whom; ``?`` marks a missing value. Columns the mapping does not name (``active``,
``reassignment_count``, ``made_sla``, ``location``, ``closed_code`` …) are kept as custom fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

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

AUDIT_COLUMNS = (
    "documentkey",
    "fieldname",
    "oldvalue",
    "newvalue",
    "user",
    "sys_created_on",
    "record_checkpoint",
)
"""The columns a ``sys_audit`` export must have."""


def read_audit(path: Path) -> ExportRows:
    """A ``sys_audit`` export (CSV, one row per changed field) as the states of each record it audits."""
    read = read_csv(path)
    missing = [column for column in AUDIT_COLUMNS if column not in read.header]
    if missing:
        raise BadInput(
            f"the file has no column {', '.join(map(repr, missing))} of a sys_audit export; "
            f"its columns are {', '.join(read.header)} (is it the declared format?)",
            line=1,
        )
    changes: list[Change] = []
    problems: list[tuple[int, str, str]] = []
    count = 0
    for line, cells in read.rows:
        count += 1
        ticket = (cells.get("documentkey") or "").strip()
        if ROW_ERROR in cells:
            problems.append((line, ticket, str(cells[ROW_ERROR])))
            continue
        changes.append(
            Change(
                line=line,
                ticket=ticket,
                order=cells.get("record_checkpoint") or "",
                at=cells.get("sys_created_on") or "",
                actor=cells.get("user") or "",
                field=(cells.get("fieldname") or "").strip(),
                old=cells.get("oldvalue") or None,
                new=cells.get("newvalue") or "",
            )
        )
    rows = rebuild(
        changes,
        ticket="documentkey",
        order="record_checkpoint",
        at="sys_created_on",
        actor="user",
        problems=problems,
    )
    header: dict[str, None] = {}
    for _, named in rows:
        header.update(dict.fromkeys(name for name in named if name != ROW_ERROR))
    note = f"{count} change records, read as {len(rows)} states of the records they audit (the rows counted here)"
    return ExportRows(header=tuple(header), rows=each(rows), bom=read.bom, sparse=True, note=note)
