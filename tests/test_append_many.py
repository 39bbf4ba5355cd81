"""``repositories.append_each``: one write for many tickets on a ``BatchAppender`` (SQLite), one append each on any
other store, with the same results."""

from __future__ import annotations

from pathlib import Path

from helpers import T0, opened
from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.model import Event, NoteAdded
from ticketcore.repositories import BatchAppender, TicketStore, append_each


def batches() -> list[tuple[str, list[Event], int]]:
    found: list[tuple[str, list[Event], int]] = []
    for i in range(1_200):
        ticket_id = f"T-{i % 1_100}"  # the last hundred repeat: refused as already stored
        note = NoteAdded(ticket_id=ticket_id, seq=2, at=T0, actor=opened(ticket_id).actor, body="hi")
        found.append((ticket_id, [opened(ticket_id), note] if i % 7 else [note], 0))
    return found


def outcome(store: TicketStore) -> list[str | None]:
    return [None if result is None else type(result).__name__ for result in append_each(store, batches())]


def test_both_paths_refuse_and_keep_the_same_batches(tmp_path: Path) -> None:
    sqlite = SQLiteStore(tmp_path / "desk.db", tenant="acme")
    memory = MemoryStore("acme")
    assert isinstance(sqlite, BatchAppender)
    assert not isinstance(memory, BatchAppender)
    expected = outcome(memory)
    assert outcome(sqlite) == expected
    assert expected.count("ConcurrencyError") > 0
    assert expected.count("InvalidEvent") > 0
    assert [e for _, e in sqlite.stream()] == [e for _, e in memory.stream()]
    sqlite.close()
