"""AsyncHelpDesk's routing, agent directory, automations, macros and reschedule: HelpDesk's, awaited."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import AGENT as ADA
from helpers import T0, Clock
from ticketcore import codec
from ticketcore._automation import presets
from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.adapters.threaded import ThreadedStore
from ticketcore.aio import AsyncAgentDirectory, AsyncHelpDesk
from ticketcore.automation import AutomationSet, Notification
from ticketcore.desk import HelpDesk, Rescheduled
from ticketcore.errors import ConfigError, TicketcoreError
from ticketcore.model import Actor, Assigned, Event, Replied, Role, Ticket, TimerFired
from ticketcore.repositories import NOT_DUE, DuePage, Page, TicketQuery
from ticketcore.routing import Agent, Router
from ticketcore.sla import MetricTargets, SLAPolicy

CY = Actor("cy", Role.REQUESTER)
AGENTS = [
    Agent("ada", capacity={"email": 5, "chat": 5}),
    Agent("bo", capacity={"email": 5, "chat": 5}),
    Agent("cy-agent", groups={"tier2"}, capacity={"email": 5, "chat": 5}),
]
ROUTE_ON_TAG = {
    "id": "route_urgent",
    "conditions": {"all": [{"field": "tags", "operator": "includes", "value": "billing"}]},
    "actions": [{"type": "route"}, {"type": "notify", "recipient": "lead", "text": "{ticket.id} routed"}],
}
RULES = AutomationSet(
    rules=[
        presets.vip_escalation(),
        presets.pending_reminder(),
        presets.close_after_solved(days=2),
        presets.sla_warning(),
        codec.load(AutomationSet, {"rules": [ROUTE_ON_TAG]}).rules[0],
    ],
    macros=codec.load(
        AutomationSet, {"macros": [{"id": "refund", "actions": [{"type": "reply", "text": "Refunded"}]}]}
    ).macros,
)
POLICY = SLAPolicy("std", {"resolution": MetricTargets(default=timedelta(hours=8))})


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def closing(store: ThreadedStore, work: Any) -> Any:
    try:
        return await work
    finally:
        await store.close()


class PlainStore:
    """A TicketStore that is no AgentDirectory (a MemoryStore's ticket methods only)."""

    def __init__(self, tenant: str = "acme") -> None:
        self._store = MemoryStore(tenant)
        self.tenant = tenant

    def append(
        self, ticket_id: str, events: Sequence[Event], expected_version: int, *, due: datetime | None = None
    ) -> int:
        return self._store.append(ticket_id, events, expected_version, due=due)

    def due(self, at_or_before: datetime, *, limit: int = 100, cursor: str | None = None) -> DuePage:
        return self._store.due(at_or_before, limit=limit, cursor=cursor)

    def set_due(self, ticket_id: str, version: int, due: datetime) -> bool:
        return self._store.set_due(ticket_id, version, due)

    def events(self, ticket_id: str, after: int = 0) -> list[Event]:
        return self._store.events(ticket_id, after)

    def get(self, ticket_id: str) -> Ticket:
        return self._store.get(ticket_id)

    def find(self, query: TicketQuery) -> Page:
        return self._store.find(query)

    def stream(self, after: int = 0) -> Iterator[tuple[int, Event]]:
        return self._store.stream(after)

    def next_ticket_id(self) -> str:
        return self._store.next_ticket_id()

    def close(self) -> None:
        self._store.close()


def test_open_routes_through_the_store_directory_and_route_reassigns() -> None:
    async def main() -> None:
        store = ThreadedStore(MemoryStore("acme"))
        assert isinstance(store, AsyncAgentDirectory)
        assert store.is_agent_directory
        desk = AsyncHelpDesk(store, clock=Clock(), router=Router())
        for agent in AGENTS[:2]:
            await desk.put_agent(agent)
        first = await desk.open(requester="cy", subject="VPN")
        second = await desk.open(requester="cy", subject="mail")
        assert first.routing is not None
        assert (first.ticket.assignee, second.ticket.assignee) == ("ada", "bo")  # least loaded
        assert await store.get_agent("ada") == codec.dump(AGENTS[0])
        await store.remove_agent("ada")
        decision = await desk.route("T-1")
        assert decision.agent_id == "bo"
        assert (await desk.get("T-1")).assignee == "bo"
        assert [e.actor.id for e in await desk.events("T-1") if isinstance(e, Assigned)] == [
            "router",
            "router",
        ]
        await store.close()

    run(main())


def test_routing_with_an_agents_callable_counts_loads_from_the_tickets() -> None:
    async def main() -> None:
        store = ThreadedStore(PlainStore())  # type: ignore[arg-type]  # a TicketStore, no directory
        assert not store.is_agent_directory
        desk = AsyncHelpDesk(store, clock=Clock(), router=Router(), agents=lambda: AGENTS[:2])
        assignees = [(await desk.open(requester="cy")).ticket.assignee for _ in range(4)]
        assert assignees == ["ada", "bo", "ada", "bo"]
        with pytest.raises(ConfigError, match="not an AsyncAgentDirectory"):
            await desk.put_agent(AGENTS[0])
        with pytest.raises(ConfigError, match="keeps no agents"):
            await store.list_agents()
        await store.close()

    run(main())


def test_refusals_name_what_is_missing() -> None:
    async def main() -> None:
        plain = ThreadedStore(PlainStore())  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="a router needs agents"):
            AsyncHelpDesk(plain, clock=Clock(), router=Router())
        desk = AsyncHelpDesk(plain, clock=Clock())
        await desk.open(requester="cy")
        with pytest.raises(ConfigError, match="no router"):
            await desk.route("T-1")
        with pytest.raises(ConfigError, match="no automations"):
            await desk.apply_macro("T-1", "refund", ADA)
        with pytest.raises(ConfigError, match="expected an Agent"):
            await desk.put_agent("ada")  # type: ignore[arg-type]
        with_rules = AsyncHelpDesk(plain, clock=Clock(), automations=RULES)
        with pytest.raises(ConfigError, match="'nope'"):
            await with_rules.apply_macro("T-1", "nope", ADA)
        await plain.close()

    run(main())


