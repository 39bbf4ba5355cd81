"""The storage adapter contract kit: a pytest base class that proves a store meets :mod:`ticketcore.repositories`.

Subclass :class:`TicketStoreContract` in a test module, name the subclass ``Test…``, and say how to make a store::

    from ticketcore.testing.contract import TicketStoreContract
    from my_adapter import MyStore

    class TestMyStore(TicketStoreContract):
        def make_store(self, tenant):
            return MyStore(self.scratch / "tickets.db", tenant=tenant)

pytest then runs every check of the contract against it: round trips, ordering, atomic batches, conflicts, concurrent
writers in threads, tenant isolation, paging, stream positions, id generation, bad input, and a stateful comparison
with an in-memory model. Each test, and each Hypothesis example, gets fresh storage: :meth:`fresh_storage` runs first
(``self.scratch`` is a new empty directory), and the stores made until the next call share that storage, which is what
tenant isolation is checked against. An adapter that cannot do something lists it in :attr:`unsupported` with the
reason, and those checks are skipped showing it.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from ticketcore.adapters.memory import MemoryDatabase
from ticketcore.errors import (
    ConcurrencyError,
    ConfigError,
    InvalidEvent,
    NaiveDatetimeError,
    TicketNotFound,
)
from ticketcore.model import (
    Actor,
    Assigned,
    Category,
    Event,
    NoteAdded,
    Opened,
    Replied,
    Role,
    StatusChanged,
    TagsChanged,
    Ticket,
)
from ticketcore.repositories import (
    AgentDirectory,
    AgentNotFound,
    TicketQuery,
    TicketStore,
    matches,
    order_key,
)
from ticketcore.testing.strategies import STATUSES, histories, many_histories

__all__ = ["CAPABILITIES", "TicketStoreContract"]

CAPABILITIES: Mapping[str, str] = {
    "threads": "several threads append to one ticket at once",
    "reopen": "a store made later on the same storage sees what an earlier one wrote",
    "agents": "the store is also an AgentDirectory",
}
"""What :attr:`TicketStoreContract.unsupported` may name, and what each means."""

_T0 = datetime(2025, 3, 3, 9, tzinfo=UTC)
_AGENT = Actor("ada", Role.AGENT)
_GROUPS = ["billing", "support", "network", None]
_TAGS = ["vip", "billing", "system_down", "vpn", "refund", "bug"]


def opened(ticket_id: str, at: datetime = _T0, **fields: Any) -> Opened:
    """An ``Opened`` event (seq 1) for the kit's examples; ``fields`` override the defaults."""
    values: dict[str, Any] = {"requester": "cy", "subject": f"help with {ticket_id}", **fields}
    return Opened(
        ticket_id=ticket_id, seq=1, at=at, actor=Actor(values["requester"], Role.REQUESTER), **values
    )


def note(ticket_id: str, seq: int, at: datetime = _T0, body: str = "looked at it") -> NoteAdded:
    """An internal note, the simplest event that can follow any other."""
    return NoteAdded(ticket_id=ticket_id, seq=seq, at=at, actor=_AGENT, body=body)


def _history(ticket_id: str, length: int, at: datetime = _T0) -> list[Event]:
    return [
        opened(ticket_id, at),
        *(note(ticket_id, seq, at + timedelta(minutes=seq)) for seq in range(2, length + 1)),
    ]


