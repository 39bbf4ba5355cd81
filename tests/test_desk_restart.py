"""Issue 8's "Done when" story: a SQLite help desk survives a restart with everything — timers included — in place.

Only public names are used: ``ticketcore``, ``ticketcore.desk``, ``ticketcore.adapters.sqlite``, ``ticketcore.sla``.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

from helpers import AGENT as ADA
from helpers import REQUESTER as CY
from helpers import T0
from ticketcore import ConcurrencyError, Event, Ticket
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.desk import HelpDesk
from ticketcore.model import NoteAdded, TimerFired
from ticketcore.repositories import TicketQuery
from ticketcore.sla import ClockState, MetricTargets, SLAPolicy

POLICY = SLAPolicy(
    "standard",
    {
        "first_response": MetricTargets({}, timedelta(hours=4), business_hours=False),
        "resolution": MetricTargets({}, timedelta(days=2), business_hours=False),
    },
)


def open_desk(path: Path, now: datetime) -> HelpDesk:
    return HelpDesk(SQLiteStore(path, tenant="acme"), clock=lambda: now, sla=POLICY)


def test_a_sqlite_help_desk_finds_everything_where_it_was_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "helpdesk.db"
    now = T0
    desk = open_desk(path, now)
    desk.open(requester="cy", subject="Laptop will not boot", channel="web", tags=["hardware"])
    desk.open(requester="dee", subject="New monitor")
    desk.assign("T-1", ADA, agent="ada", group="it")
    desk.act("T-1", "accept", ADA)
    desk.reply("T-1", ADA, "Please bring it to the service desk.")
    desk.act("T-1", "wait_for_customer", ADA)

    desk = open_desk(path, now := now + timedelta(hours=5))
    desk.reply("T-1", CY, "Done, it is on your desk.")
    desk.note("T-1", ADA, "Replaced the SSD")
    solved_at = now + timedelta(hours=1)
    desk = open_desk(path, solved_at)
    desk.act("T-1", "solve", ADA)

    before = {
        "ticket": desk.get("T-1"),
        "events": desk.events("T-1"),
        "sla": desk.sla("T-1", now=solved_at),
        "timers": desk.timers("T-1", now=solved_at),
        "queue": [t.id for t in desk.find(TicketQuery(category="new"))],
    }
    assert [(due.timer.name, due.due_at, due.due) for due in before["timers"]] == [
        ("auto_close", solved_at + timedelta(days=4), False)
    ]
    desk.store.close()

    # The restart: a new process opens the same file and reads back what the first one left.
    script = (
        "import sys; from ticketcore.adapters.sqlite import SQLiteStore; "
        "s = SQLiteStore(sys.argv[1], tenant='acme'); print(s.get('T-1').status, len(s.events('T-1'))); s.close()"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["solved", str(len(before["events"]))]

    desk = open_desk(path, solved_at)
    assert desk.get("T-1") == before["ticket"] == Ticket.from_events(before["events"])
    assert desk.events("T-1") == before["events"]
    assert desk.sla("T-1", now=solved_at) == before["sla"]
    assert desk.sla("T-1").metric("first_response").state is ClockState.ACHIEVED
    assert desk.timers("T-1", now=solved_at) == before["timers"]
    assert [t.id for t in desk.find(TicketQuery(category="new"))] == before["queue"] == ["T-2"]
    assert desk.store.next_ticket_id() == "T-3"
    desk.store.close()

    # Four days later a scheduler — another fresh desk — fires the auto-close, exactly once.
    later = solved_at + timedelta(days=4)
    desk = open_desk(path, later)
    fired = desk.run_timers()
    assert [getattr(e, "timer", None) or getattr(e, "to_status", None) for e in fired] == [
        "auto_close",
        "closed",
    ]
    desk.store.close()
    desk = open_desk(path, later + timedelta(hours=1))
    assert desk.run_timers() == []
    assert desk.get("T-1").status == "closed"
    assert desk.timers("T-1") == []
    desk.store.close()


def test_desks_in_several_threads_share_one_file_without_losing_updates(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    now = T0
    first = open_desk(path, now)
    first.open(requester="cy", subject="shared")
    first.assign("T-1", ADA, agent="ada")
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def work(index: int) -> None:
        desk = open_desk(path, now)
        try:
            start.wait()
            for n in range(10):
                while True:
                    try:
                        desk.note("T-1", ADA, f"{index}/{n}")
                        break
                    except ConcurrencyError:
                        continue  # both tries lost to other threads: the application decides to try again
        except BaseException as error:
            failures.append(error)
        finally:
            desk.store.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    notes = [e.body for e in first.events("T-1") if isinstance(e, NoteAdded)]
    assert sorted(notes) == sorted(f"{i}/{n}" for i in range(4) for n in range(10))
    first.act("T-1", "solve", ADA)
    first.store.close()

    later = T0 + timedelta(days=5)
    fired: list[list[Event]] = []
    race = threading.Barrier(2)

    def scheduler() -> None:
        desk = open_desk(path, later)
        race.wait()
        fired.append(desk.run_timers())
        desk.store.close()

    schedulers = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in schedulers:
        thread.start()
    for thread in schedulers:
        thread.join()
    assert sorted(len(events) for events in fired) == [0, 2]
    check = open_desk(path, later)
    assert check.get("T-1").status == "closed"
    assert sum(isinstance(e, TimerFired) for e in check.events("T-1")) == 1
    check.store.close()
