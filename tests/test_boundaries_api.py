"""Regression tests for the boundary findings that concern HelpDesk and configuration.

Values a JSON body or a careless caller really sends are refused with our errors, naming the argument, the value and
the expected type, before anything is stored; what is stored always reads back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpers import T0
from ticketcore import Actor, BusinessCalendar, ConfigError, InvalidEvent, NaiveDatetimeError, Role, codec
from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.desk import HelpDesk
from ticketcore.errors import NoBusinessTime
from ticketcore.priority import PriorityMatrix, PriorityPolicy
from ticketcore.repositories import TicketStore
from ticketcore.sla import MetricTargets, SLAPolicy

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


def test_a_target_of_p999999999d_is_refused_at_load() -> None:
    with pytest.raises(ConfigError) as raised:
        codec.load(SLAPolicy, {"name": "far", "metrics": {"first_response": {"default": "P999999999D"}}})
    assert raised.value.path == "metrics.first_response.default"
    assert "'P999999999D'" in str(raised.value)
    assert "100 years" in str(raised.value)


@pytest.mark.parametrize("data", [10**20, "PT99999999999999999999H", "-P36526D", "P36526D"])
def test_durations_beyond_100_years_are_refused_with_the_limit_named(data: object) -> None:
    with pytest.raises(ConfigError, match="longest supported duration"):
        codec.load(timedelta, data)
    assert codec.load(timedelta, "P36525D") == timedelta(days=36_525)


def test_a_target_of_p999999999d_built_in_code_is_our_error_and_stores_nothing(store: TicketStore) -> None:
    huge = SLAPolicy("far", {"first_response": MetricTargets({}, timedelta(days=999_999_999))})
    desk = HelpDesk(store, clock=lambda: T0, sla=huge)
    with pytest.raises(NoBusinessTime, match="'far'"):
        desk.open(requester="cy")
    assert list(store.stream()) == []


TINY = {
    "name": "tiny",
    "metrics": {"first_response": {"default": "PT1S"}},
    "calendar": {"tz": "UTC", "hours": {"mon": ["09:00-09:01"]}},
}


def test_a_one_second_target_on_a_tiny_calendar_in_year_9999_is_our_error(store: TicketStore) -> None:
    policy = codec.load(SLAPolicy, TINY)
    late = HelpDesk(store, clock=lambda: datetime(9999, 12, 30, 9, tzinfo=UTC), sla=policy)
    with pytest.raises(NoBusinessTime):
        late.open(requester="cy")
    assert list(store.stream()) == []
    desk = HelpDesk(store, clock=lambda: T0, sla=policy)
    opened = desk.open(requester="cy").ticket.id
    with pytest.raises(NoBusinessTime):
        desk.sla(opened, now=datetime(9999, 12, 31, 23, tzinfo=UTC))


@pytest.mark.parametrize(
    ("start", "duration"),
    [
        (datetime(9999, 12, 31, tzinfo=UTC), timedelta(days=2)),
        (datetime(1, 1, 1, tzinfo=UTC), timedelta(days=-2)),
        (datetime(2025, 1, 1, tzinfo=UTC), timedelta(days=999_999_999)),
        (datetime(2025, 1, 1, tzinfo=UTC), -timedelta(days=999_999_999)),
    ],
)
def test_calendar_arithmetic_at_the_edges_of_time_is_our_error(start: datetime, duration: timedelta) -> None:
    for calendar in (BusinessCalendar.always(), codec.load(BusinessCalendar, TINY["calendar"])):
        with pytest.raises(NoBusinessTime):
            calendar.add(start, duration)
        with pytest.raises(NoBusinessTime):
            calendar.breach_at(start, duration)


def test_more_windows_on_a_day_than_the_limit_are_refused_at_load() -> None:
    seconds = [f"00:{m:02d}:{s:02d}-00:{m:02d}:{s + 1:02d}" for m in range(60) for s in range(0, 58, 2)]
    with pytest.raises(ConfigError, match="limit of 96") as raised:
        codec.load(BusinessCalendar, {"tz": "UTC", "hours": {"tue": seconds}})
    assert raised.value.path == "hours.tue"
    quarters = [f"{h:02d}:{m:02d}-{h:02d}:{m + 1:02d}" for h in range(24) for m in range(0, 60, 15)]
    calendar = codec.load(BusinessCalendar, {"tz": "UTC", "hours": {"tue": quarters}})
    tuesday = datetime(2025, 3, 4, tzinfo=UTC)
    assert calendar.elapsed(tuesday, tuesday + timedelta(days=1)) == timedelta(minutes=96)


def test_many_explicit_holidays_are_indexed_by_year() -> None:
    first = datetime(2000, 1, 1, tzinfo=UTC).date()
    days = [
        (first + timedelta(days=n)).isoformat() for n in range(0, 40_000, 2)
    ]  # every other day for 110 years
    calendar = codec.load(
        BusinessCalendar, {"tz": "UTC", "hours": {d: ["09:00-10:00"] for d in WEEK}, "holidays": days}
    )
    start = datetime(2000, 1, 1, 9, tzinfo=UTC)
    # Open one hour on every other day: the 5000th open hour ends on day 2 * 4999 + 1.
    assert calendar.add(start, timedelta(hours=5000)) == datetime(2000, 1, 2, 10, tzinfo=UTC) + timedelta(
        days=9998
    )


def test_a_rule_that_started_centuries_ago_is_evaluated_once_per_calendar() -> None:
    calendar = codec.load(
        BusinessCalendar,
        {
            "tz": "UTC",
            "hours": {"mon": ["09:00-18:00"], "tue": ["09:00-18:00"]},
            "recurring_closures": [
                {"rule": "FREQ=WEEKLY;BYDAY=TU", "start": "1700-01-05", "hours": ["09:00-10:00"]}
            ],
        },
    )
    monday = datetime(2025, 3, 3, tzinfo=UTC)
    assert calendar.elapsed(monday, monday + timedelta(weeks=520)) == timedelta(hours=17 * 520)


WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
