"""Jira Service Management issues with their change log (the REST API's ``search`` or ``issue`` with
``expand=changelog``): ``{"issues": [{"key", "fields": {...}, "changelog": {"histories": [...]}}]}``.

An issue holds its *current* fields and the list of changes that led there (each history: ``created``, ``author``,
``items`` of ``field``/``fieldId``, ``from``/``fromString``, ``to``/``toString``). The states are rebuilt from them:
walking the histories back from the current fields gives the state at creation, and walking forward gives the state
after each history. Those states then go through the snapshot engine like any other export's rows.

Users (``assignee``, ``reporter``) are read by id (``accountId`` in the cloud, ``name`` or ``key`` on a server),
from a change's ``from``/``to``; other fields by their text (``fromString``/``toString``). Volatile fields that are
no history of the ticket (``updated``, ``lastViewed``, ``watches`` …) are left out by the preset's ``ignore``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from .reading import ExportRows, read_changelog, text

TICKET = "key"
AT = "changed_at"
ACTOR = "changed_by"
CREATED = "created"
USERS = frozenset({"assignee", "reporter", "creator"})

PRESET: dict[str, Any] = {
    "ticket": TICKET,
    "at": AT,
    "actor": ACTOR,
    "opened_at": CREATED,
    "columns": {
        "status": "status",
        "priority": "priority",
        "assignee": "assignee",
        "reporter": "requester",
        "labels": "tags",
        "summary": "subject",
        "issuetype": "topic",
    },
    "statuses": {
        "Open": {"status": "open", "category": "new"},
        "To Do": {"status": "to_do", "category": "new"},
        "Waiting for support": {"status": "waiting_for_support", "category": "open"},
        "In Progress": {"status": "in_progress", "category": "open"},
        "In progress": {"status": "in_progress", "category": "open"},
        "Work in progress": {"status": "work_in_progress", "category": "open"},
        "Escalated": {"status": "escalated", "category": "open"},
        "Waiting for customer": {"status": "waiting_for_customer", "category": "pending"},
        "Pending": {"status": "pending", "category": "on_hold"},
        "Resolved": {"status": "resolved", "category": "solved"},
        "Done": {"status": "done", "category": "solved"},
        "Closed": {"status": "closed", "category": "closed"},
        "Canceled": {"status": "canceled", "category": "closed"},
    },
    "levels": {"Highest": 1, "High": 2, "Medium": 3, "Low": 4, "Lowest": 5},
    "missing": [""],
    "ignore": [
        "updated",
        "lastViewed",
        "watches",
        "votes",
        "worklog",
        "comment",
        "attachment",
        "progress",
        "aggregateprogress",
        "timetracking",
        "statuscategorychangedate",
    ],
}
"""The preset mapping; ``changed_at``/``changed_by`` are the time and author of each rebuilt state."""

JSON_KEYS = ("issues",)
"""Where a JSON document holds its issues."""


def _user(value: object) -> str:
    if isinstance(value, Mapping):
        for key in ("accountId", "name", "key", "emailAddress", "displayName"):
            if value.get(key):
                return text(value[key])
        return ""
    return text(value)


def _field(name: str, value: object) -> str:
    """A current field as the text its change-log entries use."""
    if name in USERS:
        return _user(value)
    if isinstance(value, list):
        return " ".join(_field(name, item) for item in value)
    if isinstance(value, Mapping):
        for key in ("name", "value", "displayName", "key"):
            if key in value:
                return text(value[key])
    return text(value)


def _changed(item: Mapping[str, Any], side: str) -> str:
    name = str(item.get("fieldId") or item.get("field") or "")
    if name in USERS:
        return text(item.get(side))
    return text(item.get(f"{side}String"))


def _in_time_order(histories: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The histories oldest first (the API's order varies), those of one instant by their increasing ``id``.

    When a stamp does not parse as an aware ISO 8601 instant the file's order is kept, and the engine reports the
    stamp with its row.
    """
    keys = []
    for history in histories:
        try:
            at = datetime.fromisoformat(str(history.get("created", "")))
        except ValueError:
            return histories
        if at.tzinfo is None:
            return histories
        ident = str(history.get("id", ""))
        keys.append((at, int(ident) if ident.isdigit() else 0))
    order = sorted(range(len(histories)), key=keys.__getitem__)
    return [histories[i] for i in order]


def expand(issue: Mapping[str, Any]) -> list[dict[str, str]]:
    """The states of one issue, oldest first: at creation, then after each history of its change log."""
    fields = issue.get("fields") or {}
    if not isinstance(fields, Mapping):
        raise ValueError("'fields' is not an object")
    current = {name: _field(name, value) for name, value in fields.items()}
    changelog = issue.get("changelog") or {}
    histories = _in_time_order([h for h in changelog.get("histories") or () if isinstance(h, Mapping)])
    state = dict(current)
    for history in reversed(histories):
        for item in history.get("items") or ():
            state[str(item.get("fieldId") or item.get("field"))] = _changed(item, "from")
    key, created = text(issue.get("key")), current.get(CREATED, "")
    first = {TICKET: key, AT: created, ACTOR: current.get("reporter", ""), **state}
    states = [first]
    for history in histories:
        for item in history.get("items") or ():
            state[str(item.get("fieldId") or item.get("field"))] = _changed(item, "to")
        author = _user(history.get("author"))
        states.append({TICKET: key, AT: text(history.get("created")), ACTOR: author, **state})
    return states


def read(path: Path) -> ExportRows:
    """A JSON export of issues with their change logs, as the states of each issue."""
    return read_changelog(path, expand, keys=JSON_KEYS)
