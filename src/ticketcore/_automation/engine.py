"""Triggers: rules run on an update's events, in order, in passes until none fires (Zendesk's semantics)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from ticketcore._automation.actions import Notification, Refusal, Tools, perform
from ticketcore._automation.conditions import Facts, failed_condition
from ticketcore._automation.model import Action, Rule
from ticketcore._calendar import BusinessCalendar
from ticketcore.errors import AutomationLoop
from ticketcore.model import Event, Ticket

__all__ = ["AutomationOutcome", "apply_actions", "run_rules"]


@attrs.frozen
class AutomationOutcome:
    """What running rules did: the events to append (in order), the notifications, the refusals, and the rules
    that fired (in the order they fired)."""

    ticket: Ticket
    events: tuple[Event, ...] = ()
    notifications: tuple[Notification, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    fired: tuple[str, ...] = ()


def _state(ticket: Ticket) -> tuple[object, ...]:
    return (
        ticket.status,
        ticket.priority,
        ticket.group,
        ticket.assignee,
        ticket.tags,
        tuple(sorted(ticket.fields.items(), key=str)),
        ticket.segment,
        ticket.region,
        ticket.language,
        ticket.channel,
    )


def apply_actions(
    actions: Sequence[Action], ticket: Ticket, rule: str, tools: Tools, at: datetime
) -> tuple[Ticket, list[Event], list[Notification], list[Refusal]]:
    """Perform ``actions`` one after another, each on the ticket the previous ones left."""
    events: list[Event] = []
    notes: list[Notification] = []
    refusals: list[Refusal] = []
    for action in actions:
        produced, notified, refused = perform(action, ticket, rule, tools, at)
        for event in produced:
            ticket = ticket.apply(event)
        events.extend(produced)
        notes.extend(notified)
        refusals.extend(refused)
    return ticket, events, notes, refusals


def run_rules(
    rules: Sequence[Rule],
    *,
    before: Ticket | None,
    ticket: Ticket,
    update: Sequence[Event],
    now: datetime,
    tools: Tools,
    calendars: Mapping[str, BusinessCalendar],
    max_passes: int,
) -> AutomationOutcome:
    """Run the triggers ``rules`` on ``update`` (the events that turned ``before`` into ``ticket``).

    Each pass checks the rules in order against the ticket as the earlier firings left it; a rule fires at most once
    per update, and a firing rule with ``stop`` ends the pass. Passes repeat until one fires nothing. Raises
    :class:`AutomationLoop` when rules undo each other (the ticket returns to a state it already had in this run)
    or more than ``max_passes`` passes would be needed.
    """
    at = max(now, ticket.updated_at)
    fired: list[str] = []
    events: list[Event] = []
    notes: list[Notification] = []
    refusals: list[Refusal] = []
    seen = {_state(ticket): 0}
    # A rule that failed on facts that have not changed since would fail again: check it only after a change.
    version = 0
    checked: dict[str, int] = {}
    facts = Facts(ticket, before, update, now, tools.sla, calendars)
    for _ in range(max_passes):
        fired_now = False
        for rule in rules:
            if rule.id in fired or checked.get(rule.id) == version:
                continue
            if not rule.needs_tags <= ticket.tags:
                checked[rule.id] = version
                continue
            if failed_condition(rule.conditions, facts) is not None:
                checked[rule.id] = version
                continue
            previous = ticket
            ticket, produced, notified, refused = apply_actions(rule.actions, ticket, rule.id, tools, at)
            fired.append(rule.id)
            fired_now = True
            notes.extend(notified)
            refusals.extend(refused)
            if produced:
                events.extend(produced)
                version += 1
                facts = Facts(ticket, before, (*update, *events), now, tools.sla, calendars)
                state = _state(ticket)
                if state != _state(previous):
                    # Back to a state this update already had: the rules undo each other.
                    if state in seen:
                        raise AutomationLoop(fired[seen[state] :], ticket_id=ticket.id)
                    seen[state] = len(fired)
            if rule.stop:
                break
        if not fired_now:
            return AutomationOutcome(ticket, tuple(events), tuple(notes), tuple(refusals), tuple(fired))
    raise AutomationLoop(fired, ticket_id=ticket.id, passes=max_passes)
