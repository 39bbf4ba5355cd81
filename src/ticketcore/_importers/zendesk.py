"""Zendesk ticket exports (CSV or JSON): one row per ticket state, with the Tickets API's field names.

A full export has one row per ticket; an incremental export may have several rows of one ticket, oldest first,
each the ticket after an update (``updated_at``). ``tags`` are space-separated in CSV and a list in JSON; ``via``
is the channel (``via.channel`` in the API's JSON, flattened to ``via``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from .changes import Change, rebuild
from .reading import ExportRows, check_utf8, each, json_records, text

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


AUDIT_PRESET: dict[str, Any] = {
    **{key: value for key, value in PRESET.items() if key not in ("at", "opened_at")},
    "ticket": "ticket_id",
    "order": "audit_id",
    "counted": False,
    "at": "created_at",
    "actor": "author_id",
}
"""The preset of ticket audits (``GET /api/v2/ticket_audits``, or a ticket's ``/audits``): the tickets export's,
with each audit's ticket, id, time and author."""

AUDIT_KEYS = ("audits",)
"""Where a JSON document holds its audits."""

_RECORDED = frozenset({"Create", "Change"})
"""The audit events that record a field's value (comments, notifications and the like are no ticket state)."""


def _name(field: object) -> str:
    name = text(field)
    return f"custom_field_{name}" if name.isdigit() else name


def read_audits(path: Path) -> ExportRows:
    """Ticket audits (JSON: each audit's ``Create``/``Change`` events) as the states of each ticket.

    The first audit's ``via.channel`` is the ticket's channel; a custom field (a numeric ``field_name``) is the
    ``custom_field_<id>`` column, as in the tickets export.
    """
    bom = check_utf8(path)
    changes: list[Change] = []
    audits = json_records(path.read_text(encoding="utf-8-sig"), AUDIT_KEYS)
    for number, audit in audits:
        head = Change(
            line=number,
            ticket=text(audit.get("ticket_id")),
            order=text(audit.get("id")),
            at=text(audit.get("created_at")),
            actor=text(audit.get("author_id")),
            field="",
            old=None,
            new="",
        )
        events = [
            e for e in audit.get("events") or () if isinstance(e, Mapping) and e.get("type") in _RECORDED
        ]
        via = audit.get("via")
        if any(e.get("type") == "Create" for e in events) and isinstance(via, Mapping):
            changes.append(attrs.evolve(head, field="via", new=text(via.get("channel"))))
        for event in events:
            old = event.get("previous_value")
            changes.append(
                attrs.evolve(
                    head,
                    field=_name(event.get("field_name")),
                    old=None if event.get("type") == "Create" or old is None else _value(old),
                    new=_value(event.get("value")),
                )
            )
    rows = rebuild(changes, ticket="ticket_id", order="audit_id", at="created_at", actor="author_id")
    header: dict[str, None] = {}
    for _, named in rows:
        header.update(dict.fromkeys(named))
    note = f"{len(audits)} audits, read as {len(rows)} states of their tickets (the rows counted here)"
    return ExportRows(header=tuple(header), rows=each(rows), bom=bom, sparse=True, note=note)


def _value(value: object) -> str:
    return " ".join(text(tag) for tag in value) if isinstance(value, list) else text(value)
