"""Freshdesk tickets in the shape of its API v2 (``GET /api/v2/tickets``: JSON, or a CSV with the same columns), and
its ticket activities export.

Codes are the API's: ``status`` 2 Open, 3 Pending, 4 Resolved, 5 Closed; ``priority`` 1 Low … 4 Urgent (so 4 is
ticketcore's priority 1); ``source`` 1 Email, 2 Portal, 3 Phone, 7 Chat, 9 Feedback widget, 10 Outbound email.
``responder_id`` is the assignee; each ``custom_fields`` entry (``cf_…``) is a column of its own. The description
is the first message, not ticket state, and the preset leaves it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ticketcore.errors import BadInput

from .changes import Change, rebuild
from .reading import ExportRows, check_utf8, each, json_records, text

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


ACTIVITY_PRESET: dict[str, Any] = {
    **{key: value for key, value in PRESET.items() if key not in ("at", "opened_at", "columns")},
    "ticket": "ticket_id",
    "order": "activity",
    "counted": False,
    "at": "performed_at",
    "actor": "performer_id",
    "columns": {
        "status": "status",
        "priority": "priority",
        "source": "channel",
        "requester_id": "requester",
        "agent_id": "assignee",
        "group": "group",
        "tags": "tags",
        "ticket_type": "topic",
    },
    # The activities name what the tickets API codes; both read the same.
    "statuses": {
        **PRESET["statuses"],
        "Open": {"status": "open", "category": "open"},
        "Pending": {"status": "pending", "category": "pending"},
        "Waiting on Customer": {"status": "waiting_on_customer", "category": "pending"},
        "Waiting on Third Party": {"status": "waiting_on_third_party", "category": "on_hold"},
        "Resolved": {"status": "resolved", "category": "solved"},
        "Closed": {"status": "closed", "category": "closed"},
    },
    "levels": {**PRESET["levels"], "Low": 4, "Medium": 3, "High": 2, "Urgent": 1},
    "channels": {
        **PRESET["channels"],
        "Email": "email",
        "Portal": "web",
        "Phone": "phone",
        "Chat": "chat",
        "Feedback Widget": "feedback_widget",
        "Outbound Email": "outbound_email",
    },
}
"""The preset of the ticket activities export (``GET /api/v2/export/ticket_activities``): one record per activity,
its ``activity`` holding the properties it set, named (``"status": "Pending"``) or coded as in the tickets API."""

ACTIVITY_KEYS = ("activities_data",)
"""Where the export's document holds its activities."""

_CONVERSATION = frozenset({"note", "new_ticket", "added_tags", "removed_tags"})
"""Activity keys that are no ticket property of their own: a note is conversation, ``new_ticket`` marks the
creation, and the tag lists are folded into the ``tags`` column."""


def read_activities(path: Path) -> ExportRows:
    """The ticket activities export (JSON) as the states of each ticket, one state per activity.

    Activities are taken in the order the file lists them (each is its own update) (a later one stamped earlier is reported as out of order,
    as in any export); ``added_tags`` and ``removed_tags`` amend the ticket's tags; any other property of an
    activity (a custom field among them) is a column of its own.
    """
    bom = check_utf8(path)
    changes: list[Change] = []
    tags: dict[str, set[str]] = {}
    activities = json_records(path.read_text(encoding="utf-8-sig"), ACTIVITY_KEYS)
    for number, record in activities:
        activity = record.get("activity")
        if "ticket_id" not in record or not isinstance(activity, Mapping):
            raise BadInput(
                "the record has no 'ticket_id' and 'activity' of a ticket activities export; it is not in the "
                "declared format",
                line=number,
            )
        head = Change(
            line=number,
            ticket=text(record.get("ticket_id")),
            order=str(number),
            at=text(record.get("performed_at")),
            actor=text(record.get("performer_id")),
            field="",
            old=None,
            new="",
        )
        for key, value in activity.items():
            if key not in _CONVERSATION:
                changes.append(attrs.evolve(head, field=str(key), new=text(value)))
        if "added_tags" in activity or "removed_tags" in activity:
            known = tags.get(head.ticket)
            current = set() if known is None else known
            after = (current - set(_tags(activity.get("removed_tags")))) | set(
                _tags(activity.get("added_tags"))
            )
            old = None if known is None else " ".join(sorted(current))
            changes.append(attrs.evolve(head, field="tags", old=old, new=" ".join(sorted(after))))
            tags[head.ticket] = after
    rows = rebuild(changes, ticket="ticket_id", order="activity", at="performed_at", actor="performer_id")
    header: dict[str, None] = {}
    for _, named in rows:
        header.update(dict.fromkeys(named))
    note = (
        f"{len(activities)} activities, read as {len(rows)} states of their tickets (the rows counted here; an "
        "activity that sets no property, such as a note, is conversation and gives no state)"
    )
    return ExportRows(header=tuple(header), rows=each(rows), bom=bom, sparse=True, note=note)


def _tags(value: object) -> list[str]:
    return [text(tag) for tag in value] if isinstance(value, list) else []
