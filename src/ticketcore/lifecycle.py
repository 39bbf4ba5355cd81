"""Ticket lifecycles as data: statuses in categories, transitions with roles and guards, system rules and timers.

A :class:`Workflow` is validated when it is built (or loaded with ``ticketcore.codec.load``) and then answers
questions about tickets without changing anything: which actions an actor may take (:meth:`Workflow.allowed`), the
events an action produces (:meth:`Workflow.apply`), what a reply triggers (:meth:`Workflow.react`), which timers are
due (:meth:`Workflow.timers`), and where a recorded history deviates from it (:meth:`Workflow.audit`). Storing the
events is the caller's job, which is what lets timers survive restarts: a fired timer is an event like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import attrs

from ticketcore._calendar import TimerCalendar
from ticketcore._check import instance, listed, mapped
from ticketcore._lifecycle.audit import audit_history
from ticketcore._lifecycle.build import follow_up_events, status_changed, timer_dues
from ticketcore._lifecycle.defs import (
    REPLY_ACTION,
    Anchor,
    SystemRules,
    Timer,
    TimerDue,
    Transition,
    Violation,
)
from ticketcore._lifecycle.guards import (
    CONFIRMATION_FIELD,
    GuardCheck,
    has_assignee,
    known_guards,
    register_guard,
    requester_confirmed,
    unregister_guard,
)
from ticketcore._lifecycle.presets import default_parts, itil_parts
from ticketcore._lifecycle.render import mermaid
from ticketcore._lifecycle.validate import Index, build_index
from ticketcore._time import utc
from ticketcore.errors import ConfigError, GuardRefused, InvalidEvent, InvalidTransition
from ticketcore.model import (
    Actor,
    Category,
    Event,
    Opened,
    Replied,
    Role,
    Status,
    StatusChanged,
    Ticket,
    TimerFired,
)

__all__ = [
    "CONFIRMATION_FIELD",
    "REPLY_ACTION",
    "Anchor",
    "GuardCheck",
    "SystemRules",
    "Timer",
    "TimerCalendar",
    "TimerDue",
    "Transition",
    "Violation",
    "Workflow",
    "default_workflow",
    "has_assignee",
    "itil_incident_workflow",
    "known_guards",
    "register_guard",
    "requester_confirmed",
    "unregister_guard",
]

_Refusal = tuple[str, str | None]
"""Why an action is refused, and the guard that refused it (``None`` when no guard was involved)."""


def _statuses(values: Iterable[Status]) -> tuple[Status, ...]:
    return tuple(
        instance(status, Status, "a Status, e.g. Status('open', Category.OPEN)", f"statuses[{index}]")
        for index, status in enumerate(listed(values, "statuses", "statuses"))
    )


def _transitions(values: Iterable[Transition]) -> tuple[Transition, ...]:
    return tuple(
        instance(
            step,
            Transition,
            "a Transition, e.g. Transition('solve', ['open'], 'solved')",
            f"transitions[{index}]",
        )
        for index, step in enumerate(listed(values, "transitions", "transitions"))
    )


def _timers(values: Iterable[Timer]) -> tuple[Timer, ...]:
    return tuple(
        instance(
            timer,
            Timer,
            "a Timer, e.g. Timer('remind', timedelta(days=2), status='pending')",
            f"timers[{index}]",
        )
        for index, timer in enumerate(listed(values, "timers", "timers"))
    )


def _guards(values: Mapping[str, GuardCheck]) -> dict[str, GuardCheck]:
    for name, check in mapped(values, "guard names to guard checks", "guards").items():
        if not callable(check):
            raise ConfigError(
                f"guard {name!r} must be a callable check(ticket, actor) -> str | None, got {check!r}"
            )
    return dict(values)


@attrs.frozen
class Workflow:
    """A validated ticket lifecycle. Building one checks it; every problem is a ConfigError naming the bad field.

    ``guards`` maps names to guard callables that only this workflow sees (they are code, so they are never dumped;
    reload a workflow that uses them with :func:`register_guard` done first).

    >>> workflow = default_workflow()
    >>> workflow.initial_status.name
    'new'
    """

    statuses: tuple[Status, ...] = attrs.field(converter=_statuses)
    transitions: tuple[Transition, ...] = attrs.field(converter=_transitions)
    initial: str | None = attrs.field(default=None, kw_only=True)
    rules: SystemRules = attrs.field(factory=SystemRules, kw_only=True)
    timer_rules: tuple[Timer, ...] = attrs.field(default=(), kw_only=True, converter=_timers, alias="timers")
    """The timers (``timers=`` when building, ``"timers"`` in configuration)."""
    guards: dict[str, GuardCheck] = attrs.field(
        factory=dict, kw_only=True, converter=_guards, eq=False, hash=False, repr=False
    )
    _index: Index = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        index = build_index(
            self.statuses,
            self.transitions,
            initial=self.initial,
            rules=self.rules,
            timers=self.timer_rules,
            guards=self.guards,
        )
        object.__setattr__(self, "_index", index)

    # -- what the workflow is ------------------------------------------------------------------------------------

    @property
    def initial_status(self) -> Status:
        """The status new tickets start in."""
        return self._index.initial

    @property
    def follow_up_status(self) -> Status | None:
        """The ``open`` status a requester's reply returns a ticket to."""
        return self._index.follow_up

    def status(self, name: str) -> Status:
        """The status called ``name``; a ConfigError lists the valid names otherwise."""
        try:
            return self._index.by_name[name]
        except KeyError:
            names = ", ".join(repr(known) for known in self._index.by_name)
            raise ConfigError(f"unknown status {name!r}; statuses: {names}") from None

    @property
    def actions(self) -> list[str]:
        """Every action name of the workflow, sorted."""
        return sorted(self._index.actions)

    # -- commands -----------------------------------------------------------------------------------------------

    def open(
        self, ticket_id: str, *, requester: str, at: datetime, actor: Actor | None = None, subject: str = ""
    ) -> list[Event]:
        """The event that opens a ticket in the initial status (``actor`` defaults to the requester)."""
        start = self._index.initial
        who = actor if actor is not None else Actor(requester, Role.REQUESTER)
        return [
            Opened(
                ticket_id=ticket_id,
                seq=1,
                at=at,
                actor=who,
                requester=requester,
                subject=subject,
                status=start.name,
                category=start.category,
            )
        ]

    def allowed(self, ticket: Ticket, actor: Actor) -> list[str]:
        """The actions ``actor`` may take on ``ticket`` now — exactly those :meth:`apply` accepts — sorted."""
        return [
            action for action in sorted(self._index.actions) if self._refusal(ticket, action, actor) is None
        ]

    def apply(
        self,
        ticket: Ticket,
        action: str,
        *,
        actor: Actor,
        at: datetime,
        reason: str | None = None,
        system: bool = False,
    ) -> list[Event]:
        """The events ``action`` by ``actor`` at ``at`` produces; they continue the ticket's history.

        ``system=True`` is the help desk acting on its own (timers, automations): the action's roles are not
        checked, its guards are. Raises :class:`GuardRefused` when a guard refuses (naming it and its reason) and
        :class:`InvalidTransition` for any other refusal; both list the actions allowed now.
        """
        at = self._after(ticket, at)
        refusal = self._refusal(ticket, action, actor, check_role=not system)
        if refusal is not None:
            raise self._error(ticket, action, actor, refusal)
        target = self._index.moves[ticket.status, action].target
        return [self._move(ticket, target, action=action, actor=actor, at=at, reason=reason)]

    def react(self, ticket: Ticket, event: Event) -> list[Event]:
        """The events the system rules add after ``event``; ``ticket`` is the snapshot that already includes it.

        A public requester reply on a ticket in a ``reply_reopens_from`` category moves it to the follow-up status.
        """
        if event.ticket_id != ticket.id or event.seq != ticket.version:
            raise InvalidEvent(
                f"react() needs the snapshot that includes the event (version {event.seq}), got version "
                f"{ticket.version}; pass ticket.apply(event)",
                ticket_id=event.ticket_id,
                seq=event.seq,
            )
        rules = self.rules
        target = self._index.follow_up
        if not (rules.reply_reopens and isinstance(event, Replied) and event.public) or target is None:
            return []
        if event.actor.role is not Role.REQUESTER or ticket.category not in rules.reply_reopens_from:
            return []
        if ticket.status == target.name:
            return []
        return [
            self._move(
                ticket,
                target.name,
                action=REPLY_ACTION,
                actor=event.actor,
                at=event.at,
                reason="the requester replied",
            )
        ]

    def reply(
        self, ticket: Ticket, *, actor: Actor, at: datetime, body: str = "", public: bool = True
    ) -> list[Event]:
        """A :class:`Replied` event and whatever the system rules make of it (see :meth:`react`).

        A closed ticket is refused when closed tickets are immutable: open a follow-up with :meth:`follow_up`.
        """
        at = self._after(ticket, at)
        if self._frozen(ticket):
            raise InvalidTransition(
                "reply",
                ticket.status,
                ticket_id=ticket.id,
                reason="closed tickets are immutable; open a follow-up ticket with workflow.follow_up(...)",
            )
        event = Replied(
            ticket_id=ticket.id, seq=ticket.version + 1, at=at, actor=actor, public=public, body=body
        )
        return [event, *self.react(ticket.apply(event), event)]

    def follow_up(
        self, ticket: Ticket, *, new_ticket_id: str, actor: Actor, at: datetime, body: str | None = None
    ) -> list[Event]:
        """The events of a new ticket that follows up the closed ``ticket`` (which itself stays untouched).

        The new ticket opens in the initial status with ``follow_up_of`` naming the old one and copies its subject,
        requester and attributes; ``body`` (the message that prompted it) becomes its first public reply.
        """
        if ticket.category is not Category.CLOSED:
            raise InvalidTransition(
                "follow_up",
                ticket.status,
                ticket_id=ticket.id,
                reason="only a closed ticket gets a follow-up; reply to this ticket instead",
            )
        if new_ticket_id == ticket.id:
            raise InvalidTransition(
                "follow_up", ticket.status, ticket_id=ticket.id, reason="the follow-up needs a new ticket id"
            )
        at = self._after(ticket, at)
        return follow_up_events(
            ticket, self._index.initial, new_ticket_id=new_ticket_id, actor=actor, at=at, body=body
        )

    # -- timers -------------------------------------------------------------------------------------------------

    def timers(
        self, ticket: Ticket, *, now: datetime, calendar: TimerCalendar | None = None
    ) -> list[TimerDue]:
        """The timers that apply to ``ticket`` as it is, each with the instant it fires, earliest first.

        A timer already recorded in ``ticket.timers_fired`` for the same instant is left out, so asking again after
        a restart (or from a second scheduler) never fires anything twice. ``calendar`` is needed for business-time
        timers.
        """
        now = utc(now, "now")
        if self._frozen(ticket):
            return []

        def blocked(action: str) -> str | None:
            refusal = self._refusal(ticket, action, Actor.system(), check_role=False)
            return None if refusal is None else refusal[0]

        return timer_dues(self.timer_rules, ticket, now=now, calendar=calendar, blocked=blocked)

    def fire(self, ticket: Ticket, due: TimerDue, *, at: datetime) -> list[Event]:
        """The events of firing ``due`` at ``at``: a :class:`TimerFired` and, for an action timer, its status change.

        Returns no events when the timer has already fired for that instant or no longer applies (the ticket moved
        on since ``due`` was computed): ask :meth:`timers` again. The timer acts as the system: its action's roles
        are not checked, its guards are.
        """
        at = self._after(ticket, at)
        timer = due.timer
        if timer not in self.timer_rules:
            names = ", ".join(repr(known.name) for known in self.timer_rules) or "none"
            raise InvalidTransition(
                timer.name,
                ticket.status,
                ticket_id=ticket.id,
                reason=f"not a timer of this workflow ({names})",
            )
        if (timer.name, due.due_at) in ticket.timers_fired or self._frozen(ticket):
            return []
        if not timer.applies_to(ticket.status, ticket.category) or timer.since.instant(ticket) != due.since:
            return []
        if at < due.due_at:
            raise InvalidTransition(
                timer.name,
                ticket.status,
                ticket_id=ticket.id,
                reason=f"timer {timer.name!r} is due at {due.due_at.isoformat()}, not yet at {at.isoformat()}",
            )
        system = Actor.system()
        event = TimerFired(
            ticket_id=ticket.id,
            seq=ticket.version + 1,
            at=at,
            actor=system,
            timer=timer.name,
            due_at=due.due_at,
        )
        if timer.action is None:
            return [event]
        after = ticket.apply(event)
        refusal = self._refusal(after, timer.action, system, check_role=False)
        if refusal is not None:
            raise self._error(after, timer.action, system, refusal)
        target = self._index.moves[after.status, timer.action].target
        return [
            event,
            self._move(
                after, target, action=timer.action, actor=system, at=at, reason=f"timer {timer.name!r}"
            ),
        ]

    # -- reading histories and drawing ----------------------------------------------------------------------------

    def audit(self, events: Iterable[Event]) -> list[Violation]:
        """The deviations of recorded histories (one or more tickets, each in order) from this workflow.

        Nothing is refused — real exports contain odd jumps — except events that cannot be a history at all
        (:class:`InvalidEvent`, as for ``Ticket.from_events``).
        """
        return audit_history(self._index, self.rules, events)

    def to_mermaid(self) -> str:
        """The state diagram as Mermaid ``stateDiagram-v2`` text, for documentation."""
        return mermaid(
            self.statuses, self.transitions, self._index.initial, self._index.follow_up, self.rules
        )

    # -- internals ------------------------------------------------------------------------------------------------

    def _frozen(self, ticket: Ticket) -> bool:
        return self.rules.closed_immutable and ticket.category is Category.CLOSED

    def _after(self, ticket: Ticket, at: datetime) -> datetime:
        at = utc(at, "at")
        if at < ticket.updated_at:
            raise InvalidEvent(
                f"at {at.isoformat()} is before the ticket's last event at {ticket.updated_at.isoformat()}; "
                "events must be in time order",
                ticket_id=ticket.id,
            )
        return at

    def _refusal(
        self, ticket: Ticket, action: str, actor: Actor, *, check_role: bool = True
    ) -> _Refusal | None:
        index = self._index
        if self._frozen(ticket):
            return (
                "closed tickets are immutable; a requester reply opens a follow-up (workflow.follow_up)",
                None,
            )
        if ticket.status not in index.by_name:
            names = ", ".join(repr(name) for name in index.by_name)
            return f"its status {ticket.status!r} is not one of this workflow's statuses ({names})", None
        transition = index.moves.get((ticket.status, action))
        if transition is None:
            if action not in index.actions:
                return f"no transition is named {action!r}", None
            sources = sorted(source for source, name in index.moves if name == action)
            return f"{action!r} is possible only from {', '.join(map(repr, sources))}", None
        if check_role and actor.role not in transition.roles:
            roles = ", ".join(sorted(repr(role.value) for role in transition.roles))
            return f"role {actor.role.value!r} may not take {action!r}; roles allowed: {roles}", None
        for name, check in index.guards[ticket.status, action]:
            why = check(ticket, actor)
            if why is not None:
                return why, name
        return None

    def _error(self, ticket: Ticket, action: str, actor: Actor, refusal: _Refusal) -> InvalidTransition:
        reason, guard = refusal
        allowed = self.allowed(ticket, actor)
        if guard is not None:
            return GuardRefused(action, ticket.status, guard, reason, allowed, ticket_id=ticket.id)
        return InvalidTransition(action, ticket.status, allowed, ticket_id=ticket.id, reason=reason)

    def _move(
        self, ticket: Ticket, target: str, *, action: str, actor: Actor, at: datetime, reason: str | None
    ) -> StatusChanged:
        status = self._index.by_name[target]
        return status_changed(ticket, status, action=action, actor=actor, at=at, reason=reason)


