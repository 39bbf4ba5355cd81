"""``ticketcore doctor`` on a real SQLite file: bad rows listed, quarantined whole and verbatim, restored once fixed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from helpers import T0
from ticketcore import Actor, Role, codec
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.cli import EXIT_OK, EXIT_REFUSED, main
from ticketcore.model import NoteAdded, Opened

CY = Actor("cy", Role.REQUESTER)


def history(ticket_id: str) -> list[Opened | NoteAdded]:
    return [
        Opened(ticket_id=ticket_id, seq=1, at=T0, actor=CY, requester="cy", tags={"vpn"}),
        NoteAdded(ticket_id=ticket_id, seq=2, at=T0, actor=Actor("ada", Role.AGENT), body="hi"),
    ]


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "desk.db"
    store = SQLiteStore(path, tenant="acme")
    for ticket_id in ("T-1", "T-2", "T-3"):
        store.append(ticket_id, history(ticket_id), 0)
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE events SET data = '{oops' WHERE ticket_id = 'T-2' AND seq = 2")
    return str(path)


def test_doctor_lists_quarantines_and_restores(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--db", db]) == EXIT_REFUSED
    out = capsys.readouterr().out
    assert out.startswith("events position 4 (tenant 'acme', ticket 'T-2'): ")
    assert "1 bad rows in 1 tickets" in out

    assert main(["doctor", "--db", db, "--quarantine"]) == EXIT_OK
    assert "moved 4 rows of 1 tickets to the quarantine table" in capsys.readouterr().out
    store = SQLiteStore(db, tenant="acme")
    try:
        assert sorted({event.ticket_id for _, event in store.stream()}) == ["T-1", "T-3"]
    finally:
        store.close()
    assert main(["doctor", "--db", db]) == EXIT_OK
    assert capsys.readouterr().out == f"{db}: every row decodes\n"

    with sqlite3.connect(db) as conn:
        kept = conn.execute("SELECT source, row, reason FROM quarantine ORDER BY id").fetchall()
        assert [source for source, _, _ in kept] == ["events", "events", "tickets", "ticket_tags"]
        bad = json.loads(kept[1][1])
        assert bad["data"] == "{oops"  # kept verbatim
        assert "position 4" in kept[1][2]
        fixed = codec.dump(history("T-2")[1])  # the row as it should have been
        conn.execute(
            "UPDATE quarantine SET row = json_set(row, '$.data', ?) WHERE id = (SELECT id FROM quarantine "
            "WHERE source = 'events' ORDER BY id LIMIT 1 OFFSET 1)",
            (json.dumps(fixed),),
        )

    assert main(["doctor", "--db", db, "--restore"]) == EXIT_OK
    assert capsys.readouterr().out.startswith(f"restored 4 rows from the quarantine table of {db}")
    store = SQLiteStore(db, tenant="acme")
    try:
        assert store.events("T-2") == history("T-2")
        assert store.get("T-2").tags == frozenset({"vpn"})
    finally:
        store.close()


def test_doctor_on_a_file_that_is_no_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--db", str(tmp_path / "missing.db")]) == EXIT_REFUSED
    assert "no such database" in capsys.readouterr().err
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    assert main(["doctor", "--db", str(other)]) == EXIT_REFUSED
    assert "is not a ticketcore store" in capsys.readouterr().err
