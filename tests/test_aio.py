"""AsyncHelpDesk over ThreadedStore: the commands of HelpDesk, awaited, deciding exactly what HelpDesk decides."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from helpers import AGENT as ADA
from helpers import REQUESTER as CY
from helpers import SUPERVISOR, Clock
from ticketcore import (
    Actor,
    ConcurrencyError,
    ConfigError,
    Event,
    InvalidEvent,
    Role,
    Ticket,
    TicketcoreError,
)
from ticketcore._desk import schedule as desk_schedule
from ticketcore.adapters import threaded
from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.adapters.threaded import ThreadedStore
from ticketcore.aio import AsyncHelpDesk, AsyncTicketStore
from ticketcore.desk import HelpDesk
from ticketcore.errors import StorageError, TicketNotFound, WrongType
from ticketcore.lifecycle import itil_incident_workflow
from ticketcore.model import NoteAdded, StatusChanged, TimerFired
from ticketcore.priority import PriorityMatrix, PriorityPolicy
from ticketcore.repositories import TicketQuery
from ticketcore.sla import MetricTargets, SLAPolicy

pytestmark = pytest.mark.asyncio


def standard_sla() -> SLAPolicy:
    return SLAPolicy(
        "standard",
        {
            "first_response": MetricTargets({1: timedelta(hours=1)}, timedelta(hours=8)),
            "resolution": MetricTargets({}, timedelta(days=3)),
        },
        warnings=(50, 75),
    )


def configuration(clock: Clock) -> dict[str, Any]:
    return {"clock": clock, "priorities": PriorityPolicy(PriorityMatrix.itil()), "sla": standard_sla()}


Call = Callable[..., Awaitable[Any]]


async def story(call: Call, clock: Clock) -> list[object]:
    """Every command of the desk, once; what each returned (or the error it raised)."""
    results: list[object] = []

    async def step(name: str, *args: Any, **kwargs: Any) -> None:
        try:
            results.append(await call(name, *args, **kwargs))
        except TicketcoreError as error:
            results.append((type(error), str(error)))

    await step("open", requester="cy", subject="VPN down", impact=1, urgency=2, tags=["vpn"])
    await step("open", requester="bo", subject="printer", agent="ada", channel="chat")
    await step("open", requester="cy", subject="taken", ticket_id="T-1")
    await step("assign", "T-1", ADA, agent="ada", group="network")
    await step("assign", "T-1", ADA, agent="ada")
    await step("note", "T-1", ADA, "looking")
    await step("act", "T-1", "wait_for_customer", ADA)
    clock.advance(hours=3)
    await step("reply", "T-1", CY, "from Rome")
    await step("tag", "T-1", ADA, add=["rome"], remove=["vpn"])
    await step("unassign", "T-2", ADA, reason="holiday")
    await step("override_priority", "T-1", SUPERVISOR, 1, reason="the CEO's laptop")
    await step("act", "T-1", "jump", ADA)
    await step("sla", "T-1")
    await step("upcoming", within=timedelta(days=3))
    await step("allowed", "T-1", CY)
    clock.advance(hours=1)
    await step("act", "T-1", "solve", ADA, reason="restarted the concentrator")
    await step("rate", "T-1", CY, 5, comment="quick")
    await step("timers", "T-1")
    await step("run_timers", clock.advance(days=4))
    await step("run_timers", clock.advance(days=4))
    await step("run_timers")
    await step("get", "T-1")
    await step("events", "T-2")
    await step("find", TicketQuery(limit=10))
    return results


async def test_async_desk_decides_what_the_blocking_desk_decides() -> None:
    blocking_clock, async_clock = Clock(), Clock()
    blocking = HelpDesk(MemoryStore("acme"), **configuration(blocking_clock))
    desk = AsyncHelpDesk(ThreadedStore(MemoryStore("acme")), **configuration(async_clock))

    async def call_blocking(name: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(blocking, name)(*args, **kwargs)

    async def call_async(name: str, *args: Any, **kwargs: Any) -> Any:
        return await getattr(desk, name)(*args, **kwargs)

    expected = await story(call_blocking, blocking_clock)
    try:
        assert await story(call_async, async_clock) == expected
        fired = expected[-6]
        assert isinstance(fired, list)
        assert [type(e) for e in fired] == [TimerFired, StatusChanged]  # the solved ticket closed
        for ticket_id in ("T-1", "T-2"):
            assert await desk.events(ticket_id) == blocking.events(ticket_id)
        assert [e async for _, e in desk.store.stream()] == [e for _, e in blocking.store.stream()]
    finally:
        await desk.store.close()


async def test_async_desk_on_sqlite_through_a_thread(tmp_path: Any) -> None:
    clock = Clock()
    desk = AsyncHelpDesk(
        ThreadedStore(SQLiteStore(tmp_path / "desk.db", tenant="acme")), **configuration(clock)
    )
    try:
        opening = await desk.open(requester="cy", subject="VPN down", impact=1, urgency=1)
        assert opening.ticket.priority == 1
        assert opening.sla is not None
        await desk.reply("T-1", ADA, "on it")
        report = await desk.sla("T-1")
        assert report.metric("first_response").state.value == "achieved"
    finally:
        await desk.store.close()


async def test_concurrent_commands_on_one_ticket_are_decided_again() -> None:
    desk = AsyncHelpDesk(ThreadedStore(MemoryStore("acme")), clock=Clock())
    try:
        await desk.open(requester="cy")
        first, second = await asyncio.gather(desk.note("T-1", ADA, "one"), desk.note("T-1", ADA, "two"))
        assert sorted((first.version, second.version)) == [2, 3]
        events = await desk.events("T-1")
        assert sorted(e.body for e in events if isinstance(e, NoteAdded)) == ["one", "two"]
    finally:
        await desk.store.close()


class RacingStore(ThreadedStore):
    """A store where another writer adds a note just before each of the next ``races`` appends."""

    def __init__(self, races: int = 0) -> None:
        super().__init__(MemoryStore("acme"))
        self.races = races

    async def append(
        self, ticket_id: str, events: Sequence[Event], expected_version: int, *, due: datetime | None = None
    ) -> int:
        if self.races and expected_version:
            self.races -= 1
            version = (await self.get(ticket_id)).version
            at = (await self.get(ticket_id)).updated_at
            note = NoteAdded(ticket_id=ticket_id, seq=version + 1, at=at, actor=ADA, body="meanwhile")
            await super().append(ticket_id, [note], version)
        return await super().append(ticket_id, events, expected_version, due=due)


async def test_a_command_that_conflicts_twice_raises() -> None:
    store = RacingStore()
    desk = AsyncHelpDesk(store, clock=Clock())
    try:
        await desk.open(requester="cy")
        store.races = 1
        assert (await desk.note("T-1", ADA, "retried")).version == 3
        store.races = 2
        with pytest.raises(ConcurrencyError):
            await desk.note("T-1", ADA, "lost")
        assert [e.body for e in await desk.events("T-1") if isinstance(e, NoteAdded)] == [
            "meanwhile",
            "retried",
            "meanwhile",
            "meanwhile",
        ]
    finally:
        await store.close()


async def test_timers_are_retried_once_after_a_conflict_then_left_for_the_next_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(desk_schedule, "_PAGE", 1)  # the due index read one ticket a page
    clock = Clock()
    store = RacingStore()
    desk = AsyncHelpDesk(
        store, clock=clock, workflow=itil_incident_workflow(auto_close_after=timedelta(days=1))
    )
    try:
        for requester in ("cy", "bo"):
            await desk.open(requester=requester, agent="ada")
        for ticket_id in ("T-1", "T-2"):
            await desk.act(ticket_id, "resolve", ADA)
        store.races = 2  # T-1 conflicts twice: left for the next run
        fired = await desk.run_timers(clock.advance(days=2))
        assert {e.ticket_id for e in fired} == {"T-2"}
        store.races = 1  # T-1 conflicts once: retried, fired
        fired = await desk.run_timers()
        assert {e.ticket_id for e in fired} == {"T-1"}
        assert (await desk.get("T-1")).category.value == "closed"
    finally:
        await store.close()


async def test_listeners_hear_every_append_and_a_failure_comes_after_the_run() -> None:
    clock = Clock()
    desk = AsyncHelpDesk(
        ThreadedStore(MemoryStore("acme")),
        clock=clock,
        workflow=itil_incident_workflow(auto_close_after=timedelta(days=1)),
    )
    heard: list[tuple[str, int]] = []
    try:
        stop = desk.subscribe(lambda ticket, events: heard.append((ticket.id, len(events))))
        await desk.open(requester="cy", agent="ada")
        await desk.act("T-1", "resolve", ADA)

        def broken(ticket: Ticket, events: Sequence[Event]) -> None:
            raise RuntimeError("listener down")

        desk.subscribe(broken)
        with pytest.raises(RuntimeError, match="listener down"):
            await desk.run_timers(clock.advance(days=2))
        assert (await desk.get("T-1")).category.value == "closed"
        stop()
        stop()
        assert heard == [("T-1", 2), ("T-1", 1), ("T-1", 2)]
    finally:
        await desk.store.close()


async def test_refusals_name_what_is_missing() -> None:
    store = ThreadedStore(MemoryStore("acme"))
    try:
        with pytest.raises(ConfigError, match="AsyncTicketStore"):
            AsyncHelpDesk(MemoryStore("acme"), clock=Clock())  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="clock"):
            AsyncHelpDesk(store, clock=None)  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="calendar=<BusinessCalendar> to AsyncHelpDesk"):
            AsyncHelpDesk(store, clock=Clock(), workflow=itil_incident_workflow(business=True))
        desk = AsyncHelpDesk(store, clock=Clock())
        assert repr(desk) == "AsyncHelpDesk(ThreadedStore(MemoryStore(tenant='acme')))"
        await desk.open(requester="cy")
        with pytest.raises(ConfigError, match="no SLA policies"):
            await desk.sla("T-1")
        with pytest.raises(ConfigError, match="no SLA policies"):
            await desk.upcoming(within=timedelta(hours=1))
        with pytest.raises(ConfigError, match="no priority policy"):
            await desk.override_priority("T-1", SUPERVISOR, 1, reason="why")
        with pytest.raises(InvalidEvent, match="an agent, a group or both"):
            await desk.assign("T-1", ADA)
        with pytest.raises(ConfigError, match="TicketQuery"):
            await desk.find("open")  # type: ignore[arg-type]
        with pytest.raises(InvalidEvent, match="ticket_id"):
            await desk.get(1)  # type: ignore[arg-type]
        with pytest.raises(InvalidEvent, match="requester"):
            await desk.open(requester=None)  # type: ignore[arg-type]
        assert await desk.find(TicketQuery()) is not None
        assert (await desk.get("T-1")).version == 1  # nothing stored by the refusals
        timed = AsyncHelpDesk(store, clock=lambda: datetime(2025, 3, 3, 9), sla=standard_sla())
        with pytest.raises(TicketcoreError, match="clock"):
            await timed.note("T-1", ADA, "naive")
        with pytest.raises(ConfigError, match="AsyncHelpDesk clock must return an aware datetime"):
            await AsyncHelpDesk(store, clock=lambda: "09:00").open(requester="cy")  # type: ignore[arg-type, return-value]
        sla_desk = AsyncHelpDesk(store, clock=Clock(), sla=standard_sla())
        with pytest.raises(WrongType, match="within"):
            await sla_desk.upcoming(within=timedelta(hours=-1))
        assert await sla_desk.upcoming(within=timedelta.max) == []  # the horizon overflows: everything due
        with pytest.raises(TicketNotFound, match="no ticket with id 'T-404'"):
            await sla_desk.sla("T-404")
    finally:
        await store.close()


async def test_threaded_store_refuses_what_is_not_a_store_and_calls_after_close() -> None:
    with pytest.raises(ConfigError, match="wraps a TicketStore"):
        ThreadedStore("desk.db")  # type: ignore[arg-type]
    inner = MemoryStore("acme")
    store = ThreadedStore(inner)
    assert isinstance(store, AsyncTicketStore)
    assert store.store is inner
    assert store.tenant == "acme"
    await store.close()
    await store.close()
    with pytest.raises(StorageError, match="closed"):
        await store.get("T-1")


async def test_threaded_stream_reads_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threaded, "STREAM_BATCH", 2)
    desk = AsyncHelpDesk(ThreadedStore(MemoryStore("acme")), clock=Clock())
    try:
        for _ in range(3):
            await desk.open(requester="cy", actor=Actor("cy", Role.REQUESTER))
        assert [e.ticket_id async for _, e in desk.store.stream()] == ["T-1", "T-2", "T-3"]
        assert [e.ticket_id async for _, e in desk.store.stream(after=2)] == ["T-3"]
    finally:
        await desk.store.close()
