"""What every desk face shares: its configuration checks, its clock, its listeners and every command's logic.

``HelpDesk`` and ``ticketcore.aio.AsyncHelpDesk`` differ only in how they reach their store: each command that
writes is a step machine here (``_desk.steps``) — read the ticket, decide, run the triggers, append with the
version read, decide again after a conflict, tell the listeners — and each face drives it, blocking or awaited.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from ticketcore._desk import check
from ticketcore._desk.automation import DeskAutomation
from ticketcore._desk.decide import Decide, assigning, noting, rating, tagging, unassigning
from ticketcore._desk.opening import OpenRequest
from ticketcore._desk.routing import AgentSource, StepDecide, routing
from ticketcore._desk.schedule import DeskSchedule, due_walk
from ticketcore._desk.steps import NO_KEYWORDS, Steps, step
from ticketcore._desk.timers import fire_due
from ticketcore._time import require_aware
from ticketcore.automation import AutomationSet, Notification
from ticketcore.errors import ConcurrencyError, ConfigError, InvalidEvent, WrongType
from ticketcore.lifecycle import TimerCalendar, Workflow, default_workflow
from ticketcore.model import Actor, Event, Ticket
from ticketcore.priority import Priority, PriorityAssessment, PriorityPolicy
from ticketcore.repositories import NOT_DUE, Page, Scheduled, TicketQuery
from ticketcore.routing import Agent, Router, RoutingDecision
from ticketcore.sla import SLAEvaluator, SLAReport, Upcoming
from ticketcore.sla import upcoming as upcoming_alerts

__all__ = ["DeskFace", "Listener", "Opened", "Progress"]

Listener = Callable[[Ticket, Sequence[Event]], None]
"""Called with the ticket after the append and the events just stored."""


Opened = tuple[Ticket, tuple[Event, ...], PriorityAssessment | None, SLAReport | None, RoutingDecision | None]
"""What an opening did, in the order of ``desk.Opening``'s fields."""

Progress = tuple[int, int, str | None]
"""How far a reschedule got: tickets seen, tickets skipped, the cursor to resume from."""


