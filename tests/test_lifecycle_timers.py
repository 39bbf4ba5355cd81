"""Timed transitions as data: due instants, firing, idempotence across restarts and double runs, business time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import SUPERVISOR, SYSTEM, T0
from test_lifecycle_support import History
from ticketcore.errors import ConcurrencyError, ConfigError, GuardRefused, InvalidTransition
from ticketcore.lifecycle import (
    Anchor,
    Category,
    Status,
    SystemRules,
    Timer,
    TimerDue,
    Transition,
    Workflow,
    default_workflow,
    itil_incident_workflow,
)
from ticketcore.model import Event, StatusChanged, Ticket, TimerFired

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def pending(assigned: bool = True) -> History:
    history = History(default_workflow())
    history.act("accept")
    if assigned:
        history.assign()
    history.act("wait_for_customer")
    return history


def test_pending_tickets_get_a_reminder_and_an_auto_solve() -> None:
    history = pending()
    since = history.ticket.status_since
    found = history.workflow.timers(history.ticket, now=since + HOUR)
    assert [(d.timer.name, d.since, d.due_at, d.due, d.blocked) for d in found] == [
        ("pending_reminder", since, since + 48 * HOUR, False, None),
        ("pending_auto_solve", since, since + 7 * DAY, False, None),
    ]
    later = history.workflow.timers(history.ticket, now=since + 48 * HOUR)
    assert [d.due for d in later] == [True, False], "due exactly at the instant"


def test_a_reminder_fires_once_and_records_only_itself() -> None:
    history = pending()
    now = history.ticket.status_since + 50 * HOUR
    (reminder,) = [d for d in history.workflow.timers(history.ticket, now=now) if d.due]
    (event,) = history.record(history.workflow.fire(history.ticket, reminder, at=now))
    assert isinstance(event, TimerFired)
    assert (event.timer, event.due_at, event.actor, event.seq) == (
        "pending_reminder",
        reminder.due_at,
        SYSTEM,
        5,
    )
    assert history.ticket.status == "pending"
    assert [d.timer.name for d in history.workflow.timers(history.ticket, now=now)] == ["pending_auto_solve"]
    assert history.workflow.fire(history.ticket, reminder, at=now) == [], "firing again does nothing"


def test_auto_solve_then_auto_close_produce_their_transitions() -> None:
    history = pending()
    now = history.ticket.status_since + 8 * DAY
    due = [d for d in history.workflow.timers(history.ticket, now=now) if d.due]
    assert [d.timer.name for d in due] == ["pending_reminder", "pending_auto_solve"]
    history.record(history.workflow.fire(history.ticket, due[0], at=now))
    fired, solved = history.record(history.workflow.fire(history.ticket, due[1], at=now))
    assert isinstance(fired, TimerFired)
    assert isinstance(solved, StatusChanged)
    assert (solved.action, solved.to_status, solved.actor, solved.reason) == (
        "solve",
        "solved",
        SYSTEM,
        "timer 'pending_auto_solve'",
    )
    (close,) = history.workflow.timers(history.ticket, now=now)
    assert (close.timer.name, close.since, close.due_at) == ("auto_close", now, now + 4 * DAY)
    history.record(history.workflow.fire(history.ticket, close, at=now + 5 * DAY))
    assert history.ticket.category is Category.CLOSED
    assert history.workflow.timers(history.ticket, now=now + 50 * DAY) == []
    assert history.workflow.audit(history.events) == []


def test_a_guard_blocks_a_due_timer_until_the_obstacle_is_gone() -> None:
    history = pending(assigned=False)
    now = history.ticket.status_since + 8 * DAY
    solve = next(
        d for d in history.workflow.timers(history.ticket, now=now) if d.timer.name == "pending_auto_solve"
    )
    assert not solve.due
    assert solve.blocked is not None
    assert "no assignee" in solve.blocked
    with pytest.raises(GuardRefused):
        history.workflow.fire(history.ticket, solve, at=now)
    history.assign(after=8 * DAY)
    unblocked = next(
        d for d in history.workflow.timers(history.ticket, now=now + HOUR) if d.timer.name == solve.timer.name
    )
    assert (unblocked.due, unblocked.due_at) == (True, solve.due_at)


def test_a_stale_due_is_not_fired_after_the_ticket_moved_on() -> None:
    history = pending()
    now = history.ticket.status_since + 50 * HOUR
    reminder = history.workflow.timers(history.ticket, now=now)[0]
    history.act("resume", after=HOUR)
    assert history.workflow.fire(history.ticket, reminder, at=now + 2 * HOUR) == []
    history.act("wait_for_customer", after=HOUR)
    assert history.workflow.fire(history.ticket, reminder, at=now + 4 * HOUR) == [], "a new pending period"
    fresh = history.workflow.timers(history.ticket, now=now + 4 * HOUR)[0]
    assert fresh.due_at == history.ticket.status_since + 48 * HOUR


def test_firing_early_or_a_foreign_timer_is_refused() -> None:
    history = pending()
    early = history.workflow.timers(history.ticket, now=history.now)[0]
    with pytest.raises(InvalidTransition, match="is due at"):
        history.workflow.fire(history.ticket, early, at=history.now)
    foreign = TimerDue(Timer("other", HOUR, status="pending"), early.since, early.due_at, True)
    with pytest.raises(InvalidTransition, match="not a timer of this workflow"):
        history.workflow.fire(history.ticket, foreign, at=early.due_at)


def test_the_requester_reply_anchor_restarts_the_wait() -> None:
    default = default_workflow()
    workflow = Workflow(
        default.statuses,
        default.transitions,
        rules=SystemRules(reply_reopens=False),
        timers=default.timer_rules,
    )
    history = History(workflow)
    history.act("accept")
    history.assign()
    history.act("wait_for_customer")
    history.reply(after=2 * DAY)
    replied = history.ticket.last_requester_reply_at
    assert replied is not None
    assert history.ticket.status == "pending"
    solve = next(
        d for d in workflow.timers(history.ticket, now=history.now) if d.timer.name == "pending_auto_solve"
    )
    assert (solve.since, solve.due_at) == (replied, replied + 7 * DAY)


class DayShift:
    """A test calendar open 09:00–17:00 UTC every day, walked one day at a time."""

    def __init__(self) -> None:
        self.calls: list[tuple[datetime, timedelta]] = []

    def add(self, start: datetime, duration: timedelta, /) -> datetime:
        self.calls.append((start, duration))
        t, left = start.astimezone(UTC), duration
        while True:
            opens = t.replace(hour=9, minute=0, second=0, microsecond=0)
            closes = opens.replace(hour=17)
            t = max(t, opens)
            if t < closes:
                if left <= closes - t:
                    return t + left
                left -= closes - t
            t = opens + DAY


def test_business_timers_count_on_the_calendar_passed_in() -> None:
    workflow = itil_incident_workflow(auto_close_after=16 * HOUR, business=True)
    history = History(workflow, at=datetime(2025, 3, 3, 8, tzinfo=UTC))
    history.act("start")
    history.assign()
    history.act("resolve", after=7 * HOUR)
    solved_at = history.ticket.solved_at
    assert solved_at == datetime(2025, 3, 3, 15, 6, tzinfo=UTC)
    calendar = DayShift()
    (close,) = workflow.timers(history.ticket, now=solved_at, calendar=calendar)
    assert calendar.calls == [(solved_at, 16 * HOUR)]
    assert close.due_at == datetime(2025, 3, 5, 15, 6, tzinfo=UTC)
    with pytest.raises(ConfigError, match="no calendar was passed") as caught:
        workflow.timers(history.ticket, now=solved_at)
    assert caught.value.path == "timers[0].business"


def test_a_timer_on_a_single_status_ignores_its_category_siblings() -> None:
    history = History(default_workflow())
    history.act("accept")
    history.assign()
    history.act("request_confirmation")
    assert history.ticket.category is Category.PENDING
    assert history.workflow.timers(history.ticket, now=history.now + 30 * DAY) == []


# -- restarts and double runs ---------------------------------------------------------------------------------------


class Store:
    """The smallest event store with optimistic concurrency: what a scheduler's restarts and races go through."""

    def __init__(self, events: list[Event]) -> None:
        self.events = list(events)

    def append(self, events: list[Event], expected: int) -> None:
        if expected != len(self.events):
            raise ConcurrencyError(events[0].ticket_id, expected, len(self.events))
        self.events.extend(events)


