"""The machinery and example data of the storage contract kit (private to ``ticketcore.testing.contract``)."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ticketcore.adapters.memory import MemoryDatabase
from ticketcore.model import Actor, Category, Event, NoteAdded, Opened, Role
from ticketcore.repositories import AgentDirectory, TicketStore
from ticketcore.testing.strategies import STATUSES

__all__ = ["AGENT", "GROUPS", "T0", "TAGS", "KitMachinery", "history", "note", "opened", "query_filters"]

T0 = datetime(2025, 3, 3, 9, tzinfo=UTC)
AGENT = Actor("ada", Role.AGENT)
GROUPS = ["billing", "support", "network", None]
TAGS = ["vip", "billing", "system_down", "vpn", "refund", "bug"]


def opened(ticket_id: str, at: datetime = T0, **fields: Any) -> Opened:
    """An ``Opened`` event (seq 1) for the kit's examples; ``fields`` override the defaults."""
    values: dict[str, Any] = {"requester": "cy", "subject": f"help with {ticket_id}", **fields}
    return Opened(
        ticket_id=ticket_id, seq=1, at=at, actor=Actor(values["requester"], Role.REQUESTER), **values
    )


def note(ticket_id: str, seq: int, at: datetime = T0, body: str = "looked at it") -> NoteAdded:
    """An internal note, the simplest event that can follow any other."""
    return NoteAdded(ticket_id=ticket_id, seq=seq, at=at, actor=AGENT, body=body)


def history(ticket_id: str, length: int, at: datetime = T0) -> list[Event]:
    """An opening followed by notes, ``length`` events in all, a minute apart."""
    return [
        opened(ticket_id, at),
        *(note(ticket_id, seq, at + timedelta(minutes=seq)) for seq in range(2, length + 1)),
    ]


def _day(days: int) -> datetime:
    return datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=days)


def query_filters() -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments of a :class:`TicketQuery` over the values the kit's histories use (any subset of filters)."""
    return st.fixed_dictionaries(
        {},
        optional={
            "status": st.frozensets(st.sampled_from(sorted(STATUSES)), max_size=3),
            "category": st.frozensets(st.sampled_from(list(Category)), max_size=3),
            "priority": st.frozensets(st.none() | st.integers(1, 5), max_size=3),
            "group": st.frozensets(st.sampled_from(GROUPS), max_size=2),
            "assignee": st.frozensets(st.none() | st.sampled_from(["ada", "bo"]), max_size=2),
            "tags": st.frozensets(st.sampled_from(TAGS), max_size=2),
            "created_from": st.integers(0, 200).map(_day),
            "created_before": st.integers(0, 370).map(_day),
            "updated_since": st.integers(0, 400).map(_day),
            "newest_first": st.booleans(),
        },
    )


class KitMachinery:
    """Fresh storage per test and example, capability skips, Hypothesis settings: what every check runs on.

    The hooks (:meth:`make_store`, :meth:`fresh_storage`, :meth:`dispose_store`) and the knobs are documented on
    :class:`~ticketcore.testing.contract.TicketStoreContract`, which adapter tests subclass.
    """

    unsupported: ClassVar[Mapping[str, str]] = {}
    max_examples: ClassVar[int] = 30
    scratch: Path
    memory: MemoryDatabase

    def make_store(self, tenant: str) -> TicketStore:
        """A store for ``tenant`` on the current storage."""
        raise NotImplementedError(
            f"{type(self).__name__} must define make_store(self, tenant) -> TicketStore"
        )

    def fresh_storage(self) -> None:
        """Start from empty storage."""

    def dispose_store(self, store: TicketStore) -> None:
        """Release ``store`` after the test or example that made it."""
        store.close()

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
            try:
                for store in made:
                    self.dispose_store(store)
            finally:
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

    def _directory(self, make: Callable[[str], TicketStore], tenant: str) -> AgentDirectory:
        self._require("agents")
        store = make(tenant)
        assert isinstance(store, AgentDirectory)
        return store
