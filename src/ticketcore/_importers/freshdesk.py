"""Freshdesk tickets in the shape of its API v2 (``GET /api/v2/tickets``: JSON, or a CSV with the same columns).

Codes are the API's: ``status`` 2 Open, 3 Pending, 4 Resolved, 5 Closed; ``priority`` 1 Low … 4 Urgent (so 4 is
ticketcore's priority 1); ``source`` 1 Email, 2 Portal, 3 Phone, 7 Chat, 9 Feedback widget, 10 Outbound email.
``responder_id`` is the assignee; each ``custom_fields`` entry (``cf_…``) is a column of its own. The description
is the first message, not ticket state, and the preset leaves it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .reading import text

PRESET: dict[str, Any] = {
    "ticket": "id",
    "at": "updated_at",
    "opened_at": "created_at",
    "columns": {
        "status": "status",
        "priority": "priority",
        "source": "channel",
        "requester_id": "requester",
        "responder_id": "assignee",
        "group_id": "group",
        "tags": "tags",
        "subject": "subject",
        "type": "topic",
    },
    "statuses": {
        "2": {"status": "open", "category": "open"},
        "3": {"status": "pending", "category": "pending"},
        "4": {"status": "resolved", "category": "solved"},
        "5": {"status": "closed", "category": "closed"},
    },
    "levels": {"1": 4, "2": 3, "3": 2, "4": 1},
    "channels": {
        "1": "email",
        "2": "web",
        "3": "phone",
        "7": "chat",
        "9": "feedback_widget",
        "10": "outbound_email",
    },
    "missing": [""],
    "ignore": ["description", "description_text"],
}
"""The preset mapping; timestamps are ISO 8601 in UTC."""

JSON_KEYS = ("tickets",)
"""Where a JSON document holds its tickets (the API's list is a bare array, also read)."""


def cells(record: Mapping[str, Any]) -> dict[str, str]:
    """A ticket of the API as cells: ``tags`` space-separated, each ``custom_fields`` entry a column."""
    named: dict[str, str] = {}
    for key, value in record.items():
        if key == "tags" and isinstance(value, list):
            named["tags"] = " ".join(text(tag) for tag in value)
        elif key == "custom_fields" and isinstance(value, Mapping):
            named.update((str(name), text(field)) for name, field in value.items())
        else:
            named[key] = text(value)
    return named
