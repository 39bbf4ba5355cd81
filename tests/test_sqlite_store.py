"""SQLite-specific behaviour: the schema and its migrations, error translation, corrupt rows, closing."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import T0, opened
from ticketcore import codec
from ticketcore._time import to_micros
from ticketcore.adapters._sqlite.schema import MIGRATIONS, SCHEMA_VERSION
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.errors import AgentNotFound, ConcurrencyError, ConfigError, CorruptRecord, StorageError
from ticketcore.model import Actor, Assigned, NoteAdded, Role, Ticket
from ticketcore.repositories import TicketQuery
from ticketcore.testing.strategies import json_like


def note(ticket_id: str, seq: int) -> NoteAdded:
    return NoteAdded(
        ticket_id=ticket_id, seq=seq, at=T0 + timedelta(minutes=seq), actor=Actor("ada", Role.AGENT)
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "desk.db"


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_a_new_file_gets_the_whole_schema_in_wal_mode(path: Path) -> None:
    SQLiteStore(path).close()
    conn = raw(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"events", "tickets", "ticket_tags", "counters", "agents"} <= tables
    conn.close()


def test_an_older_file_is_migrated_step_by_step_and_keeps_its_data(path: Path) -> None:
    events = [
        opened(channel="chat"),
        Assigned(ticket_id="T-1", seq=2, at=T0, actor=Actor("ada", Role.AGENT), agent="ada"),
    ]
    ticket = Ticket.from_events(events)
    conn = raw(path)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    for event in events:
        conn.execute(
            "INSERT INTO events (tenant, ticket_id, seq, data) VALUES ('acme', 'T-1', ?, ?)",
            (event.seq, json.dumps(codec.dump(event))),
        )
    conn.execute(
        "INSERT INTO tickets VALUES ('acme', 'T-1', 2, 'new', 'new', NULL, 'ada', NULL, ?, ?, ?)",
        (to_micros(T0), to_micros(T0), json.dumps(codec.dump(ticket))),
    )
    conn.close()
    store = SQLiteStore(path, tenant="acme")
    assert store.get("T-1") == ticket
    assert store.agent_loads() == {"ada": {"chat": 1}}
    # A ticket stored before the due index is due at its last update: the next scheduler run looks at it.
    assert [(s.due_at, s.ticket.id) for s in store.due(T0)] == [(T0, "T-1")]
    store.close()
    conn = raw(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"tickets_by_status", "tickets_by_assignee", "tickets_by_due"} <= indexes
    conn.close()


def test_a_file_from_a_newer_version_is_refused(path: Path) -> None:
    SQLiteStore(path).close()
    conn = raw(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StorageError, match="upgrade ticketcore"):
        SQLiteStore(path)


def test_a_file_that_is_not_a_database_is_a_storage_error(path: Path) -> None:
    path.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(StorageError, match=r"desk\.db"):
        SQLiteStore(path)


def test_bad_arguments_are_config_errors(path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a file"):
        SQLiteStore(":memory:")
    with pytest.raises(ConfigError, match="tenant"):
        SQLiteStore(path, tenant="")
    with pytest.raises(ConfigError, match="synchronous"):
        SQLiteStore(path, synchronous="OFF")  # type: ignore[arg-type]


def test_a_corrupt_event_row_names_the_row(path: Path) -> None:
    store = SQLiteStore(path, tenant="acme")
    store.append("T-1", [opened(), note("T-1", 2)], 0)
    conn = raw(path)
    conn.execute('UPDATE events SET data = \'{"type": "opened"\' WHERE seq = 2')
    position = conn.execute("SELECT position FROM events WHERE seq = 2").fetchone()[0]
    conn.close()
    with pytest.raises(CorruptRecord, match=rf"events row {position} .*ticket 'T-1', seq 2"):
        store.events("T-1")
    with pytest.raises(CorruptRecord):
        list(store.stream())
    store.close()


def test_an_event_row_holding_another_event_is_corrupt(path: Path) -> None:
    store = SQLiteStore(path, tenant="acme")
    store.append("T-1", [opened(), note("T-1", 2)], 0)
    conn = raw(path)
    conn.execute("UPDATE events SET seq = 5 WHERE seq = 2")
    conn.close()
    with pytest.raises(CorruptRecord, match="holds the event of ticket 'T-1' seq 2"):
        store.events("T-1")
    store.close()


def test_a_corrupt_snapshot_row_is_reported_not_guessed(path: Path) -> None:
    writer = SQLiteStore(path, tenant="acme")
    writer.append("T-1", [opened()], 0)
    writer.close()
    conn = raw(path)
    conn.execute("UPDATE tickets SET data = '[1, 2]'")
    conn.close()
    reader = SQLiteStore(path, tenant="acme")
    with pytest.raises(CorruptRecord, match="snapshot row of ticket 'T-1'"):
        reader.get("T-1")
    with pytest.raises(CorruptRecord):
        reader.append("T-1", [note("T-1", 2)], 1)
    assert len(reader.events("T-1")) == 1
    reader.close()


def test_a_corrupt_agent_row_is_reported(path: Path) -> None:
    store = SQLiteStore(path, tenant="acme")
    store.put_agent("ada", {"id": "ada"})
    conn = raw(path)
    conn.execute("UPDATE agents SET data = 'not json'")
    conn.close()
    with pytest.raises(CorruptRecord, match="agent 'ada'"):
        store.get_agent("ada")
    with pytest.raises(AgentNotFound):
        store.get_agent("bo")
    store.close()


def test_a_locked_file_becomes_a_storage_error_after_the_busy_timeout(path: Path) -> None:
    store = SQLiteStore(path, tenant="acme", busy_timeout=0.01)
    blocker = raw(path)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageError, match="locked by another writer"):
            store.append("T-1", [opened()], 0)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.append("T-1", [opened()], 0) == 1
    store.close()


def test_a_closed_store_refuses_work_and_closes_every_thread_connection(path: Path) -> None:
    store = SQLiteStore(path, tenant="acme")
    store.append("T-1", [opened()], 0)
    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(store.get("T-1").version))
    thread.start()
    thread.join()
    assert seen == [1]
    store.close()
    store.close()
    with pytest.raises(StorageError, match="closed"):
        store.get("T-1")


def test_snapshots_and_tags_are_kept_in_columns_for_queries(path: Path) -> None:
    store = SQLiteStore(path, tenant="acme")
    store.append("T-1", [opened(tags=["vip", "vpn"], group="network", priority=2)], 0)
    conn = raw(path)
    row = conn.execute("SELECT status, category, priority, grp, version FROM tickets").fetchone()
    assert row == ("new", "new", 2, "network", 1)
    assert sorted(r[0] for r in conn.execute("SELECT tag FROM ticket_tags")) == ["vip", "vpn"]
    conn.close()
    page = store.find(TicketQuery(tags={"vip"}, priority={2}, group="network"))
    assert [t.id for t in page] == ["T-1"]
    store.close()


def test_a_second_store_sees_writes_without_a_stale_cache(path: Path) -> None:
    first = SQLiteStore(path, tenant="acme")
    second = SQLiteStore(path, tenant="acme")
    first.append("T-1", [opened()], 0)
    assert second.get("T-1").version == 1
    first.append("T-1", [note("T-1", 2)], 1)
    assert second.get("T-1") == Ticket.from_events(first.events("T-1"))
    assert second.append("T-1", [note("T-1", 3)], 2) == 3
    assert first.get("T-1").version == 3
    first.close()
    second.close()


def test_a_file_that_cannot_be_opened_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="unable to open"):
        SQLiteStore(tmp_path / "missing-folder" / "desk.db")


@settings(max_examples=40)
@given(st.one_of(st.text(), json_like().map(json.dumps)))
def test_any_stored_text_is_an_event_or_a_corrupt_record(text: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ticketcore-fuzz-"))
    try:
        store = SQLiteStore(folder / "f.db", tenant="acme")
        store.append("T-1", [opened(), note("T-1", 2)], 0)
        conn = raw(folder / "f.db")
        conn.execute("UPDATE events SET data = ? WHERE seq = 2", (text,))
        conn.close()
        outcome = "decoded"
        try:
            events = store.events("T-1")
        except CorruptRecord as error:
            outcome = str(error)
        store.close()
        if outcome == "decoded":
            assert events[1].seq == 2
        else:
            assert "events row" in outcome
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_an_event_row_written_behind_the_stores_back_is_a_conflict(path: Path) -> None:
    store = SQLiteStore(path, tenant="acme")
    store.append("T-1", [opened()], 0)
    conn = raw(path)
    conn.execute(
        "INSERT INTO events (tenant, ticket_id, seq, data) VALUES ('acme', 'T-1', 2, ?)",
        (json.dumps(codec.dump(note("T-1", 2))),),
    )
    conn.close()
    with pytest.raises(ConcurrencyError) as caught:
        store.append("T-1", [note("T-1", 2)], 1)
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert store.get("T-1").version == 1
    store.close()


@settings(max_examples=40)
@given(
    st.text(min_size=1, alphabet=st.characters(codec="utf-8") | st.sampled_from(["\ud800", "\udfff"])),
    st.text(),
)
def test_any_text_is_stored_or_refused_with_our_error(ticket_id: str, body: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ticketcore-text-"))
    store = SQLiteStore(folder / "t.db", tenant="acme")
    try:
        events = [
            opened(ticket_id, subject=body),
            NoteAdded(ticket_id=ticket_id, seq=2, at=T0, actor=Actor("a", Role.AGENT), body=body),
        ]
        try:
            store.append(ticket_id, events, 0)
        except ConfigError:
            assert not ticket_id.isascii()
            for action in (lambda: store.get(ticket_id), lambda: store.put_agent(ticket_id, {})):
                with pytest.raises(ConfigError):
                    action()
        else:
            assert store.events(ticket_id) == events
            assert store.get(ticket_id) == Ticket.from_events(events)
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)