def default_workflow(
    *,
    auto_close_after: timedelta = timedelta(days=4),
    pending_reminder_after: timedelta = timedelta(hours=48),
    pending_solve_after: timedelta = timedelta(days=7),
) -> Workflow:
    """The Zendesk-style workflow most help desks start from.

    Statuses ``new`` → ``open`` → ``pending`` / ``on_hold`` → ``open`` → ``solved`` → ``closed``, plus
    ``pending_confirmation`` (solved once the requester confirms) and ``canceled`` (a ``closed`` status for invalid
    requests, from ``new`` or ``open``). Timers: a reminder after 48 hours in ``pending``, ``pending`` → ``solved``
    after 7 days without a requester reply, and auto-close 4 days after ``solved``; all in calendar time.
    """
    statuses, transitions, timers = default_parts(
        auto_close_after, pending_reminder_after, pending_solve_after
    )
    return Workflow(statuses, transitions, timers=timers)


def itil_incident_workflow(
    *, auto_close_after: timedelta = timedelta(days=7), business: bool = False
) -> Workflow:
    """ServiceNow's incident states: New, In Progress, On Hold (Awaiting Caller / Change / Problem / Vendor),
    Resolved, Closed and Canceled (a ``closed`` status).

    A caller's reply resumes an incident awaiting the caller or resolved, not one awaiting a change, problem or
    vendor. Resolved incidents close after ``auto_close_after`` — with ``business=True`` counted on the calendar
    passed to :meth:`Workflow.timers` (ServiceNow's default is 7 business days: pass the business time they hold,
    e.g. ``timedelta(hours=7 * 8)`` for eight-hour days).
    """
    statuses, transitions, timers = itil_parts(auto_close_after, business)
    rules = SystemRules(reply_reopens_from=frozenset({Category.PENDING, Category.SOLVED}))
    return Workflow(statuses, transitions, rules=rules, timers=timers)