class TicketStoreContract:
    """Every behaviour a :class:`~ticketcore.repositories.TicketStore` promises, as pytest tests.

    Subclasses provide :meth:`make_store`, and may override :meth:`fresh_storage`, :attr:`unsupported`,
    :attr:`writers` and :attr:`appends_per_writer`.
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
        raise NotImplementedError(
            f"{type(self).__name__} must define make_store(self, tenant) -> TicketStore"
        )

    def fresh_storage(self) -> None:
        """Start from empty storage; runs before every test and Hypothesis example, after ``scratch`` is made.

        The default does nothing more: file-based adapters put their files in ``self.scratch``, in-process ones use
        ``self.memory``. Adapters that keep state elsewhere (in a server) reset it here.
        """

    # machinery

    @contextmanager
    def _storage(self) -> Iterator[Callable[[str], TicketStore]]:
        folder = Path(tempfile.mkdtemp(prefix="ticketcore-contract-"))
        made: list[TicketStore] = []

        def make(tenant: str) -> TicketStore:
            store = self.make_store(tenant)
            made.append(store)
            return store

        try:
            self.scratch = folder
            self.memory = MemoryDatabase()
            self.fresh_storage()
            yield make
        finally:
            for store in made:
                store.close()
            shutil.rmtree(folder, ignore_errors=True)

    def _require(self, capability: str) -> None:
        if capability in self.unsupported:
            pytest.skip(
                f"{type(self).__name__} does not support {capability!r}: {self.unsupported[capability]}"
            )

    def _settings(self, **overrides: Any) -> settings:
        # Checks are inner functions so each subclass's run reads the active profile at run time.
        base = settings.default
        assert base is not None
        suppressed = [*base.suppress_health_check, HealthCheck.too_slow]
        examples = min(base.max_examples, self.max_examples)
        return settings(base, suppress_health_check=suppressed, max_examples=examples, **overrides)

    @staticmethod
    def _append_all(store: TicketStore, events: Sequence[Event], cuts: Sequence[int] = ()) -> None:
        """Append ``events`` (one ticket) in batches split at the ``cuts`` indexes."""
        bounds = sorted({0, len(events), *(c for c in cuts if 0 < c < len(events))})
        for start, end in itertools.pairwise(bounds):
            assert store.append(events[0].ticket_id, events[start:end], start) == end

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
            store.append("T-1", _history("T-1", 3), 0)
            for stale in (0, 1, 2, 7):
                with pytest.raises(ConcurrencyError) as caught:
                    store.append("T-1", [note("T-1", stale + 1, _T0 + timedelta(hours=1))], stale)
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
            return attrs.evolve(e, at=_T0 - timedelta(days=1))

        @given(
            histories(ticket_id="T-1", min_events=4, max_events=10, start=_T0),
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

    # concurrency

    def test_concurrent_writers_lose_no_update(self) -> None:
        self._require("threads")
        with self._storage() as make:
            store = make("acme")
            store.append("T-1", [opened("T-1")], 0)
            errors: list[BaseException] = []
            start = threading.Barrier(self.writers)

            def writer(index: int) -> None:
                try:
                    start.wait()
                    for n in range(self.appends_per_writer):
                        while True:
                            version = store.get("T-1").version
                            at = _T0 + timedelta(seconds=version)
                            try:
                                store.append("T-1", [note("T-1", version + 1, at, f"{index}/{n}")], version)
                                break
                            except ConcurrencyError:
                                continue
                except BaseException as error:  # reported by the main thread
                    errors.append(error)

            threads = [threading.Thread(target=writer, args=(i,)) for i in range(self.writers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert errors == []
            total = 1 + self.writers * self.appends_per_writer
            events = store.events("T-1")
            assert [e.seq for e in events] == list(range(1, total + 1))
            bodies = sorted(e.body for e in events[1:] if isinstance(e, NoteAdded))
            expected = sorted(f"{i}/{n}" for i in range(self.writers) for n in range(self.appends_per_writer))
            assert bodies == expected
            assert store.get("T-1") == Ticket.from_events(events)
            assert len(list(store.stream())) == total

    def test_concurrent_ids_are_unique(self) -> None:
        self._require("threads")
        with self._storage() as make:
            store = make("acme")
            ids: list[str] = []
            lock = threading.Lock()

            def take() -> None:
                mine = [store.next_ticket_id() for _ in range(self.appends_per_writer)]
                with lock:
                    ids.extend(mine)

            threads = [threading.Thread(target=take) for _ in range(self.writers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(set(ids)) == len(ids) == self.writers * self.appends_per_writer

    # tenants, ids, reopening

    def test_tenant_isolation(self) -> None:
        with self._storage() as make:
            acme, globex = make("acme"), make("globex")
            acme.append("T-1", _history("T-1", 3), 0)
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
                globex.append("T-1", [note("T-1", 4, _T0 + timedelta(hours=1))], 3)
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
            first.append("T-1", _history("T-1", 2), 0)
            used = first.next_ticket_id()
            first.close()
            second = make("acme")
            assert second.events("T-1") == _history("T-1", 2)
            assert second.get("T-1").version == 2
            assert second.next_ticket_id() != used

    # paging

    def test_find_pages_match_the_oracle(self) -> None:
        queries = st.fixed_dictionaries(
            {},
            optional={
                "status": st.frozensets(st.sampled_from(sorted(STATUSES)), max_size=3),
                "category": st.frozensets(st.sampled_from(list(Category)), max_size=3),
                "priority": st.frozensets(st.none() | st.integers(1, 5), max_size=3),
                "group": st.frozensets(st.sampled_from(_GROUPS), max_size=2),
                "assignee": st.frozensets(st.none() | st.sampled_from(["ada", "bo"]), max_size=2),
                "tags": st.frozensets(st.sampled_from(_TAGS), max_size=2),
                "created_from": st.integers(0, 200).map(
                    lambda d: datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=d)
                ),
                "created_before": st.integers(0, 370).map(
                    lambda d: datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=d)
                ),
                "updated_since": st.integers(0, 400).map(
                    lambda d: datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=d)
                ),
                "newest_first": st.booleans(),
            },
        )

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
                store.append(f"T-{n}", [opened(f"T-{n}", _T0 + timedelta(minutes=n % 4))], 0)
            query = TicketQuery(limit=3)
            seen: list[str] = []
            page = store.find(query)
            while True:
                seen.extend(t.id for t in page)
                for ticket in store.find(TicketQuery(limit=1_000)):
                    store.append(
                        ticket.id,
                        [note(ticket.id, ticket.version + 1, _T0 + timedelta(hours=1))],
                        ticket.version,
                    )
                if page.next_cursor is None:
                    break
                page = store.find(attrs.evolve(query, cursor=page.next_cursor))
            expected = sorted((_T0 + timedelta(minutes=n % 4), f"T-{n}") for n in range(10))
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

    # agents

    def _directory(self, make: Callable[[str], TicketStore], tenant: str) -> AgentDirectory:
        self._require("agents")
        store = make(tenant)
        assert isinstance(store, AgentDirectory)
        return store

    def test_agent_directory(self) -> None:
        with self._storage() as make:
            acme = self._directory(make, "acme")
            globex = self._directory(make, "globex")
            acme.put_agent("bo", {"id": "bo", "skills": {"vpn": 3}})
            acme.put_agent("ada", {"id": "ada", "groups": ["billing"]})
            acme.put_agent("bo", {"id": "bo", "skills": {"vpn": 4}})
            assert acme.get_agent("bo") == {"id": "bo", "skills": {"vpn": 4}}
            assert [agent_id for agent_id, _ in acme.list_agents()] == ["ada", "bo"]
            assert globex.list_agents() == []
            with pytest.raises(AgentNotFound):
                globex.get_agent("ada")
            acme.remove_agent("ada")
            with pytest.raises(AgentNotFound):
                acme.remove_agent("ada")
            with pytest.raises(ConfigError):
                acme.put_agent("cy", {"when": datetime(2025, 1, 1, tzinfo=UTC)})

    def test_agent_loads(self) -> None:
        with self._storage() as make:
            acme = self._directory(make, "acme")
            globex = self._directory(make, "globex")
            assert isinstance(acme, TicketStore)
            assert isinstance(globex, TicketStore)
            for n, agent in enumerate(["ada", "ada", "bo", None]):
                events: list[Event] = [opened(f"T-{n}", channel="chat" if n else "email")]
                if agent is not None:
                    events.append(Assigned(ticket_id=f"T-{n}", seq=2, at=_T0, actor=_AGENT, agent=agent))
                acme.append(f"T-{n}", events, 0)
            solved = StatusChanged(
                ticket_id="T-2",
                seq=3,
                at=_T0,
                actor=_AGENT,
                from_status="new",
                from_category=Category.NEW,
                to_status="solved",
                to_category=Category.SOLVED,
            )
            acme.append("T-2", [solved], 2)
            globex.append(
                "G-1", [opened("G-1"), Assigned(ticket_id="G-1", seq=2, at=_T0, actor=_AGENT, agent="ada")], 0
            )
            assert acme.agent_loads() == {"ada": {"email": 1, "chat": 1}}
            assert globex.agent_loads() == {"ada": {"email": 1}}

    # stateful comparison with a model

    def test_behaves_like_the_model(self) -> None:
        kit = self

        class StoreMachine(RuleBasedStateMachine):
            def __init__(self) -> None:
                super().__init__()
                self._context = kit._storage()
                make = self._context.__enter__()
                self.store = make("acme")
                self.histories: dict[str, list[Event]] = {}
                self.committed: list[Event] = []
                self.clock = _T0

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
                    head: dict[str, Any] = {
                        "ticket_id": ticket_id,
                        "seq": ticket.version + 1,
                        "at": self._tick(60),
                    }
                    event: Event
                    if kind == "reply":
                        event = Replied(**head, actor=_AGENT, body="on it")
                    elif kind == "assign":
                        event = Assigned(
                            **head, actor=_AGENT, agent=data.draw(st.sampled_from(["ada", "bo"]))
                        )
                    elif kind == "status":
                        target = data.draw(st.sampled_from(sorted(STATUSES)))
                        event = StatusChanged(
                            **head,
                            actor=_AGENT,
                            from_status=ticket.status,
                            from_category=ticket.category,
                            to_status=target,
                            to_category=STATUSES[target],
                        )
                    elif kind == "tags":
                        event = TagsChanged(
                            **head,
                            actor=_AGENT,
                            added=data.draw(st.frozensets(st.sampled_from(_TAGS), max_size=2)),
                        )
                    else:
                        event = note(ticket_id, ticket.version + 1, head["at"])
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
                for ticket_id, history in self.histories.items():
                    assert self.store.events(ticket_id) == history
                    assert self.store.get(ticket_id) == Ticket.from_events(history)
                assert [e for _, e in self.store.stream()] == self.committed
                page = self.store.find(TicketQuery(limit=1_000))
                assert {t.id for t in page} == set(self.histories)

        run_state_machine_as_test(StoreMachine, settings=self._settings(stateful_step_count=12))
