"""Zendesk ticket exports (CSV or JSON): one row per ticket state, with the Tickets API's field names.

A full export has one row per ticket; an incremental export may have several rows of one ticket, oldest first,
each the ticket after an update (``updated_at``). ``tags`` are space-separated in CSV and a list in JSON; ``via``
is the channel (``via.channel`` in the API's JSON, flattened to ``via``).
"""

from __future__ import annotations

from typing import Any

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
