"""The codec: round trips of every event type and of tickets, durations, and strict, path-naming refusals."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketcore import ConfigError, Event, InvalidEvent, Ticket, TicketcoreError
from ticketcore.codec import check, dump, dump_duration, load, load_duration
from ticketcore.model import EVENT_TYPES, Category, Opened
from ticketcore.testing.strategies import histories, json_like


def roundtrip(value: Any, type_: Any) -> Any:
    return load(type_, json.loads(json.dumps(dump(value))))


@given(histories(max_events=30))
def test_events_round_trip_through_json(events: list[Event]) -> None:
    assert roundtrip(events, list[Event]) == events
    for event in events:
        assert roundtrip(event, type(event)) == event


@given(histories(max_events=30))
def test_tickets_round_trip_through_json(events: list[Event]) -> None:
    ticket = Ticket.from_events(events)
    assert roundtrip(ticket, Ticket) == ticket


def test_every_event_type_is_covered_by_the_strategies() -> None:
    seen: set[str] = set()

    @given(histories(min_events=20, max_events=40))
    def collect(events: list[Event]) -> None:
        seen.update(e.type for e in events)

    collect()
    assert seen == set(EVENT_TYPES) - {"unassigned"} or seen >= set(EVENT_TYPES) - {"unassigned", "linked"}


@given(json_like())
def test_fuzzed_events_raise_only_our_errors(data: Any) -> None:
    try:
        load(Event, data)
    except TicketcoreError:
        pass


@given(
    st.sampled_from(sorted(EVENT_TYPES)),
    st.dictionaries(
        st.sampled_from(
            [
                "ticket_id",
                "seq",
                "at",
                "actor",
                "requester",
                "public",
                "score",
                "to_status",
                "field",
                "timer",
                "due_at",
            ]
        ),
        json_like(),
        max_size=8,
    ),
)
def test_fuzzed_tagged_events_raise_only_our_errors(tag: str, body: dict[str, Any]) -> None:
    try:
        load(Event, {"type": tag, **body})
    except InvalidEvent:
        pass


@given(json_like())
def test_fuzzed_tickets_raise_only_our_errors(data: Any) -> None:
    try:
        load(Ticket, data)
    except TicketcoreError:
        pass


def test_unknown_event_type_lists_the_valid_ones() -> None:
    with pytest.raises(InvalidEvent, match="unknown event type 'escalated'; valid types: assigned") as info:
        load(Event, {"type": "escalated"})
    assert info.value.path == "type"


def test_errors_name_the_path_of_the_bad_field() -> None:
    data = [
        {
            "type": "replied",
            "ticket_id": "T",
            "seq": "1",
            "at": "2025-01-01T00:00:00",
            "actor": {"id": "a", "role": "boss"},
            "colour": "red",
        }
    ]
    problems = {p.path: p.problem for p in check(list[Event], data)}
    assert problems["[0].seq"] == "expected an integer, got str '1'"
    assert "no UTC offset" in problems["[0].at"]
    assert "valid values: 'requester'" in problems["[0].actor.role"]
    assert problems["[0]"].startswith("unknown field(s) 'colour'; valid fields: ticket_id, seq, at, actor")


def test_missing_field_is_named() -> None:
    with pytest.raises(InvalidEvent, match="requester: this required field is missing") as info:
        load(
            Opened,
            {"ticket_id": "T", "seq": 1, "at": "2025-01-01T00:00:00Z", "actor": {"id": "a", "role": "agent"}},
        )
    assert info.value.path == "requester"


def test_string_is_not_a_list_of_tags() -> None:
    base = {"ticket_id": "T", "seq": 1, "at": "2025-01-01T00:00:00Z", "actor": {"id": "a", "role": "agent"}}
    with pytest.raises(InvalidEvent, match="tags: expected a list"):
        load(Opened, {**base, "requester": "x", "tags": "vip"})


def test_enums_load_by_value_and_refuse_others() -> None:
    assert load(Category, "on_hold") is Category.ON_HOLD
    with pytest.raises(ConfigError, match="'frozen' is not a valid Category; valid values: 'new', 'open'"):
        load(Category, "frozen")


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10_000)))
def test_durations_round_trip_exactly(value: timedelta) -> None:
    assert load_duration(dump_duration(value)) == value
    assert load(timedelta, dump(value)) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT8H", timedelta(hours=8)),
        ("P1DT4H", timedelta(days=1, hours=4)),
        ("P2W", timedelta(weeks=2)),
        ("PT0.000001S", timedelta(microseconds=1)),
        ("8h", timedelta(hours=8)),
        ("1d 4h", timedelta(days=1, hours=4)),
        ("90m", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        ("1h30m", timedelta(hours=1, minutes=30)),
    ],
)
def test_duration_forms(text: str, expected: timedelta) -> None:
    assert load_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "8 hours", "h", "1.5h", "PT1.1234567S"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ConfigError, match="is not a duration; write ISO 8601"):
        load_duration(text)


def test_whole_seconds_load_as_durations_but_floats_do_not() -> None:
    assert load(timedelta, 60) == timedelta(minutes=1)
    with pytest.raises(ConfigError, match="expected a duration"):
        load(timedelta, 1.5)


def test_enums_dump_as_their_plain_values() -> None:
    from ticketcore import Status

    data = dump(Status("awaiting_vendor", Category.ON_HOLD))
    assert data["category"] == "on_hold"
    assert type(data["category"]) is str


def test_sets_with_none_dump_and_load_back() -> None:
    from ticketcore.repositories import TicketQuery

    query = TicketQuery(assignee={None, "ada"})
    assert load(TicketQuery, json.loads(json.dumps(dump(query)))) == query


def test_check_of_a_wrong_shape_reports_instead_of_crashing() -> None:
    from ticketcore.sla import BusinessCalendar

    problems = check(dict[str, BusinessCalendar], None)
    assert len(problems) == 1
    assert isinstance(problems[0], ConfigError)


def test_unknown_field_message_lists_only_writable_fields() -> None:
    from ticketcore.sla import SLAPolicy

    problems = check(SLAPolicy, {"name": "p", "metrics": {}, "colour": "red"})
    message = next(p.problem for p in problems if "unknown field" in p.problem)
    assert "colour" in message
    assert "_compiled" not in message
    assert "name, metrics, calendar" in message
