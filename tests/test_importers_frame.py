"""``read_frame`` against the engine: random histories exported as snapshots, with odd rows mixed in, read into an
events DataFrame over whole columns, give the frame the engine's histories convert to, and the same accounting."""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from test_importers_roundtrip import (
    SERVICENOW_STATES,
    State,
    histories,
    servicenow_rows,
    write_csv,
    zendesk_csv_row,
    zendesk_records,
)
from ticketcore.dataframes import events_to_frame, flow, prepare
from ticketcore.errors import BadInput, MissingExtra
from ticketcore.importers import (
    AnomalyKind,
    FrameImport,
    ImportReport,
    SnapshotMapping,
    diff_snapshots,
    mapping_for,
    read_export,
    read_frame,
)
from ticketcore.lifecycle import default_workflow

ODD = [
    "late",
    "early_open",
    "unknown",
    "duplicate",
    "gap",
    "repeat",
    "missing",
    "formula",
    "bad_stamp",
    "bad_order",
]
"""The odd rows mixed into an export: each one a ticket the columns hand to the engine."""


def engine(
    path: Path, fmt: str, overrides: dict[str, Any] | None = None, mapping: SnapshotMapping | None = None
) -> FrameImport:
    """The oracle: the engine's histories, converted as any history is, and its report."""
    read = read_export(path, fmt)
    mapping = mapping or mapping_for(fmt, overrides)
    items = list(diff_snapshots(read.rows, read.header, mapping, sparse=read.sparse))
    notes = ["the file starts with a byte-order mark; it was dropped"] if read.bom else []
    return FrameImport(
        events=events_to_frame([item.events for item in items]),
        report=ImportReport.of(items, [*notes, *([read.note] if read.note else [])]),
        anomalies=tuple(a for item in items for a in item.anomalies),
    )


def assert_same(got: FrameImport, expected: FrameImport) -> None:
    pd.testing.assert_frame_equal(got.events, expected.events, check_exact=True)
    assert got.report == expected.report
    assert got.anomalies == expected.anomalies
    assert got.report.balanced


def spoil(row: dict[str, str], kind: str) -> dict[str, str]:
    """One row made odd in the way ``kind`` names."""
    changed = dict(row)
    if kind == "late":
        changed["sys_updated_at"] = "1/3/2026 07:00"  # before every other stamp: clamped after the first row
    elif kind == "early_open":
        changed["opened_at"] = "31/12/2026 23:59"
    elif kind == "unknown":
        changed["incident_state"] = "Escalated"
    elif kind == "gap":
        changed["sys_mod_count"] = str(int(row["sys_mod_count"]) + 5)
    elif kind == "repeat":
        changed["sys_mod_count"] = "0"
    elif kind == "missing":
        changed["priority"] = "?"
    elif kind == "formula":
        changed["location"] = "=cmd|' /C calc'!A0"
    elif kind == "bad_stamp":
        changed["sys_updated_at"] = "yesterday"
    elif kind == "bad_order":
        changed["sys_mod_count"] = "two"
    return changed


@settings(max_examples=60, deadline=None)
@given(
    st.lists(histories(SERVICENOW_STATES), min_size=1, max_size=5),
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 6), st.sampled_from(ODD)), max_size=3),
    st.booleans(),
)
def test_servicenow_exports_read_into_the_engines_frame(
    tickets: list[list[State]], odd: list[tuple[int, int, str]], subject: bool
) -> None:
    rows_of = [servicenow_rows(f"INC{n:07d}", states) for n, states in enumerate(tickets, 1)]
    for ticket, row, kind in odd:
        rows = rows_of[ticket % len(rows_of)]
        index = row % len(rows)
        if kind == "duplicate":
            rows.insert(index, dict(rows[index]))
        else:
            rows[index] = spoil(rows[index], kind)
    overrides = {"columns": {"u_symptom": "subject"}} if subject else None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "incidents.csv"
        write_csv(path, [row for rows in rows_of for row in rows])
        got = read_frame(path, "servicenow", mapping_for("servicenow", overrides))
        assert got.vectorised
        assert_same(got, engine(path, "servicenow", overrides))


