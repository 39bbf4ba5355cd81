"""Regression tests for the boundary findings that concern HelpDesk and configuration.

Values a JSON body or a careless caller really sends are refused with our errors, naming the argument, the value and
the expected type, before anything is stored; what is stored always reads back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ticketcore import Actor, InvalidEvent, NaiveDatetimeError, Role
from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.desk import HelpDesk
from ticketcore.priority import PriorityMatrix, PriorityPolicy
from ticketcore.repositories import TicketStore

T0 = datetime(2025, 3, 3, 9, tzinfo=UTC)
ADA = Actor("ada", Role.AGENT)
CY = Actor("cy", Role.REQUESTER)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TicketStore]:
    made: TicketStore = (
        MemoryStore("acme") if request.param == "memory" else SQLiteStore(tmp_path / "b.db", tenant="acme")
    )
    yield made
    made.close()


def desk_on(store: TicketStore) -> HelpDesk:
    return HelpDesk(store, clock=lambda: T0, priorities=PriorityPolicy(PriorityMatrix.itil()))


BAD_OPENS: list[tuple[dict[str, Any], str, str, str]] = [
    ({"requester": 123}, "requester", "123", "a string"),
    ({"requester": "cy", "fields": {"a": [1, 2]}}, "fields['a']", "[1, 2]", "a string, number"),
    ({"requester": "cy", "fields": {1: "x"}}, "fields key 1", "1", "a string"),
    ({"requester": "cy", "fields": "a=1"}, "fields", "'a=1'", "a mapping"),
    ({"requester": "cy", "tags": [1]}, "tags[1]", "1", "a string"),
    ({"requester": "cy", "tags": "vpn"}, "tags", "'vpn'", "a collection of tags"),
    ({"requester": "cy", "tags": 5}, "tags", "5", "a collection of strings"),
    ({"requester": "cy", "subject": None}, "subject", "None", "a string"),
    ({"requester": "cy", "priority": "1"}, "priority", "'1'", "an integer"),
    ({"requester": "cy", "impact": True}, "impact", "True", "an integer"),
    ({"requester": "cy", "actor": "ada"}, "actor", "'ada'", "an Actor"),
    ({"requester": "cy", "actor": Actor(7, Role.AGENT)}, "actor.id", "7", "a string"),  # type: ignore[arg-type]
    ({"requester": "cy", "ticket_id": 9}, "ticket_id", "9", "a string"),
    ({"requester": "cy", "agent": 3}, "agent", "3", "a string"),
]


@pytest.mark.parametrize(("kwargs", "path", "shown", "expected"), BAD_OPENS)
def test_bad_open_arguments_are_refused_before_anything_is_stored(
    store: TicketStore, kwargs: dict[str, Any], path: str, shown: str, expected: str
) -> None:
    desk = desk_on(store)
    with pytest.raises(InvalidEvent) as raised:
        desk.open(**kwargs)
    assert raised.value.path == path
    assert shown in str(raised.value)
    assert expected in str(raised.value)
    assert list(store.stream()) == []
    # The tenant stays readable and usable.
    opening = desk.open(requester="cy", subject="VPN down")
    assert desk.get(opening.ticket.id) == opening.ticket
    assert [e.ticket_id for _, e in store.stream()] == [opening.ticket.id]


Command = Callable[[HelpDesk], object]
BAD_UPDATES: list[tuple[str, Command, str]] = [
    ("act actor", lambda d: d.act("T-1", "solve", "ada"), "actor"),  # type: ignore[arg-type]
    ("act action", lambda d: d.act("T-1", 5, ADA), "action"),  # type: ignore[arg-type]
    ("reply body", lambda d: d.reply("T-1", ADA, None), "body"),  # type: ignore[arg-type]
    ("reply public", lambda d: d.reply("T-1", ADA, "x", public="yes"), "public"),  # type: ignore[arg-type]
    ("note body", lambda d: d.note("T-1", ADA, 42), "body"),  # type: ignore[arg-type]
    ("assign agent", lambda d: d.assign("T-1", ADA, agent=1), "agent"),  # type: ignore[arg-type]
    ("unassign reason", lambda d: d.unassign("T-1", ADA, reason=0), "reason"),  # type: ignore[arg-type]
    ("tag add", lambda d: d.tag("T-1", ADA, add=[1]), "add[1]"),  # type: ignore[list-item]
    ("tag remove", lambda d: d.tag("T-1", ADA, remove="vpn"), "remove"),
    ("rate score", lambda d: d.rate("T-1", CY, "5"), "score"),  # type: ignore[arg-type]
    ("rate comment", lambda d: d.rate("T-1", CY, 5, comment=5), "comment"),  # type: ignore[arg-type]
    ("override", lambda d: d.override_priority("T-1", ADA, "1", reason="x"), "priority"),  # type: ignore[arg-type]
    ("ticket id", lambda d: d.note(1, ADA, "x"), "ticket_id"),  # type: ignore[arg-type]
    ("get", lambda d: d.get(None), "ticket_id"),  # type: ignore[arg-type]
    ("sla now", lambda d: d.timers("T-1", now="2025-03-03"), "now"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("label", "command", "path"), BAD_UPDATES, ids=[b[0] for b in BAD_UPDATES])
def test_bad_update_arguments_are_refused_naming_the_argument(
    store: TicketStore, label: str, command: Command, path: str
) -> None:
    desk = desk_on(store)
    desk.open(requester="cy", tags=["vpn"])
    before = list(store.stream())
    with pytest.raises(InvalidEvent) as raised:
        command(desk)
    assert raised.value.path == path, label
    assert "expected" in str(raised.value)
    assert list(store.stream()) == before


def test_naive_datetimes_are_refused_with_our_error(store: TicketStore) -> None:
    desk = desk_on(store)
    desk.open(requester="cy")
    with pytest.raises(NaiveDatetimeError, match="now"):
        desk.timers("T-1", now=datetime(2025, 3, 3, 9))
    naive = HelpDesk(store, clock=lambda: datetime(2025, 3, 3, 9))
    with pytest.raises(NaiveDatetimeError):
        naive.open(requester="cy")
    assert len(list(store.stream())) == 1
