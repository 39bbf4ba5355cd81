"""``HelpDesk``: the thin shell that wires a store, a clock, a workflow, priorities, SLA policies and a router.

Every command reads the ticket from the store, asks the pure core what should happen (the workflow decides the events,
the priority policy assesses, the SLA policy evaluates), appends the events with the version it read, and then tells
the listeners. Nothing is kept in memory between calls, so a new ``HelpDesk`` on the same store — after a restart, or
in another process — carries on exactly where the last one stopped, timers included: a fired timer is an event.

>>> from datetime import UTC, datetime
>>> from ticketcore.adapters.memory import MemoryStore
>>> desk = HelpDesk(MemoryStore("acme"), clock=lambda: datetime(2025, 3, 3, 9, tzinfo=UTC))
>>> opening = desk.open(requester="cy", subject="VPN down")
>>> opening.ticket.id, opening.ticket.status
('T-1', 'new')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

import attrs

from ticketcore import codec
from ticketcore._desk import check
from ticketcore._desk.decide import Decide
from ticketcore._desk.face import DeskFace, Listener, Progress
from ticketcore._desk.opening import OpenRequest
from ticketcore._desk.steps import drive
from ticketcore.automation import AutomationSet, Notification
from ticketcore.errors import ConfigError
from ticketcore.lifecycle import TimerCalendar, TimerDue, Workflow
from ticketcore.model import Actor, Event, FieldValue, Ticket
from ticketcore.priority import Priority, PriorityAssessment, PriorityPolicy
from ticketcore.repositories import AgentDirectory, Page, TicketQuery, TicketStore
from ticketcore.routing import Agent, Router, RoutingDecision
from ticketcore.sla import SLAEvaluator, SLAReport, Upcoming

__all__ = ["HelpDesk", "Listener", "Opening", "Rescheduled"]


@attrs.frozen
class Opening:
    """What :meth:`HelpDesk.open` did: the stored ticket, how its priority was assessed, and its SLA at opening.

    ``assessment`` is ``None`` without a priority policy (or when the caller gave the priority); ``sla`` is ``None``
    without SLA policies; ``routing`` is ``None`` without a router (or when the caller named the agent), and
    otherwise explains who got the ticket or why nobody did.
    """

    ticket: Ticket
    events: tuple[Event, ...]
    assessment: PriorityAssessment | None = None
    sla: SLAReport | None = None
    routing: RoutingDecision | None = None


@attrs.frozen
class Rescheduled:
    """How far :meth:`HelpDesk.reschedule` got: tickets looked at, those skipped because they changed meanwhile
    (their writer stored their instant), and the ``cursor`` to resume from (``None`` once every ticket is done)."""

    seen: int
    skipped: int
    cursor: str | None


class HelpDesk(DeskFace):
    """The help desk for applications: commands in, events stored, listeners told.

    ``store`` is any :class:`~ticketcore.repositories.TicketStore`; ``clock`` returns the current aware datetime (it is
    never read implicitly: pass ``lambda: datetime.now(UTC)`` in production and a fake clock in tests). ``workflow``
    defaults to :func:`~ticketcore.lifecycle.default_workflow`; ``priorities`` (a
    :class:`~ticketcore.priority.PriorityPolicy`) assesses new tickets; ``sla`` (an ``SLAPolicy`` or ``SLAPolicySet``)
    answers :meth:`sla`; ``calendar`` is the business calendar for timers that count business time. ``router``
    assigns new tickets (and :meth:`route` re-routes); its agents come from ``agents()`` when given, otherwise from the
    store's :class:`~ticketcore.repositories.AgentDirectory` (see :meth:`put_agent`). Agents' loads are their unsolved
    tickets per channel, read from the store.

    Concurrency: each command appends with the version it read. If another writer got there first, the command is
    decided again once on the fresh ticket — and goes through if it is still allowed — otherwise the error is raised.
    An event never predates the ticket's previous event: if clocks disagree a little, it takes the previous time.
    """

    def __init__(
        self,
        store: TicketStore,
        *,
        clock: Callable[[], datetime],
        workflow: Workflow | None = None,
        priorities: PriorityPolicy | None = None,
        sla: SLAEvaluator | None = None,
        calendar: TimerCalendar | None = None,
        router: Router | None = None,
        agents: Callable[[], Iterable[Agent]] | None = None,
        automations: AutomationSet | None = None,
        notifications: Callable[[Notification], None] | None = None,
    ) -> None:
        directory = isinstance(store, AgentDirectory)
        super().__init__(
            clock=clock,
            workflow=workflow,
            priorities=priorities,
            sla=sla,
            calendar=calendar,
            automations=automations,
            notifications=notifications,
            router=router,
            agents=agents,
            directory=directory,
        )
        self._router_needs_agents(directory, store, "AgentDirectory (MemoryStore, SQLiteStore)")
        self.store = store

    def __repr__(self) -> str:
        return f"HelpDesk({self.store!r})"

    # reading

    def get(self, ticket_id: str) -> Ticket:
        """The ticket's current snapshot (:class:`~ticketcore.errors.TicketNotFound` if unknown)."""
        check.text(ticket_id, "ticket_id")
        return self.store.get(ticket_id)

    def events(self, ticket_id: str) -> list[Event]:
        """The ticket's history."""
        check.text(ticket_id, "ticket_id")
        return self.store.events(ticket_id)

    def find(self, query: TicketQuery) -> Page:
        """One page of the tickets matching ``query`` (see :meth:`TicketStore.find`)."""
        if not isinstance(query, TicketQuery):
            raise ConfigError(f"expected a TicketQuery, got {type(query).__name__} {query!r}", "query")
        return self.store.find(query)

    def allowed(self, ticket_id: str, actor: Actor) -> list[str]:
        """The workflow actions ``actor`` may take on the ticket now."""
        check.text(ticket_id, "ticket_id")
        check.actor(actor)
        return self.workflow.allowed(self.store.get(ticket_id), actor)

    def sla(self, ticket_id: str, *, now: datetime | None = None) -> SLAReport:
        """The ticket's SLA report at ``now`` (the clock's instant by default)."""
        policies = self._policies()
        instant = self.now() if now is None else check.moment(now, "now")
        check.text(ticket_id, "ticket_id")
        return policies.evaluate(check.history(self.store.events(ticket_id), ticket_id), now=instant)

    def timers(self, ticket_id: str, *, now: datetime | None = None) -> list[TimerDue]:
        """The workflow timers that apply to the ticket, each with its due instant (fired ones left out)."""
        instant = self.now() if now is None else check.moment(now, "now")
        check.text(ticket_id, "ticket_id")
        return self.workflow.timers(self.store.get(ticket_id), now=instant, calendar=self.calendar)

    # commands

    def open(
        self,
        *,
        requester: str,
        subject: str = "",
        actor: Actor | None = None,
        ticket_id: str | None = None,
        channel: str = "email",
        topic: str | None = None,
        impact: int | None = None,
        urgency: int | None = None,
        priority: int | None = None,
        segment: str | None = None,
        region: str | None = None,
        country: str | None = None,
        language: str | None = None,
        group: str | None = None,
        tags: Iterable[str] = (),
        fields: Mapping[str, FieldValue] | None = None,
        agent: str | None = None,
    ) -> Opening:
        """Open a ticket: build its ``Opened`` event, assess its priority, route it, store it, evaluate its SLA.

        ``ticket_id`` defaults to the store's next id. A given ``priority`` stands; otherwise the priority policy (if
        any) assesses one. A given ``agent`` takes the ticket; otherwise the router (if any) picks one. The opening
        and the assignment are stored as one batch. Raises :class:`ConcurrencyError` when ``ticket_id`` is taken.

        The command is atomic: priority, routing and the SLA report are computed before the append, so any failure
        leaves the store's history as it was (a ticket id drawn from the store may stay unused). Listeners run after
        the append; a listener's failure is raised but does not undo the stored change.
        """
        request = OpenRequest(
            requester=requester,
            subject=subject,
            actor=actor,
            ticket_id=ticket_id,
            channel=channel,
            topic=topic,
            impact=impact,
            urgency=urgency,
            priority=priority,
            segment=segment,
            region=region,
            country=country,
            language=language,
            group=group,
            tags=tags,
            fields=fields,
            agent=agent,
        ).checked()
        return Opening(*drive(self.store, self._open_steps(request)))

    def act(self, ticket_id: str, action: str, actor: Actor, *, reason: str | None = None) -> Ticket:
        """Take a workflow ``action`` (``"solve"``, ``"wait_for_customer"`` …) as ``actor``.

        Raises :class:`InvalidTransition` (or :class:`GuardRefused`) listing the actions allowed now.
        """
        return self._update(ticket_id, self._acting(action, actor, reason))

    def reply(self, ticket_id: str, actor: Actor, body: str = "", *, public: bool = True) -> Ticket:
        """Add a comment; a requester's public reply may reopen the ticket (the workflow's system rules)."""
        return self._update(ticket_id, self._replying(actor, body, public))

    def note(self, ticket_id: str, actor: Actor, body: str) -> Ticket:
        """Add an internal note (never seen by the requester)."""
        return self._update(ticket_id, self._noting(actor, body))

    def assign(
        self, ticket_id: str, actor: Actor, *, agent: str | None = None, group: str | None = None
    ) -> Ticket:
        """Assign the ticket to an ``agent`` and/or a ``group``; nothing is stored when neither changes."""
        return self._update(ticket_id, self._assigning(ticket_id, actor, agent, group))

    def unassign(self, ticket_id: str, actor: Actor, *, reason: str | None = None) -> Ticket:
        """Remove the assignee (the group stays); nothing is stored when there is none."""
        return self._update(ticket_id, self._unassigning(actor, reason))

    def tag(
        self, ticket_id: str, actor: Actor, *, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Ticket:
        """Add and remove tags; only real changes are recorded, and nothing is stored when there are none."""
        return self._update(ticket_id, self._tagging(actor, add, remove))

    def rate(
        self, ticket_id: str, actor: Actor, score: int, *, scale: int = 5, comment: str | None = None
    ) -> Ticket:
        """Record the requester's satisfaction rating (``score`` from 1 to ``scale``)."""
        return self._update(ticket_id, self._rating(actor, score, scale, comment))

    def override_priority(
        self, ticket_id: str, actor: Actor, priority: Priority | int, *, reason: str
    ) -> Ticket:
        """Set the priority by hand, with a reason (needs a priority policy, whose ``override_roles`` apply)."""
        return self._update(ticket_id, self._overriding(actor, priority, reason))

    def put_agent(self, agent: Agent) -> None:
        """Add or replace ``agent`` in the store's agent directory (stored as ``codec.dump(agent)``)."""
        if not isinstance(agent, Agent):
            raise ConfigError(f"expected an Agent, got {type(agent).__name__} {agent!r}", "agent")
        if not isinstance(self.store, AgentDirectory):
            raise ConfigError(
                f"{self.store!r} is not an AgentDirectory; pass agents=... to HelpDesk instead", "store"
            )
        self.store.put_agent(agent.id, codec.dump(agent))

    def route(self, ticket_id: str, *, waited: timedelta | None = None) -> RoutingDecision:
        """Ask the router who should take the ticket now, and assign it when that is someone new.

        ``waited`` (for the router's relaxation steps) defaults to the time since the ticket entered its status.
        """
        return drive(self.store, self._route_steps(ticket_id, waited))

    def run_timers(self, now: datetime | None = None) -> list[Event]:
        """Fire every workflow timer and time-based rule due at ``now`` (the clock's instant by default); return
        the events stored.

        Reads only the store's due index (:meth:`TicketStore.due`): the cost follows the tickets due, not the
        tickets stored. Every command stores its ticket's next due instant; a ticket looked at with nothing to fire
        (an SLA alert passed, a rule whose conditions do not hold) has its instant moved on.

        Idempotent: a fired timer is recorded as an event, so running again — after a restart, twice, or from
        several schedulers at once, in threads, processes or machines — fires nothing twice. A ticket another
        writer is changing at that moment is retried once and otherwise left for the next run. A failing listener
        does not stop the run: its first exception is raised after every due timer has fired.
        """
        return drive(self.store, self._timer_steps(now))

    def upcoming(self, *, within: timedelta, now: datetime | None = None) -> list[Upcoming]:
        """The SLA warnings and breaches of every ticket due in ``[now, now + within]``, ordered by instant.

        For dashboards and alerting. Reads only the tickets the due index holds up to ``now + within`` (a ticket's
        due instant is never later than its next SLA warning or breach) and evaluates their SLA.
        """
        return drive(self.store, self._upcoming_steps(within, now))

    def reschedule(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        batch: int = 500,
        progress: Callable[[Rescheduled], None] | None = None,
    ) -> Rescheduled:
        """Store every ticket's due instant again, after a configuration change that moves them (new timers,
        rules, calendars or SLA policies), or once after upgrading a database made before the due index.

        Until then, a ticket keeps the instant its last write stored: a change that makes things due earlier is
        missed until the ticket is written again. Works through the tickets in pages of ``batch``; ``progress`` is
        called after each page. Stops after about ``limit`` tickets (all by default): pass the returned
        ``cursor`` to carry on, in this process or another, after an interruption or in slices.
        """

        def report(done: Progress) -> None:
            if progress is not None:
                progress(Rescheduled(*done))

        return Rescheduled(*drive(self.store, self._reschedule_steps(cursor, limit, batch, report)))

    def apply_macro(self, ticket_id: str, macro_id: str, actor: Actor) -> Ticket:
        """Apply the macro ``macro_id`` of the desk's automations to the ticket as ``actor`` (triggers follow)."""
        return drive(self.store, self._macro_steps(ticket_id, macro_id, actor))

    # internals

    def _update(self, ticket_id: str, decide: Decide) -> Ticket:
        return drive(self.store, self._update_steps(ticket_id, decide))
