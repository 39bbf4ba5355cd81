"""The PostgreSQL adapter: the contract kit, plus what only a real server can show.

Runs against the server in ``TICKETCORE_TEST_POSTGRES`` (a libpq DSN; CI sources ``.ci/postgres``, which starts a
throwaway server, exports it, and stops the server when the run ends). Without it, a throwaway server is started here
when PostgreSQL's binaries are installed (see ``tests/postgres_server.py``), and stopped at the end of the session;
otherwise the tests skip, saying how to run them. Every store gets a new PostgreSQL schema, dropped at the end.
"""

from __future__ import annotations

import importlib
import itertools
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketcore.errors import (
    AgentNotFound,
    ConcurrencyError,
    ConfigError,
    CorruptRecord,
    InvalidEvent,
    MissingExtra,
    StorageError,
    TicketNotFound,
)
from ticketcore.model import NoteAdded, Ticket
from ticketcore.repositories import TicketQuery
from ticketcore.testing.contract import TicketStoreContract

psycopg = pytest.importorskip(
    "psycopg", reason="the [postgres] extra is not installed: pip install -e '.[postgres]'"
)

from helpers import AGENT, T0, opened  # noqa: E402 (after the importorskip)
from ticketcore.adapters._postgres.schema import APPEND_LOCK, MIGRATIONS, SCHEMA_VERSION  # noqa: E402 (after the importorskip)
from ticketcore.adapters.postgres import PostgresStore  # noqa: E402 (after the importorskip)

pytestmark = pytest.mark.postgres


