"""Checks of the storage contract kit for the due index (private to ``contract``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketcore.errors import ConcurrencyError, InvalidEvent, NaiveDatetimeError, TicketcoreError, WrongType
from ticketcore.repositories import NOT_DUE, Scheduled, TicketStore
from ticketcore.testing._contract.support import T0, KitMachinery, note, opened

__all__ = ["ScheduleChecks"]


def _all_due(store: TicketStore, at: datetime, limit: int) -> list[Scheduled]:
    found: list[Scheduled] = []
    cursor = None
    while True:
        page = store.due(at, limit=limit, cursor=cursor)
        assert len(page) <= limit
        found.extend(page)
        if page.next_cursor is None:
            return found
        assert len(page) == limit, "a page that is not full is the last one"
        cursor = page.next_cursor


class ScheduleChecks(KitMachinery):
    """The due instant written with each append, the ordered, paged ``due`` query, and ``set_due``."""

    writers: ClassVar[int] = 4
    appends_per_writer: ClassVar[int] = 15

    def test_due_index_matches_the_oracle(self) -> None:
        @self._settings()
        @given(
            dues=st.lists(st.one_of(st.none(), st.integers(-50, 50)), min_size=1, max_size=12),
            bound=st.integers(-60, 60),
            limit=st.integers(1, 5),
        )
        def check(dues: list[int | None], bound: int, limit: int) -> None:
            with self._storage() as make:
                store, other = make("acme"), make("globex")
                expected = []
                for i, hours in enumerate(dues):
                    ticket_id = f"T-{i}"
                    due = NOT_DUE if hours is None else T0 + timedelta(hours=hours)
                    store.append(ticket_id, [opened(ticket_id)], 0, due=due)
                    other.append(ticket_id, [opened(ticket_id)], 0)  # due at its update: T0
                    if hours is not None and hours <= bound:
                        expected.append((due, ticket_id))
                at = T0 + timedelta(hours=bound)
                found = _all_due(store, at, limit)
                assert [(s.due_at, s.ticket.id) for s in found] == sorted(expected)
                assert all(s.ticket == store.get(s.ticket.id) for s in found)
                assert [s.ticket.id for s in _all_due(other, at, limit)] == (
                    sorted(f"T-{i}" for i in range(len(dues))) if bound >= 0 else []
                )

        check()

    def test_due_follows_each_write(self) -> None:
        with self._storage() as make:
            store = make("acme")
            later = T0 + timedelta(days=1)
            store.append("T-1", [opened("T-1")], 0, due=later)
            assert [s.due_at for s in store.due(later)] == [later]
            store.append("T-1", [note("T-1", 2, T0 + timedelta(minutes=5))], 1)
            # A writer that is no scheduler: due at the ticket's update, so the next run looks at it.
            assert [s.due_at for s in store.due(later)] == [T0 + timedelta(minutes=5)]
            store.append("T-1", [note("T-1", 3, T0 + timedelta(minutes=6))], 2, due=NOT_DUE)
            assert len(store.due(NOT_DUE)) == 0
            assert store.set_due("T-1", 3, later)
            assert [s.due_at for s in store.due(later)] == [later]
            assert not store.set_due("T-1", 2, T0), "set_due on an old version writes nothing"
            assert not store.set_due("T-9", 1, T0), "set_due on an unknown ticket writes nothing"
            assert [s.due_at for s in store.due(NOT_DUE)] == [later]
            assert store.set_due("T-1", 3, NOT_DUE)
            assert len(store.due(NOT_DUE)) == 0

    def test_a_refused_append_leaves_the_due_instant(self) -> None:
        with self._storage() as make:
            store = make("acme")
            store.append("T-1", [opened("T-1")], 0, due=T0)
            with pytest.raises(ConcurrencyError):
                store.append("T-1", [note("T-1", 2)], 0, due=NOT_DUE)
            with pytest.raises(InvalidEvent):
                store.append("T-1", [note("T-1", 2), note("T-1", 2)], 1, due=NOT_DUE)
            assert [s.ticket.version for s in store.due(T0)] == [1]

    def test_bad_due_values_are_refused(self) -> None:
        with self._storage() as make:
            store = make("acme")
            naive = datetime(2025, 1, 1)  # noqa: DTZ001 (the point of the check)
            for bad in (naive, "2025-01-01", 5):
                with pytest.raises((WrongType, NaiveDatetimeError)):
                    store.append("T-1", [opened("T-1")], 0, due=bad)  # type: ignore[arg-type]
            assert store.events("T-1") == [], "a refused due writes nothing"
            for call in (
                lambda: store.due(naive),
                lambda: store.due(T0, limit=0),
                lambda: store.due(T0, cursor=7),  # type: ignore[arg-type]
                lambda: store.set_due("T-1", 1, naive),
            ):
                with pytest.raises(TicketcoreError):
                    call()
