"""The stateful check of the storage contract kit: a store driven like an in-memory model (private).

A Hypothesis state machine opens tickets, appends batches of every kind of event, and tries stale appends; after
every step the store must agree with the model — histories, snapshots, the stream and ``find``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ticketcore.errors import ConcurrencyError
from ticketcore.model import Assigned, Event, Replied, StatusChanged, TagsChanged, Ticket
from ticketcore.repositories import TicketQuery, TicketStore
from ticketcore.testing._contract.support import AGENT, T0, TAGS, KitMachinery, note, opened
from ticketcore.testing.strategies import STATUSES

__all__ = ["store_machine"]


def store_machine(kit: KitMachinery) -> type[RuleBasedStateMachine]:
    """The state machine class for ``kit``: each run gets fresh storage through the kit, disposed at teardown."""

    class StoreMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self._context = kit._storage()
            make = self._context.__enter__()
            self.store = make("acme")
            self.histories: dict[str, list[Event]] = {}
            self.committed: list[Event] = []
            self.clock = T0

        def teardown(self) -> None:
            self._context.__exit__(None, None, None)

        def _tick(self, seconds: int) -> datetime:
            self.clock += timedelta(seconds=seconds)
            return self.clock

        @rule(use_generated=st.booleans(), seconds=st.integers(0, 3600))
        def open_ticket(self, use_generated: bool, seconds: int) -> None:
            ticket_id = self.store.next_ticket_id() if use_generated else f"X-{len(self.histories)}"
            assert ticket_id not in self.histories
            event = opened(ticket_id, self._tick(seconds))
            assert self.store.append(ticket_id, [event], 0) == 1
            self.histories[ticket_id] = [event]
            self.committed.append(event)

        @rule(
            data=st.data(),
            kind=st.sampled_from(["reply", "note", "assign", "status", "tags"]),
            size=st.integers(1, 3),
        )
        def add_events(self, data: st.DataObject, kind: str, size: int) -> None:
            if not self.histories:
                return
            ticket_id = data.draw(st.sampled_from(sorted(self.histories)))
            history = self.histories[ticket_id]
            ticket = Ticket.from_events(history)
            batch: list[Event] = []
            for _ in range(size):
                event = _next_event(data, kind, ticket, self._tick(60))
                batch.append(event)
                ticket = ticket.apply(event)
            assert self.store.append(ticket_id, batch, len(history)) == ticket.version
            history.extend(batch)
            self.committed.extend(batch)

        @rule(data=st.data())
        def stale_append_is_refused(self, data: st.DataObject) -> None:
            if not self.histories:
                return
            ticket_id = data.draw(st.sampled_from(sorted(self.histories)))
            stale = data.draw(st.integers(0, len(self.histories[ticket_id]) - 1))
            with pytest.raises(ConcurrencyError):
                self.store.append(ticket_id, [note(ticket_id, stale + 1, self.clock)], stale)

        @invariant()
        def agrees_with_the_model(self) -> None:
            _assert_agrees(self.store, self.histories, self.committed)

    return StoreMachine


def _next_event(data: st.DataObject, kind: str, ticket: Ticket, at: datetime) -> Event:
    """The next event of ``kind`` on ``ticket`` at ``at``, its free parts drawn from ``data``."""
    head: dict[str, Any] = {"ticket_id": ticket.id, "seq": ticket.version + 1, "at": at}
    if kind == "reply":
        return Replied(**head, actor=AGENT, body="on it")
    if kind == "assign":
        return Assigned(**head, actor=AGENT, agent=data.draw(st.sampled_from(["ada", "bo"])))
    if kind == "status":
        target = data.draw(st.sampled_from(sorted(STATUSES)))
        return StatusChanged(
            **head,
            actor=AGENT,
            from_status=ticket.status,
            from_category=ticket.category,
            to_status=target,
            to_category=STATUSES[target],
        )
    if kind == "tags":
        return TagsChanged(
            **head, actor=AGENT, added=data.draw(st.frozensets(st.sampled_from(TAGS), max_size=2))
        )
    return note(ticket.id, ticket.version + 1, at)


def _assert_agrees(store: TicketStore, histories: Mapping[str, list[Event]], committed: list[Event]) -> None:
    """The store holds exactly the model: each history and snapshot, the whole stream in order, and ``find``."""
    for ticket_id, history in histories.items():
        assert store.events(ticket_id) == history
        assert store.get(ticket_id) == Ticket.from_events(history)
    assert [e for _, e in store.stream()] == committed
    page = store.find(TicketQuery(limit=1_000))
    assert {t.id for t in page} == set(histories)
