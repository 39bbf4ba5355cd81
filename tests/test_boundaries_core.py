"""Regression tests: the core's constructors and report readers refuse hostile arguments with our errors only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ticketcore import ConfigError, WrongType
from ticketcore.backlog import growth_trend, sla_achievement
from ticketcore.lifecycle import Transition, Workflow, default_workflow, has_assignee
from ticketcore.priority import PriorityMatrix, WeightedPriorityMatrix
from ticketcore.routing import Relaxation
from ticketcore.sla import ClockConditions, SLAPolicy, SLAPolicySet, compliance, upcoming


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