class DeskFace:
    """The configuration, clock and listeners of a desk and its commands as step machines (see ``HelpDesk`` for
    what each argument means; ``directory`` says whether the store is an agent directory)."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        workflow: Workflow | None,
        priorities: PriorityPolicy | None,
        sla: SLAEvaluator | None,
        calendar: TimerCalendar | None,
        automations: AutomationSet | None = None,
        notifications: Callable[[Notification], None] | None = None,
        router: Router | None = None,
        agents: Callable[[], Iterable[Agent]] | None = None,
        directory: bool = False,
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
        self.router = router
        self.automations = automations
        self._agents = agents
        self._source = AgentSource(agents, directory)
        self._automation = (
            None
            if automations is None
            else DeskAutomation(
                automations, self.workflow, self._source, self._evaluate, router, notifications
            )
        )
        # Only a rule set with triggers has anything to do after each command's decision.
        self._on_update = self._automation if automations is not None and automations.triggers else None

    def _router_needs_agents(self, directory: bool, store: object, examples: str) -> None:
        if self.router is not None and self._agents is None and not directory:
            raise ConfigError(
                f"a router needs agents: pass agents=<callable returning Agent objects>, or a store that is an "
                f"{examples}; {store!r} is not",
                "agents",
            )

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

    def _send(self, notifications: tuple[Notification, ...]) -> None:
        if self._automation is not None and notifications:
            self._automation.send(notifications)

    def _tell(self, ticket: Ticket, events: Sequence[Event], notifications: tuple[Notification, ...]) -> None:
        """After an append: the listeners, then the triggers' notifications, which a failing listener does not stop
        (the events are stored; their notifications are owed), then the listener's failure."""
        failures: list[Exception] = []
        self._notify(ticket, events, defer=failures)
        self._send(notifications)
        if failures:
            raise failures[0]

    def _no(self, what: str, argument: str, example: str) -> ConfigError:
        return ConfigError(f"this {type(self).__name__} has no {what}; pass {argument}={example}", argument)

    # the commands' decisions: arguments checked here, once for both faces, before anything is read

    def _acting(self, action: str, actor: Actor, reason: str | None) -> Decide:
        check.text(action, "action")
        check.actor(actor)
        check.text(reason, "reason", optional=True)
        workflow = self.workflow
        return lambda ticket, at: workflow.apply(ticket, action, actor=actor, at=at, reason=reason)

    def _replying(self, actor: Actor, body: str, public: bool) -> Decide:
        check.actor(actor)
        check.text(body, "body")
        check.flag(public, "public")
        workflow = self.workflow
        return lambda ticket, at: workflow.reply(ticket, actor=actor, at=at, body=body, public=public)

    def _noting(self, actor: Actor, body: str) -> Decide:
        check.actor(actor)
        check.text(body, "body")
        return noting(self.workflow, actor, body)

    def _assigning(self, ticket_id: str, actor: Actor, agent: str | None, group: str | None) -> Decide:
        check.actor(actor)
        check.text(agent, "agent", optional=True)
        check.text(group, "group", optional=True)
        if agent is None and group is None:
            raise InvalidEvent("assign needs an agent, a group or both", ticket_id=ticket_id)
        return assigning(self.workflow, actor, agent, group)

    def _unassigning(self, actor: Actor, reason: str | None) -> Decide:
        check.actor(actor)
        check.text(reason, "reason", optional=True)
        return unassigning(self.workflow, actor, reason)

    def _tagging(self, actor: Actor, add: Iterable[str], remove: Iterable[str]) -> Decide:
        check.actor(actor)
        return tagging(self.workflow, actor, check.tags(add, "add"), check.tags(remove, "remove"))

    def _rating(self, actor: Actor, score: int, scale: int, comment: str | None) -> Decide:
        check.actor(actor)
        check.integer(score, "score")
        check.integer(scale, "scale")
        check.text(comment, "comment", optional=True)
        return rating(actor, score, scale, comment)

    def _overriding(self, actor: Actor, priority: Priority | int, reason: str) -> Decide:
        check.actor(actor)
        if not isinstance(priority, Priority):
            check.integer(priority, "priority")
        check.text(reason, "reason")
        policy = self.priorities
        if policy is None:
            raise self._no("priority policy", "priorities", "PriorityPolicy(...)")
        return lambda ticket, at: [policy.override(ticket, priority, reason=reason, actor=actor, at=at)]

    # the commands, as step machines

    def _open_steps(self, request: OpenRequest) -> Steps[Opened]:
        """Open a ticket: draw its id, read the agents when routing, decide, run the triggers, append, tell."""
        now = self.now()
        new_id = (
            request.ticket_id
            if request.ticket_id is not None
            else (yield ("next_ticket_id", (), NO_KEYWORDS))
        )
        router = self.router
        route: Callable[[Ticket], RoutingDecision] | None = None
        if router is not None and request.agent is None:
            agents = yield from self._source.agent_list()
            loads = yield from self._source.loads()

            def route(ticket: Ticket) -> RoutingDecision:
                return router.route(ticket, agents, loads, now=now)

        events, ticket, assessment, decision = request.decide(
            self.workflow, self.priorities, ticket_id=new_id, now=now, route=route
        )
        notes: tuple[Notification, ...] = ()
        if self._on_update is not None:
            events, notes = yield from self._on_update.triggered(None, events, now)
            ticket = Ticket.from_events(events)
        # Everything the command needs is computed before the append: a failure leaves the store as it was.
        report = None if self.sla_policies is None else self.sla_policies.evaluate(events, now=now)
        due = self._schedule.due(ticket, now, events)
        yield "append", (new_id, events, 0), {"due": due}
        self._tell(ticket, events, notes)
        return ticket, tuple(events), assessment, report, decision

    def _update_steps(
        self, ticket_id: str, decide: Decide | None, reading: StepDecide | None = None
    ) -> Steps[Ticket]:
        """Read the ticket, decide (``decide``, or ``reading`` for a decision that reads the store), run the
        triggers, append with the version read; after a conflict, decide once more on the fresh ticket (if the
        command is no longer allowed, the decision says so)."""
        check.text(ticket_id, "ticket_id")
        ticket: Ticket = yield ("get", (ticket_id,), NO_KEYWORDS)
        for attempt in range(2):
            at = self._at(ticket)  # one instant for the command, its triggers and its due instant
            # A plain decision is called directly: a command costs no more steps than it needs.
            if decide is not None:
                events = decide(ticket, at)
            else:
                assert reading is not None
                events = yield from reading(ticket, at)
            if not events:
                return ticket
            notes: tuple[Notification, ...] = ()
            if self._on_update is not None:
                # Triggers are decided with the command, so both go into the same append.
                events, notes = yield from self._on_update.triggered(ticket, events, at)
            prior = (yield ("events", (ticket_id,), NO_KEYWORDS)) if self._schedule.needs_history else None
            after, due = self._schedule.after(ticket, events, at, prior)
            try:
                yield "append", (ticket_id, events, ticket.version), {"due": due}
            except ConcurrencyError:
                if attempt:
                    raise
                ticket = yield step("get", ticket_id)
                continue
            self._tell(after, events, notes)
            return after
        raise AssertionError("unreachable")  # pragma: no cover

    def _route_steps(self, ticket_id: str, waited: timedelta | None) -> Steps[RoutingDecision]:
        router = self.router
        if router is None:
            raise self._no("router", "router", "Router(...)")
        decisions: list[RoutingDecision] = []
        yield from self._update_steps(
            ticket_id, None, routing(self._source, self.workflow, router, waited, decisions)
        )
        return decisions[-1]

    def _macro_steps(self, ticket_id: str, macro_id: str, actor: Actor) -> Steps[Ticket]:
        rules, automation = self.automations, self._automation
        if rules is None or automation is None:
            raise self._no("automations", "automations", "AutomationSet(...)")
        rules.macro(macro_id)

        def decide(ticket: Ticket, at: datetime) -> Steps[list[Event]]:
            outcome = yield from automation.macro(ticket, macro_id, actor, at)
            return list(outcome.events)

        return (yield from self._update_steps(ticket_id, None, decide))

    def _timer_steps(self, now: datetime | None) -> Steps[list[Event]]:
        """Walk the due index at ``now`` and fire what is due; a listener's first failure raised at the end."""
        instant = self.now() if now is None else check.moment(now, "now")
        fired: list[Event] = []
        failures: list[Exception] = []
        notify = functools.partial(self._notify, defer=failures)

        def handle(scheduled: Scheduled) -> Steps[None]:
            return fire_due(
                self.workflow,
                scheduled,
                self.calendar,
                instant,
                notify,
                self._schedule,
                self._automation,
                fired,
            )

        yield from due_walk(instant, handle)
        if failures:
            # Every due timer has fired and is stored; only then is a listener's failure reported.
            raise failures[0]
        return fired

    def _upcoming_steps(self, within: timedelta, now: datetime | None) -> Steps[list[Upcoming]]:
        policies = self._policies()
        instant = self.now() if now is None else check.moment(now, "now")
        if not isinstance(within, timedelta) or within < timedelta(0):
            raise WrongType("within", within, "a timedelta of zero or more, e.g. timedelta(hours=1)")
        try:
            horizon = instant + within
        except OverflowError:
            horizon = NOT_DUE
        reports: list[SLAReport] = []

        def read(scheduled: Scheduled) -> Steps[None]:
            events = yield step("events", scheduled.ticket.id)
            reports.append(policies.evaluate(events, now=instant))

        yield from due_walk(horizon, read)
        return upcoming_alerts(reports, now=instant, within=within)

    def _reschedule_steps(
        self,
        cursor: str | None,
        limit: int | None,
        batch: int,
        progress: Callable[[Progress], None],
    ) -> Steps[Progress]:
        check.integer(batch, "batch")
        check.integer(limit, "limit", optional=True)
        instant = self.now()
        seen = skipped = 0
        while True:
            page: Page = yield step("find", TicketQuery(limit=batch, cursor=cursor))
            for ticket in page:
                due = self._schedule.due(ticket, instant, (yield from self._schedule.history(ticket.id)))
                if not (yield step("set_due", ticket.id, ticket.version, due)):
                    skipped += 1
            seen += len(page)
            cursor = page.next_cursor
            done = (seen, skipped, cursor)
            progress(done)
            if cursor is None or (limit is not None and seen >= limit):
                return done
