"""Regression tests: the core's constructors and report readers refuse hostile arguments with our errors only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ticketcore import ConfigError, WrongType, codec
from ticketcore.backlog import growth_trend, sla_achievement
from ticketcore.lifecycle import Transition, Workflow, default_workflow, has_assignee
from ticketcore.priority import PriorityMatrix, WeightedPriorityMatrix
from ticketcore.routing import Relaxation
from ticketcore.sla import BusinessCalendar, ClockConditions, SLAPolicy, SLAPolicySet, compliance, upcoming


def test_a_list_argument_given_something_else_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"table: expected a list of rows"):
        PriorityMatrix(3, date(2025, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"table\[1\]: expected a list of priority levels"):
        PriorityMatrix(2, [[1, 2], 3])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="expected a list of integers"):
        WeightedPriorityMatrix(5, [1], [1])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="expected a list of names, got the string 'open'"):
        Transition("solve", "open", "solved")


def test_workflow_items_must_be_their_own_kind() -> None:
    valid = default_workflow()
    with pytest.raises(ConfigError, match=r"statuses\[0\]: expected a Status"):
        Workflow([1, "a"], valid.transitions)  # type: ignore[list-item]
    with pytest.raises(ConfigError, match=r"transitions: expected a list of transitions, got int"):
        Workflow(valid.statuses, 7)  # type: ignore[arg-type]


def test_sla_configuration_shapes_are_checked() -> None:
    with pytest.raises(ConfigError, match="metrics: expected a mapping of metric names"):
        SLAPolicy("p", ["first_response"])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"policies\[0\]: expected an SLAPolicy"):
        SLAPolicySet(["gold"])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="expected a list of triggers"):
        ClockConditions(start=1.5)  # type: ignore[arg-type]


def test_a_wait_must_be_a_timedelta() -> None:
    with pytest.raises(ConfigError, match="after: expected a wait as a timedelta"):
        Relaxation(after=datetime(2025, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]


def test_guards_and_report_readers_refuse_the_wrong_types() -> None:
    with pytest.raises(WrongType, match="ticket must be a Ticket"):
        has_assignee(3, None)  # type: ignore[arg-type]
    with pytest.raises(WrongType, match="reports must be an iterable of SLA reports"):
        compliance(5)  # type: ignore[arg-type]
    with pytest.raises(WrongType, match="each report must be an SLAReport"):
        sla_achievement(["x"])  # type: ignore[list-item]
    with pytest.raises(WrongType, match="within must be a timedelta"):
        upcoming([], now=datetime(2025, 1, 1, tzinfo=UTC), within=1.5)  # type: ignore[arg-type]
    with pytest.raises(WrongType, match="policy="):
        upcoming([[]], now=datetime(2025, 1, 1, tzinfo=UTC), within=timedelta(hours=1))


def test_far_instants_are_refused_or_capped_not_overflowed() -> None:
    with pytest.raises(ConfigError, match="before year 1"):
        growth_trend([], datetime(1, 1, 1, tzinfo=UTC))
    assert upcoming([], now=datetime(9999, 12, 31, tzinfo=UTC), within=timedelta.max) == []


OFFICE = {"tz": "Europe/Rome", "hours": {"mon": ["09:00-17:00"]}}


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ({"holidays": {"dates": ["2025-08-15", "0001-01-01"]}}, "holidays.dates[1]"),
        ({"special_days": {"9999-12-31": ["09:00-10:00"]}}, "special_days.9999-12-31"),
        (
            {"closures": [{"start": "2025-01-01T00:00:00+00:00", "end": "9999-12-31T00:00:00+00:00"}]},
            "closures[0].end",
        ),
        (
            {"recurring_closures": [{"rule": "FREQ=WEEKLY;BYDAY=FR", "start": "0002-01-04"}]},
            "recurring_closures[0].start",
        ),
    ],
)
def test_configured_dates_outside_the_supported_years_are_refused_at_load(
    extra: dict[str, object], path: str
) -> None:
    with pytest.raises(ConfigError, match="outside the years 3 to 9997") as refused:
        codec.load(BusinessCalendar, {**OFFICE, **extra})
    assert refused.value.path == path


def test_the_supported_years_themselves_load() -> None:
    calendar = codec.load(
        BusinessCalendar,
        {**OFFICE, "holidays": {"dates": ["0003-01-01", "9997-12-31"]}, "special_days": {"9997-01-01": []}},
    )
    assert calendar.add(datetime(2025, 3, 3, 9, tzinfo=UTC), timedelta(hours=1)) == datetime(
        2025, 3, 3, 9, tzinfo=UTC
    ) + timedelta(hours=1)


def test_more_recurring_closures_than_the_limit_are_refused_with_it() -> None:
    rule = {"rule": "FREQ=WEEKLY;BYDAY=FR", "start": "2025-01-03", "hours": ["16:00-18:00"]}
    codec.load(BusinessCalendar, {**OFFICE, "recurring_closures": [rule] * 1_000})
    with pytest.raises(ConfigError, match="limit of 1,000") as refused:
        codec.load(BusinessCalendar, {**OFFICE, "recurring_closures": [rule] * 1_001})
    assert refused.value.path == "recurring_closures"
