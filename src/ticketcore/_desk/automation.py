"""Running automation rules for ``HelpDesk``: triggers on each command's events, time-based rules with the timers.

The rules' events are computed before the append, so a command and what its triggers did are stored as one batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import attrs

from ticketcore._desk.routing import agent_list, loads
from ticketcore.automation import AutomationOutcome, AutomationSet, Notification
from ticketcore.lifecycle import Workflow
from ticketcore.model import Actor, Event, Ticket
from ticketcore.repositories import TicketStore
from ticketcore.routing import Agent, Router
from ticketcore.sla import SLAReport

__all__ = ["DeskAutomation"]


def _format(at: datetime, locale: str) -> str:
    from ticketcore.i18n import format_datetime

    return format_datetime(at, locale, "UTC", format="medium")


@attrs.frozen
class DeskAutomation:
    """The rule set with what it needs from the desk: workflow, store, SLA policies, router and agents."""

    rules: AutomationSet
    workflow: Workflow
    store: TicketStore
    sla: Callable[[Sequence[Event], datetime], SLAReport] | None = None
    router: Router | None = None
    agents: Callable[[], Iterable[Agent]] | None = None
    deliver: Callable[[Notification], None] | None = None

    def _route(self, ticket: Ticket, at: datetime) -> str | None:
        assert self.router is not None
        return self.router.route(
            ticket, agent_list(self.store, self.agents), loads(self.store), now=at
        ).agent_id

    @property
    def _reads_sla(self) -> bool:
        # Reading the history and evaluating the policies is the costly part of a command: only for rules that ask.
        return self.sla is not None and self.rules.reads_sla

    def _report(self, history: Sequence[Event], now: datetime) -> SLAReport | None:
        return self.sla(history, now) if self.sla is not None and self._reads_sla else None

    def _history(self, ticket: Ticket | None) -> list[Event]:
        return [] if ticket is None else self.store.events(ticket.id)

    def triggered(
        self, before: Ticket | None, events: list[Event], now: datetime
    ) -> tuple[list[Event], tuple[Notification, ...]]:
        """``events`` followed by what the triggers add to them, and the notifications to deliver after the append."""
        if not self.rules.triggers:
            return events, ()
        history = [*self._history(before), *events] if self._reads_sla else []
        outcome = self.rules.run(
            before,
            events,
            now=now,
            workflow=self.workflow,
            sla=self._report(history, now),
            route=self._route if self.router is not None else None,
            format_datetime=_format,
        )
        return [*events, *outcome.events], outcome.notifications

    def fire(self, ticket: Ticket, now: datetime) -> tuple[list[Event], tuple[Notification, ...]]:
        """The events of the first time-based rule due on ``ticket`` at ``now`` and of the triggers they set off."""
        history = self._history(ticket) if self._reads_sla else []
        outcome: AutomationOutcome = self.rules.fire(
            ticket,
            now=now,
            workflow=self.workflow,
            sla=self._report(history, now),
            route=self._route if self.router is not None else None,
            format_datetime=_format,
        )
        if not outcome.events:
            return [], ()
        events, notes = self.triggered(ticket, list(outcome.events), now)
        return events, outcome.notifications + notes

    def macro(self, ticket: Ticket, macro_id: str, actor: Actor, at: datetime) -> AutomationOutcome:
        """The events of ``actor`` applying macro ``macro_id`` to ``ticket`` at ``at``."""
        history = self._history(ticket) if self._reads_sla else []
        return self.rules.apply_macro(
            ticket,
            macro_id,
            at=at,
            actor=actor,
            workflow=self.workflow,
            sla=self._report(history, at),
            route=self._route if self.router is not None else None,
            format_datetime=_format,
        )

    def send(self, notifications: Iterable[Notification]) -> None:
        """Hand each notification to the application's ``deliver`` callable (dropped without one)."""
        if self.deliver is not None:
            for notification in notifications:
                self.deliver(notification)
