"""Worked examples of SLA evaluation: every built-in metric, every priority-change mode, warnings, custom clocks."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpers import AGENT, REQUESTER, SYSTEM
from ticketcore.errors import InvalidEvent, NaiveDatetimeError
from ticketcore.model import (
    Actor,
    Assigned,
    Category,
    Event,
    NoteAdded,
    Opened,
    PriorityChanged,
    Replied,
    StatusChanged,
)
from ticketcore.sla import (
    BusinessCalendar,
    ChannelTargets,
    ClockConditions,
    ClockState,
    MetricTargets,
    PausedInterval,
    PauseWhen,
    PriorityChangeMode,
    SLAPolicy,
    Trigger,
    WarningInstant,
    compliance,
    upcoming,
)

ROME = ZoneInfo("Europe/Rome")
OFFICE = BusinessCalendar(
    tz="Europe/Rome",
    hours={day: ["09:00-13:00", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    holidays=("IT", None),
)
H, M = timedelta(hours=1), timedelta(minutes=1)


def rome(day: int, hour: int, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    """An instant in March 2025, Rome time (Monday 3 March is a working day)."""
    return datetime(2025, 3, day, hour, minute, second, micro, tzinfo=ROME)


class History:
    """A ticket history built one event at a time."""

    def __init__(
        self, at: datetime, *, opener: Actor = REQUESTER, priority: int | None = 3, channel: str = "email"
    ):
        self.events: list[Event] = [
            Opened(
                ticket_id="T-1",
                seq=1,
                at=at,
                actor=opener,
                requester="cy",
                priority=priority,
                channel=channel,
            )
        ]
        self.status, self.category = "new", Category.NEW

    def _head(self, at: datetime) -> dict[str, object]:
        return {"ticket_id": "T-1", "seq": len(self.events) + 1, "at": at}

    def agent(self, at: datetime, *, public: bool = True) -> History:
        self.events.append(Replied(**self._head(at), actor=AGENT, public=public))  # type: ignore[arg-type]
        return self

    def requester(self, at: datetime) -> History:
        self.events.append(Replied(**self._head(at), actor=REQUESTER))  # type: ignore[arg-type]
        return self

    def note(self, at: datetime) -> History:
        self.events.append(NoteAdded(**self._head(at), actor=AGENT))  # type: ignore[arg-type]
        return self

    def assign(self, at: datetime, actor: Actor = SYSTEM) -> History:
        self.events.append(Assigned(**self._head(at), actor=actor, agent="ada"))  # type: ignore[arg-type]
        return self

    def status_to(
        self, at: datetime, name: str, category: Category | None = None, **extra: object
    ) -> History:
        category = category or Category(name)
        self.events.append(
            StatusChanged(
                **self._head(at),  # type: ignore[arg-type]
                actor=AGENT,
                from_status=self.status,
                from_category=self.category,
                to_status=name,
                to_category=category,
                **extra,  # type: ignore[arg-type]
            )
        )
        self.status, self.category = name, category
        return self

    def priority(self, at: datetime, to: int) -> History:
        previous = (
            next(e.to_priority for e in reversed(self.events) if isinstance(e, PriorityChanged))
            if any(isinstance(e, PriorityChanged) for e in self.events)
            else self.events[0].priority
        )  # type: ignore[attr-defined]
        self.events.append(
            PriorityChanged(**self._head(at), actor=AGENT, from_priority=previous, to_priority=to)  # type: ignore[arg-type]
        )
        return self


def policy(metric: str, target: timedelta | MetricTargets, **options: object) -> SLAPolicy:
    targets = target if isinstance(target, MetricTargets) else MetricTargets(default=target)
    options.setdefault("calendar", OFFICE)
    return SLAPolicy("test", {metric: targets}, **options)  # type: ignore[arg-type]


# --- first response and the breach rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "state"),
    [
        (rome(3, 13, 30), ClockState.ACHIEVED),  # during lunch, after the 13:00 due: on time
        (rome(3, 14), ClockState.ACHIEVED),  # exactly at breach_at: on time
        (rome(3, 14, 0, 0, 1), ClockState.BREACHED),  # one microsecond later: late
    ],
)
def test_first_response_due_at_closing_time_is_breached_only_after_the_reopening(
    reply: datetime, state: ClockState
) -> None:
    history = History(rome(3, 12)).agent(reply)
    cycle = (
        policy("first_response", H)
        .evaluate(history.events, now=rome(3, 17))
        .metric("first_response")
        .cycles[0]
    )
    assert (cycle.due_at, cycle.breach_at, cycle.stopped_at, cycle.state) == (
        rome(3, 13),
        rome(3, 14),
        reply,
        state,
    )
    assert cycle.ever_breached is (state is ClockState.BREACHED)


def test_first_response_over_a_weekend_counts_business_time_only() -> None:
    history = History(rome(7, 17, 30))  # Friday
    report = policy("first_response", H).evaluate(history.events, now=rome(10, 9, 10))
    cycle = report.metric("first_response").cycles[0]
    assert cycle.state is ClockState.RUNNING
    assert (cycle.elapsed, cycle.remaining) == (40 * M, 20 * M)
    assert cycle.due_at == cycle.breach_at == rome(10, 9, 30)


def test_a_ticket_staff_opened_counts_from_the_reply_after_its_opening_comment() -> None:
    history = (
        History(rome(3, 9), opener=AGENT).agent(rome(3, 9)).requester(rome(3, 9, 30)).agent(rome(3, 9, 45))
    )
    report = policy("first_response", H).evaluate(history.events, now=rome(3, 12))
    cycle = report.metric("first_response").cycles[0]
    assert (cycle.stopped_at, cycle.elapsed, cycle.state) == (rome(3, 9, 45), 45 * M, ClockState.ACHIEVED)


def test_solving_without_a_reply_stops_the_first_response_clock() -> None:
    history = History(rome(3, 9)).status_to(rome(3, 9, 20), "solved")
    cycle = (
        policy("first_response", H)
        .evaluate(history.events, now=rome(3, 12))
        .metric("first_response")
        .cycles[0]
    )
    assert (cycle.state, cycle.stopped_at) == (ClockState.ACHIEVED, rome(3, 9, 20))


def test_per_channel_targets_chat_sixty_seconds_email_sixty_minutes() -> None:
    targets = MetricTargets(
        default=4 * H,
        channels={"chat": ChannelTargets(default=timedelta(seconds=60)), "email": ChannelTargets(default=H)},
    )
    chat = History(rome(3, 9), channel="chat").agent(rome(3, 9, 1, 30))
    email = History(rome(3, 9), channel="email").agent(rome(3, 9, 59))
    web = History(rome(3, 9), channel="web").agent(rome(3, 12))
    first = policy("first_response", targets)
    states = [
        first.evaluate(h.events, now=rome(3, 15)).metric("first_response").cycles[0]
        for h in (chat, email, web)
    ]
    assert [(c.target, c.state) for c in states] == [
        (timedelta(seconds=60), ClockState.BREACHED),
        (H, ClockState.ACHIEVED),
        (4 * H, ClockState.ACHIEVED),
    ]


# --- next response and periodic update: cycles --------------------------------------------------------------


def test_next_response_opens_a_cycle_per_exchange_from_the_oldest_unanswered_reply() -> None:
    always = BusinessCalendar.always()
    history = (
        History(rome(3, 9))
        .requester(rome(3, 9, 5))  # before any agent reply: first response's business, not next response's
        .agent(rome(3, 9, 10))
        .requester(rome(3, 9, 20))
        .requester(rome(3, 9, 25))
        .agent(rome(3, 9, 40))
        .requester(rome(3, 10))
    )
    report = policy("next_response", 30 * M, calendar=always).evaluate(history.events, now=rome(3, 11))
    first, second = report.metric("next_response").cycles
    assert (first.started_at, first.stopped_at, first.elapsed, first.state) == (
        rome(3, 9, 20),
        rome(3, 9, 40),
        20 * M,
        ClockState.ACHIEVED,
    )
    assert (second.started_at, second.stopped_at, second.state) == (rome(3, 10), None, ClockState.BREACHED)
    assert second.breach_at == rome(3, 10, 30)
    assert report.metric("next_response").ever_breached


def test_periodic_update_completes_a_cycle_at_each_public_agent_reply() -> None:
    history = History(rome(3, 9)).agent(rome(3, 10)).agent(rome(3, 10, 20)).agent(rome(3, 10, 50))
    always = BusinessCalendar.always()
    report = policy("periodic_update", 30 * M, calendar=always).evaluate(history.events, now=rome(3, 11, 10))
    cycles = report.metric("periodic_update").cycles
    assert [(c.started_at, c.stopped_at, c.state) for c in cycles] == [
        (rome(3, 10), rome(3, 10, 20), ClockState.ACHIEVED),
        (rome(3, 10, 20), rome(3, 10, 50), ClockState.ACHIEVED),  # stopped exactly at its due: achieved
        (rome(3, 10, 50), None, ClockState.RUNNING),
    ]
    assert cycles[1].due_at == rome(3, 10, 50)
    assert cycles[2].remaining == 10 * M


# --- resolution, requester wait, agent work: pauses and reopens --------------------------------------------------


def test_resolution_pauses_in_pending_and_never_gains_calendar_time() -> None:
    history = History(rome(3, 9)).status_to(rome(3, 11), "pending").status_to(rome(5, 15), "open")
    resolution = policy("resolution", 8 * H)
    paused = resolution.evaluate(history.events, now=rome(4, 10)).metric("resolution").cycles[0]
    assert (paused.state, paused.due_at, paused.breach_at, paused.elapsed) == (
        ClockState.PAUSED,
        None,
        None,
        2 * H,
    )
    assert paused.paused == (PausedInterval(rome(3, 11), None),)
    running = resolution.evaluate(history.events, now=rome(5, 16)).metric("resolution").cycles[0]
    assert (running.state, running.elapsed, running.remaining) == (ClockState.RUNNING, 3 * H, 5 * H)
    assert running.due_at == running.breach_at == rome(6, 12)
    assert running.paused == (PausedInterval(rome(3, 11), rome(5, 15)),)
    unpaused = resolution.evaluate(History(rome(3, 9)).events, now=rome(3, 10)).metric("resolution").cycles[0]
    assert (unpaused.due_at, unpaused.breach_at) == (rome(3, 18), rome(4, 9))
    assert running.due_at > unpaused.due_at


def test_a_status_flagged_to_pause_and_a_policy_named_status_pause_resolution() -> None:
    flagged = History(rome(3, 9)).status_to(rome(3, 10), "awaiting_vendor", Category.OPEN, pauses_sla=True)
    named = History(rome(3, 9)).status_to(rome(3, 10), "awaiting_parts", Category.OPEN)
    not_pausing = History(rome(3, 9)).status_to(
        rome(3, 10), "awaiting_reply", Category.PENDING, pauses_sla=False
    )
    resolution = policy("resolution", 8 * H, pause_statuses=["awaiting_parts"])
    states = [
        resolution.evaluate(h.events, now=rome(3, 12)).metric("resolution").state for h in (flagged, named)
    ]
    assert states == [ClockState.PAUSED, ClockState.PAUSED]
    assert (
        resolution.evaluate(not_pausing.events, now=rome(3, 12)).metric("resolution").state
        is ClockState.RUNNING
    )


def test_resolution_resumes_on_reopen_keeping_what_it_had_consumed() -> None:
    history = History(rome(3, 9)).status_to(rome(3, 10), "solved").status_to(rome(3, 15), "open")
    resolution = policy("resolution", 8 * H)
    solved = resolution.evaluate(history.events, now=rome(3, 12)).metric("resolution").cycles[0]
    assert (solved.state, solved.stopped_at, solved.elapsed) == (ClockState.ACHIEVED, rome(3, 10), H)
    reopened = resolution.evaluate(history.events, now=rome(3, 16)).metric("resolution")
    assert len(reopened.cycles) == 1
    cycle = reopened.cycles[0]
    assert (cycle.state, cycle.stopped_at, cycle.elapsed) == (ClockState.RUNNING, None, 2 * H)
    assert (cycle.due_at, cycle.breach_at) == (rome(4, 13), rome(4, 14))
    assert cycle.paused == (PausedInterval(rome(3, 10), rome(3, 15)),)


def test_requester_wait_counts_on_hold_and_agent_work_does_not() -> None:
    history = (
        History(rome(3, 9))
        .status_to(rome(3, 10), "on_hold")
        .status_to(rome(3, 11), "pending")
        .status_to(rome(3, 12), "open")
        .status_to(rome(3, 12, 30), "solved")
    )
    always = BusinessCalendar.always()
    both = SLAPolicy(
        "waits",
        {name: MetricTargets(default=10 * H) for name in ("requester_wait", "agent_work", "resolution")},
        calendar=always,
    )
    report = both.evaluate(history.events, now=rome(3, 15))
    elapsed = {m.metric: (m.cycles[0].elapsed, m.state) for m in report.metrics}
    assert elapsed == {
        "requester_wait": (150 * M, ClockState.ACHIEVED),
        "agent_work": (90 * M, ClockState.ACHIEVED),
        "resolution": (90 * M, ClockState.ACHIEVED),
    }


# --- acknowledge ----------------------------------------------------------------------------------------------


def test_acknowledge_stops_at_the_first_assignment_or_staff_action() -> None:
    ack = policy("acknowledge", 15 * M, calendar=BusinessCalendar.always())
    assigned = ack.evaluate(History(rome(3, 9)).assign(rome(3, 9, 5)).events, now=rome(3, 10))
    noted = ack.evaluate(History(rome(3, 9)).note(rome(3, 9, 20)).events, now=rome(3, 10))
    by_staff = ack.evaluate(History(rome(3, 9), opener=AGENT).events, now=rome(3, 10))
    assert (assigned.metric("acknowledge").state, assigned.metric("acknowledge").cycles[0].elapsed) == (
        ClockState.ACHIEVED,
        5 * M,
    )
    assert noted.metric("acknowledge").cycles[0].state is ClockState.BREACHED
    assert noted.metric("acknowledge").cycles[0].stopped_at == rome(3, 9, 20)
    assert by_staff.metric("acknowledge").cycles == ()
    assert by_staff.metric("acknowledge").state is None


# --- priority changes ---------------------------------------------------------------------------------------


def _changed(mode: PriorityChangeMode) -> list[tuple[object, ...]]:
    resolution = policy(
        "resolution",
        MetricTargets({1: H, 3: 8 * H}),
        calendar=BusinessCalendar.always(),
        on_priority_change=mode,
    )
    history = History(rome(3, 9), priority=3).priority(rome(3, 11), 1)
    cycles = resolution.evaluate(history.events, now=rome(3, 11, 30)).metric("resolution").cycles
    return [
        (c.priority, c.target, c.state, c.started_at, c.elapsed, c.carried, c.due_at, c.breach_at)
        for c in cycles
    ]


def test_priority_change_recompute_applies_the_new_target_from_the_original_start() -> None:
    assert _changed(PriorityChangeMode.RECOMPUTE) == [
        (1, H, ClockState.BREACHED, rome(3, 9), 150 * M, timedelta(0), rome(3, 10), rome(3, 10))
    ]


def test_priority_change_restart_cancels_the_cycle_and_starts_a_new_one() -> None:
    assert _changed(PriorityChangeMode.RESTART) == [
        (3, 8 * H, ClockState.CANCELLED, rome(3, 9), 2 * H, timedelta(0), rome(3, 17), rome(3, 17)),
        (1, H, ClockState.RUNNING, rome(3, 11), 30 * M, timedelta(0), rome(3, 12), rome(3, 12)),
    ]


def test_priority_change_carry_elapsed_carries_the_consumed_time_into_the_new_cycle() -> None:
    assert _changed(PriorityChangeMode.CARRY_ELAPSED) == [
        (3, 8 * H, ClockState.CANCELLED, rome(3, 9), 2 * H, timedelta(0), rome(3, 17), rome(3, 17)),
        (1, H, ClockState.BREACHED, rome(3, 11), 150 * M, 2 * H, rome(3, 11), rome(3, 11)),
    ]


def test_lowering_the_priority_under_recompute_can_clear_a_breach() -> None:
    resolution = policy("resolution", MetricTargets({1: H, 3: 8 * H}), on_priority_change="recompute")
    history = History(rome(3, 9), priority=1).priority(rome(3, 11), 3)
    cycle = resolution.evaluate(history.events, now=rome(3, 11, 30)).metric("resolution").cycles[0]
    assert (cycle.state, cycle.target, cycle.ever_breached) == (ClockState.RUNNING, 8 * H, False)


# --- warnings, upcoming, compliance -------------------------------------------------------------------------


def test_warnings_are_reached_at_their_share_of_the_target_and_listed_by_upcoming() -> None:
    first = policy("first_response", H, calendar=BusinessCalendar.always())
    history = History(rome(3, 9))
    report = first.evaluate(history.events, now=rome(3, 9, 40))
    assert report.metric("first_response").cycles[0].warnings == (
        WarningInstant(50, rome(3, 9, 30), True),
        WarningInstant(75, rome(3, 9, 45), False),
        WarningInstant(100, rome(3, 10), False),
    )
    soon = upcoming([report], now=rome(3, 9, 40), within=10 * M)
    assert [(u.kind, u.percent, u.at) for u in soon] == [("warning", 75, rome(3, 9, 45))]
    later = upcoming([history.events], now=rome(3, 9, 40), within=30 * M, policy=first)
    assert [(u.kind, u.percent, u.at) for u in later] == [
        ("warning", 75, rome(3, 9, 45)),
        ("warning", 100, rome(3, 10)),
        ("breach", None, rome(3, 10)),
    ]
    with pytest.raises(TypeError, match="policy="):
        upcoming([history.events], now=rome(3, 9, 40), within=H)


def test_compliance_counts_cycles_per_policy_metric_and_priority() -> None:
    first = policy("first_response", H, calendar=BusinessCalendar.always())
    reports = [
        first.evaluate(History(rome(3, 9), priority=1).agent(rome(3, 9, 30)).events, now=rome(3, 12)),
        first.evaluate(History(rome(3, 9), priority=1).agent(rome(3, 11)).events, now=rome(3, 12)),
        first.evaluate(History(rome(3, 9), priority=2).events, now=rome(3, 9, 30)),
    ]
    rows = compliance(reports)
    assert [(r.policy, r.metric, r.priority, r.achieved, r.breached, r.active) for r in rows] == [
        ("test", "first_response", 1, 1, 1, 0),
        ("test", "first_response", 2, 0, 0, 1),
    ]
    assert rows[0].rate == 0.5
    assert rows[1].rate is None


# --- custom clocks --------------------------------------------------------------------------------------------


def test_a_custom_clock_with_status_triggers_reset_and_cancel() -> None:
    handover = MetricTargets(
        default=H,
        clock=ClockConditions(
            start=[Trigger("status", statuses=["escalated"])],
            stop=["agent_reply"],
            reset=["priority_changed"],
            cancel=["solved"],
            pause=PauseWhen(categories=[Category.PENDING]),
        ),
    )
    resolution = SLAPolicy("custom", {"handover": handover}, calendar=BusinessCalendar.always())
    history = (
        History(rome(3, 9))
        .status_to(rome(3, 10), "escalated", Category.OPEN)
        .priority(rome(3, 10, 30), 2)
        .status_to(rome(3, 10, 40), "pending")
        .status_to(rome(3, 10, 45), "solved")
    )
    cycles = resolution.evaluate(history.events, now=rome(3, 12)).metric("handover").cycles
    assert [(c.started_at, c.stopped_at, c.state, c.elapsed) for c in cycles] == [
        (rome(3, 10), rome(3, 10, 30), ClockState.ACHIEVED, 30 * M),
        (rome(3, 10, 30), rome(3, 10, 45), ClockState.CANCELLED, 10 * M),
    ]
    assert cycles[1].paused == (PausedInterval(rome(3, 10, 40), rome(3, 10, 45)),)
    rows = compliance([resolution.evaluate(history.events, now=rome(3, 12))])
    # Each cycle is counted under the priority it ran at (3 until the change to 2 reset the clock).
    assert [(r.priority, r.achieved, r.breached, r.active, r.cancelled) for r in rows] == [
        (2, 0, 0, 0, 1),
        (3, 1, 0, 0, 0),
    ]


def test_calendar_time_and_a_calendar_per_target() -> None:
    night_shift = BusinessCalendar(tz="Europe/Rome", hours={"mon": ["22:00-06:00"]})
    policy_ = SLAPolicy(
        "mixed",
        {
            "resolution": MetricTargets(default=8 * H, business_hours=False),
            "first_response": MetricTargets(default=H, calendar=night_shift),
        },
        calendar=OFFICE,
    )
    report = policy_.evaluate(History(rome(3, 18)).events, now=rome(3, 23))
    assert report.metric("resolution").cycles[0].due_at == rome(4, 2)
    assert report.metric("first_response").cycles[0].due_at == rome(3, 23)
    assert report.metric("first_response").cycles[0].elapsed == H


# --- refusals ------------------------------------------------------------------------------------------------


def test_refuses_naive_now_and_histories_that_do_not_start_with_opened() -> None:
    first = policy("first_response", H)
    events = History(rome(3, 9)).agent(rome(3, 10)).events
    with pytest.raises(NaiveDatetimeError):
        first.evaluate(events, now=datetime(2025, 3, 3, 12))
    with pytest.raises(InvalidEvent, match="opened"):
        first.evaluate(events[1:], now=rome(3, 12))


def test_refuses_events_out_of_time_order() -> None:
    events = History(rome(3, 9)).agent(rome(3, 10)).events
    swapped = [events[0], Replied(ticket_id="T-1", seq=2, at=rome(3, 8), actor=AGENT)]
    with pytest.raises(InvalidEvent, match="time order"):
        policy("first_response", H).evaluate(swapped, now=rome(3, 12))
    assert events  # the helper history itself is in order


def test_a_metric_without_a_target_for_the_priority_does_not_run_and_a_change_to_such_a_priority_cancels() -> (
    None
):
    only_p1 = policy("resolution", MetricTargets({1: H}), calendar=BusinessCalendar.always())
    p3 = only_p1.evaluate(History(rome(3, 9), priority=3).events, now=rome(3, 10)).metric("resolution")
    assert p3.cycles == ()
    lowered = History(rome(3, 9), priority=1).priority(rome(3, 9, 30), 3)
    cycles = only_p1.evaluate(lowered.events, now=rome(3, 10)).metric("resolution").cycles
    assert [(c.state, c.stopped_at, c.elapsed) for c in cycles] == [
        (ClockState.CANCELLED, rome(3, 9, 30), 30 * M)
    ]


def test_a_report_names_its_metrics_when_asked_for_another() -> None:
    report = policy("first_response", H).evaluate(History(rome(3, 9)).events, now=rome(3, 10))
    with pytest.raises(KeyError, match="'first_response'"):
        report.metric("resolution")
    assert not report.ever_breached


def test_a_reply_while_solved_does_not_reopen_a_clock_until_the_status_changes() -> None:
    history = (
        History(rome(3, 9))
        .agent(rome(3, 9, 10))
        .status_to(rome(3, 9, 20), "solved")
        .requester(rome(3, 10))
        .status_to(rome(3, 10, 5), "open")
        .agent(rome(3, 10, 30))
    )
    both = SLAPolicy(
        "p",
        {"next_response": MetricTargets(default=H), "periodic_update": MetricTargets(default=H)},
        calendar=BusinessCalendar.always(),
    )
    report = both.evaluate(history.events, now=rome(3, 11))
    assert [(c.started_at, c.stopped_at) for c in report.metric("next_response").cycles] == [
        (rome(3, 10), rome(3, 10, 30))
    ]
    assert [(c.started_at, c.stopped_at) for c in report.metric("periodic_update").cycles] == [
        (rome(3, 9, 10), rome(3, 9, 20)),
        (rome(3, 10, 5), rome(3, 10, 30)),
        (rome(3, 10, 30), None),
    ]


def test_due_dates_far_beyond_a_long_closure_agree_with_the_calendar() -> None:
    shut = BusinessCalendar(
        tz="Europe/Rome",
        hours={day: ["09:00-13:00", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        closures=[(rome(4, 0), datetime(2025, 7, 1, tzinfo=ROME))],
    )
    opened = rome(3, 9)
    cycle = (
        policy("resolution", 40 * H, calendar=shut)
        .evaluate(History(opened).events, now=rome(3, 12))
        .metric("resolution")
        .cycles[0]
    )
    assert cycle.due_at == shut.add(opened, 40 * H)
    assert cycle.breach_at == shut.breach_at(opened, 40 * H)
    assert cycle.due_at is not None
    assert cycle.due_at.month == 7