def test_triggers_time_based_rules_macros_and_notifications() -> None:
    async def main() -> None:
        clock = Clock()
        sent: list[Notification] = []
        store = ThreadedStore(MemoryStore("acme"))
        desk = AsyncHelpDesk(
            store, clock=clock, sla=POLICY, automations=RULES, notifications=sent.append, router=Router()
        )
        for agent in AGENTS:
            await desk.put_agent(agent)
        opening = await desk.open(requester="cy", subject="VPN", segment="vip", agent="ada", priority=3)
        assert opening.ticket.priority == 2  # the VIP trigger, in the opening's own append
        assert opening.ticket.version == len(opening.events) > 2
        await desk.act("T-1", "accept", ADA)
        await desk.tag("T-1", ADA, add=["billing"])  # the route trigger reads the directory
        assert [n.text for n in sent] == ["T-1 routed"]
        await desk.act("T-1", "wait_for_customer", ADA)
        clock.now = T0 + timedelta(hours=50)
        fired = await desk.run_timers()
        assert [r.body for r in fired if isinstance(r, Replied)] != []
        assert await desk.run_timers() == []
        assert any(
            isinstance(e, TimerFired) and e.timer == "automation:pending_reminder"
            for e in await desk.events("T-1")
        )
        await desk.act("T-1", "resume", ADA)
        ticket = await desk.apply_macro("T-1", "refund", ADA)
        history = await desk.events("T-1")
        (refund,) = [e for e in history if isinstance(e, Replied) and e.body == "Refunded"]
        assert (refund.actor, ticket.version) == (ADA, history[-1].seq)
        await store.close()

    run(main())


def test_reschedule_stores_every_due_instant_again_in_pages(tmp_path: Any) -> None:
    async def main() -> None:
        clock = Clock()
        store = ThreadedStore(SQLiteStore(tmp_path / "desk.db", tenant="acme"))
        before = AsyncHelpDesk(store, clock=clock)
        for _ in range(5):
            await before.open(requester="cy")
        assert (await store.due(NOT_DUE)).items == ()  # nothing is ever due without timers or rules
        desk = AsyncHelpDesk(store, clock=clock, automations=RULES, sla=POLICY)
        seen: list[Rescheduled] = []
        done = await desk.reschedule(batch=2, limit=3, progress=seen.append)
        assert (done.seen, done.skipped) == (4, 0)
        assert done.cursor is not None
        assert [r.seen for r in seen] == [2, 4]
        rest = await desk.reschedule(cursor=done.cursor)
        assert (rest.seen, rest.cursor) == (1, None)
        assert len((await store.due(NOT_DUE)).items) == 5
        await store.close()

    run(main())


