"""Scheduling at scale: ``run_timers`` and ``upcoming`` read only the due index; ``reschedule`` after a change.

The stories of the issue, with public names only: 200,000 stored tickets (most solved and waiting, 50 due), the
rows ``run_timers`` reads counted; two processes running timers on one SQLite file fire every due timer once.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import attrs
import pytest

from helpers import AGENT, REQUESTER, T0
from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.desk import HelpDesk, Rescheduled
from ticketcore.errors import ConfigError
from ticketcore.lifecycle import Timer, Workflow, default_workflow
from ticketcore.model import Category, Event, Opened, StatusChanged, Ticket, TimerFired
from ticketcore.repositories import NOT_DUE, DuePage, Page, TicketQuery, TicketStore
from ticketcore.scheduling import next_due
from ticketcore.sla import MetricTargets, SLAPolicy, upcoming

NOW = T0 + timedelta(days=30)

AUTO_CLOSE = attrs.evolve(
    default_workflow(),
    timers=[
        Timer("auto_close", timedelta(days=4), category=Category.SOLVED, since="created_at", action="close")
    ],
)
"""Solved tickets close four days after they were opened (a one-event solved ticket is enough to wait on it)."""


class CountingStore:
    """A store that counts the rows each read returns: what a scheduler costs, whatever the adapter."""

    def __init__(self, inner: TicketStore) -> None:
        self.inner = inner
        self.rows = 0

    @property
    def tenant(self) -> str:
        return self.inner.tenant

    def append(
        self, ticket_id: str, events: Sequence[Event], expected_version: int, *, due: datetime | None = None
    ) -> int:
        return self.inner.append(ticket_id, events, expected_version, due=due)

    def events(self, ticket_id: str, after: int = 0) -> list[Event]:
        found = self.inner.events(ticket_id, after)
        self.rows += len(found)
        return found

    def get(self, ticket_id: str) -> Ticket:
        self.rows += 1
        return self.inner.get(ticket_id)

    def find(self, query: TicketQuery) -> Page:
        page = self.inner.find(query)
        self.rows += len(page)
        return page

    def due(self, at_or_before: datetime, *, limit: int = 100, cursor: str | None = None) -> DuePage:
        page = self.inner.due(at_or_before, limit=limit, cursor=cursor)
        self.rows += len(page)
        return page

    def set_due(self, ticket_id: str, version: int, due: datetime) -> bool:
        return self.inner.set_due(ticket_id, version, due)

    def stream(self, after: int = 0) -> Iterator[tuple[int, Event]]:
        for entry in self.inner.stream(after):
            self.rows += 1
            yield entry

    def next_ticket_id(self) -> str:
        return self.inner.next_ticket_id()

    def close(self) -> None:
        self.inner.close()


def solved(ticket_id: str, at: datetime) -> Opened:
    return Opened(
        ticket_id=ticket_id,
        seq=1,
        at=at,
        actor=AGENT,
        requester=REQUESTER.id,
        status="solved",
        category=Category.SOLVED,
    )


def store_waiting(store: TicketStore, count: int, due: int, workflow: Workflow = AUTO_CLOSE) -> None:
    """``count`` solved tickets, ``due`` of them opened long enough ago to close at :data:`NOW`, each stored with
    the due instant ``scheduling.next_due`` gives (what ``HelpDesk`` stores)."""
    for i in range(count):
        at = NOW - timedelta(days=10 if i % (count // due) == 0 and i // (count // due) < due else 1)
        event = solved(f"T-{i}", at)
        found = next_due(Ticket.from_events([event]), now=at, workflow=workflow)
        store.append(event.ticket_id, [event], 0, due=NOT_DUE if found is None else found.at)


def test_run_timers_reads_what_is_due_not_what_is_stored(tmp_path: Path) -> None:
    store = CountingStore(SQLiteStore(tmp_path / "desk.db", tenant="acme"))
    store_waiting(store, 200_000, due=50)
    desk = HelpDesk(store, clock=lambda: NOW, workflow=AUTO_CLOSE)
    store.rows = 0
    fired = desk.run_timers()
    assert len(fired) == 100  # each due ticket: the timer's mark and its close
    assert {e.ticket_id for e in fired if isinstance(e, StatusChanged) and e.to_status == "closed"} == {
        f"T-{i * 4000}" for i in range(50)
    }
    assert store.rows == 50, "one index row per due ticket, and nothing else"
    store.rows = 0
    assert desk.run_timers() == []
    assert store.rows == 0, "closed tickets left the index"
    store.close()


def test_every_command_keeps_the_index(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "desk.db", tenant="acme")
    clock = [T0]
    desk = HelpDesk(store, clock=lambda: clock[0])
    ticket = desk.open(requester="cy").ticket
    assert len(store.due(NOT_DUE)) == 0, "nothing waits on a new ticket of the default workflow"
    desk.assign(ticket.id, AGENT, agent="ada")
    desk.act(ticket.id, "wait_for_customer", AGENT)
    (pending,) = store.due(NOT_DUE)
    assert pending.due_at == T0 + timedelta(hours=48)  # the default workflow's reminder
    clock[0] = T0 + timedelta(hours=49)
    assert [e.timer for e in desk.run_timers() if isinstance(e, TimerFired)] == ["pending_reminder"]
    (next_one,) = store.due(NOT_DUE)
    assert next_one.due_at == T0 + timedelta(days=7)  # then the auto-solve, counted from the same entry
    desk.reply(ticket.id, REQUESTER, "still broken")
    assert len(store.due(NOT_DUE)) == 0, "back to open: nothing waits"
    store.close()


def test_two_processes_fire_every_due_timer_once(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    store = SQLiteStore(path, tenant="acme")
    store_waiting(store, 3000, due=1500)
    store.close()
    script = textwrap.dedent(
        f"""
        import sys
        from datetime import datetime, timedelta
        import attrs
        from ticketcore.adapters.sqlite import SQLiteStore
        from ticketcore.desk import HelpDesk
        from ticketcore.lifecycle import Timer, default_workflow
        from ticketcore.model import Category
        workflow = attrs.evolve(default_workflow(), timers=[
            Timer("auto_close", timedelta(days=4), category=Category.SOLVED, since="created_at", action="close")])
        now = datetime.fromisoformat({NOW.isoformat()!r})
        desk = HelpDesk(SQLiteStore(sys.argv[1], tenant="acme"), clock=lambda: now, workflow=workflow)
        print(len(desk.run_timers()))
        """
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE) for _ in range(2)
    ]
    counts = [int(run.communicate(timeout=120)[0]) for run in runs]
    assert all(run.returncode == 0 for run in runs)
    assert sum(counts) == 3000, f"each of the 1,500 due tickets fired once in all ({counts})"
    store = SQLiteStore(path, tenant="acme")
    marks = [e for _, e in store.stream() if isinstance(e, TimerFired)]
    assert len(marks) == len({e.ticket_id for e in marks}) == 1500
    assert len(store.due(NOW)) == 0, "nothing due is left; the others wait for their day"
    store.close()


def test_upcoming_reads_the_index_and_agrees_with_every_history() -> None:
    policy = SLAPolicy(
        "standard",
        {
            "first_response": MetricTargets(default=timedelta(hours=2)),
            "resolution": MetricTargets(default=timedelta(hours=8)),
        },
        warnings=(50, 75),
    )
    store = CountingStore(MemoryStore("acme"))
    clock = [T0]
    desk = HelpDesk(store, clock=lambda: clock[0], sla=policy)
    for i in range(40):
        clock[0] = T0 + timedelta(minutes=17 * i)
        desk.open(requester=f"r{i}")
        if i % 3 == 0:
            desk.reply(f"T-{i + 1}", AGENT, "on it")
    for step in range(30):
        clock[0] = T0 + timedelta(minutes=23 * step)
        desk.run_timers()
        histories = [desk.events(f"T-{i + 1}") for i in range(40)]
        expected = upcoming(histories, now=clock[0], within=timedelta(hours=1), policy=policy)
        store.rows = 0
        found = desk.upcoming(within=timedelta(hours=1))
        assert found == expected
        assert store.rows <= 40 * 6, "only the tickets due within the hour, with their histories"


def test_upcoming_needs_policies_and_a_duration() -> None:
    desk = HelpDesk(MemoryStore("acme"), clock=lambda: T0)
    with pytest.raises(Exception, match="no SLA policies"):
        desk.upcoming(within=timedelta(hours=1))


def test_reschedule_after_a_change_of_configuration() -> None:
    store = MemoryStore("acme")
    before = HelpDesk(store, clock=lambda: T0, workflow=attrs.evolve(default_workflow(), timers=[]))
    for i in range(25):
        before.open(requester=f"r{i}")
    assert len(store.due(NOT_DUE)) == 0, "no timers: nothing is ever due"
    nudge = attrs.evolve(default_workflow(), timers=[Timer("nudge", timedelta(hours=1), status="new")])
    later = T0 + timedelta(hours=2)
    after = HelpDesk(store, clock=lambda: later, workflow=nudge)
    assert after.run_timers() == [], "the index still says what the old configuration said"
    seen: list[Rescheduled] = []
    part = after.reschedule(limit=10, batch=10, progress=seen.append)
    assert part.seen == 10
    assert part.cursor is not None
    rest = after.reschedule(cursor=part.cursor, batch=10, progress=seen.append)
    assert (rest.seen, rest.skipped, rest.cursor) == (15, 0, None)
    assert [p.seen for p in seen] == [10, 10, 15]
    assert len(store.due(later)) == 25
    assert len([e for e in after.run_timers() if isinstance(e, TimerFired)]) == 25


def test_a_killed_writer_leaves_the_index_and_the_snapshots_agreeing(tmp_path: Path) -> None:
    """SIGKILL in the middle of appends: every ticket's indexed instant is the one written with its snapshot."""
    path = tmp_path / "desk.db"
    SQLiteStore(path, tenant="acme").close()
    script = textwrap.dedent(
        f"""
        import sys
        from datetime import datetime, timedelta
        from ticketcore.adapters.sqlite import SQLiteStore
        from ticketcore.model import Actor, NoteAdded, Opened, Role
        t0 = datetime.fromisoformat({T0.isoformat()!r})
        agent = Actor("ada", Role.AGENT)
        store = SQLiteStore(sys.argv[1], tenant="acme")
        print("ready", flush=True)
        for n in range(10**9):
            ticket_id = f"T-{{n % 50}}"
            version = len(store.events(ticket_id))
            at = t0 + timedelta(seconds=n)
            if version == 0:
                event = Opened(ticket_id=ticket_id, seq=1, at=at, actor=agent, requester="cy")
            else:
                event = NoteAdded(ticket_id=ticket_id, seq=version + 1, at=at, actor=agent, body="x" * 500)
            store.append(ticket_id, [event], version, due=t0 + timedelta(hours=version + 1))
        """
    )
    writer = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE)
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == b"ready"
    store = SQLiteStore(path, tenant="acme")
    # Until every ticket has been written a few times, so the kill lands among appends that change the index.
    while len(store.due(NOT_DUE, limit=100)) < 50 or len(store.due(T0 + timedelta(hours=3), limit=100)) > 0:
        pass
    writer.kill()
    writer.wait(timeout=30)
    writer.stdout.close()
    indexed = {s.ticket.id: s for page in [store.due(NOT_DUE, limit=100)] for s in page}
    assert len(indexed) == 50
    for ticket_id, scheduled in indexed.items():
        ticket = store.get(ticket_id)
        assert scheduled.ticket == ticket
        assert scheduled.due_at == T0 + timedelta(hours=ticket.version)
        assert ticket.version == len(store.events(ticket_id))
    store.close()


def test_a_desk_with_business_time_timers_needs_their_calendar() -> None:
    workflow = attrs.evolve(
        default_workflow(), timers=[Timer("nudge", timedelta(hours=4), status="new", business=True)]
    )
    with pytest.raises(ConfigError, match="'nudge' count business time") as refused:
        HelpDesk(MemoryStore("acme"), clock=lambda: T0, workflow=workflow)
    assert refused.value.path == "calendar"
