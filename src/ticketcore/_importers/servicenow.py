"""ServiceNow incident audit rows: the public "incident event log" shape, one row per update of an incident.

Each row is the incident's fields after an update; ``sys_mod_count`` counts the updates, ``sys_updated_at`` and
``sys_updated_by`` say when and by whom; ``?`` marks a missing value. Columns the mapping does not name (``active``,
``reassignment_count``, ``made_sla``, ``location``, ``closed_code`` …) are kept as custom fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .reading import text

COLUMNS = [
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
]
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