# The same commands through both desks: equal histories, equal notifications.

COMMANDS = st.lists(
    st.one_of(
        st.tuples(st.just("open"), st.sampled_from(["vip", "basic"]), st.sampled_from([3, 4])),
        st.tuples(st.just("reply"), st.integers(1, 4), st.booleans()),
        st.tuples(
            st.just("act"),
            st.integers(1, 4),
            st.sampled_from(["accept", "solve", "wait_for_customer", "resume", "hold", "close"]),
        ),
        st.tuples(st.just("assign"), st.integers(1, 4), st.sampled_from(["ada", "bo"])),
        st.tuples(st.just("tag"), st.integers(1, 4), st.sampled_from(["urgent", "billing"])),
        st.tuples(st.just("macro"), st.integers(1, 4), st.just("refund")),
        st.tuples(st.just("route"), st.integers(1, 4), st.just("")),
        st.tuples(st.just("timers"), st.integers(1, 72), st.just("")),
    ),
    max_size=14,
)


def apply(desk: Any, command: tuple[Any, ...], clock: Clock) -> Any:
    """The command as a call on ``desk`` (its result is awaited for the asyncio desk)."""
    kind, first, second = command
    ticket_id = f"T-{first}" if isinstance(first, int) else ""
    if kind == "open":
        return desk.open(requester="cy", subject="s", segment=first, priority=second)
    if kind == "reply":
        return desk.reply(ticket_id, CY if second else ADA, "hello")
    if kind == "act":
        return desk.act(ticket_id, second, ADA)
    if kind == "assign":
        return desk.assign(ticket_id, ADA, agent=second)
    if kind == "tag":
        return desk.tag(ticket_id, ADA, add=[second])
    if kind == "macro":
        return desk.apply_macro(ticket_id, second, ADA)
    if kind == "route":
        return desk.route(ticket_id)
    clock.advance(hours=first)
    return desk.run_timers()


def outcome(result: Any) -> object:
    return type(result).__name__


@given(COMMANDS, st.booleans())
@settings(max_examples=40, deadline=None)
def test_both_desks_store_the_same_histories_and_send_the_same_notifications(
    commands: list[tuple[Any, ...]], on_sqlite: bool
) -> None:
    """HelpDesk on a MemoryStore, AsyncHelpDesk on a ThreadedStore over a MemoryStore or an SQLite file."""

    def configure(clock: Clock, sent: list[Notification]) -> dict[str, Any]:
        return {
            "clock": clock,
            "sla": POLICY,
            "router": Router(),
            "automations": RULES,
            "notifications": sent.append,
        }

    blocking_clock, blocking_sent = Clock(), []
    blocking = HelpDesk(MemoryStore("acme"), **configure(blocking_clock, blocking_sent))
    for agent in AGENTS:
        blocking.put_agent(agent)
    blocking_results: list[object] = []
    for command in commands:
        try:
            blocking_results.append(outcome(apply(blocking, command, blocking_clock)))
        except TicketcoreError as error:
            blocking_results.append(type(error).__name__)

    async def through_asyncio() -> tuple[list[object], list[list[Event]], list[Notification]]:
        clock, sent = Clock(), []
        scratch = tempfile.TemporaryDirectory()
        inner = (
            SQLiteStore(Path(scratch.name) / "desk.db", tenant="acme") if on_sqlite else MemoryStore("acme")
        )
        store = ThreadedStore(inner)
        desk = AsyncHelpDesk(store, **configure(clock, sent))
        for agent in AGENTS:
            await desk.put_agent(agent)
        results: list[object] = []
        for command in commands:
            try:
                results.append(outcome(await apply(desk, command, clock)))
            except TicketcoreError as error:
                results.append(type(error).__name__)
        page = await desk.find(TicketQuery(limit=100))
        histories = [await desk.events(t.id) for t in sorted(page, key=lambda t: t.id)]
        await store.close()
        scratch.cleanup()
        return results, histories, sent

    results, histories, sent = run(through_asyncio())
    page = blocking.find(TicketQuery(limit=100))
    assert results == blocking_results
    assert histories == [blocking.events(t.id) for t in sorted(page, key=lambda t: t.id)]
    assert sent == blocking_sent
