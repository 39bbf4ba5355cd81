"""The contract kit itself: it fails stores that break the contract, and skips with the adapter's reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ticketcore import codec
from ticketcore.adapters.memory import MemoryDatabase, MemoryStore
from ticketcore.errors import ConfigError, InvalidEvent, TicketcoreError
from ticketcore.model import Category, Event
from ticketcore.repositories import TicketQuery, TicketStore, check_append, decode_cursor, encode_cursor
from ticketcore.testing.contract import CAPABILITIES, TicketStoreContract
from ticketcore.testing.strategies import aware_datetimes, json_like


class LaxVersionStore(MemoryStore):
    """Ignores the expected version: the lost update the contract exists to prevent."""

    def append(self, ticket_id: str, events: Sequence[Event], expected_version: int) -> int:
        version = len(self.events(ticket_id))
        return super().append(ticket_id, events, version)


class PiecemealStore(MemoryStore):
    """Appends a batch one event at a time, so a bad event leaves the good ones before it."""

    def append(self, ticket_id: str, events: Sequence[Event], expected_version: int) -> int:
        version = expected_version
        for event in events:
            version = super().append(ticket_id, [event], version)
        return version


class LeakyStore(MemoryStore):
    """Keeps every tenant's tickets together."""

    def __init__(self, tenant: str = "default", *, database: MemoryDatabase | None = None) -> None:
        super().__init__("shared", database=database)


class Kit(TicketStoreContract):
    store_class: type[MemoryStore] = MemoryStore

    def make_store(self, tenant: str) -> TicketStore:
        return self.store_class(tenant, database=self.memory)


def kit_for(store_class: type[MemoryStore], **unsupported: str) -> Kit:
    kit = Kit()
    kit.store_class = store_class
    kit.unsupported = unsupported
    return kit


# A broken store fails a check either on an assertion or by raising where the contract says it must not.
FAILED = (AssertionError, pytest.fail.Exception, TicketcoreError)


def test_the_kit_catches_a_store_that_ignores_the_expected_version() -> None:
    with pytest.raises(FAILED):
        kit_for(LaxVersionStore).test_stale_version_conflicts_and_writes_nothing()


def test_the_kit_catches_a_store_whose_batches_are_not_atomic() -> None:
    with pytest.raises(FAILED):
        kit_for(PiecemealStore).test_bad_batches()


def test_the_kit_catches_a_store_that_mixes_tenants() -> None:
    with pytest.raises(FAILED):
        kit_for(LeakyStore).test_tenant_isolation()


def test_the_reference_store_passes_the_same_checks() -> None:
    kit = kit_for(MemoryStore)
    kit.test_stale_version_conflicts_and_writes_nothing()
    kit.test_bad_batches()
    kit.test_tenant_isolation()


def test_an_unsupported_capability_is_skipped_with_its_reason() -> None:
    kit = kit_for(MemoryStore, threads="one connection, no locking")
    with pytest.raises(pytest.skip.Exception, match="does not support 'threads': one connection, no locking"):
        kit.test_concurrent_writers_lose_no_update()
    assert "threads" in CAPABILITIES


class RecordingKit(Kit):
    """Logs each fresh storage, each store made and each store disposed of, in order."""

    def __init__(self) -> None:
        self.log: list[tuple[str, TicketStore | None]] = []

    def fresh_storage(self) -> None:
        self.log.append(("fresh", None))

    def make_store(self, tenant: str) -> TicketStore:
        store = super().make_store(tenant)
        self.log.append(("make", store))
        return store

    def dispose_store(self, store: TicketStore) -> None:
        self.log.append(("dispose", store))
        super().dispose_store(store)


def test_the_kit_disposes_of_every_store_after_each_test_and_example() -> None:
    kit = RecordingKit()
    kit.test_tenant_isolation()
    kit.test_round_trip()  # one fresh storage per Hypothesis example
    runs: list[list[tuple[str, TicketStore | None]]] = []
    for step in kit.log:
        if step[0] == "fresh":
            runs.append([])
        else:
            runs[-1].append(step)
    assert len(runs) > 2
    for run in runs:
        made = [store for kind, store in run if kind == "make"]
        assert made
        assert run == [("make", store) for store in made] + [("dispose", store) for store in made]


def test_a_kit_without_make_store_says_what_to_write() -> None:
    with pytest.raises(NotImplementedError, match=r"must define make_store\(self, tenant\)"):
        TicketStoreContract().test_is_a_ticket_store()


def test_check_append_is_what_the_reference_store_uses() -> None:
    with pytest.raises(InvalidEvent, match="empty batch"):
        check_append("T-1", None, [], 0)


@given(json_like())
def test_loading_a_query_from_any_data_raises_only_config_errors(data: object) -> None:
    try:
        query = codec.load(TicketQuery, data)
    except ConfigError:
        return
    assert isinstance(query, TicketQuery)


@given(st.text())
def test_decoding_any_text_as_a_cursor_raises_only_config_errors(text: str) -> None:
    try:
        key = decode_cursor(text)
    except ConfigError:
        return
    assert encode_cursor(key) == encode_cursor(decode_cursor(encode_cursor(key)))


@given(st.integers(-(2**62), 2**62), st.text())
def test_cursors_round_trip(created: int, ticket_id: str) -> None:
    assert decode_cursor(encode_cursor((created, ticket_id))) == (created, ticket_id)


queries = st.builds(
    TicketQuery,
    status=st.none() | st.frozensets(st.sampled_from(["new", "open", "solved"])),
    category=st.none() | st.frozensets(st.sampled_from(list(Category))),
    priority=st.none() | st.frozensets(st.integers(1, 5)),
    assignee=st.none() | st.frozensets(st.sampled_from(["ada", "bo"])),
    tags=st.frozensets(st.sampled_from(["vip", "vpn"])),
    created_from=st.none() | aware_datetimes(),
    newest_first=st.booleans(),
    limit=st.integers(1, 1_000),
)


@given(queries)
# The first of Chatham's two 02:45s on the night its summer time ended: a zone's repeated hour never equals the same
# instant in another zone, so the query keeps its instants in UTC.
@example(TicketQuery(created_from=datetime(2000, 3, 19, 2, 45, tzinfo=ZoneInfo("Pacific/Chatham"))))
def test_a_query_dumps_and_loads_back(query: TicketQuery) -> None:
    assert codec.load(TicketQuery, codec.dump(query)) == query
