"""What every desk face shares: its configuration checks, its clock, its listeners and its SLA policies.

``HelpDesk`` and ``ticketcore.aio.AsyncHelpDesk`` differ only in how they reach their store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from ticketcore._desk.schedule import DeskSchedule
from ticketcore._time import require_aware
from ticketcore.automation import AutomationSet
from ticketcore.errors import ConfigError
from ticketcore.lifecycle import TimerCalendar, Workflow, default_workflow
from ticketcore.model import Event, Ticket
from ticketcore.priority import PriorityPolicy
from ticketcore.sla import SLAReport

__all__ = ["DeskFace", "Listener", "SLAEvaluator"]

Listener = Callable[[Ticket, Sequence[Event]], None]
"""Called with the ticket after the append and the events just stored."""


class SLAEvaluator(Protocol):
    """What the desk needs from its SLA configuration: ``SLAPolicy`` and ``SLAPolicySet`` both fit."""

    def evaluate(self, events: Sequence[Event], *, now: datetime) -> SLAReport:
        """The ticket's SLA report at ``now``."""
        ...


class DeskFace:
    """The configuration, clock and listeners of a desk (see ``HelpDesk`` for what each argument means)."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        workflow: Workflow | None,
        priorities: PriorityPolicy | None,
        sla: SLAEvaluator | None,
        calendar: TimerCalendar | None,
        automations: AutomationSet | None = None,
    ) -> None:
        if not callable(clock):
            raise ConfigError(f"clock must be a callable returning an aware datetime, got {clock!r}", "clock")
        self.workflow = workflow if workflow is not None else default_workflow()
        business = [timer.name for timer in self.workflow.timer_rules if timer.business]
        if business and calendar is None:
            # Every append stores the ticket's next due instant, so the desk needs the calendar up front.
            raise ConfigError(
                f"the workflow's timers {', '.join(map(repr, business))} count business time; "
                f"pass calendar=<BusinessCalendar> to {type(self).__name__}",
                "calendar",
            )
        self.priorities = priorities
        self.sla_policies = sla
        self.calendar = calendar
        self._clock = clock
        self._listeners: list[Listener] = []
        self._evaluate = None if sla is None else (lambda events, now: sla.evaluate(events, now=now))
        self._schedule = DeskSchedule(self.workflow, calendar, automations, self._evaluate)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(ticket, events)`` after every successful append; returns a function that unsubscribes.

        Listeners run in subscription order after the events are stored. If one raises, the others still run and the
        first exception is re-raised to the caller; the events stay stored.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def now(self) -> datetime:
        """The clock's current instant (refusing a naive one)."""
        value = self._clock()
        if not isinstance(value, datetime):
            raise ConfigError(
                f"the {type(self).__name__} clock must return an aware datetime, got "
                f"{type(value).__name__} {value!r}",
                "clock",
            )
        return require_aware(value, f"the {type(self).__name__} clock's value")

    def _notify(
        self, ticket: Ticket, events: Sequence[Event], *, defer: list[Exception] | None = None
    ) -> None:
        failure: Exception | None = None
        for listener in list(self._listeners):
            try:
                listener(ticket, events)
            except Exception as error:
                failure = failure or error
        if failure is not None:
            if defer is None:
                raise failure
            defer.append(failure)

    def _policies(self) -> SLAEvaluator:
        if self.sla_policies is None:
            raise ConfigError(
                f"this {type(self).__name__} has no SLA policies; pass sla=SLAPolicy(...) or SLAPolicySet(...)",
                "sla",
            )
        return self.sla_policies

    def _at(self, ticket: Ticket) -> datetime:
        return max(self.now(), ticket.updated_at)
