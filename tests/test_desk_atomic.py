"""HelpDesk commands are atomic: a failure at any step before the append leaves the store's history as it was.

Each collaborator the desk calls (clock, priority policy, router, SLA policy, the store's reads and its append, the
listeners) is wrapped so that the k-th call across all of them raises; real stores run underneath.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import T0
from ticketcore import Actor, Event, Role, Ticket, TicketcoreError
from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.desk import HelpDesk
from ticketcore.priority import PriorityMatrix, PriorityPolicy
from ticketcore.routing import Agent, Router
from ticketcore.sla import MetricTargets, SLAPolicy, SLAReport

ADA = Actor("ada", Role.AGENT)
CY = Actor("cy", Role.REQUESTER)


class Injected(Exception):
    """The failure the test injects."""


class Faults:
    """Counts the calls into the desk's collaborators and fails the ``fail_at``-th one (0 = never)."""

    def __init__(self) -> None:
        self.fail_at = 0
        self.calls = 0
        self.where = ""

    def step(self, where: str) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            self.where = where
            raise Injected(where)


class FaultyStore:
    """A real store whose methods may fail before doing anything."""

    def __init__(self, inner: Any, faults: Faults) -> None:
        self._inner = inner
        self._faults = faults

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._faults.step(f"store.{name}")
            return attribute(*args, **kwargs)

        return call


class FaultyPolicy:
    def __init__(self, inner: PriorityPolicy, faults: Faults) -> None:
        self._inner, self._faults = inner, faults

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self._faults.step(f"priorities.{name}")
            return attribute(*args, **kwargs)

        return call if callable(attribute) else attribute


class FaultyRouter(FaultyPolicy):
    pass


class FaultySLA:
    def __init__(self, inner: SLAPolicy, faults: Faults) -> None:
        self._inner, self._faults = inner, faults

    def evaluate(self, events: Sequence[Event], *, now: datetime) -> SLAReport:
        self._faults.step("sla.evaluate")
        return self._inner.evaluate(events, now=now)


SLA = SLAPolicy("standard", {"first_response": MetricTargets({}, timedelta(hours=8))})
AGENTS = [Agent("ada", capacity={"email": 5}), Agent("bo", capacity={"email": 5})]

Command = Callable[[HelpDesk], object]
COMMANDS: dict[str, Command] = {
    "open": lambda desk: desk.open(requester="cy", subject="VPN", impact=1, urgency=2),
    "open_with_agent": lambda desk: desk.open(requester="cy", agent="bo", actor=ADA),
    "act": lambda desk: desk.act("T-1", "solve", ADA),
    "reply": lambda desk: desk.reply("T-1", ADA, "on it"),
    "note": lambda desk: desk.note("T-1", ADA, "internal"),
    "assign": lambda desk: desk.assign("T-1", ADA, agent="bo"),
    "unassign": lambda desk: desk.unassign("T-1", ADA),
    "tag": lambda desk: desk.tag("T-1", ADA, add=["vpn"]),
    "rate": lambda desk: desk.rate("T-1", CY, 4),
    "override_priority": lambda desk: desk.override_priority("T-1", ADA, 1, reason="outage"),
    "route": lambda desk: desk.route("T-1"),
}


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


_made = 0


def fresh_store(kind: str, workdir: Path) -> Any:
    global _made  # noqa: PLW0603 (each example needs its own file; a counter is the simplest unique name)
    _made += 1
    return MemoryStore("acme") if kind == "memory" else SQLiteStore(workdir / f"a{_made}.db", tenant="acme")


def build(kind: str, workdir: Path, faults: Faults) -> tuple[HelpDesk, Any, list[Ticket]]:
    inner = fresh_store(kind, workdir)
    heard: list[Ticket] = []

    def clock() -> datetime:
        faults.step("clock")
        return T0 + timedelta(minutes=5)

    def listener(ticket: Ticket, events: Sequence[Event]) -> None:
        faults.step("listener")
        heard.append(ticket)

    desk = HelpDesk(
        FaultyStore(inner, faults),  # type: ignore[arg-type]  # duck-typed wrapper around a real store
        clock=clock,
        priorities=FaultyPolicy(PriorityPolicy(PriorityMatrix.itil()), faults),  # type: ignore[arg-type]
        sla=FaultySLA(SLA, faults),
        router=FaultyRouter(Router(), faults),  # type: ignore[arg-type]
    )
    for agent in AGENTS:
        desk.put_agent(agent)
    # The ticket the update commands work on, opened before any fault is armed.
    desk.open(requester="cy", subject="printer", impact=2, urgency=2)
    desk.subscribe(listener)
    return desk, inner, heard


def history(store: Any) -> list[Event]:
    return list(store.stream())


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["memory", "sqlite"]), name=st.sampled_from(sorted(COMMANDS)), k=st.integers(1, 12)
)
def test_a_failure_at_any_step_leaves_the_store_as_it_was(
    kind: str, name: str, k: int, workdir: Path
) -> None:
    faults = Faults()
    desk, store, heard = build(kind, workdir, faults)
    before = history(store)
    faults.calls, faults.fail_at = 0, k
    try:
        COMMANDS[name](desk)
    except Injected:
        after = history(store)
        if faults.where == "listener":
            # Listeners hear a change that is already stored: the whole command is there, nothing more.
            assert after[: len(before)] == before
            assert len(after) > len(before)
        else:
            assert after == before
            assert heard == []
    else:
        # No fault was reached (k beyond the command's steps): the command went through whole.
        assert faults.calls < k
        assert len(history(store)) >= len(before)
    finally:
        store.close()


def test_a_target_beyond_the_calendar_range_stores_nothing() -> None:
    store = MemoryStore("acme")
    huge = SLAPolicy("far", {"first_response": MetricTargets({}, timedelta(days=999_999_999))})
    desk = HelpDesk(store, clock=lambda: T0, sla=huge)
    with pytest.raises(TicketcoreError):
        desk.open(requester="cy")
    assert history(store) == []
