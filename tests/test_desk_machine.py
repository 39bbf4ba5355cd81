"""A state machine over HelpDesk: random commands by random actors, timers and restarts, on memory and SQLite.

Whatever happens, the stored snapshot is the fold of the stored events, the history obeys the workflow (commands are
checked, so ``workflow.audit`` finds nothing), a refused command stores nothing, and timers never fire twice.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from helpers import T0
from ticketcore import Actor, InvalidTransition, Role, Ticket
from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.desk import HelpDesk
from ticketcore.model import TimerFired
from ticketcore.repositories import TicketStore

ACTORS = [
    Actor("ada", Role.AGENT),
    Actor("sue", Role.SUPERVISOR),
    Actor("cy", Role.REQUESTER),
    Actor.system(),
]
ACTIONS = ["accept", "wait_for_customer", "hold", "resume", "solve", "reopen", "close", "cancel", "confirm"]


class DeskMachine(RuleBasedStateMachine):
    sqlite = False

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="ticketcore-desk-"))
        self.now = T0
        self.stores: list[TicketStore] = []
        self.desk = self._desk()
        self.ids: list[str] = []

    def _desk(self) -> HelpDesk:
        store = SQLiteStore(self.folder / "d.db", tenant="acme") if self.sqlite else self._memory()
        self.stores.append(store)
        return HelpDesk(store, clock=lambda: self.now)

    def _memory(self) -> MemoryStore:
        if not self.stores:
            return MemoryStore("acme")
        previous = self.stores[0]
        assert isinstance(previous, MemoryStore)
        return previous

    def teardown(self) -> None:
        for store in self.stores:
            store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @rule(requester=st.sampled_from(["cy", "dee"]))
    def open_ticket(self, requester: str) -> None:
        self.ids.append(self.desk.open(requester=requester, subject="help").ticket.id)

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), action=st.sampled_from(ACTIONS), actor=st.sampled_from(ACTORS))
    def act(self, data: st.DataObject, action: str, actor: Actor) -> None:
        ticket_id = data.draw(st.sampled_from(self.ids))
        before = self.desk.get(ticket_id)
        allowed = action in self.desk.allowed(ticket_id, actor)
        try:
            after = self.desk.act(ticket_id, action, actor)
        except InvalidTransition:
            assert not allowed
            assert self.desk.get(ticket_id) == before
        else:
            assert allowed
            assert after.version == before.version + 1

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), actor=st.sampled_from(ACTORS))
    def take_an_allowed_action(self, data: st.DataObject, actor: Actor) -> None:
        ticket_id = data.draw(st.sampled_from(self.ids))
        allowed = self.desk.allowed(ticket_id, actor)
        if allowed:
            action = data.draw(st.sampled_from(allowed))
            assert self.desk.act(ticket_id, action, actor).version == self.desk.get(ticket_id).version

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), actor=st.sampled_from(ACTORS[:3]), public=st.booleans())
    def reply(self, data: st.DataObject, actor: Actor, public: bool) -> None:
        ticket_id = data.draw(st.sampled_from(self.ids))
        try:
            self.desk.reply(ticket_id, actor, "…", public=public)
        except InvalidTransition:
            assert self.desk.get(ticket_id).category.value == "closed"

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), agent=st.sampled_from(["ada", "bo"]))
    def assign(self, data: st.DataObject, agent: str) -> None:
        ticket_id = data.draw(st.sampled_from(self.ids))
        try:
            assert self.desk.assign(ticket_id, ACTORS[0], agent=agent).assignee == agent
        except InvalidTransition:
            assert self.desk.get(ticket_id).category.value == "closed"

    @rule(hours=st.sampled_from([1, 20, 50, 100, 200]))
    def time_passes_and_timers_run(self, hours: int) -> None:
        self.now += timedelta(hours=hours)
        self.desk.run_timers()
        assert self.desk.run_timers() == []

    @rule()
    def restart(self) -> None:
        self.desk = self._desk()

    @invariant()
    def history_is_sound(self) -> None:
        for ticket_id in self.ids:
            events = self.desk.events(ticket_id)
            assert self.desk.get(ticket_id) == Ticket.from_events(events)
            assert self.desk.workflow.audit(events) == []
            fired = [(e.timer, e.due_at) for e in events if isinstance(e, TimerFired)]
            assert len(fired) == len(set(fired))


class SQLiteDeskMachine(DeskMachine):
    sqlite = True


def test_desk_over_memory() -> None:
    run_state_machine_as_test(DeskMachine, settings=settings(max_examples=40, stateful_step_count=25))


def test_desk_over_sqlite() -> None:
    run_state_machine_as_test(SQLiteDeskMachine, settings=settings(max_examples=15, stateful_step_count=20))
