"""Zendesk ticket exports (CSV or JSON): one row per ticket state, with the Tickets API's field names.

A full export has one row per ticket; an incremental export may have several rows of one ticket, oldest first,
each the ticket after an update (``updated_at``). ``tags`` are space-separated in CSV and a list in JSON; ``via``
is the channel (``via.channel`` in the API's JSON, flattened to ``via``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .reading import text

COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "subject",
    "status",
    "priority",
    "type",
    "via",
    "requester_id",
    "submitter_id",
    "assignee_id",
    "group_id",
    "organization_id",
    "tags",
)
"""The ticket columns a Zendesk export carries (custom fields follow as further columns)."""

PRESET: dict[str, Any] = {
    "ticket": "id",
    "at": "updated_at",
    "opened_at": "created_at",
    "columns": {
        "status": "status",
        "priority": "priority",
        "subject": "subject",
        "via": "channel",
        "requester_id": "requester",
        "assignee_id": "assignee",
        "group_id": "group",
        "tags": "tags",
    },
    "statuses": {
        "new": {"status": "new", "category": "new"},
        "open": {"status": "open", "category": "open"},
        "pending": {"status": "pending", "category": "pending"},
        "hold": {"status": "on_hold", "category": "on_hold"},
        "solved": {"status": "solved", "category": "solved"},
        "closed": {"status": "closed", "category": "closed"},
    },
    "levels": {"urgent": 1, "high": 2, "normal": 3, "low": 4},
    "channels": {
        "voice": "phone",
        "mobile": "mobile",
        "web": "web",
        "email": "email",
        "chat": "chat",
        "api": "api",
    },
    "missing": [""],
}
"""The preset mapping (``codec.load(SnapshotMapping, PRESET)``); timestamps are ISO 8601 in UTC."""


def cells(record: Mapping[str, Any]) -> dict[str, str]:
    """A ticket record of the Tickets API as CSV-like cells: ``via`` is its channel, ``tags`` space-separated, each
    of ``custom_fields`` a ``custom_field_<id>`` column; other nested values are kept as JSON text."""

    named: dict[str, str] = {}
    for key, value in record.items():
        if key == "via" and isinstance(value, Mapping):
            named["via"] = text(value.get("channel"))
        elif key == "tags" and isinstance(value, list):
            named["tags"] = " ".join(text(tag) for tag in value)
        elif key in ("custom_fields", "fields") and isinstance(value, list):
            # The API sends each custom field twice, under both keys, with the same ids and values.
            for field in value:
                if isinstance(field, Mapping) and "id" in field:
                    named[f"custom_field_{field['id']}"] = text(field.get("value"))
        else:
            named[key] = text(value)
    return named


JSON_KEYS = ("tickets",)
"""Where a JSON document holds its ticket records (the Tickets API and the incremental export)."""
