"""Several processes on one SQLite file, and processes killed in the middle of a write.

Children are separate interpreters (``subprocess``), so nothing is shared with the test process except the file.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from helpers import T0
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.model import Actor, NoteAdded, Opened, Role, Ticket

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")

WRITER = """
import sys
from datetime import UTC, datetime, timedelta
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.errors import ConcurrencyError
from ticketcore.model import Actor, NoteAdded, Role

path, name, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = SQLiteStore(path, tenant="acme")
start = datetime(2025, 3, 3, 9, tzinfo=UTC)
for n in range(rounds):
    ticket_id = f"T-{n % 2}"
    while True:
        version = store.get(ticket_id).version
        event = NoteAdded(ticket_id=ticket_id, seq=version + 1, at=start + timedelta(seconds=version),
                          actor=Actor(name, Role.AGENT), body=f"{name}/{n}")
        try:
            store.append(ticket_id, [event], version)
            break
        except ConcurrencyError:
            continue
    print(store.next_ticket_id(), flush=True)
store.close()
"""

BATCHES = """
import sys
from datetime import UTC, datetime, timedelta
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.model import Actor, NoteAdded, Role

path, size = sys.argv[1], int(sys.argv[2])
store = SQLiteStore(path, tenant="acme")
start = datetime(2025, 3, 3, 9, tzinfo=UTC)
version = store.get("T-1").version
while True:
    batch = [NoteAdded(ticket_id="T-1", seq=version + i, at=start + timedelta(seconds=version + i),
                       actor=Actor("ada", Role.AGENT), body="x" * 500) for i in range(1, size + 1)]
    version = store.append("T-1", batch, version)
    print(version, flush=True)
"""

STUCK_MID_BATCH = """
import sys, threading
from datetime import UTC, datetime, timedelta
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.model import Actor, NoteAdded, Role

path, size = sys.argv[1], int(sys.argv[2])
store = SQLiteStore(path, tenant="acme")
start = datetime(2025, 3, 3, 9, tzinfo=UTC)

def stop_before_the_snapshot(statement):
    # Every event row of the batch is written (and, this large, spilled into the WAL); the commit is not.
    if statement.startswith(("UPDATE tickets", "INSERT INTO tickets")):
        print("mid-batch", flush=True)
        threading.Event().wait()

store._connection().set_trace_callback(stop_before_the_snapshot)
batch = [NoteAdded(ticket_id="T-1", seq=1 + i, at=start + timedelta(seconds=i),
                   actor=Actor("ada", Role.AGENT), body="y" * 2000) for i in range(1, size + 1)]
store.append("T-1", batch, 1)
"""


def spawn(code: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_file(path: Path, *ticket_ids: str) -> None:
    store = SQLiteStore(path, tenant="acme")
    for ticket_id in ticket_ids:
        store.append(
            ticket_id,
            [Opened(ticket_id=ticket_id, seq=1, at=T0, actor=Actor("cy", Role.REQUESTER), requester="cy")],
            0,
        )
    store.close()


def assert_consistent(store: SQLiteStore, ticket_id: str) -> list[object]:
    events = store.events(ticket_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert store.get(ticket_id) == Ticket.from_events(events)
    return list(events)


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_processes_appending_to_the_same_tickets_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    start_file(path, "T-0", "T-1")
    writers, rounds = 3, 30
    children = [spawn(WRITER, path, f"w{i}", rounds) for i in range(writers)]
    outputs = [child.communicate(timeout=120) for child in children]
    for child, (_, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
    store = SQLiteStore(path, tenant="acme")
    notes = []
    for ticket_id in ("T-0", "T-1"):
        events = assert_consistent(store, ticket_id)
        notes.extend(e.body for e in events if isinstance(e, NoteAdded))
    assert Counter(notes) == Counter(f"w{i}/{n}" for i in range(writers) for n in range(rounds))
    assert len(list(store.stream())) == 2 + writers * rounds
    ids = [line for out, _ in outputs for line in out.split()]
    assert len(ids) == len(set(ids)) == writers * rounds
    store.close()


def test_a_writer_killed_between_batches_leaves_whole_batches(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    start_file(path, "T-1")
    size = 25
    child = spawn(BATCHES, path, size)
    try:
        assert child.stdout is not None
        reported = [int(child.stdout.readline()) for _ in range(6)]
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    store = SQLiteStore(path, tenant="acme")
    events = assert_consistent(store, "T-1")
    assert (len(events) - 1) % size == 0
    assert len(events) >= reported[-1]
    assert len(list(store.stream())) == len(events)
    assert integrity(path) == "ok"
    store.close()


def test_a_writer_killed_mid_batch_leaves_none_of_it(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    start_file(path, "T-1")
    child = spawn(STUCK_MID_BATCH, path, 2_000)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "mid-batch"
        # The uncommitted batch really reached the file before the kill: the WAL grew well past one page.
        assert (tmp_path / "killed.db-wal").stat().st_size > 1_000_000
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=60)
    store = SQLiteStore(path, tenant="acme")
    assert len(assert_consistent(store, "T-1")) == 1
    assert integrity(path) == "ok"
    after = NoteAdded(ticket_id="T-1", seq=2, at=T0, actor=Actor("ada", Role.AGENT))
    assert store.append("T-1", [after], 1) == 2
    store.close()