def test_each_odd_row_is_reported_as_the_engine_reports_it() -> None:
    states = [
        State("New", 3, None, None, frozenset(), None, "ada", 0),
        State("Active", 3, "L1", "bo", frozenset(), "Rome", "bo", 30),
        State("Active", 2, "L1", "bo", frozenset(), "Rome", "bo", 60),
    ]
    rows = [servicenow_rows("INC0000099", states)]
    for number, kind in enumerate(ODD, 1):
        spoilt = servicenow_rows(f"INC{number:07d}", states)
        spoilt[1] = spoil(spoilt[1], kind)
        rows.append(spoilt)
    rows[1].insert(1, dict(rows[1][1]))  # and a duplicate row
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "incidents.csv"
        write_csv(path, [row for ticket in rows for row in ticket])
        got = read_frame(path, "servicenow")
        assert_same(got, engine(path, "servicenow"))
    found = {a.kind for a in got.anomalies}
    assert found == {
        AnomalyKind.OUT_OF_ORDER,
        AnomalyKind.UNKNOWN_STATE,
        AnomalyKind.ORDER_GAP,
        AnomalyKind.FORMULA,
        AnomalyKind.BAD_ROW,
    }
    bad = [a for a in got.anomalies if a.kind is AnomalyKind.BAD_ROW]
    assert [(a.line, a.column) for a in bad] == [(31, "sys_updated_at"), (34, "sys_mod_count")]
    assert got.report.duplicates >= 1
    assert got.report.tickets_refused == 2


def write_rows(folder: str, rows: list[dict[str, str]], name: str = "incidents.csv") -> Path:
    path = Path(folder) / name
    write_csv(path, rows)
    return path


STATES = [
    State("New", 3, None, None, frozenset(), None, "ada", 0),
    State("Active", 2, "L1", "bo", frozenset(), "Rome", "bo", 30),
    State("Resolved", 2, "L1", None, frozenset(), "Oslo", "cy", 90),
]


def test_quoted_cells_are_read_by_the_engines_reader() -> None:
    rows = servicenow_rows("INC0000001", STATES)
    rows[1]["location"] = 'Rome, "the office"\non two lines'
    with tempfile.TemporaryDirectory() as folder:
        path = write_rows(folder, rows)
        got = read_frame(path)
        assert got.vectorised
        assert_same(got, engine(path, "servicenow"))
    assert (got.events["value"] == 'Rome, "the office"\non two lines').any()


@pytest.mark.parametrize("case", ["split", "short_row", "no_id", "bom"])
def test_files_the_columns_cannot_take_whole_go_through_the_engine(case: str) -> None:
    first, second = servicenow_rows("INC0000001", STATES), servicenow_rows("INC0000002", STATES)
    rows = first + second
    if case == "split":
        rows = [first[0], *second, *first[1:]]
    elif case == "no_id":
        rows[3]["number"] = "?"
    with tempfile.TemporaryDirectory() as folder:
        path = write_rows(folder, rows)
        if case == "short_row":
            text = path.read_text(encoding="utf-8").splitlines(keepends=True)
            text[2] = "INC0000001,Active\r\n"
            path.write_text("".join(text), encoding="utf-8")
        if case == "bom":
            path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
        got = read_frame(path, "servicenow")
        assert_same(got, engine(path, "servicenow"))
    assert got.vectorised is (case == "bom")


def test_zendesk_json_and_tags_take_the_engine_and_say_so() -> None:
    zendesk = [
        State("new", 3, None, None, frozenset(), None, "ada", 0),
        State("open", 2, "L1", "bo", frozenset({"vpn"}), "Rome", "bo", 30),
    ]
    records = zendesk_records("35000", zendesk)
    with tempfile.TemporaryDirectory() as folder:
        as_json = Path(folder) / "tickets.json"
        as_json.write_text(json.dumps({"tickets": records}), encoding="utf-8")
        as_csv = write_rows(folder, [zendesk_csv_row(r) for r in records], "tickets.csv")
        for path in (as_json, as_csv):
            got = read_frame(path, "zendesk")
            assert not got.vectorised
            assert_same(got, engine(path, "zendesk"))


def test_a_workflow_audit_goes_through_the_engine() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_rows(folder, servicenow_rows("INC0000001", STATES))
        got = read_frame(path, "servicenow", workflow=default_workflow())
    assert not got.vectorised
    assert got.report.tickets == 1


def test_the_frame_feeds_the_dataframe_metrics() -> None:
    got = read_frame("docs/samples/servicenow-incidents.csv", "servicenow")
    assert got.vectorised
    month = flow(prepare(got.events), date(2026, 3, 1), date(2026, 4, 1), tz="UTC", freq="month")
    assert int(month["created"].sum()) == got.report.tickets


def test_a_missing_file_and_a_header_without_the_mapped_columns_are_refused() -> None:
    with pytest.raises(BadInput, match="no such file"):
        read_frame("nowhere.csv")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "other.csv"
        path.write_text("a,b\n1,2\n", encoding="utf-8")
        with pytest.raises(BadInput, match="no column"):
            read_frame(path)


