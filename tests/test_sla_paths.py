"""SLA paths that the worked examples do not reach: a field change re-selecting the policy, per-channel targets
that change with the ticket, and multi-run cycles whose target falls exactly on a pause or on a closing time.

Each expectation is an instant worked out by hand (written in the test) or found by a minute-stepping oracle.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import AGENT, REQUESTER, T0
from ticketcore.model import Category, Event, FieldChanged, Opened, Replied, StatusChanged
from ticketcore.sla import (
    BusinessCalendar,
    ChannelTargets,
    ClockState,
    CycleReport,
    MetricTargets,
    PolicyConditions,
    SLAPolicy,
    SLAPolicySet,
)

H, M = timedelta(hours=1), timedelta(minutes=1)
ALWAYS = BusinessCalendar.always()
# Two opening runs a working day, in UTC so that the oracle below needs no time zone.
OFFICE = BusinessCalendar(
    tz="UTC", hours={day: ["09:00-13:00", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
)


def at(hour: int, minute: int = 0, *, day: int = 3) -> datetime:
    """An instant in March 2025, UTC (Monday 3 March, ``T0``'s day, by default)."""
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


class History:
    """A ticket history built one event at a time, opened at ``T0`` by the standard requester."""

    def __init__(self, *, channel: str = "email", priority: int | None = 3, **fields: object) -> None:
        self.events: list[Event] = [
            Opened(
                ticket_id="T-1",
                seq=1,
                at=T0,
                actor=REQUESTER,
                requester=REQUESTER.id,
                channel=channel,
                priority=priority,
                fields=fields,  # type: ignore[arg-type]
            )
        ]
        self.status, self.category = "new", Category.NEW

    def _head(self, when: datetime) -> dict[str, object]:
        return {"ticket_id": "T-1", "seq": len(self.events) + 1, "at": when}

    def field(self, when: datetime, name: str, value: str | None) -> History:
        self.events.append(FieldChanged(**self._head(when), actor=AGENT, field=name, value=value))  # type: ignore[arg-type]
        return self

    def agent(self, when: datetime) -> History:
        self.events.append(Replied(**self._head(when), actor=AGENT))  # type: ignore[arg-type]
        return self

    def requester(self, when: datetime) -> History:
        self.events.append(Replied(**self._head(when), actor=REQUESTER))  # type: ignore[arg-type]
        return self

    def status_to(self, when: datetime, category: Category) -> History:
        self.events.append(
            StatusChanged(
                **self._head(when),  # type: ignore[arg-type]
                actor=AGENT,
                from_status=self.status,
                from_category=self.category,
                to_status=category.value,
                to_category=category,
            )
        )
        self.status, self.category = category.value, category
        return self


# --- a field change re-selects the policy -----------------------------------------------------------------------

GOLD = SLAPolicy(
    "gold",
    {"first_response": MetricTargets(default=H)},
    calendar=ALWAYS,
    when=PolicyConditions(fields={"tier": ["gold"]}),
)
EU = SLAPolicy(
    "eu",
    {"first_response": MetricTargets(default=2 * H)},
    calendar=ALWAYS,
    when=PolicyConditions(region={"eu"}),
)
STANDARD = SLAPolicy("standard", {"first_response": MetricTargets(default=4 * H)}, calendar=ALWAYS)
POLICIES = SLAPolicySet([GOLD, EU, STANDARD])


def first_response(report_events: list[Event], now: datetime) -> tuple[str | None, CycleReport]:
    report = POLICIES.evaluate(report_events, now=now)
    return report.policy, report.metric("first_response").cycles[0]


def test_a_custom_field_set_after_opening_selects_the_policy_it_matches() -> None:
    history = History().field(at(9, 30), "tier", "gold")
    assert first_response(history.events, at(9, 10))[0] == "standard"  # before the change: the catch-all
    policy, cycle = first_response(history.events, at(10, 30))
    # Under "gold" the hour runs from the opening at 09:00, not from the change.
    assert (policy, cycle.target, cycle.due_at, cycle.state) == ("gold", H, at(10), ClockState.BREACHED)


def test_clearing_the_custom_field_falls_back_to_the_next_match() -> None:
    history = History(tier="gold").field(at(9, 20), "tier", None)
    assert first_response(history.events, at(9, 10))[0] == "gold"
    policy, cycle = first_response(history.events, at(9, 30))
    assert (policy, cycle.due_at) == ("standard", at(13))


def test_an_attribute_field_change_selects_the_policy_it_matches() -> None:
    history = History(tier="silver").field(at(9, 5), "region", "eu").field(at(9, 6), "tier", "bronze")
    policy, cycle = first_response(history.events, at(9, 30))
    assert (policy, cycle.target, cycle.due_at) == ("eu", 2 * H, at(11))
    assert POLICIES.evaluate(history.events, now=at(9, 30)).match is not None


# --- per-channel targets -------------------------------------------------------------------------------------------

CHANNELLED = MetricTargets(
    targets={1: 2 * H},
    default=4 * H,
    channels={
        "chat": ChannelTargets(targets={2: 5 * M}, default=15 * M),
        "phone": ChannelTargets(targets={1: M}),
    },
)


@pytest.mark.parametrize(
    ("channel", "priority", "target"),
    [
        ("chat", 2, 5 * M),  # the channel's own target for the priority
        ("chat", 3, 15 * M),  # the channel's default
        ("phone", 1, M),
        ("phone", 2, 4 * H),  # the channel has nothing for it: the metric's default
        ("email", 1, 2 * H),  # no channel entry: the metric's priority target
        ("email", None, 4 * H),
    ],
)
def test_per_channel_targets_choose_channel_then_priority_then_default(
    channel: str, priority: int | None, target: timedelta
) -> None:
    report = SLAPolicy("p", {"first_response": CHANNELLED}, calendar=ALWAYS).evaluate(
        History(channel=channel, priority=priority).events, now=at(9)
    )
    cycle = report.metric("first_response").cycles[0]
    assert (cycle.target, cycle.due_at) == (target, T0 + target)


def test_a_channel_change_sets_the_target_of_the_next_cycle_only() -> None:
    # Next response: one cycle per requester follow-up after an agent reply. The ticket moves from email to chat
    # between the first and the second follow-up.
    policy = SLAPolicy("p", {"next_response": CHANNELLED}, calendar=ALWAYS)
    history = (
        History(channel="email", priority=3)
        .agent(at(9, 10))
        .requester(at(9, 20))
        .agent(at(9, 40))
        .field(at(9, 50), "channel", "chat")
        .requester(at(10))
    )
    first, second = policy.evaluate(history.events, now=at(10, 5)).metric("next_response").cycles
    assert (first.target, first.started_at, first.stopped_at, first.state) == (
        4 * H,
        at(9, 20),
        at(9, 40),
        ClockState.ACHIEVED,
    )
    assert (second.target, second.started_at, second.due_at, second.state) == (
        15 * M,
        at(10),
        at(10, 15),
        ClockState.RUNNING,
    )


# --- a multi-run cycle whose target falls exactly on a pause or a closing time -------------------------------------

RESOLUTION = SLAPolicy("p", {"resolution": MetricTargets(default=H)}, calendar=ALWAYS)


def test_a_target_reached_exactly_when_the_clock_pauses_is_breached_when_it_runs_again() -> None:
    # Runs 09:00-10:00 (the whole hour), paused 10:00-11:00, runs again from 11:00.
    history = History().status_to(at(10), Category.PENDING).status_to(at(11), Category.OPEN)
    running = RESOLUTION.evaluate(history.events, now=at(10, 30)).metric("resolution").cycles[0]
    # While paused with the hour used up, the target is reached but not exceeded.
    assert (running.state, running.elapsed, running.ever_breached) == (ClockState.PAUSED, H, False)
    later = RESOLUTION.evaluate(history.events, now=at(11, 30)).metric("resolution").cycles[0]
    assert (later.state, later.elapsed, later.due_at, later.breach_at) == (
        ClockState.BREACHED,
        90 * M,
        at(10),
        at(11),
    )


def test_solved_the_moment_the_target_is_reached_on_a_pause_is_achieved() -> None:
    history = History().status_to(at(10), Category.PENDING).status_to(at(11), Category.SOLVED)
    cycle = RESOLUTION.evaluate(history.events, now=at(12)).metric("resolution").cycles[0]
    assert (cycle.state, cycle.elapsed, cycle.due_at, cycle.ever_breached) == (
        ClockState.ACHIEVED,
        H,
        at(10),
        False,
    )


def test_a_target_reached_exactly_at_closing_time_is_breached_at_the_next_opening() -> None:
    # Office hours 09-13 and 14-18. Runs 09:00-10:00 (1 h), paused 10:00-11:00, runs from 11:00: the remaining 2 h
    # end at 13:00 sharp, the lunch closing; the clock is next running at 14:00.
    policy = SLAPolicy("p", {"resolution": MetricTargets(default=3 * H)}, calendar=OFFICE)
    history = History().status_to(at(10), Category.PENDING).status_to(at(11), Category.OPEN)
    cycle = policy.evaluate(history.events, now=at(13, 30)).metric("resolution").cycles[0]
    assert (cycle.elapsed, cycle.due_at, cycle.breach_at, cycle.state) == (
        3 * H,
        at(13),
        at(14),
        ClockState.RUNNING,
    )
    after = policy.evaluate(history.events, now=at(14, 1)).metric("resolution").cycles[0]
    assert after.state is ClockState.BREACHED


def oracle_due(runs: list[tuple[datetime, datetime]], target: timedelta) -> tuple[datetime, datetime]:
    """Minute by minute: the first instant the open, unpaused minutes add up to ``target`` (due), and the start of
    the first open, unpaused minute after that (breach)."""

    def counts(minute: datetime) -> bool:
        opening = minute.weekday() < 5 and (9 <= minute.hour < 13 or 14 <= minute.hour < 18)
        return opening and any(start <= minute < end for start, end in runs)

    minute, consumed = runs[0][0], timedelta(0)
    while consumed < target:
        consumed += M if counts(minute) else timedelta(0)
        minute += M
    due = minute
    while not counts(minute):
        minute += M
    return due, minute


@settings(max_examples=25)
@given(
    pause_at=st.integers(1, 8 * 60 - 1),
    pause_for=st.integers(1, 6 * 60),
    target_minutes=st.integers(1, 16 * 60),
)
def test_multi_run_due_and_breach_match_a_minute_stepping_oracle(
    pause_at: int, pause_for: int, target_minutes: int
) -> None:
    # One pause somewhere in Monday's office day; the target may end on the pause, on a closing time, or anywhere.
    paused, resumed = T0 + pause_at * M, T0 + (pause_at + pause_for) * M
    target = target_minutes * M
    policy = SLAPolicy("p", {"resolution": MetricTargets(default=target)}, calendar=OFFICE)
    history = History().status_to(paused, Category.ON_HOLD).status_to(resumed, Category.OPEN)
    cycle = policy.evaluate(history.events, now=at(9, day=10)).metric("resolution").cycles[0]
    forever = at(0, day=31)
    due, breach = oracle_due([(T0, paused), (resumed, forever)], target)
    assert (cycle.due_at, cycle.breach_at) == (due, breach)
