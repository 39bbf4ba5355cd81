"""Random histories exported as audit snapshots in each format, imported back: the same histories, every row kept.

The oracle is written here, apart from the engine: a history is generated as a list of ticket *states*, the events
it must give are built from the states directly (the documented order: status, priority, assignment, tags, custom
fields), and each state is written out as the format's export would write it (ServiceNow display values and its
``dd/mm/yyyy hh:mm`` stamps, Zendesk CSV and the Tickets API's JSON).
"""

from __future__ import annotations

import csv
import itertools
import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketcore.adapters.memory import MemoryStore
from ticketcore.importers import FORMATS, diff_snapshots, import_file, mapping_for, read_export, round_trip
from ticketcore.model import (
    Actor,
    Assigned,
    Event,
    FieldChanged,
    Opened,
    PriorityChanged,
    Role,
    StatusChanged,
    TagsChanged,
    Unassigned,
)

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@attrs.frozen
class State:
    """What a snapshot shows of a ticket: the parts the exports carry and the engine diffs."""

    status: str
    priority: int
    group: str | None
    agent: str | None
    tags: frozenset[str]
    custom: str | None
    actor: str
    minutes: int  # after START; a snapshot's stamp, to the minute as ServiceNow writes it


SERVICENOW_STATES = ["New", "Active", "Awaiting User Info", "Awaiting Vendor", "Resolved", "Closed"]
ZENDESK_STATES = ["new", "open", "pending", "hold", "solved", "closed"]
ZENDESK_PRIORITIES = {1: "urgent", 2: "high", 3: "normal", 4: "low"}


@st.composite
def histories(draw: st.DrawFn, states: list[str]) -> list[State]:
    """A ticket's successive states: each a few changes (or none: a duplicate snapshot) after the one before.

    A group, once set, is never cleared: an export cannot tell "no group" from "group unknown" and the engine keeps
    the one before (reported as an anomaly), which is tested on its own.
    """
    count = draw(st.integers(1, 7))
    names = st.sampled_from(["ada", "bo", "cy"])
    group = draw(st.none() | st.sampled_from(["L1", "L2"]))
    state = State(
        status=draw(st.sampled_from(states[:2])),
        priority=draw(st.integers(1, 4)),
        group=group,
        agent=draw(st.none() | names),
        tags=draw(st.frozensets(st.sampled_from(["vpn", "mail", "vip"]))),
        custom=draw(st.none() | st.sampled_from(["Rome", "Oslo"])),
        actor=draw(names),
        minutes=draw(st.integers(0, 600)),
    )
    found = [state]
    for _ in range(count - 1):
        before = found[-1]
        changes: dict[str, Any] = {
            "actor": draw(names),
            "minutes": before.minutes + draw(st.integers(0, 300)),
        }
        if draw(st.booleans()):
            changes["status"] = draw(st.sampled_from(states))
        if draw(st.booleans()):
            changes["priority"] = draw(st.integers(1, 4))
        if draw(st.booleans()):
            changes["group"] = draw(st.sampled_from(["L1", "L2", "L3"]))
        if draw(st.booleans()):
            changes["agent"] = draw(st.none() | names)
        if draw(st.booleans()):
            changes["tags"] = draw(st.frozensets(st.sampled_from(["vpn", "mail", "vip"])))
        if draw(st.booleans()):
            changes["custom"] = draw(st.none() | st.sampled_from(["Rome", "Oslo", "Lima"]))
        found.append(attrs.evolve(before, **changes))
    return found


