"""``AsyncHelpDesk.run_timers`` and ``upcoming``: the due index walked and timers fired, awaiting the store.

The decisions are the blocking desk's (``_desk.timers.next_firing``, ``_desk.schedule.DeskSchedule``); only the
reads and writes are awaited.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ticketcore._desk.schedule import DeskSchedule
from ticketcore._desk.timers import TIMER_ROUNDS, next_firing
from ticketcore.errors import ConcurrencyError
from ticketcore.lifecycle import TimerCalendar, Workflow
from ticketcore.model import Event, Ticket
from ticketcore.repositories import Scheduled

if TYPE_CHECKING:
    from ticketcore.aio import AsyncTicketStore

__all__ = ["due_tickets", "fire_due", "history"]

_PAGE = 500
"""How many due tickets one read of the index returns."""


async def history(store: AsyncTicketStore, schedule: DeskSchedule, ticket_id: str) -> list[Event] | None:
    """The ticket's history when ``schedule`` needs it (SLA policies), else ``None`` (no read)."""
    return await store.events(ticket_id) if schedule.needs_history else None


async def due_tickets(store: AsyncTicketStore, at_or_before: datetime) -> AsyncIterator[Scheduled]:
    """Every ticket of the due index due at ``at_or_before``, page by page in ``(due_at, id)`` order."""
    cursor: str | None = None
    while True:
        page = await store.due(at_or_before, limit=_PAGE, cursor=cursor)
        for item in page.items:
            yield item
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


async def fire_due(
    store: AsyncTicketStore,
    workflow: Workflow,
    scheduled: Scheduled,
    *,
    calendar: TimerCalendar | None,
    now: datetime,
    notify: Callable[[Ticket, Sequence[Event]], None],
    schedule: DeskSchedule,
) -> list[Event]:
    """Fire the ticket's due timers one after another, retrying once after a concurrent write (as
    ``HelpDesk.run_timers`` does); the events stored."""
    ticket = scheduled.ticket
    stored_due: datetime | None = scheduled.due_at
    fired: list[Event] = []
    conflicts = 0
    for _ in range(TIMER_ROUNDS):
        events, _notes = next_firing(workflow, ticket, calendar, now, None)
        if not events:
            due = schedule.due(ticket, now, await history(store, schedule, ticket.id))
            if due != stored_due:
                await store.set_due(ticket.id, ticket.version, due)
            break
        after, due = schedule.after(ticket, events, now, await history(store, schedule, ticket.id))
        try:
            await store.append(ticket.id, events, ticket.version, due=due)
        except ConcurrencyError:
            conflicts += 1
            if conflicts > 1:
                break
            ticket = await store.get(ticket.id)
            stored_due = None  # not known: the other writer set it
            continue
        ticket, stored_due = after, due
        fired.extend(events)
        notify(ticket, events)
    return fired
