"""Report CSVs neutralise formula-like cells (OWASP: prefix ``'``); imports keep such text as it was written."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import pytest

from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.cli import EXIT_OK, main

HEADER = "ticket_id,seq,at,type,actor_id,actor_role,requester,channel,region,priority,to_status,agent,body\n"
FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(argv))
    return code, out.getvalue()


def events_with_channel(tmp_path: Path, channel: str) -> Path:
    quoted = '"' + channel.replace('"', '""') + '"'
    path = tmp_path / "events.csv"
    path.write_text(
        HEADER
        + f"R-1,1,2025-03-07T17:30:00+01:00,opened,cy,requester,cy,{quoted},EU,3,,,\n"
        + "R-2,1,2025-03-07T17:40:00+01:00,opened,cy,requester,cy,email,EU,3,,,\n",
        encoding="utf-8",
        newline="",
    )
    return path


@pytest.mark.parametrize("formula", FORMULAS)
def test_report_csv_prefixes_formula_like_text(tmp_path: Path, formula: str) -> None:
    events = events_with_channel(tmp_path, formula)
    code, out = run("report", "--events", str(events), "--format", "csv", "--by", "channel")
    assert code == EXIT_OK
    values = [row["value"] for row in csv.DictReader(io.StringIO(out))]
    assert "'" + formula in values
    assert formula not in values
    # No cell of the report starts like a formula, except the numbers and durations the report computed itself.
    for value in values:
        if value[:1] in ("=", "+", "@", "\t", "\r"):
            pytest.fail(f"formula-like cell {value!r} in the report")


def test_negative_numbers_stay_numbers() -> None:
    from ticketcore._cli.render import csv_cell

    assert csv_cell(-5) == -5
    assert csv_cell(-0.5) == -0.5
    assert csv_cell("-5") == "'-5"
    assert csv_cell("plain") == "plain"


@pytest.mark.parametrize("formula", FORMULAS)
def test_imports_keep_formula_like_text(tmp_path: Path, formula: str) -> None:
    events = events_with_channel(tmp_path, formula)
    db = tmp_path / "t.db"
    code, _ = run("import", str(events), "--db", str(db))
    assert code == EXIT_OK
    store = SQLiteStore(db, tenant="default")
    try:
        assert store.get("R-1").channel == formula
    finally:
        store.close()