def expected_events(
    ticket_id: str,
    states: list[State],
    status_of: Callable[[str], tuple[str, str]],
    custom: str,
    tags: bool,
    channel: str = "email",
) -> list[Event]:
    """The history a list of states stands for, built from the states alone."""
    events: list[Event] = []

    def add(kind: type[Event], state: State, **body: Any) -> None:
        at = START + timedelta(minutes=state.minutes)
        actor = Actor(state.actor, Role.AGENT)
        events.append(kind(ticket_id=ticket_id, seq=len(events) + 1, at=at, actor=actor, **body))

    first = states[0]
    status, category = status_of(first.status)
    opened: dict[str, Any] = {"status": status, "category": category, "priority": first.priority}
    opened |= {"group": first.group} if first.group is not None else {}
    opened |= {"tags": first.tags} if tags else {}
    opened |= {"fields": {custom: first.custom}} if first.custom is not None else {}
    add(Opened, first, requester="cy", channel=channel, subject="Printer", **opened)
    if first.agent is not None:
        add(Assigned, first, agent=first.agent)
    for before, state in itertools.pairwise(states):
        if state.status != before.status:
            old, new = status_of(before.status), status_of(state.status)
            add(
                StatusChanged,
                state,
                from_status=old[0],
                from_category=old[1],
                to_status=new[0],
                to_category=new[1],
            )
        if state.priority != before.priority:
            add(PriorityChanged, state, from_priority=before.priority, to_priority=state.priority)
        agent = state.agent if state.agent != before.agent else None
        group = state.group if state.group != before.group else None
        if state.agent is None and before.agent is not None:
            add(Unassigned, state)
        if agent is not None or group is not None:
            add(Assigned, state, agent=agent, group=group)
        if tags and state.tags != before.tags:
            add(TagsChanged, state, added=state.tags - before.tags, removed=before.tags - state.tags)
        if state.custom != before.custom:
            add(FieldChanged, state, field=custom, value=state.custom, previous=before.custom)
    return events


def servicenow_rows(ticket_id: str, states: list[State]) -> list[dict[str, str]]:
    def stamp(minutes: int) -> str:
        at = START + timedelta(minutes=minutes)
        return f"{at.day}/{at.month}/{at.year} {at:%H:%M}"

    names = {1: "1 - Critical", 2: "2 - High", 3: "3 - Moderate", 4: "4 - Low"}
    rows = []
    for count, state in enumerate(states):
        row = dict.fromkeys(SERVICENOW_COLUMNS, "?")
        row |= {
            "number": ticket_id,
            "incident_state": state.status,
            "sys_mod_count": str(count),
            "caller_id": "cy",
            "opened_at": stamp(states[0].minutes),
            "sys_updated_by": state.actor,
            "sys_updated_at": stamp(state.minutes),
            "contact_type": "Email",
            "location": state.custom or "?",
            "priority": names[state.priority],
            "assignment_group": state.group or "?",
            "assigned_to": state.agent or "?",
            "u_symptom": "Printer",
        }
        rows.append(row)
    return rows


SERVICENOW_COLUMNS = FORMATS["servicenow"].columns


