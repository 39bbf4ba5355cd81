"""Readers survive a bad row that is already stored (written by hand, or by an old version).

The rows are written here with the plain drivers, behind the store's back. The ticket they belong to reports them
(``CorruptRecord`` naming the row, with its ticket and stream position); the rest of the tenant stays readable:
``stream`` raises at the row and resumes after it, ``read_stream`` goes on and reports it, ``find`` returns the
other tickets and lists the bad row in ``Page.corrupt``. The in-memory store keeps Python objects, not rows, so it
has no such rows to survive.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers import T0, postgres_dsn
from ticketcore import Actor, CorruptRecord, Role
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.model import NoteAdded, Opened
from ticketcore.repositories import TicketQuery, TicketStore, read_stream

CY = Actor("cy", Role.REQUESTER)
BAD_EVENTS = {
    "not JSON": "{oops",
    "an unknown kind": '{"type": "exploded", "ticket_id": "T-2", "seq": 2}',
    "a naive time": (
        '{"type": "note_added", "ticket_id": "T-2", "seq": 2, "at": "2025-03-03T10:00:00", '
        '"actor": {"id": "ada", "role": "agent"}, "body": "x"}'
    ),
    "a wrong type": (
        '{"type": "note_added", "ticket_id": "T-2", "seq": 2, "at": "2025-03-03T10:00:00+00:00", '
        '"actor": {"id": "ada", "role": "agent"}, "public": "maybe"}'
    ),
}

Corrupt = Callable[[str, str], TicketStore]
"""Overwrite the stored data of ``T-2``'s events row seq 2 (``"events"``) or its snapshot (``"tickets"``), and
return a store opened afresh on the same storage (one with no cached copy of the good snapshot)."""


def first(ticket_id: str) -> Opened:
    return Opened(ticket_id=ticket_id, seq=1, at=T0, actor=CY, requester="cy")


def note(ticket_id: str) -> NoteAdded:
    return NoteAdded(ticket_id=ticket_id, seq=2, at=T0, actor=Actor("ada", Role.AGENT), body="hi")


@pytest.fixture(params=["sqlite", "postgres"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TicketStore, Corrupt]]:
    opened: list[TicketStore] = []
    if request.param == "sqlite":
        path = tmp_path / "desk.db"
        store: TicketStore = SQLiteStore(path, tenant="acme")

        def corrupt(table: str, data: str) -> TicketStore:
            with sqlite3.connect(path) as conn:
                where = "AND seq = 2" if table == "events" else ""
                conn.execute(f"UPDATE {table} SET data = ? WHERE ticket_id = 'T-2' {where}", (data,))
            opened.append(SQLiteStore(path, tenant="acme"))
            return opened[-1]

    else:
        dsn = postgres_dsn()
        import psycopg

        from ticketcore.adapters.postgres import PostgresStore

        tenant = f"c-{uuid.uuid4().hex}"
        store = PostgresStore(dsn, tenant=tenant)

        def corrupt(table: str, data: str) -> TicketStore:
            with psycopg.connect(dsn, autocommit=True) as conn:
                where = "AND seq = 2" if table == "events" else ""
                conn.execute(
                    f"UPDATE ticketcore.{table} SET data = %s WHERE tenant = %s AND ticket_id = 'T-2' {where}",
                    (data, tenant),
                )
            opened.append(PostgresStore(dsn, tenant=tenant))
            return opened[-1]

    for ticket_id in ("T-1", "T-2", "T-3"):
        store.append(ticket_id, [first(ticket_id), note(ticket_id)], 0)
    yield store, corrupt
    for made in [store, *opened]:
        made.close()


@pytest.mark.parametrize("data", list(BAD_EVENTS.values()), ids=list(BAD_EVENTS))
def test_a_bad_events_row_is_reported_and_the_tenant_stays_readable(
    desk: tuple[TicketStore, Corrupt], data: str
) -> None:
    _, corrupt = desk
    store = corrupt("events", data)
    with pytest.raises(CorruptRecord) as caught:
        store.events("T-2")
    assert caught.value.ticket_id == "T-2"
    assert "T-2" in str(caught.value)
    assert "seq 2" in str(caught.value)
    with pytest.raises(CorruptRecord) as raised:
        list(store.stream())
    assert raised.value.position is not None
    after = [e.ticket_id for _, e in store.stream(after=raised.value.position)]
    assert after == ["T-3", "T-3"]
    bad: list[CorruptRecord] = []
    read = [(e.ticket_id, e.seq) for _, e in read_stream(store, on_corrupt=bad.append)]
    assert read == [("T-1", 1), ("T-1", 2), ("T-2", 1), ("T-3", 1), ("T-3", 2)]
    assert [(error.ticket_id, error.position) for error in bad] == [("T-2", raised.value.position)]
    assert store.events("T-1") == [first("T-1"), note("T-1")]


def test_a_bad_snapshot_row_is_listed_with_the_page(desk: tuple[TicketStore, Corrupt]) -> None:
    _, corrupt = desk
    store = corrupt("tickets", '{"id": "T-2", "version": "two"}')
    page = store.find(TicketQuery())
    assert [ticket.id for ticket in page.tickets] == ["T-1", "T-3"]
    assert [error.ticket_id for error in page.corrupt] == ["T-2"]
    with pytest.raises(CorruptRecord, match="snapshot row of ticket 'T-2'"):
        store.get("T-2")
    assert store.get("T-3").version == 2