def test_without_pandas_read_frame_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingExtra, match=r"pip install 'ticketcore\[pandas\]'"):
        read_frame("docs/samples/servicenow-incidents.csv")


@pytest.mark.parametrize(
    "overrides",
    [
        {"tz": "Europe/Rome"},
        {"opened_at": None, "actor": None, "order": None},
        {
            "columns": {"location": "region", "u_symptom": "subject", "caller_id": "requester"},
            "levels": {"2 - High": 9},
        },
    ],
)
def test_the_mapping_decides_in_the_columns_as_in_the_engine(overrides: dict[str, Any]) -> None:
    rows = servicenow_rows("INC0000001", STATES)
    # In Rome, 02:30 on 29 March does not exist and 02:30 on 25 October happens twice.
    rows[1]["sys_updated_at"], rows[2]["sys_updated_at"] = "29/3/2026 02:30", "25/10/2026 02:30"
    more = servicenow_rows("INC0000002", STATES)
    more[0]["contact_type"] = more[1]["contact_type"] = "?"
    more[2]["sys_updated_by"] = "?"
    if overrides.get("order", "") is None:
        more = more[:1]
        rows = rows[:1]
    with tempfile.TemporaryDirectory() as folder:
        path = write_rows(folder, rows + more)
        got = read_frame(path, "servicenow", mapping_for("servicenow", overrides))
        assert got.vectorised
        assert_same(got, engine(path, "servicenow", overrides))


def test_zendesk_csv_without_tags_is_diffed_in_the_columns() -> None:
    zendesk = [
        State("new", 3, None, None, frozenset(), None, "ada", 0),
        State("open", 2, "L1", "bo", frozenset(), "Rome", "bo", 30),
        State("solved", 2, "L1", None, frozenset(), None, "cy", 90),
    ]
    rows = [zendesk_csv_row(r) for r in zendesk_records("35000", zendesk)]
    rows[2]["updated_at"] = "not a time"
    overrides = {"ignore": ["tags"], "actor": "updated_by"}
    with tempfile.TemporaryDirectory() as folder:
        path = write_rows(folder, rows + [zendesk_csv_row(r) for r in zendesk_records("35001", zendesk)])
        got = read_frame(path, "zendesk", mapping_for("zendesk", overrides))
        assert got.vectorised
        assert_same(got, engine(path, "zendesk", overrides))
    assert got.report.tickets_refused == 1


@pytest.mark.parametrize("ending", ["none", "bare_return"])
def test_odd_line_ends_and_bare_mappings_read_as_in_the_engine(ending: str) -> None:
    rows = servicenow_rows("INC0000001", STATES)
    rows[0]["incident_state"] = "?"
    if ending == "bare_return":
        rows[1]["location"] = "Rome\rOslo"
    mapping = SnapshotMapping(ticket="number", order="sys_mod_count", at="sys_updated_at", missing=("?",))
    with tempfile.TemporaryDirectory() as folder:
        path = write_rows(folder, rows)
        path.write_bytes(path.read_bytes().rstrip(b"\r\n"))
        for chosen in (mapping, mapping_for("servicenow")):
            got = read_frame(path, "servicenow", chosen)
            assert got.vectorised
            assert_same(got, engine(path, "servicenow", mapping=chosen))


def test_a_header_alone_reads_as_no_events() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "incidents.csv"
        path.write_text(",".join(servicenow_rows("INC0000001", STATES)[0]) + "\n", encoding="utf-8")
        got = read_frame(path)
        assert_same(got, engine(path, "servicenow"))
    assert got.report.rows_in == 0
    assert list(got.events.columns) == list(events_to_frame([]).columns)


def test_stamps_with_their_own_offsets_read_as_in_the_engine() -> None:
    rows = servicenow_rows("INC0000001", STATES) + servicenow_rows("INC0000002", STATES)
    for n, row in enumerate(rows):
        for column in ("sys_updated_at", "opened_at"):
            row[column] += " +0100" if n % 2 else " +0000"  # offsets differ from cell to cell
    rows[-1]["sys_updated_at"] = "1/1/0001 00:30 +0100"  # before the first instant a datetime holds in UTC
    overrides = {"timestamp_format": "%d/%m/%Y %H:%M %z"}
    with tempfile.TemporaryDirectory() as folder:
        path = write_rows(folder, rows)
        got = read_frame(path, "servicenow", mapping_for("servicenow", overrides))
        assert got.vectorised
        assert_same(got, engine(path, "servicenow", overrides))
    assert got.report.tickets_refused == 1
    (refused,) = [a for a in got.anomalies if a.kind is AnomalyKind.BAD_ROW]
    assert "outside the instants a datetime holds" in refused.detail
