"""Triggers, time-based automations, macros and escalations: "when this happens, do that", as data.

An :class:`AutomationSet` holds ordered :class:`Rule` values and named :class:`Macro` bundles, and loads from plain
data with ``ticketcore.codec.load(AutomationSet, data)`` (so from JSON or TOML; loading never evaluates code). A rule
has :class:`Conditions` (``all`` / ``any`` lists of :class:`Condition`) and :class:`Action` values. A rule without a
``schedule`` is a *trigger*: :meth:`AutomationSet.run` checks it on every update. A rule with a :class:`Schedule` is
*time-based*: it is due a fixed time after an anchor of the ticket (status entered, solved …), fires once per due
instant, and is recorded as a :class:`~ticketcore.model.TimerFired` event named ``automation:<rule>`` — the
workflow timers' own mechanism, so a restart or a second run never fires it twice.

Every event a rule produces has the actor ``Actor("automation:<rule>", Role.SYSTEM)``. Notifications are returned
to the application (:class:`Notification`); the library sends nothing. Everything here is pure: ``now`` is an
argument, and the SLA report, the router and the date formatter are handed in by the caller.

>>> from datetime import UTC, datetime
>>> from ticketcore.lifecycle import default_workflow
>>> from ticketcore.model import Actor, Opened, Role, Ticket
>>> rules = AutomationSet(rules=[
...     Rule("vip", Conditions(all=[Condition("tags", "includes", "vip")]), [Action("set_priority", 1)]),
... ])
>>> opened = Opened(ticket_id="T-1", seq=1, at=datetime(2025, 3, 3, 9, tzinfo=UTC),
...                 actor=Actor("cy", Role.REQUESTER), requester="cy", tags=["vip"], priority=3)
>>> outcome = rules.run(None, [opened], now=opened.at, workflow=default_workflow())
>>> outcome.fired, outcome.ticket.priority, outcome.events[0].actor.id
(('vip',), 1, 'automation:vip')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from ticketcore._automation.actions import Notification, Refusal, Tools, automation_actor
from ticketcore._automation.conditions import DEFAULT_TIER, Facts, tier_of
from ticketcore._automation.due import first_firing
from ticketcore._automation.engine import AutomationOutcome, Triggers, apply_actions, run_rules
from ticketcore._automation.model import (
    TEMPLATE_NAMES,
    TICKET_FIELDS,
    UPDATE_FIELDS,
    Action,
    ActionType,
    Condition,
    Conditions,
    Macro,
    Operator,
    Rule,
    Schedule,
)
from ticketcore._automation.presets import (
    close_after_solved,
    pending_reminder,
    sla_breach_escalation,
    sla_warning,
    vip_escalation,
)
from ticketcore._automation.simulate import Firing, Replay, Simulation, simulate_all
from ticketcore._calendar import BusinessCalendar
from ticketcore._time import utc
from ticketcore.errors import ConfigError
from ticketcore.lifecycle import Workflow, default_workflow
from ticketcore.model import Actor, Event, Ticket, TimerFired
from ticketcore.sla import SLAEvaluator, SLAReport

__all__ = [
    "DEFAULT_TIER",
    "TEMPLATE_NAMES",
    "TICKET_FIELDS",
    "TIMER_PREFIX",
    "UPDATE_FIELDS",
    "Action",
    "ActionType",
    "AutomationOutcome",
    "AutomationSet",
    "Condition",
    "Conditions",
    "Firing",
    "Macro",
    "Notification",
    "Operator",
    "Refusal",
    "Rule",
    "RuleCheck",
    "Schedule",
    "ScheduledDue",
    "Simulation",
    "automation_actor",
    "close_after_solved",
    "pending_reminder",
    "sla_breach_escalation",
    "sla_warning",
    "tier_of",
    "vip_escalation",
]

TIMER_PREFIX = "automation:"
"""The ``timer`` of a :class:`~ticketcore.model.TimerFired` event recording a time-based rule is this plus its id."""

RouteFn = Callable[[Ticket, datetime], str | None]


FormatFn = Callable[[datetime, str], str]


@attrs.frozen
class RuleCheck:
    """How one rule stands against a ticket: ``matched``, or ``failed`` naming the condition that failed
    (``all[0]``, ``any``) and ``reason`` saying why a time-based rule is not due."""

    rule: str
    matched: bool
    failed: str | None = None
    reason: str | None = None


@attrs.frozen
class ScheduledDue:
    """A time-based rule that applies to a ticket: it counts from ``since`` and is due at ``due_at``."""

    rule: Rule
    since: datetime
    due_at: datetime

    @property
    def timer(self) -> str:
        """The name its :class:`~ticketcore.model.TimerFired` event records."""
        return TIMER_PREFIX + self.rule.id


def _listed(values: object, what: str) -> tuple[object, ...]:
    if isinstance(values, str | Mapping) or not isinstance(values, Iterable):
        raise ConfigError(f"expected a list of {what}, got {type(values).__name__} {values!r}")
    return tuple(values)


def _rules(values: Iterable[Rule]) -> tuple[Rule, ...]:
    return _listed(values, "rules")  # type: ignore[return-value]  # the items are checked by their own type


def _macros(values: Iterable[Macro]) -> tuple[Macro, ...]:
    return _listed(values, "macros")  # type: ignore[return-value]  # the items are checked by their own type


def _calendars(values: Mapping[str, BusinessCalendar]) -> dict[str, BusinessCalendar]:
    return dict(values)


def _check_names(
    rules: Sequence[Rule], macros: Sequence[Macro], calendars: Mapping[str, BusinessCalendar]
) -> None:
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        if rule.id in seen:
            raise ConfigError(
                f"the rule id {rule.id!r} is used twice; give each rule its own id", f"rules[{index}].id"
            )
        seen.add(rule.id)
        named = [
            (f"conditions.{part}[{i}]", c.calendar)
            for part in ("all", "any")
            for i, c in enumerate(getattr(rule.conditions, part))
        ]
        if rule.schedule is not None:
            named.append(("schedule", rule.schedule.calendar))
        for where, calendar in named:
            if calendar is not None and calendar not in calendars:
                known = ", ".join(map(repr, sorted(calendars))) or "none"
                raise ConfigError(
                    f"no calendar is named {calendar!r}; calendars of this set: {known}",
                    f"rules[{index}].{where}.calendar",
                )
    ids: set[str] = set()
    for index, macro in enumerate(macros):
        if macro.id in ids:
            raise ConfigError(f"the macro id {macro.id!r} is used twice", f"macros[{index}].id")
        ids.add(macro.id)


def _reads_sla(rules: Sequence[Rule], macros: Sequence[Macro]) -> bool:
    conditions = (c for rule in rules for c in (*rule.conditions.all, *rule.conditions.any))
    actions = [action for rule in rules for action in rule.actions]
    actions += [action for macro in macros for action in macro.actions]
    return any(c.field.startswith("sla.") for c in conditions) or any(
        name.startswith("sla.") for action in actions for name in action.placeholders
    )


@attrs.frozen
class AutomationSet:
    """Ordered rules (triggers and time-based automations), macros, and the calendars business-time rules name.

    ``max_passes`` bounds the trigger passes on one update; ``default_locale`` picks a template's text when the
    ticket's language has none.
    """

    rules: tuple[Rule, ...] = attrs.field(default=(), converter=_rules)
    macros: tuple[Macro, ...] = attrs.field(default=(), converter=_macros)
    calendars: dict[str, BusinessCalendar] = attrs.field(factory=dict, converter=_calendars, hash=False)
    max_passes: int = 10
    default_locale: str = "en"
    _triggers: Triggers = attrs.field(init=False, eq=False, hash=False, repr=False)
    _reads_sla: bool = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        _check_names(self.rules, self.macros, self.calendars)
        object.__setattr__(self, "_triggers", Triggers(r for r in self.rules if r.schedule is None))
        object.__setattr__(self, "_reads_sla", _reads_sla(self.rules, self.macros))
        if self.max_passes < 1:
            raise ConfigError(f"max_passes must be at least 1, got {self.max_passes}", "max_passes")

    @property
    def reads_sla(self) -> bool:
        """True when a rule's condition reads ``sla.*`` or a template names ``{sla.<metric>.due}``: only then does
        running the rules need the ticket's SLA report."""
        return self._reads_sla

    @property
    def triggers(self) -> tuple[Rule, ...]:
        """The rules checked on every update, in order."""
        return self._triggers.rules

    @property
    def time_based(self) -> tuple[Rule, ...]:
        """The rules with a schedule, in order."""
        return tuple(rule for rule in self.rules if rule.schedule is not None)

    def rule(self, rule_id: str) -> Rule:
        """The rule called ``rule_id``; a ConfigError lists the ids otherwise."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise ConfigError(
            f"no rule is called {rule_id!r}; rules: {', '.join(r.id for r in self.rules) or 'none'}"
        )

    def macro(self, macro_id: str) -> Macro:
        """The macro called ``macro_id``; a ConfigError lists the macros otherwise."""
        for macro in self.macros:
            if macro.id == macro_id:
                return macro
        names = ", ".join(repr(m.id) for m in self.macros) or "none"
        raise ConfigError(f"no macro is called {macro_id!r}; macros: {names}")

    def _tools(
        self,
        workflow: Workflow,
        sla: SLAReport | None,
        route: RouteFn | None,
        format_datetime: FormatFn | None,
    ) -> Tools:
        if format_datetime is None:
            return Tools(workflow, route, sla, default_locale=self.default_locale)
        return Tools(workflow, route, sla, format_datetime, self.default_locale)

    def run(
        self,
        before: Ticket | None,
        update: Sequence[Event],
        *,
        now: datetime,
        workflow: Workflow,
        sla: SLAReport | None = None,
        route: RouteFn | None = None,
        format_datetime: FormatFn | None = None,
    ) -> AutomationOutcome:
        """Run the triggers on ``update``, the events one command appends to ``before`` (``None`` for a new ticket).

        Returns the events the rules add (continuing the update), their notifications and refusals. ``sla`` is the
        ticket's SLA report at ``now`` for ``sla.*`` conditions and ``{sla.<metric>.due}``; ``route(ticket, at)``
        answers the ``route`` action; ``format_datetime(at, locale)`` writes dates in templates (ISO 8601 without).
        Raises :class:`AutomationLoop` when the rules do not settle.
        """
        now = utc(now, "now")
        ticket = before
        for event in update:
            ticket = Ticket.from_events([event]) if ticket is None else ticket.apply(event)
        if ticket is None:
            raise ConfigError("run() needs the update's events (at least one)", "update")
        return run_rules(
            self._triggers,
            before=before,
            ticket=ticket,
            update=update,
            now=now,
            tools=self._tools(workflow, sla, route, format_datetime),
            calendars=self.calendars,
            max_passes=self.max_passes,
        )

    def due(self, ticket: Ticket) -> list[ScheduledDue]:
        """The time-based rules whose anchor the ticket has, with their due instants, not yet fired; earliest first.

        Their conditions are checked when they fire (:meth:`fire`), as a ticket may change before then.
        """
        found: list[ScheduledDue] = []
        for rule in self.time_based:
            schedule = rule.schedule
            assert schedule is not None
            since = schedule.since.instant(ticket)
            if since is None:
                continue
            if schedule.calendar is None:
                due_at = since + schedule.after
            else:
                due_at = utc(self.calendars[schedule.calendar].add(since, schedule.after), "due")
            if (TIMER_PREFIX + rule.id, due_at) not in ticket.timers_fired:
                found.append(ScheduledDue(rule, since, due_at))
        return sorted(found, key=lambda d: d.due_at)

    def next_due(
        self, ticket: Ticket, *, now: datetime, sla: SLAReport | None = None
    ) -> tuple[datetime, str] | None:
        """The first instant ``>= now`` at which a time-based rule fires on ``ticket`` as it stands, and the rule's
        id; ``None`` when none ever will before the ticket changes.

        Exact for schedules and elapsed-time conditions. A rule with ``sla.*`` conditions gives the next instant
        worth a check (``sla`` is the report at ``now``): the scheduler checks then and asks again. That instant is
        never later than the rule's first firing.
        """
        now = utc(now, "now")
        found: tuple[datetime, str] | None = None
        for due in self.due(ticket):
            if found is not None and due.due_at >= found[0]:
                break  # the rules are sorted by due instant: none later can fire earlier
            at = first_firing(due.rule, due.due_at, ticket, now=now, sla=sla, calendars=self.calendars)
            if at is not None and (found is None or at < found[0]):
                found = (at, due.rule.id)
        return found

    def fire(
        self,
        ticket: Ticket,
        *,
        now: datetime,
        workflow: Workflow,
        sla: SLAReport | None = None,
        route: RouteFn | None = None,
        format_datetime: FormatFn | None = None,
    ) -> AutomationOutcome:
        """Fire the first time-based rule due at ``now`` whose conditions hold: a ``TimerFired`` event (so it fires
        once) followed by its actions' events. Nothing when none is due; call again for the next one."""
        now = utc(now, "now")
        tools = self._tools(workflow, sla, route, format_datetime)
        for due in self.due(ticket):
            if due.due_at > now:
                break
            facts = Facts(ticket, None, (), now, sla=sla, calendars=self.calendars)
            if due.rule.check(facts) is not None:
                continue
            at = max(now, ticket.updated_at)
            marker = TimerFired(
                ticket_id=ticket.id,
                seq=ticket.version + 1,
                at=at,
                actor=automation_actor(due.rule.id),
                timer=due.timer,
                due_at=due.due_at,
            )
            after, events, notes, refusals = apply_actions(
                due.rule.actions, ticket.apply(marker), due.rule.id, tools, at
            )
            return AutomationOutcome(after, (marker, *events), tuple(notes), tuple(refusals), (due.rule.id,))
        return AutomationOutcome(ticket)

    def explain(
        self,
        ticket: Ticket,
        update: Sequence[Event] = (),
        *,
        before: Ticket | None = None,
        now: datetime,
        sla: SLAReport | None = None,
    ) -> list[RuleCheck]:
        """For each rule, in order: whether it matches ``ticket`` after ``update`` at ``now``, or which condition
        failed (for a time-based rule, also whether it is due)."""
        now = utc(now, "now")
        facts = Facts(ticket, before, tuple(update), now, sla=sla, calendars=self.calendars)
        due = {d.rule.id: d for d in self.due(ticket)}
        checks = []
        for rule in self.rules:
            failed = rule.check(facts)
            reason = None
            if rule.schedule is not None:
                pending = due.get(rule.id)
                if pending is None:
                    reason = "already fired, or its anchor has not happened"
                elif pending.due_at > now:
                    reason = f"due at {pending.due_at.isoformat()}"
            checks.append(RuleCheck(rule.id, failed is None and reason is None, failed, reason))
        return checks

    def simulate(
        self,
        histories: Iterable[Sequence[Event]],
        *,
        until: datetime,
        workflow: Workflow | None = None,
        sla: SLAEvaluator | None = None,
        route: RouteFn | None = None,
        format_datetime: FormatFn | None = None,
    ) -> Simulation:
        """What these rules would have done over stored ``histories`` (each a ticket's events), up to ``until``.

        Each history is replayed command by command (consecutive events at one instant are one command): the
        triggers run on each, exactly as :meth:`run` does live, and their events join the simulated history;
        time-based rules fire at their due instants, as if the timers ran continuously. ``sla`` (an ``SLAPolicy``
        or ``SLAPolicySet``) is evaluated after each command for ``sla.*`` conditions. A ticket on which the rules
        would loop is listed in ``loops`` and its replay stops there.
        """
        until = utc(until, "until")
        tools = self._tools(workflow or default_workflow(), None, route, format_datetime)
        # Evaluated after each command only for rules that read it: it costs more than the rest of the replay.
        evaluate = (
            None if sla is None or not self.reads_sla else (lambda events, now: sla.evaluate(events, now=now))
        )

        def fire(
            ticket: Ticket, limit: datetime, history: Sequence[Event]
        ) -> tuple[list[Event], tuple[Notification, ...], tuple[Refusal, ...], str | None]:
            for due in self.due(ticket):
                if due.due_at > limit:
                    break
                now = max(due.due_at, ticket.updated_at)
                report = None if evaluate is None else evaluate(history, now)
                outcome = self.fire(
                    ticket,
                    now=now,
                    workflow=tools.workflow,
                    sla=report,
                    route=route,
                    format_datetime=format_datetime,
                )
                if outcome.fired:
                    return list(outcome.events), outcome.notifications, outcome.refusals, outcome.fired[0]
            return [], (), (), None

        replay = Replay(
            self._triggers,
            tools,
            self.calendars,
            self.max_passes,
            fire if self.time_based else None,
            evaluate,
        )
        return simulate_all(histories, replay, until)

    def apply_macro(
        self,
        ticket: Ticket,
        macro_id: str,
        *,
        at: datetime,
        workflow: Workflow,
        actor: Actor | None = None,
        sla: SLAReport | None = None,
        route: RouteFn | None = None,
        format_datetime: FormatFn | None = None,
    ) -> AutomationOutcome:
        """The events of applying macro ``macro_id`` to ``ticket`` at ``at`` (nothing is stored: a preview).

        The events are by ``actor`` (the agent who applies it) when given, otherwise by ``automation:macro.<id>``.
        """
        macro = self.macro(macro_id)
        at = max(utc(at, "at"), ticket.updated_at)
        tools = self._tools(workflow, sla, route, format_datetime)
        after, events, notes, refusals = apply_actions(macro.actions, ticket, f"macro.{macro.id}", tools, at)
        if actor is not None:
            events = [attrs.evolve(event, actor=actor) for event in events]
        return AutomationOutcome(after, tuple(events), tuple(notes), tuple(refusals), (macro.id,))
