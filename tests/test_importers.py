"""Importing help-desk exports: the accounting of every row, and every kind of bad input named by line and column."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketcore import codec
from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.cli import EXIT_OK, EXIT_REFUSED, main
from ticketcore.errors import BadInput, ConfigError, NaiveDatetimeError, TicketcoreError
from ticketcore.importers import (
    AnomalyKind,
    Outcome,
    SnapshotMapping,
    diff_snapshots,
    import_file,
    mapping_for,
    read_export,
    replay,
)
from ticketcore.lifecycle import default_workflow
from ticketcore.model import Category, Event, Opened, PriorityChanged, StatusChanged
from ticketcore.sla import SLAPolicySet

SAMPLES = Path(__file__).parent.parent / "docs" / "samples"
SERVICENOW = SAMPLES / "servicenow-incidents.csv"
ZENDESK = SAMPLES / "zendesk-tickets.csv"
HEADER = "id,created_at,updated_at,status,priority,via,requester_id,assignee_id,group_id,tags,subject,note"


def zendesk(tmp_path: Path, *rows: str, name: str = "tickets.csv", prefix: bytes = b"") -> Path:
    path = tmp_path / name
    path.write_bytes(prefix + "\n".join((HEADER, *rows)).encode("utf-8") + b"\n")
    return path


def row(ticket: str, updated: str, status: str = "open", **cells: str) -> str:
    values = {
        "id": ticket,
        "created_at": "2026-03-02T08:00:00Z",
        "updated_at": updated,
        "status": status,
        "priority": "normal",
        "via": "email",
        "requester_id": "cy",
        "assignee_id": "",
        "group_id": "",
        "tags": "",
        "subject": "Printer",
        "note": "",
    } | cells
    return ",".join(values[name] for name in HEADER.split(","))


def test_the_samples_import_with_every_row_accounted_for() -> None:
    store = MemoryStore()
    report = import_file(store, SERVICENOW, format="servicenow")
    assert (report.rows_in, report.tickets, report.duplicates, report.balanced) == (12, 3, 1, True)
    assert report.anomalies == {"formula": 1, "order_gap": 2, "out_of_order": 1, "unknown_state": 1}
    [clamped] = report.examples["out_of_order"]
    assert (clamped.line, clamped.column) == (10, "sys_updated_at")
    assert "2026-03-04T14:10:00+00:00" in clamped.detail  # the recorded stamp is kept in the report
    ticket = store.get("INC0000101")
    assert (ticket.status, ticket.category, ticket.priority, ticket.group) == (
        "closed",
        Category.CLOSED,
        3,
        "Group 56",
    )
    assert ticket.fields["location"] == "Location 143"  # an unmapped column is a custom field
    assert ticket.created_at.isoformat() == "2026-03-02T09:10:00+00:00"  # opened_at, not the first update
    odd = store.get("INC0000103")
    assert (odd.status, odd.category) == ("Awaiting Triage", Category.OPEN)
    assert odd.fields["u_symptom"] == '=HYPERLINK("http://x")'  # kept as text


def test_a_zendesk_json_export_reads_like_its_csv(tmp_path: Path) -> None:
    records = [
        {
            "id": 7,
            "created_at": "2026-03-02T08:00:00Z",
            "updated_at": "2026-03-02T08:00:00Z",
            "status": "new",
            "priority": "high",
            "via": {"channel": "web", "source": {"rel": None}},
            "requester_id": 11,
            "tags": ["vpn", "vip"],
            "custom_fields": [{"id": 9, "value": "emea"}],
            "fields": [{"id": 9, "value": "emea"}],
            "satisfaction_rating": {"score": "good"},
        }
    ]
    path = tmp_path / "tickets.json"
    path.write_text(json.dumps({"tickets": records}), encoding="utf-8")
    store = MemoryStore()
    assert import_file(store, path, format="zendesk").tickets == 1
    ticket = store.get("7")
    assert (ticket.channel, ticket.priority, ticket.tags) == ("web", 2, frozenset({"vpn", "vip"}))
    assert ticket.fields["custom_field_9"] == "emea"
    assert json.loads(str(ticket.fields["satisfaction_rating"])) == {"score": "good"}
    lines = tmp_path / "tickets.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in records * 2), encoding="utf-8")
    assert import_file(MemoryStore(), lines, format="zendesk").duplicates == 1


def test_a_file_of_another_format_is_refused_naming_the_missing_columns() -> None:
    with pytest.raises(BadInput, match="no column 'number', 'sys_mod_count'") as caught:
        import_file(MemoryStore(), ZENDESK, format="servicenow")
    assert caught.value.line == 1


def test_a_mapping_naming_a_missing_column_or_a_non_field_is_refused() -> None:
    with pytest.raises(BadInput, match="'colour'"):
        import_file(MemoryStore(), ZENDESK, mapping=mapping_for("zendesk", {"columns": {"colour": "tags"}}))
    with pytest.raises(ConfigError, match="'hue' is not a ticket field") as caught:
        mapping_for("zendesk", {"columns": {"type": "hue"}})
    assert caught.value.path == "columns.type"
    with pytest.raises(
        ConfigError,
        match=(
            "available formats: freshdesk, freshdesk-activities, jira, servicenow, servicenow-audit, "
            "servicenow-history, zendesk, zendesk-audits"
        ),
    ):
        mapping_for("remedy")
    with pytest.raises(ConfigError, match="unknown time zone"):
        SnapshotMapping(ticket="id", at="at", tz="Mars/Olympus")


def test_a_bad_timestamp_refuses_its_ticket_whole_and_names_line_and_column(tmp_path: Path) -> None:
    path = zendesk(
        tmp_path,
        row("1", "2026-03-02T08:00:00Z", "new"),
        row("1", "yesterday", "open"),
        row("2", "2026-03-02T09:00:00Z", "new"),
    )
    store = MemoryStore()
    report = import_file(store, path, format="zendesk")
    assert (report.tickets, report.tickets_refused, report.rows_refused, report.balanced) == (1, 1, 2, True)
    [bad] = report.examples["bad_row"]
    assert (bad.line, bad.column, bad.ticket_id) == (3, "updated_at", "1")
    assert "'yesterday' is not a timestamp in ISO 8601" in bad.detail
    assert {event.ticket_id for _, event in store.stream()} == {"2"}


def test_a_file_that_is_not_utf8_stores_nothing_and_names_the_line(tmp_path: Path) -> None:
    good = row("1", "2026-03-02T08:00:00Z", "new")
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        f"{HEADER}\n{good}\n".encode()
        + row("2", "2026-03-02T09:00:00Z", note="café").encode("latin-1")
        + b"\n"
    )
    store = MemoryStore()
    with pytest.raises(BadInput, match="is not UTF-8") as caught:
        import_file(store, path, format="zendesk")
    assert caught.value.line == 3
    assert list(store.stream()) == []


def test_a_byte_order_mark_is_dropped_and_noted(tmp_path: Path) -> None:
    path = zendesk(tmp_path, row("1", "2026-03-02T08:00:00Z", "new"), prefix=b"\xef\xbb\xbf")
    report = import_file(MemoryStore(), path, format="zendesk")
    assert report.tickets == 1
    assert report.notes == ("the file starts with a byte-order mark; it was dropped",)
    json_path = tmp_path / "bom.json"
    json_path.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps(
            [
                {
                    "id": 1,
                    "updated_at": "2026-03-02T08:00:00Z",
                    "created_at": "2026-03-02T08:00:00Z",
                    "status": "new",
                    "priority": "low",
                    "via": {"channel": "web"},
                    "requester_id": 3,
                    "assignee_id": None,
                    "group_id": None,
                    "tags": [],
                    "subject": "S",
                }
            ]
        ).encode()
    )
    assert import_file(MemoryStore(), json_path, format="zendesk").tickets == 1


def test_a_row_that_does_not_split_into_the_header_refuses_its_ticket(tmp_path: Path) -> None:
    path = zendesk(
        tmp_path, row("1", "2026-03-02T08:00:00Z", "new") + ",extra", row("2", "2026-03-02T09:00:00Z")
    )
    report = import_file(MemoryStore(), path, format="zendesk")
    [bad] = report.examples["bad_row"]
    assert bad.line == 2
    assert "13 cells but the header 12" in bad.detail
    assert (report.tickets, report.tickets_refused) == (1, 1)


def test_rows_of_a_ticket_split_across_the_file_are_refused_the_second_time(tmp_path: Path) -> None:
    path = zendesk(
        tmp_path,
        row("1", "2026-03-02T08:00:00Z", "new"),
        row("2", "2026-03-02T09:00:00Z", "new"),
        row("1", "2026-03-02T10:00:00Z", "solved"),
    )
    store = MemoryStore()
    report = import_file(store, path, format="zendesk")
    assert report.anomalies == {"split_ticket": 1}
    assert report.examples["split_ticket"][0].line == 4
    assert store.get("1").status == "new"
    assert report.balanced


def test_a_ticket_already_in_the_store_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = zendesk(tmp_path, row("1", "2026-03-02T08:00:00Z", "new"))
    store = SQLiteStore(tmp_path / "desk.db")
    try:
        assert import_file(store, path, format="zendesk").tickets == 1
        again = import_file(store, path, format="zendesk")
        assert (again.tickets, again.tickets_refused) == (0, 1)
        assert store.get("1").version == 1
    finally:
        store.close()


def test_odd_rows_are_kept_and_reported(tmp_path: Path) -> None:
    path = zendesk(
        tmp_path,
        row("1", "2026-03-02T08:00:00Z", "new", group_id="L1"),
        row("1", "2026-03-02T09:00:00Z", "escalated", group_id=""),
        row("1", "2026-03-02T08:30:00Z", "closed", note="=1+2"),
    )
    store = MemoryStore()
    report = import_file(store, path, format="zendesk", workflow=default_workflow())
    kinds = {kind: [a.line for a in report.examples[kind]] for kind in report.anomalies}
    assert kinds == {
        AnomalyKind.FORMULA: [4],
        AnomalyKind.OUT_OF_ORDER: [4],
        AnomalyKind.REFUSED_JUMP: [3, 4],
        AnomalyKind.UNKNOWN_STATE: [3, 3],
    }
    events = list(store.events("1"))
    assert isinstance(events[0], Opened)
    assert [e.to_status for e in events if isinstance(e, StatusChanged)] == ["escalated", "closed"]
    assert events[-1].at == events[-2].at  # the stamp before it, not 08:30
    ticket = store.get("1")
    assert (ticket.group, ticket.fields["note"]) == ("L1", "=1+2")


def test_order_gaps_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "audit.csv"
    path.write_text(
        "number,sys_mod_count,sys_updated_at,incident_state\n"
        "INC1,0,2/3/2026 09:00,New\nINC1,2,2/3/2026 10:00,Active\nINC1,2,2/3/2026 10:00,Active\n",
        encoding="utf-8",
    )
    mapping = SnapshotMapping(
        ticket="number",
        order="sys_mod_count",
        at="sys_updated_at",
        columns={"incident_state": "status"},
        timestamp_format="%d/%m/%Y %H:%M",
    )
    report = import_file(MemoryStore(), path, mapping=mapping)
    details = [a.detail for a in report.examples["order_gap"]]
    assert details == [
        "order jumps from 0 to 2 (1 update(s) missing from the export)",
        "repeats order value 2",
    ]
    assert report.duplicates == 1


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty"),
        (b"3", "expected a list of records, got int"),
        (b"[1, 2]", "expected a JSON object for the record"),
        (b'{"tickets": 3}\n', "expected a list of records under 'tickets'"),
        (b"{]\n", "not JSON"),
        (b'{"id": 1}\n{]\n', "not JSON Lines"),
    ],
)
def test_json_that_is_not_an_export_is_refused(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "tickets.json"
    path.write_bytes(content)
    with pytest.raises(TicketcoreError, match=problem):
        import_file(MemoryStore(), path, format="zendesk")


def test_the_cli_imports_an_export_with_a_summary_a_report_or_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "desk.db")
    assert main(["import", str(SERVICENOW), "--format", "servicenow", "--db", db]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith(f"imported 3 tickets (12 rows, 23 events) into {db}\n")
    assert "run again with --report" in out
    assert main(["import", str(ZENDESK), "--format", "zendesk", "--db", db, "--report"]) == EXIT_OK
    assert capsys.readouterr().out.startswith("rows in: 6\n")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[columns]\nsubject = "subject"\ntype = "topic"\n', encoding="utf-8")
    again = ["import", str(ZENDESK), "--format", "zendesk", "--db", db, "--quiet", "--mapping", str(mapping)]
    assert main(again) == EXIT_REFUSED  # the tickets are in the store already
    assert capsys.readouterr() == ("", "")
    fresh = str(tmp_path / "fresh.db")
    assert main([*again[:5], fresh, *again[6:]]) == EXIT_OK
    store = SQLiteStore(fresh)
    try:
        assert store.get("35436").topic == "incident"
    finally:
        store.close()


def test_the_cli_names_the_line_of_a_file_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(HEADER.encode() + b"\n\xff\n")
    assert main(["import", str(path), "--format", "zendesk", "--db", str(tmp_path / "d.db")]) == EXIT_REFUSED
    assert (
        capsys.readouterr().err
        == "ticketcore import: line 2: b'\\xff' is not UTF-8; save the file as UTF-8\n"
    )


def _histories(path: Path, fmt: str) -> list[list[Event]]:
    store = MemoryStore()
    import_file(store, path, format=fmt)
    found: dict[str, list[Event]] = {}
    for _, event in store.stream():
        found.setdefault(event.ticket_id, []).append(event)
    return list(found.values())


STRICT = {"policies": [{"name": "strict", "metrics": {"resolution": {"default": "2h"}}}]}
LOOSE = {"policies": [{"name": "loose", "metrics": {"resolution": {"default": "30d"}}}]}
AS_OF = datetime(2026, 3, 10, tzinfo=UTC)


def test_replay_under_the_same_policies_changes_nothing() -> None:
    histories = _histories(SERVICENOW, "servicenow")
    policies = codec.load(SLAPolicySet, STRICT)
    result = replay(histories, current=policies, proposed=policies, as_of=AS_OF)
    assert (result.newly_breached, result.no_longer_breached) == ({}, {})
    assert all(row.current == row.proposed for row in result.rows)
    assert {row.by for row in result.rows} == {"all", "group", "channel", "priority"}


def test_replay_names_the_tickets_a_stricter_policy_breaches() -> None:
    histories = _histories(SERVICENOW, "servicenow") + _histories(ZENDESK, "zendesk")
    loose, strict = codec.load(SLAPolicySet, LOOSE), codec.load(SLAPolicySet, STRICT)
    result = replay(histories, current=loose, proposed=strict, as_of=AS_OF, by=["channel"])
    # 35436 took 1 h 50 min (under 2 h); INC0000103 has run 15 days; the others paused or took longer than 2 h.
    [total] = [row for row in result.rows if row.by == "all"]
    assert total.current == Outcome(achieved=4, breached=0)
    assert result.newly_breached == {"resolution": tuple(sorted(set(result.newly_breached["resolution"])))}
    assert "INC0000103" in result.newly_breached["resolution"]
    assert "35436" not in result.newly_breached["resolution"]
    assert total.proposed.breached == len(result.newly_breached["resolution"])
    back = replay(histories, current=strict, proposed=loose, as_of=AS_OF)
    assert back.no_longer_breached == result.newly_breached
    assert {row.by for row in result.rows} == {"all", "channel"}
    with pytest.raises(ConfigError, match="cannot replay by 'region'"):
        replay(histories, current=loose, proposed=strict, as_of=AS_OF, by=["region"])
    with pytest.raises(NaiveDatetimeError):
        replay(histories, current=loose, proposed=strict, as_of=datetime(2026, 3, 10))


HOSTILE = st.sampled_from(
    [
        None,
        0,
        -1,
        2**63,
        1e308,
        float("nan"),
        True,
        "",
        "\x00",
        "\ud800",
        "=1+1",
        [],
        {},
        [1, "a"],
        {"a": [1]},
    ]
) | st.text(max_size=6)
CALLS: dict[str, Callable[[object], object]] = {
    "mapping_for": mapping_for,
    "mapping_for overrides": lambda h: mapping_for("zendesk", h),
    "mapping_for columns": lambda h: mapping_for("zendesk", {"columns": h}),
    "mapping_for statuses": lambda h: mapping_for("zendesk", {"statuses": {"new": h}}),
    "mapping_for tz": lambda h: mapping_for("zendesk", {"tz": h}),
    "SnapshotMapping": lambda h: codec.load(SnapshotMapping, h),
    "import_file path": lambda h: import_file(MemoryStore(), h, format="zendesk"),
    "import_file format": lambda h: import_file(MemoryStore(), ZENDESK, format=h),
    "read_export": lambda h: read_export(h, "zendesk"),
    "diff_snapshots": lambda h: list(diff_snapshots(iter([]), h, mapping_for("zendesk"))),
    "replay": lambda h: replay([], current=h, proposed=h, as_of=h),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@settings(max_examples=25, deadline=None)
@given(value=HOSTILE)
def test_importers_raise_only_our_errors(name: str, value: object) -> None:
    try:
        CALLS[name](value)
    except TicketcoreError:
        pass


def test_a_missing_status_or_an_unreadable_priority_keeps_the_value_before(tmp_path: Path) -> None:
    path = zendesk(
        tmp_path,
        row("1", "2026-03-02T08:00:00Z", "new", priority="high"),
        row("1", "2026-03-02T09:00:00Z", "", priority="whenever"),
        row("1", "2026-03-02T10:00:00Z", "solved", priority="low"),
    )
    store = MemoryStore()
    report = import_file(store, path, format="zendesk")
    details = [a.detail for a in report.examples["unknown_state"]]
    assert details == [
        "the status is missing; the one before is kept",
        "the priority is 'whenever', which is not a level the mapping reads; the one before is kept",
    ]
    changes = [e for e in store.events("1") if isinstance(e, StatusChanged | PriorityChanged)]
    assert [(type(e).__name__, e.at.hour) for e in changes] == [
        ("StatusChanged", 10),
        ("PriorityChanged", 10),
    ]
    status, priority = changes
    assert isinstance(status, StatusChanged)
    assert isinstance(priority, PriorityChanged)
    assert (status.from_status, priority.from_priority, priority.to_priority) == ("new", 2, 4)


def test_change_logs_that_are_not_the_declared_format_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "issues.json"
    path.write_text(json.dumps({"issues": [{"key": "HELP-1", "fields": 3}]}), encoding="utf-8")
    with pytest.raises(BadInput, match="not in the declared format") as caught:
        import_file(MemoryStore(), path, format="jira")
    assert caught.value.line == 1
    with pytest.raises(BadInput, match="no column 'documentkey', 'fieldname'"):
        import_file(MemoryStore(), ZENDESK, format="servicenow-audit")


def test_a_bad_record_refuses_its_ticket_in_a_change_log(tmp_path: Path) -> None:
    issue = {
        "key": "HELP-1",
        "fields": {"created": "2026-03-02T09:00:00.000+0100", "status": {"name": "Resolved"}},
        "changelog": {
            "histories": [{"created": "soon", "items": [{"field": "status", "toString": "Resolved"}]}]
        },
    }
    good = {
        "key": "HELP-2",
        "fields": {"created": "2026-03-02T09:00:00.000+0100", "status": {"name": "Open"}},
    }
    path = tmp_path / "issues.json"
    path.write_text(json.dumps({"issues": [issue, good]}), encoding="utf-8")
    store = MemoryStore()
    report = import_file(store, path, format="jira")
    assert (report.tickets, report.tickets_refused, report.balanced) == (1, 1, True)
    [bad] = report.examples["bad_row"]
    assert (bad.ticket_id, bad.column) == ("HELP-1", "changed_at")
    audit = tmp_path / "sys_audit.csv"
    audit.write_text(
        "documentkey,fieldname,oldvalue,newvalue,user,sys_created_on,record_checkpoint\n"
        "a1,state,,1,ann,2026-03-02 09:00:00,0\n"
        "a1,state,1,2,ann,2026-03-02 09:30:00,1,surplus\n"
        "b2,state,,1,bob,2026-03-02 10:00:00,0\n",
        encoding="utf-8",
    )
    report = import_file(store, audit, format="servicenow-audit")
    assert (report.tickets, report.tickets_refused) == (1, 1)
    assert report.examples["bad_row"][0].line == 3
    assert store.get("b2").status == "new"


@pytest.mark.parametrize(
    ("content", "problem", "line"),
    [
        (b"", "the file is empty; expected a header row", 1),
        (b"id,id,updated_at\n", "the header repeats column(s) 'id'", 1),
        (b"id,updated_at\n1,2026-03-02T08:00:00Z\xc3", "the file ends inside a character", 2),
    ],
)
def test_csv_that_cannot_be_read_is_refused_naming_the_line(
    tmp_path: Path, content: bytes, problem: str, line: int
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    with pytest.raises(BadInput, match=problem.replace("(", r"\(").replace(")", r"\)")) as caught:
        import_file(MemoryStore(), path, format="zendesk")
    assert caught.value.line == line


def test_rows_without_a_ticket_a_stamp_or_an_order_refuse_their_ticket(tmp_path: Path) -> None:
    path = tmp_path / "audit.csv"
    path.write_text(
        "number,sys_mod_count,sys_updated_at,incident_state\n"
        ",0,2/3/2026 09:00,New\n"
        "INC2,0,,New\n"
        "INC3,first,2/3/2026 09:00,New\n"
        "INC4,0,2/3/2026 09:00,New\n",
        encoding="utf-8",
    )
    mapping = SnapshotMapping(
        ticket="number",
        order="sys_mod_count",
        at="sys_updated_at",
        columns={"incident_state": "status"},
        timestamp_format="%d/%m/%Y %H:%M",
    )
    report = import_file(MemoryStore(), path, mapping=mapping)
    details = [(a.line, a.column, a.detail) for a in report.examples["bad_row"]]
    assert details == [
        (2, "number", "the row has no ticket id"),
        (3, "sys_updated_at", "the row has no timestamp"),
        (4, "sys_mod_count", "'first' is not an integer order value"),
    ]
    assert (report.tickets, report.tickets_refused, report.balanced) == (1, 3, True)


def test_a_freshdesk_activities_export_gives_each_ticket_its_history() -> None:
    store = MemoryStore()
    report = import_file(store, SAMPLES / "freshdesk-activities.json", format="freshdesk-activities")
    assert (report.balanced, report.tickets, report.rows_in) == (True, 2, 7)
    assert "8 activities, read as 7 states" in report.notes[0]
    refund = store.get("101")
    assert (refund.status, refund.category, refund.group, refund.assignee) == (
        "resolved",
        Category.SOLVED,
        "Billing",
        "9001",
    )
    assert refund.tags == frozenset({"refund"})
    assert refund.fields["cf_refund_amount"] == "40.00"
    assert [e.type for e in store.events("101")] == [
        "opened",
        "assigned",
        "status_changed",
        "tags_changed",
        "field_changed",
        "status_changed",
    ]
    outage = store.get("102")
    assert (outage.channel, outage.priority, outage.category) == ("phone", 2, Category.CLOSED)


def test_a_freshdesk_activities_export_must_hold_activities(tmp_path: Path) -> None:
    path = tmp_path / "activities.json"
    path.write_text(
        json.dumps({"activities_data": [{"ticket_id": 1, "activity": "opened"}]}), encoding="utf-8"
    )
    with pytest.raises(BadInput, match="not in the declared format") as caught:
        import_file(MemoryStore(), path, format="freshdesk-activities")
    assert caught.value.line == 1


def test_a_servicenow_history_line_export_gives_the_incident_its_history() -> None:
    store = MemoryStore()
    report = import_file(store, SAMPLES / "servicenow-sys_history_line.csv", format="servicenow-history")
    assert (report.balanced, report.tickets, report.rows_in) == (True, 1, 4)
    incident = store.get("46d44f2ea9fe1981012e2cbd3f3a4d9e")
    assert (incident.status, incident.category, incident.priority) == ("resolved", Category.SOLVED, 2)
    assert incident.subject == "VPN drops every hour"
    assert "work_notes" not in incident.fields  # a journal entry is conversation, not state
    with pytest.raises(BadInput, match="no column 'set.id', 'field'.* of a sys_history_line export"):
        import_file(MemoryStore(), SAMPLES / "servicenow-sys_audit.csv", format="servicenow-history")
