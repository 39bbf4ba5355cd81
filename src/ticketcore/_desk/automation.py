"""Running automation rules for the desks: triggers on each command's events, time-based rules with the timers.

The rules' events are computed before the append, so a command and what its triggers did are stored as one batch.
What the rules read from the store (the history for ``sla.*`` conditions, the agents and their loads for a
``route`` action) is read through steps, so the blocking and the asyncio desks run the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import attrs

from ticketcore._desk.routing import AgentSource
from ticketcore._desk.steps import Steps, step
from ticketcore.automation import AutomationOutcome, AutomationSet, Notification
from ticketcore.lifecycle import Workflow
from ticketcore.model import Actor, Event, Ticket
from ticketcore.routing import Agent, AgentLoad, Router
from ticketcore.sla import SLAReport

__all__ = ["DeskAutomation"]

RouteFn = Callable[[Ticket, datetime], str | None]


def _format(at: datetime, locale: str) -> str:
    from ticketcore.i18n import format_datetime

    return format_datetime(at, locale, "UTC", format="medium")


class _NeedsAgents(Exception):  # a signal inside this module, never raised out of it
    """A rule asked the router before the agents were read: read them, then run the rules again."""


@attrs.frozen
class DeskAutomation:
    """The rule set with what it needs from the desk: workflow, SLA policies, router and where agents come from."""

    rules: AutomationSet
    workflow: Workflow
    source: AgentSource
    sla: Callable[[Sequence[Event], datetime], SLAReport] | None = None
    router: Router | None = None
    deliver: Callable[[Notification], None] | None = None

    @property
    def _reads_sla(self) -> bool:
        # Reading the history and evaluating the policies is the costly part of a command: only for rules that ask.
        return self.sla is not None and self.rules.reads_sla

    def _report(self, history: Sequence[Event], now: datetime) -> SLAReport | None:
        return self.sla(history, now) if self.sla is not None and self._reads_sla else None

    def _history(self, ticket: Ticket | None) -> Steps[list[Event]]:
        if ticket is None or not self._reads_sla:
            return []
        events: list[Event] = yield step("events", ticket.id)
        return events

    def _run(self, run: Callable[[RouteFn | None], AutomationOutcome]) -> Steps[AutomationOutcome]:
        """``run(route)``; the agents and loads are read only when a rule routes (the rules are pure, so running
        them again once the agents are read decides the same)."""
        router = self.router
        assert router is not None  # without one, the callers run the rules directly (no step machine)
        read: list[tuple[list[Agent], dict[str, AgentLoad]]] = []

        def route(ticket: Ticket, at: datetime) -> str | None:
            if not read:
                raise _NeedsAgents
            agents, loads = read[0]
            return router.route(ticket, agents, loads, now=at).agent_id

        try:
            return run(route)
        except _NeedsAgents:
            agents = yield from self.source.agent_list()
            read.append((agents, (yield from self.source.loads())))
            return run(route)

    def triggered(
        self, before: Ticket | None, events: list[Event], now: datetime
    ) -> Steps[tuple[list[Event], tuple[Notification, ...]]]:
        """``events`` followed by what the triggers add to them, and the notifications to deliver after the append."""
        if not self.rules.triggers:
            return events, ()
        history = [*(yield from self._history(before)), *events] if self._reads_sla else []
        report = self._report(history, now)

        def evaluate(route: RouteFn | None) -> AutomationOutcome:
            return self.rules.run(
                before,
                events,
                now=now,
                workflow=self.workflow,
                sla=report,
                route=route,
                format_datetime=_format,
            )

        outcome = evaluate(None) if self.router is None else (yield from self._run(evaluate))
        return [*events, *outcome.events], outcome.notifications

    def fire(self, ticket: Ticket, now: datetime) -> Steps[tuple[list[Event], tuple[Notification, ...]]]:
        """The events of the first time-based rule due on ``ticket`` at ``now`` and of the triggers they set off."""
        report = self._report((yield from self._history(ticket)) if self._reads_sla else [], now)

        def evaluate(route: RouteFn | None) -> AutomationOutcome:
            return self.rules.fire(
                ticket, now=now, workflow=self.workflow, sla=report, route=route, format_datetime=_format
            )

        outcome = evaluate(None) if self.router is None else (yield from self._run(evaluate))
        if not outcome.events:
            return [], ()
        events, notes = yield from self.triggered(ticket, list(outcome.events), now)
        return events, outcome.notifications + notes

    def macro(self, ticket: Ticket, macro_id: str, actor: Actor, at: datetime) -> Steps[AutomationOutcome]:
        """The events of ``actor`` applying macro ``macro_id`` to ``ticket`` at ``at``."""
        report = self._report((yield from self._history(ticket)) if self._reads_sla else [], at)

        def evaluate(route: RouteFn | None) -> AutomationOutcome:
            return self.rules.apply_macro(
                ticket,
                macro_id,
                at=at,
                actor=actor,
                workflow=self.workflow,
                sla=report,
                route=route,
                format_datetime=_format,
            )

        return evaluate(None) if self.router is None else (yield from self._run(evaluate))

    def send(self, notifications: Iterable[Notification]) -> None:
        """Hand each notification to the application's ``deliver`` callable (dropped without one)."""
        if self.deliver is not None:
            for notification in notifications:
                self.deliver(notification)