class Schemas:
    """The server under test, and the throwaway schemas made on it (dropped at the end of the session)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.made: list[str] = []
        self._shared: str | None = None

    def fresh(self) -> str:
        name = f"tc_test_{uuid.uuid4().hex[:16]}"
        self.made.append(name)
        return name

    def shared(self) -> str:
        """One schema for tests that keep their data apart by ticket id (no migration per Hypothesis example)."""
        if self._shared is None:
            self._shared = self.fresh()
        return self._shared

    def admin(self) -> Any:
        return psycopg.connect(self.dsn, autocommit=True)

    def drop_all(self) -> None:
        with self.admin() as conn:
            for start in range(0, len(self.made), 20):
                names = ", ".join(f'"{name}"' for name in self.made[start : start + 20])
                conn.execute(f"DROP SCHEMA IF EXISTS {names} CASCADE")


SCHEMAS: Schemas | None = None


@pytest.fixture(scope="session")
def postgres() -> Iterator[Schemas]:
    """The server: ``TICKETCORE_TEST_POSTGRES``, or a throwaway one started here; skipped (never in CI) if neither."""
    global SCHEMAS  # noqa: PLW0603 (the kit's make_store has no fixture access)
    dsn = os.environ.get("TICKETCORE_TEST_POSTGRES")
    server = None
    if not dsn:
        from postgres_server import HOW_TO_RUN, PostgresServer, Unavailable

        if os.environ.get("CI"):
            pytest.fail(f"CI must test PostgreSQL: {HOW_TO_RUN}")
        try:
            server = PostgresServer.start()
        except Unavailable as error:
            pytest.skip(str(error))
        dsn = server.dsn
    SCHEMAS = Schemas(dsn)
    try:
        yield SCHEMAS
    finally:
        try:
            SCHEMAS.drop_all()
        finally:
            if server is not None:
                server.stop()


@pytest.fixture
def schemas(postgres: Schemas) -> Schemas:
    return postgres


@pytest.fixture
def make(schemas: Schemas) -> Iterator[Callable[..., PostgresStore]]:
    """Stores on one new schema (``tenant=``, and any other keyword), all closed after the test."""
    schema = schemas.fresh()
    made: list[PostgresStore] = []

    def build(tenant: str = "acme", **options: Any) -> PostgresStore:
        store = PostgresStore(schemas.dsn, tenant=tenant, schema=options.pop("schema", schema), **options)
        made.append(store)
        return store

    yield build
    for store in made:
        store.close()


@pytest.mark.usefixtures("postgres")
class TestPostgresStore(TicketStoreContract):
    writers = 6

    def fresh_storage(self) -> None:
        assert SCHEMAS is not None
        self.schema = SCHEMAS.fresh()

    def make_store(self, tenant: str) -> PostgresStore:
        assert SCHEMAS is not None
        return PostgresStore(SCHEMAS.dsn, tenant=tenant, schema=self.schema)


def note(ticket_id: str, seq: int, body: str = "") -> NoteAdded:
    return NoteAdded(ticket_id=ticket_id, seq=seq, at=T0 + timedelta(seconds=seq), actor=AGENT, body=body)


def until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Poll the server until ``condition`` holds (each poll is a query, so no sleeping); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")


# the schema


def test_a_new_schema_gets_every_table_and_its_version(
    make: Callable[..., PostgresStore], schemas: Schemas
) -> None:
    store = make()
    with schemas.admin() as conn:
        tables = {
            row[0]
            for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (store.schema,))
        }
        version = conn.execute(f'SELECT version FROM "{store.schema}".schema_version').fetchall()
    assert {"events", "tickets", "counters", "agents", "schema_version"} <= tables
    assert version == [(SCHEMA_VERSION,)]
    assert len(MIGRATIONS) == SCHEMA_VERSION


def test_stores_opening_a_new_schema_at_once_migrate_it_once(
    make: Callable[..., PostgresStore], schemas: Schemas
) -> None:
    schema = schemas.fresh()
    start = threading.Barrier(4)
    errors: list[BaseException] = []
    stores: list[PostgresStore] = []

    def open_one(n: int) -> None:
        try:
            start.wait()
            stores.append(make(f"tenant-{n}", schema=schema))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_one, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(stores) == 4
    with schemas.admin() as conn:
        assert conn.execute(f'SELECT version FROM "{schema}".schema_version').fetchall() == [
            (SCHEMA_VERSION,)
        ]


def test_a_schema_from_a_newer_version_is_refused(
    make: Callable[..., PostgresStore], schemas: Schemas
) -> None:
    store = make()
    with schemas.admin() as conn:
        conn.execute(f'UPDATE "{store.schema}".schema_version SET version = %s', (SCHEMA_VERSION + 1,))
    with pytest.raises(StorageError, match="upgrade ticketcore"):
        make(schema=store.schema)


# concurrency and commit order


@pytest.mark.parametrize("default_isolation", ["read committed", "serializable"])
def test_two_stores_racing_on_one_ticket_lose_no_update(
    make: Callable[..., PostgresStore], default_isolation: str
) -> None:
    # Each store has its own connections; a server whose default isolation is SERIALIZABLE changes nothing, because
    # the store asks for READ COMMITTED explicitly.
    options = {
        "connect_args": {
            "options": "-c default_transaction_isolation=" + default_isolation.replace(" ", "\\ ")
        }
    }
    first, second = make(**options), make(**options)
    first.append("T-1", [opened()], 0)
    per_writer = 25
    errors: list[BaseException] = []
    conflicts = [0, 0]
    start = threading.Barrier(2)

    def writer(index: int, store: PostgresStore) -> None:
        try:
            start.wait()
            for n in range(per_writer):
                while True:
                    version = store.get("T-1").version
                    try:
                        store.append("T-1", [note("T-1", version + 1, f"{index}/{n}")], version)
                        break
                    except ConcurrencyError:
                        conflicts[index] += 1
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(i, s)) for i, s in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    events = first.events("T-1")
    assert [e.seq for e in events] == list(range(1, 2 * per_writer + 2))
    bodies = sorted(e.body for e in events if isinstance(e, NoteAdded))
    assert bodies == sorted(f"{i}/{n}" for i in range(2) for n in range(per_writer))
    assert second.get("T-1") == first.get("T-1") == Ticket.from_events(events)


def test_a_reader_resuming_the_stream_never_skips_an_event(make: Callable[..., PostgresStore]) -> None:
    writers = [make() for _ in range(3)]
    reader = make()
    per_writer = 30
    done = threading.Event()
    errors: list[BaseException] = []

    def write(index: int, store: PostgresStore) -> None:
        try:
            for n in range(per_writer):
                ticket_id = f"W{index}-{n}"
                store.append(ticket_id, [opened(ticket_id), note(ticket_id, 2)], 0)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i, s)) for i, s in enumerate(writers)]
    for thread in threads:
        thread.start()
    seen: list[tuple[int, str, int]] = []
    while not done.is_set():
        if not any(thread.is_alive() for thread in threads):
            done.set()  # one more read after every writer finished
        after = seen[-1][0] if seen else 0
        seen.extend((p, e.ticket_id, e.seq) for p, e in reader.stream(after=after))
    assert errors == []
    everything = [(p, e.ticket_id, e.seq) for p, e in reader.stream()]
    assert len(everything) == 3 * per_writer * 2
    assert seen == everything
    assert all(a[0] < b[0] for a, b in itertools.pairwise(seen))


def test_a_tenant_lock_holds_up_only_that_tenant_and_a_full_pool_times_out(
    make: Callable[..., PostgresStore], schemas: Schemas
) -> None:
    acme = make("acme", pool_size=1, pool_timeout=0.2)
    globex = make("globex")
    blocker = schemas.admin()
    blocker.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (APPEND_LOCK, f"{acme.schema}/acme"))
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(acme.append("T-1", [opened()], 0)))
    try:
        thread.start()
        until(
            lambda: (
                blocker.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND classid = %s::oid AND objid = hashtext(%s)::oid",
                    (APPEND_LOCK, f"{acme.schema}/acme"),
                ).fetchone()[0]
                > 0
            ),
            "the append to wait for the tenant lock",
        )
        assert globex.append("T-1", [opened()], 0) == 1
        with pytest.raises(StorageError, match="all 1 connections stayed busy for 0.2 s"):
            acme.get("T-1")
    finally:
        blocker.execute("SELECT pg_advisory_unlock_all()")
        thread.join()
        blocker.close()
    assert results == [1]
    assert acme.get("T-1").version == 1


def test_a_row_written_behind_the_stores_back_is_a_conflict_not_a_crash(
    make: Callable[..., PostgresStore], schemas: Schemas
) -> None:
    store = make()
    store.append("T-1", [opened()], 0)
    with schemas.admin() as conn:
        conn.execute(
            f'INSERT INTO "{store.schema}".events (tenant, ticket_id, seq, data) VALUES (%s, %s, 2, %s)',
            ("acme", "T-1", "{}"),
        )
    with pytest.raises(ConcurrencyError):
        store.append("T-1", [note("T-1", 2), note("T-1", 3)], 1)
    assert store.get("T-1").version == 1
    with pytest.raises(CorruptRecord):
        store.events("T-1")


# connections


def test_dropped_connections_are_replaced(make: Callable[..., PostgresStore], schemas: Schemas) -> None:
    name = f"tc-victim-{uuid.uuid4().hex[:8]}"
    store = make(connect_args={"application_name": name})
    store.append("T-1", [opened()], 0)
    with schemas.admin() as conn:
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
            (name,),
        ).fetchone()[0]
        assert killed >= 1
        until(
            lambda: (
                conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
                ).fetchone()[0]
                == 0
            ),
            "the terminated sessions to end",
        )
    assert store.get("T-1").version == 1
    with schemas.admin() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (name,)
        )
    assert store.append("T-1", [note("T-1", 2)], 1) == 2


def test_an_append_whose_connection_dies_mid_flight_is_retried_once_and_never_doubled(
    make: Callable[..., PostgresStore], schemas: Schemas
) -> None:
    name = f"tc-victim-{uuid.uuid4().hex[:8]}"
    store = make(connect_args={"application_name": name}, pool_size=1)
    blocker = schemas.admin()
    blocker.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (APPEND_LOCK, f"{store.schema}/acme"))
    results: list[object] = []
    errors: list[BaseException] = []

    def append() -> None:
        try:
            results.append(store.append("T-1", [opened(), note("T-1", 2)], 0))
        except BaseException as error:
            errors.append(error)

    def waiting_pid() -> int | None:
        row = blocker.execute(
            "SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid"
            " WHERE a.application_name = %s AND l.locktype = 'advisory' AND NOT l.granted",
            (name,),
        ).fetchone()
        return None if row is None else int(row[0])

    thread = threading.Thread(target=append)
    try:
        thread.start()
        until(lambda: waiting_pid() is not None, "the append to wait for the tenant lock")
        first = waiting_pid()
        blocker.execute("SELECT pg_terminate_backend(%s)", (first,))
        until(lambda: waiting_pid() not in (None, first), "the retried append to wait for the lock")
    finally:
        blocker.execute("SELECT pg_advisory_unlock_all()")
        thread.join()
        blocker.close()
    assert errors == []
    assert results == [2]
    assert [e.seq for e in store.events("T-1")] == [1, 2]
    assert [e.seq for _, e in store.stream()] == [1, 2]


def test_an_unreachable_server_is_a_storage_error_without_secrets() -> None:
    with pytest.raises(StorageError, match="cannot connect") as caught:
        PostgresStore("host=/nonexistent/socket/dir dbname=desk user=app password=hunter2", connect_timeout=2)
    assert "hunter2" not in str(caught.value)
    assert "/nonexistent/socket/dir" in str(caught.value)


def test_bad_arguments_are_config_errors(schemas: Schemas) -> None:
    with pytest.raises(ConfigError, match="tenant"):
        PostgresStore(schemas.dsn, tenant="")
    with pytest.raises(ConfigError, match="schema"):
        PostgresStore(schemas.dsn, schema="")
    with pytest.raises(ConfigError, match="schema"):
        PostgresStore(schemas.dsn, schema="x" * 64)
    with pytest.raises(ConfigError, match="pool_size"):
        PostgresStore(schemas.dsn, pool_size=0)
    with pytest.raises(ConfigError, match="not a PostgreSQL connection string"):
        PostgresStore("this is not a dsn")
    with pytest.raises(ConfigError, match="conninfo"):
        PostgresStore(None)  # type: ignore[arg-type]


def test_a_closed_store_refuses_work(make: Callable[..., PostgresStore]) -> None:
    store = make()
    store.append("T-1", [opened()], 0)
    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(store.get("T-1").version))
    thread.start()
    thread.join()
    assert seen == [1]
    store.close()
    store.close()
    with pytest.raises(StorageError, match="closed"):
        store.get("T-1")


def test_without_psycopg_the_module_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [
        n
        for n in sys.modules
        if n == "psycopg" or n.startswith(("psycopg.", "ticketcore.adapters._postgres"))
    ]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "ticketcore.adapters.postgres")
    with pytest.raises(
        MissingExtra,
        match=r"PostgresStore needs psycopg; install it with: pip install 'ticketcore\[postgres\]'",
    ):
        importlib.import_module("ticketcore.adapters.postgres")


# stored rows


def test_corrupt_rows_are_reported_naming_the_row(
    make: Callable[..., PostgresStore], schemas: Schemas
) -> None:
    store = make()
    store.append("T-1", [opened(), note("T-1", 2)], 0)
    store.put_agent("ada", {"id": "ada"})
    fresh = make(schema=store.schema)  # no cached snapshot
    with schemas.admin() as conn:
        conn.execute(f"""UPDATE "{store.schema}".events SET data = '{{"type": "opened"' WHERE seq = 2""")
        position = conn.execute(f'SELECT position FROM "{store.schema}".events WHERE seq = 2').fetchone()[0]
        conn.execute(f"UPDATE \"{store.schema}\".tickets SET data = '[1, 2]'")
        conn.execute(f"UPDATE \"{store.schema}\".agents SET data = 'not json'")
    with pytest.raises(CorruptRecord, match=rf"events row {position} \(ticket 'T-1', seq 2\)"):
        store.events("T-1")
    with pytest.raises(CorruptRecord):
        list(store.stream())
    with pytest.raises(CorruptRecord, match="snapshot row of ticket 'T-1'"):
        fresh.get("T-1")
    with pytest.raises(CorruptRecord):
        fresh.append("T-1", [note("T-1", 3)], 2)
    with pytest.raises(CorruptRecord, match="agent 'ada'"):
        store.get_agent("ada")


def test_snapshots_are_kept_in_columns_for_queries(
    make: Callable[..., PostgresStore], schemas: Schemas
) -> None:
    store = make()
    store.append("T-1", [opened(tags=["vip", "vpn"], group="network", priority=2)], 0)
    with schemas.admin() as conn:
        row = conn.execute(
            f'SELECT status, category, priority, grp, channel, tags, version FROM "{store.schema}".tickets'
        ).fetchone()
    assert row == ("new", "new", 2, "network", "email", ["vip", "vpn"], 1)
    assert [t.id for t in store.find(TicketQuery(tags={"vip"}, priority={2}, group="network"))] == ["T-1"]
    assert [t.id for t in store.find(TicketQuery(tags={"vip", "bug"}))] == []


def test_ids_page_in_code_point_order_whatever_the_database_locale(
    make: Callable[..., PostgresStore],
) -> None:
    store = make()
    ids = ["T-b", "T-B", "T-a", "T-é", "T-10", "T-9", "t-1", "T-Z", "T-ß"]
    for ticket_id in ids:
        store.append(ticket_id, [opened(ticket_id)], 0)
    for newest_first in (False, True):
        seen: list[str] = []
        page = store.find(TicketQuery(limit=2, newest_first=newest_first))
        while True:
            seen.extend(t.id for t in page)
            if page.next_cursor is None:
                break
            page = store.find(TicketQuery(limit=2, newest_first=newest_first, cursor=page.next_cursor))
        assert seen == sorted(ids, reverse=newest_first)


@settings(max_examples=25)
@given(
    ticket_id=st.text(min_size=1, max_size=6),
    tags=st.frozensets(st.text(max_size=4), max_size=3),
    subject=st.text(max_size=10),
)
def test_any_text_is_stored_or_refused_with_our_error(
    postgres: Schemas, ticket_id: str, tags: frozenset[str], subject: str
) -> None:
    store = PostgresStore(postgres.dsn, tenant="fuzz", schema=postgres.shared())
    try:
        fresh_id = f"{ticket_id}-{uuid.uuid4().hex[:8]}"
        event = opened(fresh_id, tags=tags, subject=subject)
        try:
            store.append(fresh_id, [event], 0)
        except InvalidEvent:
            with pytest.raises(TicketNotFound):
                store.get(fresh_id)
            assert store.events(fresh_id) == []
        else:
            assert store.events(fresh_id) == [event]
            assert store.get(fresh_id) == Ticket.from_events([event])
            assert fresh_id in {t.id for t in store.find(TicketQuery(tags=tags, limit=1_000))}
    finally:
        store.close()


def test_agents_with_unstorable_ids(make: Callable[..., PostgresStore]) -> None:
    store = make()
    with pytest.raises(ConfigError, match="cannot store"):
        store.put_agent("a\x00b", {"id": "a"})
    with pytest.raises(AgentNotFound):
        store.get_agent("a\x00b")
    with pytest.raises(AgentNotFound):
        store.remove_agent("a\x00b")


def test_two_schedulers_on_two_connections_fire_every_due_timer_once(
    make: Callable[..., PostgresStore],
) -> None:
    from test_schedule import AUTO_CLOSE, NOW, store_waiting
    from ticketcore.desk import HelpDesk
    from ticketcore.model import TimerFired

    first, second = make(), make()
    store_waiting(first, 600, due=300)
    start = threading.Barrier(2)
    counts: list[int] = []

    def schedule(store: PostgresStore) -> None:
        desk = HelpDesk(store, clock=lambda: NOW, workflow=AUTO_CLOSE)
        start.wait()
        counts.append(len(desk.run_timers()))

    threads = [threading.Thread(target=schedule, args=(store,)) for store in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 600, f"each of the 300 due tickets fired once in all ({counts})"
    marks = [e for _, e in first.stream() if isinstance(e, TimerFired)]
    assert len(marks) == len({e.ticket_id for e in marks}) == 300
    assert len(second.due(NOW)) == 0
