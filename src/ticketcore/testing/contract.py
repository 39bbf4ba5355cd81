"""The storage adapter contract kit: a pytest base class that proves a store meets :mod:`ticketcore.repositories`.

Subclass :class:`TicketStoreContract` in a test module, name the subclass ``Test…``, and say how to make a store::

    from ticketcore.testing.contract import TicketStoreContract
    from my_adapter import MyStore

    class TestMyStore(TicketStoreContract):
        def make_store(self, tenant):
            return MyStore(self.scratch / "tickets.db", tenant=tenant)

pytest then runs every check of the contract against it: round trips, ordering, atomic batches, conflicts, concurrent
writers in threads, tenant isolation, paging, stream positions, id generation, bad input, the due index (written with
each append, ordered and paged, moved by ``set_due``), and a stateful comparison with an in-memory model. Each test, and each Hypothesis example, gets fresh storage: :meth:`fresh_storage` runs first
(``self.scratch`` is a new empty directory), and the stores made until the next call share that storage, which is what
tenant isolation is checked against; afterwards :meth:`dispose_store` (by default ``store.close()``) releases each of
them. An adapter that cannot do something lists it in :attr:`unsupported` with the reason, and those checks are
skipped showing it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from ticketcore import codec
from ticketcore.adapters.memory import MemoryDatabase
from ticketcore.errors import (
    ConcurrencyError,
    ConfigError,
    InvalidEvent,
    NaiveDatetimeError,
    TicketcoreError,
    TicketNotFound,
)
from ticketcore.model import Event, Ticket
from ticketcore.repositories import NOT_DUE, BatchAppender, TicketQuery, TicketStore, matches, order_key
from ticketcore.testing._contract.checks import ConcurrencyAndAgentChecks
from ticketcore.testing._contract.machine import store_machine
from ticketcore.testing._contract.schedule import ScheduleChecks
from ticketcore.testing._contract.support import T0, history, note, opened, query_filters
from ticketcore.testing.strategies import histories, many_histories, mistyped_events

__all__ = ["CAPABILITIES", "TicketStoreContract"]

CAPABILITIES: Mapping[str, str] = {
    "threads": "several threads append to one ticket at once",
    "reopen": "a store made later on the same storage sees what an earlier one wrote",
    "agents": "the store is also an AgentDirectory",
}
"""What :attr:`TicketStoreContract.unsupported` may name, and what each means."""


def _round_trips(event: Event) -> bool:
    """Whether the codec gives ``event`` back unchanged through JSON text (what every store must be able to do)."""
    try:
        text = json.dumps(codec.dump(event), allow_nan=False)
        return codec.load(Event, json.loads(text)) == event
    except (TicketcoreError, TypeError, ValueError):
        return False


class TicketStoreContract(ConcurrencyAndAgentChecks, ScheduleChecks):
    """Every behaviour a :class:`~ticketcore.repositories.TicketStore` promises, as pytest tests.

    Subclasses provide :meth:`make_store`, and may override :meth:`fresh_storage`, :meth:`dispose_store`,
    :attr:`unsupported`, :attr:`writers` and :attr:`appends_per_writer`.
    """

    unsupported: ClassVar[Mapping[str, str]] = {}
    """Capabilities (keys of :data:`CAPABILITIES`) this adapter lacks, each with the reason shown when skipping."""

    writers: ClassVar[int] = 4
    """Threads in the concurrent-writer checks."""

    appends_per_writer: ClassVar[int] = 15
    """Appends each of those threads makes."""

    max_examples: ClassVar[int] = 30
    """An upper bound on Hypothesis examples per check (the active profile's count is used when smaller)."""

    scratch: Path
    """An empty directory, new for every test and every Hypothesis example."""

    memory: MemoryDatabase
    """An empty in-process database, new for every test and example: for stores that keep their state in memory."""

    def make_store(self, tenant: str) -> TicketStore:
        """A store for ``tenant`` on the current storage (see :meth:`fresh_storage`). Subclasses must override."""
        return super().make_store(tenant)

    def fresh_storage(self) -> None:
        """Start from empty storage; runs before every test and Hypothesis example, after ``scratch`` is made.

        The default does nothing more: file-based adapters put their files in ``self.scratch``, in-process ones use
        ``self.memory``. Adapters that keep state elsewhere (in a server) reset it here.
        """

    def dispose_store(self, store: TicketStore) -> None:
        """Release a store the kit made; runs for each one after every test and every Hypothesis example.

        The default calls ``store.close()``. Override it to release more (return a connection to a pool you share
        between stores, drop what :meth:`fresh_storage` created). It also gets stores a check has closed itself, so
        it must accept those. The kit removes ``self.scratch`` afterwards.
        """
        store.close()

    # round trips and ordering

    def test_is_a_ticket_store(self) -> None:
        with self._storage() as make:
            store = make("acme")
            assert isinstance(store, TicketStore)
            assert store.tenant == "acme"

    def test_round_trip(self) -> None:
        @given(many_histories(max_tickets=3, max_events=6), st.lists(st.integers(1, 7), max_size=3))
        @self._settings()
        def check(stories: list[list[Event]], cuts: list[int]) -> None:
            with self._storage() as make:
                store = make("acme")
                for events in stories:
                    self._append_all(store, events, cuts)
                for events in stories:
                    ticket_id = events[0].ticket_id
                    assert store.events(ticket_id) == events
                    assert store.get(ticket_id) == Ticket.from_events(events)
                    for after in (1, len(events) // 2, len(events)):
                        assert store.events(ticket_id, after=after) == events[after:]
                found = store.find(TicketQuery(limit=1_000))
                assert sorted(t.id for t in found) == sorted(e[0].ticket_id for e in stories)
                assert found.next_cursor is None

        check()

    def test_unknown_ticket(self) -> None:
        with self._storage() as make:
            store = make("acme")
            with pytest.raises(TicketNotFound) as caught:
                store.get("T-404")
            assert caught.value.ticket_id == "T-404"
            assert store.events("T-404") == []
            assert list(store.stream()) == []

    # conflicts and atomic batches

    def test_stale_version_conflicts_and_writes_nothing(self) -> None:
        with self._storage() as make:
            store = make("acme")
            store.append("T-1", history("T-1", 3), 0)
            for stale in (0, 1, 2, 7):
                with pytest.raises(ConcurrencyError) as caught:
                    store.append("T-1", [note("T-1", stale + 1, T0 + timedelta(hours=1))], stale)
                assert (caught.value.ticket_id, caught.value.expected, caught.value.actual) == (
                    "T-1",
                    stale,
                    3,
                )
            with pytest.raises(ConcurrencyError):
                store.append("T-2", [note("T-2", 4)], 3)
            assert store.get("T-1").version == 3
            assert len(store.events("T-1")) == 3
            assert [e.seq for _, e in store.stream()] == [1, 2, 3]
            with pytest.raises(TicketNotFound):
                store.get("T-2")

    def test_batch_is_atomic(self) -> None:
        def wrong_seq(e: Event) -> Event:
            return attrs.evolve(e, seq=e.seq + 1)

        def wrong_ticket(e: Event) -> Event:
            return attrs.evolve(e, ticket_id="T-other")

        def earlier(e: Event) -> Event:
            return attrs.evolve(e, at=T0 - timedelta(days=1))

        @given(
            histories(ticket_id="T-1", min_events=4, max_events=10, start=T0),
            st.integers(1, 3),
            st.sampled_from([wrong_seq, wrong_ticket, earlier]),
        )
        @self._settings()
        def check(events: list[Event], split: int, spoil: Callable[[Event], Event]) -> None:
            with self._storage() as make:
                store = make("acme")
                store.append("T-1", events[:split], 0)
                batch = list(events[split:])
                bad = len(batch) // 2
                batch[bad] = spoil(batch[bad])
                with pytest.raises(InvalidEvent):
                    store.append("T-1", batch, split)
                assert store.events("T-1") == events[:split]
                assert store.get("T-1") == Ticket.from_events(events[:split])
                assert [e for _, e in store.stream()] == events[:split]
                assert store.append("T-1", events[split:], split) == len(events)

        check()

    def test_append_many_is_one_append_per_batch(self) -> None:
        """A store that is a ``BatchAppender`` (optional) gives what one append per batch would, refusals in place."""
        with self._storage() as make:
            store = make("acme")
            if not isinstance(store, BatchAppender):
                pytest.skip(
                    f"{type(store).__name__} is not a BatchAppender (optional: append_each falls back)"
                )
            store.append("T-0", [opened("T-0")], 0)
            batches: list[tuple[str, list[Event], int]] = [
                ("T-1", [opened("T-1")], 0),
                ("T-0", [opened("T-0")], 0),
                ("T-2", [opened("T-2"), note("T-2", 3)], 0),
                ("T-3", history("T-3", 3), 0),
            ]
            results = store.append_many(batches)
            assert len(results) == 4
            assert results[0] is None
            assert isinstance(results[1], ConcurrencyError)
            assert isinstance(results[2], InvalidEvent)
            assert results[3] is None
            assert store.events("T-2") == [], "a refused batch writes nothing"
            assert store.get("T-3") == Ticket.from_events(history("T-3", 3))
            assert [e.ticket_id for _, e in store.stream()] == ["T-0", "T-1", "T-3", "T-3", "T-3"]
            assert {s.ticket.id for s in store.due(NOT_DUE)} == {"T-0", "T-1", "T-3"}

    def test_bad_batches(self) -> None:
        with self._storage() as make:
            store = make("acme")
            with pytest.raises(InvalidEvent):
                store.append("T-1", [], 0)
            with pytest.raises(InvalidEvent):
                store.append("T-1", [note("T-1", 1)], 0)
            with pytest.raises(InvalidEvent):
                store.append("T-1", [opened("T-1"), note("T-1", 3)], 0)
            with pytest.raises(InvalidEvent):
                store.append("T-1", [opened("T-2")], 0)
            with pytest.raises(InvalidEvent):
                store.append("T-1", ["not an event"], 0)  # type: ignore[list-item]
            with pytest.raises(InvalidEvent):
                store.append("T-1", [opened("T-1"), opened("T-1")], 0)
            assert store.events("T-1") == []
            assert list(store.stream()) == []

    def test_mistyped_events_are_refused_or_read_back(self) -> None:
        @given(mistyped_events())
        @self._settings()
        def check(event: Event) -> None:
            with self._storage() as make:
                store = make("acme")
                try:
                    store.append("T-1", [event], 0)
                    assert _round_trips(event), (
                        f"{event!r} was taken but the codec cannot give it back unchanged"
                    )
                except TicketcoreError:
                    assert store.events("T-1") == []
                    assert list(store.stream()) == []
                    with pytest.raises(TicketNotFound):
                        store.get("T-1")
                else:
                    # What a store takes, every reader of the tenant can read back as it was given.
                    assert store.events("T-1") == [event]
                    assert store.get("T-1") == Ticket.from_events([event])
                store.append("T-2", [opened("T-2")], 0)
                assert [e.ticket_id for _, e in store.stream()][-1] == "T-2"
                assert "T-2" in {ticket.id for ticket in store.find(TicketQuery()).tickets}

        check()

    def test_a_closed_store_refuses_work(self) -> None:
        with self._storage() as make:
            store = make("acme")
            store.append("T-1", [opened("T-1")], 0)
            store.close()
            calls: list[Callable[[], object]] = [
                lambda: store.get("T-1"),
                lambda: store.events("T-1"),
                lambda: list(store.stream()),
                lambda: store.find(TicketQuery()),
                lambda: store.append("T-2", [opened("T-2")], 0),
                store.next_ticket_id,
            ]
            for call in calls:
                with pytest.raises(TicketcoreError):
                    call()

    def test_naive_datetimes_are_refused(self) -> None:
        naive = datetime(2025, 3, 3, 9)  # noqa: DTZ001 (the point of the check)
        with pytest.raises(NaiveDatetimeError):
            opened("T-1", at=naive)
        for field in ("created_from", "created_before", "updated_since"):
            with pytest.raises(NaiveDatetimeError):
                TicketQuery(**{field: naive})  # type: ignore[arg-type]
        with self._storage() as make:
            store = make("acme")
            smuggled = opened("T-1")
            object.__setattr__(smuggled, "at", naive)
            with pytest.raises(NaiveDatetimeError):
                store.append("T-1", [smuggled], 0)
            assert store.events("T-1") == []

    def test_bad_query_values(self) -> None:
        for bad in ({"limit": 0}, {"limit": 10_001}, {"cursor": "%%%"}, {"category": "finished"}):
            with pytest.raises(ConfigError):
                TicketQuery(**bad)

    # tenants, ids, reopening

    def test_tenant_isolation(self) -> None:
        with self._storage() as make:
            acme, globex = make("acme"), make("globex")
            acme.append("T-1", history("T-1", 3), 0)
            globex.append("T-1", [opened("T-1", subject="globex's own")], 0)
            acme.append("T-2", [opened("T-2", group="billing")], 0)
            assert acme.get("T-1").version == 3
            assert globex.get("T-1").subject == "globex's own"
            assert globex.get("T-1").version == 1
            with pytest.raises(TicketNotFound):
                globex.get("T-2")
            assert globex.events("T-2") == []
            assert [t.id for t in globex.find(TicketQuery())] == ["T-1"]
            assert [t.id for t in acme.find(TicketQuery(group="billing"))] == ["T-2"]
            assert {e.ticket_id for _, e in globex.stream()} == {"T-1"}
            assert len(list(globex.stream())) == 1
            assert len(list(acme.stream())) == 4
            with pytest.raises(ConcurrencyError):
                globex.append("T-1", [note("T-1", 4, T0 + timedelta(hours=1))], 3)
            assert (globex.next_ticket_id(), acme.next_ticket_id()) == ("T-2", "T-3")

    def test_next_ticket_id(self) -> None:
        with self._storage() as make:
            store = make("acme")
            first = store.next_ticket_id()
            assert first == "T-1"
            store.append("T-2", [opened("T-2")], 0)
            store.append("T-3", [opened("T-3")], 0)
            taken = {first, "T-2", "T-3"}
            more = [store.next_ticket_id() for _ in range(5)]
            assert not taken & set(more)
            assert len(set(more)) == 5
            assert all(i.startswith("T-") and i[2:].isdigit() for i in more)
            assert make("globex").next_ticket_id() == "T-1"

    def test_reopen_sees_earlier_writes(self) -> None:
        self._require("reopen")
        with self._storage() as make:
            first = make("acme")
            first.append("T-1", history("T-1", 2), 0)
            used = first.next_ticket_id()
            first.close()
            second = make("acme")
            assert second.events("T-1") == history("T-1", 2)
            assert second.get("T-1").version == 2
            assert second.next_ticket_id() != used

    # paging

    def test_find_pages_match_the_oracle(self) -> None:
        queries = query_filters()

        @given(many_histories(max_tickets=7, max_events=3), queries, st.integers(1, 4))
        @self._settings()
        def check(stories: list[list[Event]], filters: dict[str, Any], limit: int) -> None:
            with self._storage() as make:
                store = make("acme")
                for events in stories:
                    store.append(events[0].ticket_id, events, 0)
                query = TicketQuery(limit=limit, **filters)
                snapshots = [Ticket.from_events(events) for events in stories]
                expected = sorted(
                    (t for t in snapshots if matches(t, query)), key=order_key, reverse=query.newest_first
                )
                seen: list[Ticket] = []
                page = store.find(query)
                while True:
                    seen.extend(page.tickets)
                    if page.next_cursor is None:
                        break
                    assert len(page) == limit
                    page = store.find(attrs.evolve(query, cursor=page.next_cursor))
                assert seen == expected

        check()

    def test_paging_is_stable_while_tickets_change(self) -> None:
        with self._storage() as make:
            store = make("acme")
            for n in range(10):
                store.append(f"T-{n}", [opened(f"T-{n}", T0 + timedelta(minutes=n % 4))], 0)
            query = TicketQuery(limit=3)
            seen: list[str] = []
            page = store.find(query)
            while True:
                seen.extend(t.id for t in page)
                for ticket in store.find(TicketQuery(limit=1_000)):
                    store.append(
                        ticket.id,
                        [note(ticket.id, ticket.version + 1, T0 + timedelta(hours=1))],
                        ticket.version,
                    )
                if page.next_cursor is None:
                    break
                page = store.find(attrs.evolve(query, cursor=page.next_cursor))
            expected = sorted((T0 + timedelta(minutes=n % 4), f"T-{n}") for n in range(10))
            assert seen == [ticket_id for _, ticket_id in expected]

    # the stream

    def test_stream_positions(self) -> None:
        @given(many_histories(max_tickets=3, max_events=5), st.randoms(use_true_random=False))
        @self._settings()
        def check(stories: list[list[Event]], random: Any) -> None:
            with self._storage() as make:
                store, other = make("acme"), make("globex")
                pending = [list(events) for events in stories if events]
                committed: list[Event] = []
                while pending:
                    events = random.choice(pending)
                    ticket_id = events[0].ticket_id
                    done = len(store.events(ticket_id))
                    size = random.randint(1, len(events) - done)
                    batch = events[done : done + size]
                    store.append(ticket_id, batch, done)
                    committed.extend(batch)
                    if done + size == len(events):
                        pending.remove(events)
                    if random.random() < 0.3:
                        other.append(f"O-{len(committed)}", [opened(f"O-{len(committed)}")], 0)
                entries = list(store.stream())
                positions = [p for p, _ in entries]
                assert [e for _, e in entries] == committed
                assert all(p > 0 for p in positions)
                assert positions == sorted(set(positions))
                for index, position in enumerate(positions):
                    assert [e for _, e in store.stream(after=position)] == committed[index + 1 :]
                assert list(store.stream(after=positions[-1] if positions else 0)) == []

        check()

    # stateful comparison with a model

    def test_behaves_like_the_model(self) -> None:
        run_state_machine_as_test(store_machine(self), settings=self._settings(stateful_step_count=12))
