"""Firing a ticket's due workflow timers and time-based rules for ``run_timers`` (private to ``desk``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from ticketcore._desk.automation import DeskAutomation
from ticketcore._desk.schedule import DeskSchedule
from ticketcore._desk.steps import Steps, step
from ticketcore.automation import Notification
from ticketcore.errors import ConcurrencyError
from ticketcore.lifecycle import TimerCalendar, Workflow
from ticketcore.model import Event, Ticket
from ticketcore.repositories import Scheduled

__all__ = ["TIMER_ROUNDS", "fire_due", "next_firing"]

TIMER_ROUNDS = 8
"""At most this many timers fire on one ticket per ``run_timers`` call (each fired timer can make another due)."""


def next_firing(
    workflow: Workflow,
    ticket: Ticket,
    calendar: TimerCalendar | None,
    now: datetime,
    automation: DeskAutomation | None,
) -> Steps[tuple[list[Event], tuple[Notification, ...]]]:
    """The events of the next due timer: a workflow timer first, then a time-based rule; triggers follow both."""
    due = [d for d in workflow.timers(ticket, now=now, calendar=calendar) if d.due]
    if due:
        events = workflow.fire(ticket, due[0], at=max(now, ticket.updated_at))
        if events and automation is not None:
            return (yield from automation.triggered(ticket, events, now))
        return events, ()
    if automation is not None:
        return (yield from automation.fire(ticket, now))
    return [], ()


def fire_due(  # noqa: PLR0917 (the desk's parts, passed once)
    workflow: Workflow,
    scheduled: Scheduled,
    calendar: TimerCalendar | None,
    now: datetime,
    notify: Callable[[Ticket, Sequence[Event]], None],
    schedule: DeskSchedule,
    automation: DeskAutomation | None,
    fired: list[Event],
) -> Steps[None]:
    """Fire the ticket's due timers one after another, retrying once after a concurrent write; the events stored
    are added to ``fired``.

    Each firing is appended with the due instant of the state it leaves. When nothing (more) fires, the ticket's
    instant is moved on to the next thing due after ``now``; a ticket that another writer kept changing is left
    as it is, for the next run.
    """
    ticket = scheduled.ticket
    stored_due: datetime | None = scheduled.due_at
    conflicts = 0
    reads = schedule.needs_history  # the history is read inline: a step machine per read would cost more
    for _ in range(TIMER_ROUNDS):
        events, notes = yield from next_firing(workflow, ticket, calendar, now, automation)
        if not events:
            due = schedule.due(ticket, now, (yield step("events", ticket.id)) if reads else None)
            if due != stored_due:
                yield step("set_due", ticket.id, ticket.version, due)
            break
        prior = (yield step("events", ticket.id)) if reads else None
        after, due = schedule.after(ticket, events, now, prior)
        try:
            yield "append", (ticket.id, events, ticket.version), {"due": due}
        except ConcurrencyError:
            conflicts += 1
            if conflicts > 1:
                break
            ticket = yield step("get", ticket.id)
            stored_due = None  # not known: the other writer set it
            continue
        ticket, stored_due = after, due
        fired.extend(events)
        notify(ticket, events)
        if automation is not None:
            automation.send(notes)