def zendesk_records(ticket_id: str, states: list[State]) -> list[dict[str, Any]]:
    def stamp(minutes: int) -> str:
        return (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")

    return [
        {
            "id": int(ticket_id),
            "created_at": stamp(states[0].minutes),
            "updated_at": stamp(state.minutes),
            "subject": "Printer",
            "status": state.status,
            "priority": ZENDESK_PRIORITIES[state.priority],
            "via": {"channel": "email"},
            "requester_id": "cy",
            "assignee_id": state.agent,
            "group_id": state.group,
            "tags": sorted(state.tags),
            "custom_fields": [{"id": 360001, "value": state.custom}],
            "updated_by": state.actor,
        }
        for state in states
    ]


def zendesk_csv_row(record: dict[str, Any]) -> dict[str, str]:
    row = {
        k: "" if v is None else str(v) for k, v in record.items() if k not in ("via", "tags", "custom_fields")
    }
    row |= {"via": record["via"]["channel"], "tags": " ".join(record["tags"])}
    row["custom_field_360001"] = record["custom_fields"][0]["value"] or ""
    return row


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def check(path: Path, fmt: str, mapping_overrides: dict[str, Any], expected: dict[str, list[Event]]) -> None:
    mapping = mapping_for(fmt, mapping_overrides)
    store = MemoryStore()
    report = import_file(store, path, format=fmt, mapping=mapping)
    assert report.balanced
    assert report.rows_in == sum(1 for _ in read_export(path, fmt).rows)
    assert report.tickets == len(expected)
    assert report.tickets_refused == 0
    for ticket_id, events in expected.items():
        assert list(store.events(ticket_id)) == events
    read = read_export(path, fmt)
    rows = list(read.rows)
    for item in diff_snapshots(iter(rows), read.header, mapping, sparse=read.sparse):
        assert round_trip(item, rows, read.header, mapping) == []


def servicenow_status(name: str) -> tuple[str, str]:
    preset = mapping_for("servicenow").statuses[name]
    return preset.status, preset.category.value


def zendesk_status(name: str) -> tuple[str, str]:
    preset = mapping_for("zendesk").statuses[name]
    return preset.status, preset.category.value


TICKETS = st.lists(histories(SERVICENOW_STATES), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(TICKETS)
def test_servicenow_audit_rows_give_back_the_histories(tickets: list[list[State]]) -> None:
    expected, rows = {}, []
    for number, states in enumerate(tickets, 1):
        ticket_id = f"INC{number:07d}"
        expected[ticket_id] = expected_events(ticket_id, states, servicenow_status, "location", tags=False)
        rows += servicenow_rows(ticket_id, states)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "incidents.csv"
        write_csv(path, rows)
        # u_symptom is the subject here; the preset keeps it as a custom field otherwise.
        check(path, "servicenow", {"columns": {"u_symptom": "subject"}}, expected)


@settings(max_examples=40, deadline=None)
@given(st.lists(histories(ZENDESK_STATES), min_size=1, max_size=4), st.booleans())
def test_zendesk_exports_give_back_the_histories(tickets: list[list[State]], as_json: bool) -> None:
    expected, records = {}, []
    for number, states in enumerate(tickets, 35000):
        ticket_id = str(number)
        expected[ticket_id] = expected_events(
            ticket_id, states, zendesk_status, "custom_field_360001", tags=True
        )
        records += zendesk_records(ticket_id, states)
    with tempfile.TemporaryDirectory() as folder:
        if as_json:
            path = Path(folder) / "tickets.json"
            path.write_text(json.dumps({"tickets": records, "count": len(records)}), encoding="utf-8")
        else:
            path = Path(folder) / "tickets.csv"
            write_csv(path, [zendesk_csv_row(r) for r in records])
        check(path, "zendesk", {"actor": "updated_by"}, expected)


JIRA_STATES = ["Waiting for support", "In Progress", "Waiting for customer", "Pending", "Resolved", "Closed"]
JIRA_PRIORITIES = {1: "Highest", 2: "High", 3: "Medium", 4: "Low"}


def jira_issue(key: str, states: list[State]) -> dict[str, Any]:
    """The issue as the REST API returns it with ``expand=changelog``: the last state's fields, and the changes."""

    def stamp(minutes: int) -> str:
        return (START + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")

    def user(name: str | None) -> dict[str, str] | None:
        return None if name is None else {"accountId": name, "displayName": name.title()}

    last = states[-1]
    histories = []
    for before, state in itertools.pairwise(states):
        items = []
        if state.status != before.status:
            items.append({"field": "status", "fromString": before.status, "toString": state.status})
        if state.priority != before.priority:
            items.append(
                {
                    "field": "priority",
                    "fromString": JIRA_PRIORITIES[before.priority],
                    "toString": JIRA_PRIORITIES[state.priority],
                }
            )
        if state.agent != before.agent:
            items.append(
                {"field": "assignee", "from": before.agent, "to": state.agent, "toString": "Someone"}
            )
        if state.tags != before.tags:
            items.append(
                {
                    "field": "labels",
                    "fromString": " ".join(sorted(before.tags)),
                    "toString": " ".join(sorted(state.tags)),
                }
            )
        if state.custom != before.custom:
            items.append(
                {
                    "field": "Site",
                    "fieldId": "customfield_1",
                    "fromString": before.custom,
                    "toString": state.custom,
                }
            )
        if items:
            history = {"id": str(10_000 + len(histories)), "created": stamp(state.minutes), "items": items}
            histories.append(history | {"author": user(state.actor)})
    return {
        "key": key,
        "fields": {
            "created": stamp(states[0].minutes),
            "updated": stamp(last.minutes),
            "summary": "Printer",
            "status": {"name": last.status, "statusCategory": {"key": "indeterminate"}},
            "priority": {"name": JIRA_PRIORITIES[last.priority]},
            "assignee": user(last.agent),
            "reporter": user("cy"),
            "labels": sorted(last.tags),
            "customfield_1": last.custom,
        },
        "changelog": {"histories": list(reversed(histories))},  # newest first: the order must not matter
    }


def jira_status(name: str) -> tuple[str, str]:
    preset = mapping_for("jira").statuses[name]
    return preset.status, preset.category.value


def _jira_history(states: list[State]) -> list[State]:
    """What Jira can hold of a history: no group, the reporter opens it, and no update without a change."""
    states = [attrs.evolve(s, group=None) for s in states]
    states[0] = attrs.evolve(states[0], actor="cy")
    kept = [states[0]]
    for state in states[1:]:
        if attrs.evolve(state, actor="", minutes=0) != attrs.evolve(kept[-1], actor="", minutes=0):
            kept.append(state)
    return kept


@settings(max_examples=40, deadline=None)
@given(st.lists(histories(JIRA_STATES).map(_jira_history), min_size=1, max_size=4))
def test_jira_change_logs_give_back_the_histories(tickets: list[list[State]]) -> None:
    expected, issues = {}, []
    for number, states in enumerate(tickets, 1):
        key = f"HELP-{number}"
        expected[key] = expected_events(
            key, states, jira_status, "customfield_1", tags=True, channel="unknown"
        )
        issues.append(jira_issue(key, states))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "issues.json"
        path.write_text(json.dumps({"issues": issues, "total": len(issues)}), encoding="utf-8")
        check(path, "jira", {}, expected)


AUDIT_STATES = ["1", "2", "3", "6", "7"]


def audit_records(sys_id: str, states: list[State]) -> list[dict[str, str]]:
    """The ``sys_audit`` rows of a history: every set field at checkpoint 0, then one row per changed field."""

    def values(state: State) -> dict[str, str]:
        return {
            "state": state.status,
            "priority": str(state.priority),
            "assignment_group": state.group or "",
            "assigned_to": state.agent or "",
            "u_site": state.custom or "",
            "caller_id": "cy",
            "short_description": "Printer",
        }

    rows, checkpoint, before = [], 0, dict.fromkeys(values(states[0]), "")
    # A field left out of the insert's records (as unaudited ones are) is known from its first change's old value.
    late = any(state.custom != states[0].custom for state in states)
    for state in states:
        now = values(state)
        changed = {field: value for field, value in now.items() if value != before[field]}
        if checkpoint == 0 and late:
            changed.pop("u_site", None)
            before["u_site"] = now["u_site"]
        if not changed and checkpoint:
            continue
        at = (START + timedelta(minutes=state.minutes)).strftime("%Y-%m-%d %H:%M:%S")
        for field, value in changed.items():
            rows.append(
                {
                    "sys_id": f"a{len(rows)}",
                    "tablename": "incident",
                    "documentkey": sys_id,
                    "fieldname": field,
                    "oldvalue": before[field],
                    "newvalue": value,
                    "user": state.actor,
                    "sys_created_on": at,
                    "record_checkpoint": str(checkpoint),
                }
            )
        before, checkpoint = before | changed, checkpoint + 1
    return rows


def audit_status(name: str) -> tuple[str, str]:
    preset = mapping_for("servicenow-audit").statuses[name]
    return preset.status, preset.category.value


@settings(max_examples=40, deadline=None)
@given(st.lists(histories(AUDIT_STATES), min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_servicenow_sys_audit_rows_give_back_the_histories(tickets: list[list[State]], shuffle: Any) -> None:
    expected, rows = {}, []
    for number, states in enumerate(tickets, 1):
        sys_id = f"{number:032x}"
        expected[sys_id] = expected_events(
            sys_id, states, audit_status, "u_site", tags=False, channel="unknown"
        )
        rows += audit_records(sys_id, states)
    shuffle.shuffle(rows)  # an audit table is in no useful order
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sys_audit.csv"
        write_csv(path, rows)
        check(path, "servicenow-audit", {}, expected)


def zendesk_audits(ticket_id: int, states: list[State], ids: list[int]) -> list[dict[str, Any]]:
    """A ticket's audits: ``Create`` events for what its first state sets, then ``Change`` events."""

    def values(state: State) -> dict[str, Any]:
        return {
            "status": state.status,
            "priority": ZENDESK_PRIORITIES[state.priority],
            "subject": "Printer",
            "requester_id": "cy",
            "assignee_id": state.agent,
            "group_id": state.group,
            "tags": sorted(state.tags),
            "360001": state.custom,
        }

    audits, before = [], None
    for state in states:
        now = values(state)
        if before is None:
            events = [
                {"type": "Create", "field_name": k, "value": v} for k, v in now.items() if v not in (None, [])
            ]
        else:
            events = [
                {"type": "Change", "field_name": k, "value": v, "previous_value": before[k]}
                for k, v in now.items()
                if v != before[k]
            ]
        if events or before is None:
            ids.append(ids[-1] + 1 if ids else 1000)
            stamp = (START + timedelta(minutes=state.minutes)).isoformat().replace("+00:00", "Z")
            audits.append(
                {
                    "id": ids[-1],
                    "ticket_id": ticket_id,
                    "created_at": stamp,
                    "author_id": state.actor,
                    "via": {"channel": "email", "source": {}},
                    "events": [*events, {"type": "Notification", "subject": "x", "body": "y"}],
                }
            )
        before = now
    return audits


@settings(max_examples=40, deadline=None)
@given(st.lists(histories(ZENDESK_STATES), min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_zendesk_ticket_audits_give_back_the_histories(tickets: list[list[State]], shuffle: Any) -> None:
    expected, audits, ids = {}, [], []
    for number, states in enumerate(tickets, 35000):
        expected[str(number)] = expected_events(
            str(number), states, zendesk_status, "custom_field_360001", tags=True
        )
        audits += zendesk_audits(number, states, ids)
    shuffle.shuffle(audits)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audits.json"
        path.write_text(json.dumps({"audits": audits, "next_page": None}), encoding="utf-8")
        check(path, "zendesk-audits", {}, expected)


FRESHDESK_STATES = ["2", "3", "4", "5"]
FRESHDESK_PRIORITIES = {1: 4, 2: 3, 3: 2, 4: 1}  # ticketcore's level → the API's code (4 is Urgent)


def freshdesk_records(ticket_id: int, states: list[State]) -> list[dict[str, Any]]:
    def stamp(minutes: int) -> str:
        return (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")

    return [
        {
            "id": ticket_id,
            "subject": "Printer",
            "description": "<div>It is on fire</div>",
            "status": int(state.status),
            "priority": FRESHDESK_PRIORITIES[state.priority],
            "source": 1,
            "requester_id": "cy",
            "responder_id": state.agent,
            "group_id": state.group,
            "tags": sorted(state.tags),
            "custom_fields": {"cf_site": state.custom},
            "created_at": stamp(states[0].minutes),
            "updated_at": stamp(state.minutes),
            "updated_by": state.actor,
        }
        for state in states
    ]


def freshdesk_status(name: str) -> tuple[str, str]:
    preset = mapping_for("freshdesk").statuses[name]
    return preset.status, preset.category.value


@settings(max_examples=40, deadline=None)
@given(st.lists(histories(FRESHDESK_STATES), min_size=1, max_size=4))
def test_freshdesk_tickets_give_back_the_histories(tickets: list[list[State]]) -> None:
    expected, records = {}, []
    for number, states in enumerate(tickets, 9000):
        expected[str(number)] = expected_events(str(number), states, activity_status, "cf_site", tags=True)
        records += freshdesk_records(number, states)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tickets.json"
        path.write_text(json.dumps(records), encoding="utf-8")  # the API's list is a bare array
        check(path, "freshdesk", {"actor": "updated_by"}, expected)


@settings(max_examples=25, deadline=None)
@given(st.lists(histories(AUDIT_STATES), min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_servicenow_sys_history_line_rows_give_back_the_histories(
    tickets: list[list[State]], shuffle: Any
) -> None:
    names = {
        "documentkey": "set.id",
        "fieldname": "field",
        "oldvalue": "old_value",
        "newvalue": "new_value",
        "user": "user_name",
        "sys_created_on": "update_time",
        "record_checkpoint": "update",
    }
    expected, rows = {}, []
    for number, states in enumerate(tickets, 1):
        sys_id = f"{number:032x}"
        expected[sys_id] = expected_events(
            sys_id, states, audit_status, "u_site", tags=False, channel="unknown"
        )
        rows += [{names.get(k, k): v for k, v in row.items()} for row in audit_records(sys_id, states)]
    shuffle.shuffle(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sys_history_line.csv"
        write_csv(path, rows)
        check(path, "servicenow-history", {}, expected)


ACTIVITY_STATES = ["Open", "Pending", "Waiting on Customer", "Waiting on Third Party", "Resolved", "Closed"]
ACTIVITY_PRIORITIES = {1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}


def freshdesk_activities(ticket_id: int, states: list[State]) -> list[dict[str, Any]]:
    """A ticket's activities: the creation with every set property, then what each state changed (a note when a
    state changes nothing)."""

    def properties(state: State) -> dict[str, Any]:
        return {
            "status": state.status,
            "priority": ACTIVITY_PRIORITIES[state.priority],
            "group": state.group,
            "agent_id": state.agent,
            "cf_site": state.custom,
        }

    records = []
    before: State | None = None
    for state in states:
        now = properties(state)
        if before is None:
            activity = {"new_ticket": True, "source": "Email", "requester_id": "cy", "subject": "Printer"}
            activity |= {key: value for key, value in now.items() if value is not None}
            activity |= {"added_tags": sorted(state.tags)} if state.tags else {}
        else:
            old = properties(before)
            activity = {key: value for key, value in now.items() if value != old[key]}
            if state.tags != before.tags:
                activity |= {
                    "added_tags": sorted(state.tags - before.tags),
                    "removed_tags": sorted(before.tags - state.tags),
                }
            activity = activity or {"note": {"id": len(records), "type": 2}}
        stamp = (START + timedelta(minutes=state.minutes)).isoformat().replace("+00:00", "Z")
        records.append(
            {"ticket_id": ticket_id, "performer_id": state.actor, "performed_at": stamp, "activity": activity}
        )
        before = state
    return records


def activity_status(name: str) -> tuple[str, str]:
    preset = mapping_for("freshdesk-activities").statuses[name]
    return preset.status, preset.category.value


@settings(max_examples=40, deadline=None)
@given(st.lists(histories(ACTIVITY_STATES), min_size=1, max_size=4))
def test_freshdesk_activities_give_back_the_histories(tickets: list[list[State]]) -> None:
    expected, per_ticket = {}, []
    for number, states in enumerate(tickets, 1):
        expected[str(number)] = expected_events(str(number), states, activity_status, "cf_site", tags=True)
        per_ticket.append(freshdesk_activities(number, states))
    # The export lists activities by time across tickets: each ticket's in order, the tickets interleaved.
    records = [r for group in itertools.zip_longest(*per_ticket) for r in group if r is not None]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "activities.json"
        path.write_text(json.dumps({"activities_data": records}), encoding="utf-8")
        check(path, "freshdesk-activities", {"columns": {"subject": "subject"}}, expected)
