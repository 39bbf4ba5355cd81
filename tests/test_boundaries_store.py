"""Regression tests for the boundary findings that concern the stores themselves.

A careless caller's events (``requester=123``, ``priority="1"``, ``seq=1.0``, an actor that is a plain string …) are
refused by every store with an ``InvalidEvent`` naming the field, the value and the expected type, and nothing is
written, so no reader of the tenant ever meets a row it cannot decode. Store methods given wrong or huge arguments
raise our errors (or answer correctly), never a driver's or a builtin's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import T0, opened, postgres_dsn
from ticketcore import Actor, ConfigError, InvalidEvent, Role, TicketcoreError
from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.errors import WrongType
from ticketcore.repositories import TicketQuery, TicketStore, encode_cursor

CY = Actor("cy", Role.REQUESTER)
KINDS = ["memory", "sqlite", "postgres"]


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TicketStore]:
    made: TicketStore
    if request.param == "memory":
        made = MemoryStore("acme")
    elif request.param == "sqlite":
        made = SQLiteStore(tmp_path / "b.db", tenant="acme")
    else:
        dsn = postgres_dsn()
        from ticketcore.adapters.postgres import PostgresStore

        made = PostgresStore(dsn, tenant=f"b-{uuid.uuid4().hex}")
    yield made
    made.close()


MISTYPED: list[tuple[dict[str, Any], str, str]] = [
    ({"requester": 123}, "requester", "expected a string, got int 123"),
    ({"fields": {"a": [1, 2]}}, "fields['a']", "got list [1, 2]"),
    ({"tags": [1]}, "tags[1]", "expected a string, got int 1"),
    ({"subject": None}, "subject", "expected a string, got NoneType None"),
    ({"priority": "1"}, "priority", "expected an integer or None, got str '1'"),
    ({"priority": 2**64}, "priority", "expected an integer within ±2**63"),
    ({"seq": 1.0}, "seq", "expected an integer, got float 1.0"),
    ({"seq": True}, "seq", "expected an integer, got bool True"),
    ({"actor": "cy"}, "actor", "expected an Actor, got str 'cy'"),
    ({"actor": Actor(7, Role.AGENT)}, "actor.id", "expected a string, got int 7"),  # type: ignore[arg-type]
    ({"fields": {"a": float("nan")}}, "fields['a']", "got float nan"),
]


@pytest.mark.parametrize(
    ("fields", "path", "problem"), MISTYPED, ids=[m[1] + "=" + repr(m[0]) for m in MISTYPED]
)
def test_a_mistyped_event_is_refused_and_the_tenant_stays_readable(
    store: TicketStore, fields: dict[str, Any], path: str, problem: str
) -> None:
    with pytest.raises(
        InvalidEvent, match=r"field " + path.replace("[", r"\[").replace("]", r"\]")
    ) as caught:
        store.append("T-1", [opened(**fields)], 0)
    assert caught.value.path == path
    assert problem in caught.value.problem
    assert store.events("T-1") == []
    store.append("T-2", [opened(ticket_id="T-2")], 0)
    assert [event.ticket_id for _, event in store.stream()] == ["T-2"]
    assert [ticket.id for ticket in store.find(TicketQuery()).tickets] == ["T-2"]


def test_a_batch_with_one_mistyped_event_writes_nothing(store: TicketStore) -> None:
    from ticketcore.model import NoteAdded

    bad = NoteAdded(ticket_id="T-1", seq=2, at=T0, actor=CY, body=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidEvent, match="field body"):
        store.append("T-1", [opened(), bad], 0)
    assert store.events("T-1") == []
    assert list(store.stream()) == []


REFUSED: list[tuple[str, Callable[[TicketStore], object], type[TicketcoreError]]] = [
    ("append(None)", lambda s: s.append("T-1", None, 0), InvalidEvent),  # type: ignore[arg-type]
    ("append(an event)", lambda s: s.append("T-1", opened(), 0), InvalidEvent),  # type: ignore[arg-type]
    ("find(priority=2**63)", lambda s: s.find(TicketQuery(priority=2**63)), ConfigError),
    ("find(huge cursor)", lambda s: s.find(TicketQuery(cursor=encode_cursor((2**70, "T-1")))), ConfigError),
    ("find('open')", lambda s: s.find("open"), WrongType),  # type: ignore[arg-type]
    ("get(5)", lambda s: s.get(5), WrongType),  # type: ignore[arg-type]
    ("events(None)", lambda s: s.events(None), WrongType),  # type: ignore[arg-type]
    ("events(after='x')", lambda s: s.events("T-1", after="x"), WrongType),  # type: ignore[arg-type]
    ("stream(after=1.5)", lambda s: list(s.stream(after=1.5)), WrongType),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("call", "refusal"), [(c[1], c[2]) for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_store_methods_raise_only_our_errors(
    store: TicketStore, call: Callable[[TicketStore], object], refusal: type[TicketcoreError]
) -> None:
    store.append("T-1", [opened()], 0)
    with pytest.raises(refusal):
        call(store)
    assert store.events("T-1") == [opened()]


def test_positions_past_the_end_or_before_the_start_answer_correctly(store: TicketStore) -> None:
    store.append("T-1", [opened()], 0)
    assert store.events("T-1", after=2**63) == []
    assert store.events("T-1", after=2**70) == []
    assert list(store.stream(after=2**63)) == []
    assert [event for _, event in store.stream(after=-1)] == [opened()]
    assert store.events("T-1", after=-5) == [opened()]
