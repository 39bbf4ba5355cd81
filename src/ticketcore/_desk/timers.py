"""Finding and firing due workflow timers for ``HelpDesk.run_timers`` (private to ``desk``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

from ticketcore._desk.automation import DeskAutomation
from ticketcore._desk.routing import all_tickets
from ticketcore.automation import Notification
from ticketcore.errors import ConcurrencyError
from ticketcore.lifecycle import TimerCalendar, Workflow
from ticketcore.model import Event, Ticket
from ticketcore.repositories import TicketQuery, TicketStore

__all__ = ["fire_due", "timer_candidates"]

_TIMER_ROUNDS = 8
"""At most this many timers fire on one ticket per ``run_timers`` call (each fired timer can make another due)."""


def timer_candidates(store: TicketStore, workflow: Workflow, also: Iterable[Ticket] = ()) -> Iterator[Ticket]:
    """Each ticket, once, whose status or category some timer rule watches, then those of ``also`` not yet seen."""
    statuses = {t.status for t in workflow.timer_rules if t.status is not None}
    categories = {t.category for t in workflow.timer_rules if t.category is not None}
    queries = []
    if statuses:
        queries.append(TicketQuery(status=statuses, limit=500))
    if categories:
        queries.append(TicketQuery(category=categories, limit=500))
    seen: set[str] = set()
    for query in queries:
        for ticket in all_tickets(store, query):
            if ticket.id not in seen:
                seen.add(ticket.id)
                yield ticket
    for ticket in also:
        if ticket.id not in seen:
            seen.add(ticket.id)
            yield ticket


def _next_firing(
    workflow: Workflow,
    ticket: Ticket,
    calendar: TimerCalendar | None,
    now: datetime,
    automation: DeskAutomation | None,
) -> tuple[list[Event], tuple[Notification, ...]]:
    """The events of the next due timer: a workflow timer first, then a time-based rule; triggers follow both."""
    due = [d for d in workflow.timers(ticket, now=now, calendar=calendar) if d.due]
    if due:
        events = workflow.fire(ticket, due[0], at=max(now, ticket.updated_at))
        if events and automation is not None:
            return automation.triggered(ticket, events, now)
        return events, ()
    if automation is not None:
        return automation.fire(ticket, now)
    return [], ()


def fire_due(
    store: TicketStore,
    workflow: Workflow,
    ticket: Ticket,
    *,
    calendar: TimerCalendar | None,
    now: datetime,
    notify: Callable[[Ticket, Sequence[Event]], None],
    automation: DeskAutomation | None = None,
) -> list[Event]:
    """Fire the ticket's due timers one after another, retrying once after a concurrent write; the events stored."""
    fired: list[Event] = []
    conflicts = 0
    for _ in range(_TIMER_ROUNDS):
        events, notes = _next_firing(workflow, ticket, calendar, now, automation)
        if not events:
            break
        try:
            store.append(ticket.id, events, ticket.version)
        except ConcurrencyError:
            conflicts += 1
            if conflicts > 1:
                break
            ticket = store.get(ticket.id)
            continue
        for event in events:
            ticket = ticket.apply(event)
        fired.extend(events)
        notify(ticket, events)
        if automation is not None:
            automation.send(notes)
    return fired
