"""The due instant ``HelpDesk`` writes with every append, and the scheduler's walk over the due index.

Every command, fired timer and rescheduled ticket stores ``scheduling.next_due`` of the state it leaves, so the
store's due index always says when each ticket next needs the scheduler; ``run_timers`` and ``upcoming`` read only
that index. :class:`DeskSchedule` only decides; the history it needs (``needs_history``) and the index are read
through steps, so the blocking and the asyncio desks share it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import attrs

from ticketcore._desk.steps import Steps, step
from ticketcore.automation import AutomationSet
from ticketcore.lifecycle import TimerCalendar, Workflow
from ticketcore.model import Event, Ticket
from ticketcore.repositories import NOT_DUE, DuePage, Scheduled
from ticketcore.scheduling import next_due
from ticketcore.sla import SLAReport

__all__ = ["DeskSchedule", "due_walk"]

_PAGE = 500
"""How many due tickets one read of the index returns."""


@attrs.frozen
class DeskSchedule:
    """What decides a ticket's due instant: the desk's workflow, timer calendar, rules and SLA policies."""

    workflow: Workflow
    calendar: TimerCalendar | None
    automations: AutomationSet | None
    sla: Callable[[Sequence[Event], datetime], SLAReport] | None

    @property
    def needs_history(self) -> bool:
        """Whether :meth:`due` and :meth:`after` need the ticket's stored history (only SLA policies read it)."""
        return self.sla is not None

    def due(self, ticket: Ticket, now: datetime, history: Sequence[Event] | None) -> datetime:
        """When ``ticket`` (as it stands at ``now``) next needs the scheduler; :data:`NOT_DUE` for never.

        ``history`` is the ticket's whole history; it may be ``None`` when :attr:`needs_history` is false.
        """
        report = None
        if self.sla is not None:
            assert history is not None, "the caller reads the history when needs_history"
            report = self.sla(history, now)
        found = next_due(
            ticket,
            now=now,
            workflow=self.workflow,
            calendar=self.calendar,
            automations=self.automations,
            sla=report,
        )
        return NOT_DUE if found is None else found.at

    def after(
        self, before: Ticket, events: Sequence[Event], now: datetime, prior: Sequence[Event] | None
    ) -> tuple[Ticket, datetime]:
        """The ticket ``events`` make of ``before`` and the due instant to append with them (folded once: the
        caller keeps the ticket for after the append). ``prior`` is ``before``'s stored history (see
        :attr:`needs_history`)."""
        ticket = before
        for event in events:
            ticket = ticket.apply(event)
        history = None if prior is None else [*prior, *events]
        return ticket, self.due(ticket, now, history)

    def history(self, ticket_id: str) -> Steps[list[Event] | None]:
        """What :meth:`due` and :meth:`after` need from the store: the history, or ``None`` (no read)."""
        if not self.needs_history:
            return None
        events: list[Event] = yield step("events", ticket_id)
        return events


def due_walk(at_or_before: datetime, handle: Callable[[Scheduled], Steps[None]]) -> Steps[None]:
    """``handle`` every ticket of the due index due at ``at_or_before``, page by page in ``(due_at, id)`` order.

    The cursor moves past each page, so a ticket handled (its instant moved on) or left as it was is read once.
    """
    cursor: str | None = None
    while True:
        page: DuePage = yield ("due", (at_or_before,), {"limit": _PAGE, "cursor": cursor})
        for scheduled in page.items:
            yield from handle(scheduled)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