def scheduler_run(workflow: Workflow, store: Store, now: datetime, crash: bool, double: bool) -> None:
    """One scheduler pass after a restart: fold from storage, fire what is due, one timer at a time."""
    while True:
        ticket = Ticket.from_events(store.events)
        due = [d for d in workflow.timers(ticket, now=now) if d.due]
        if not due:
            return
        events = workflow.fire(ticket, due[0], at=now)
        rival = workflow.fire(ticket, due[0], at=now) if double else []
        if crash:
            return
        store.append(events, expected=ticket.version)
        if rival:
            with pytest.raises(ConcurrencyError):
                store.append(rival, expected=ticket.version)


RUNS = st.lists(
    st.tuples(st.integers(0, 30 * 24), st.booleans(), st.booleans()), min_size=0, max_size=12
).map(sorted)


@given(RUNS)
def test_timers_survive_restarts_and_double_runs(runs: list[tuple[int, bool, bool]]) -> None:
    history = pending()
    workflow, start = history.workflow, history.ticket.status_since
    store = Store(history.events)
    for hours, crash, double in runs:
        scheduler_run(workflow, store, start + hours * HOUR, crash, double)
    final = start + 60 * DAY
    scheduler_run(workflow, store, final, crash=False, double=False)
    scheduler_run(workflow, store, final + 5 * DAY, crash=False, double=False)
    ticket = Ticket.from_events(store.events)
    fired = [e for e in store.events if isinstance(e, TimerFired)]
    solved_at = next(e.at for e in store.events if isinstance(e, StatusChanged) and e.to_status == "solved")
    assert [(e.timer, e.due_at) for e in fired] == [
        ("pending_reminder", start + 48 * HOUR),
        ("pending_auto_solve", start + 7 * DAY),
        ("auto_close", solved_at + 4 * DAY),
    ]
    assert all(e.at >= e.due_at for e in fired), "nothing fires early"
    assert ticket.status == "closed"
    assert workflow.timers(ticket, now=final + 365 * DAY) == []
    assert workflow.audit(store.events) == []


def test_a_custom_timer_on_a_status_with_an_agent_reply_anchor() -> None:
    workflow = Workflow(
        [
            Status("new", Category.NEW, default_for_new=True),
            Status("open", Category.OPEN),
            Status("closed", Category.CLOSED),
        ],
        [Transition("go", ["new"], "open"), Transition("close", ["open"], "closed", roles=["supervisor"])],
        timers=[Timer("nudge", 2 * HOUR, status="open", since=Anchor.AGENT_REPLY)],
    )
    history = History(workflow)
    history.act("go")
    history.reply(actor=SUPERVISOR, after=3 * HOUR)
    (nudge,) = workflow.timers(history.ticket, now=history.now)
    assert nudge.due_at == T0 + 5 * timedelta(minutes=1) + 3 * HOUR + 2 * HOUR
