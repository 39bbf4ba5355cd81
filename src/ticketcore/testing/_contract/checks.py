"""Checks of the storage contract kit that need threads or an agent directory (private to ``contract``)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest

from ticketcore.errors import AgentNotFound, ConcurrencyError, ConfigError
from ticketcore.model import Assigned, Category, Event, NoteAdded, StatusChanged, Ticket
from ticketcore.repositories import NOT_DUE, TicketStore
from ticketcore.testing._contract.support import AGENT, T0, KitMachinery, note, opened

__all__ = ["ConcurrencyAndAgentChecks"]


class ConcurrencyAndAgentChecks(KitMachinery):
    """Concurrent writers and id takers in threads, and the :class:`AgentDirectory` of a store that is one."""

    writers: ClassVar[int] = 4
    appends_per_writer: ClassVar[int] = 15

    def test_concurrent_writers_lose_no_update(self) -> None:
        """Threads appending to one ticket: every event kept once, in order, and the due index holds the last
        write's instant."""
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
                            at = T0 + timedelta(seconds=version)
                            # Each write's due instant names the version it leaves: the index keeps the last.
                            due = T0 + timedelta(hours=version + 1)
                            try:
                                store.append(
                                    "T-1", [note("T-1", version + 1, at, f"{index}/{n}")], version, due=due
                                )
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
            (indexed,) = store.due(NOT_DUE)
            assert (indexed.ticket.version, indexed.due_at) == (total, T0 + timedelta(hours=total))

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

    # agents

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
                    events.append(Assigned(ticket_id=f"T-{n}", seq=2, at=T0, actor=AGENT, agent=agent))
                acme.append(f"T-{n}", events, 0)
            solved = StatusChanged(
                ticket_id="T-2",
                seq=3,
                at=T0,
                actor=AGENT,
                from_status="new",
                from_category=Category.NEW,
                to_status="solved",
                to_category=Category.SOLVED,
            )
            acme.append("T-2", [solved], 2)
            globex.append(
                "G-1", [opened("G-1"), Assigned(ticket_id="G-1", seq=2, at=T0, actor=AGENT, agent="ada")], 0
            )
            assert acme.agent_loads() == {"ada": {"email": 1, "chat": 1}}
            assert globex.agent_loads() == {"ada": {"email": 1}}
