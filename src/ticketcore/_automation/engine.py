"""Triggers: rules run on an update's events, in order, in passes until none fires (Zendesk's semantics)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from ticketcore._automation.actions import Notification, Refusal, Tools, perform
from ticketcore._automation.conditions import Facts
from ticketcore._automation.model import Action, Rule
from ticketcore._calendar import BusinessCalendar
from ticketcore.errors import AutomationLoop
from ticketcore.model import Event, Ticket

__all__ = ["AutomationOutcome", "Triggers", "apply_actions", "run_rules"]


@attrs.frozen
class AutomationOutcome:
    """What running rules did: the events to append (in order), the notifications, the refusals, and the rules
    that fired (in the order they fired)."""

    ticket: Ticket
    events: tuple[Event, ...] = ()
    notifications: tuple[Notification, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    fired: tuple[str, ...] = ()


_REMEMBERED = 4096
"""How many combinations of tags a rule set remembers its candidate rules for."""


class Triggers:
    """Trigger rules in order, indexed by the tags their ``all`` conditions require, built once per rule set.

    Most triggers name a tag (or a form, a group …); a ticket has a few tags, so an update checks the few rules
    whose required tags it has, not all of them.
    """

    __slots__ = ("_always", "_by_tag", "_found", "_needs", "rules")

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = tuple(rules)
        self._needs = tuple(rule.needs_tags for rule in self.rules)
        by_tag: dict[str, list[int]] = {}
        always: list[int] = []
        for index, needs in enumerate(self._needs):
            if needs:
                # One tag is enough for the index; the rest are checked against the ticket's tags.
                by_tag.setdefault(min(needs), []).append(index)
            else:
                always.append(index)
        self._by_tag = {tag: tuple(indexes) for tag, indexes in by_tag.items()}
        self._always = tuple(always)
        # Tickets share a few combinations of tags: remember the answer for each (bounded, for endless variety).
        self._found: dict[frozenset[str], list[Rule]] = {}

    def candidates(self, tags: frozenset[str]) -> list[Rule]:
        """The rules, in order, whose required tags are all among ``tags`` (do not change the list)."""
        known = self._found.get(tags)
        if known is not None:
            return known
        if len(self._found) >= _REMEMBERED:
            self._found.clear()
        self._found[tags] = found = self._candidates(tags)
        return found

    def _candidates(self, tags: frozenset[str]) -> list[Rule]:
        found = list(self._always)
        needs = self._needs
        for tag in tags:
            indexes = self._by_tag.get(tag)
            if indexes is not None:
                found.extend(index for index in indexes if needs[index] <= tags)
        found.sort()
        rules = self.rules
        return [rules[index] for index in found]


def _state(ticket: Ticket) -> tuple[object, ...]:
    return (
        ticket.status,
        ticket.priority,
        ticket.group,
        ticket.assignee,
        ticket.tags,
        tuple(sorted(ticket.fields.items(), key=str)) if ticket.fields else (),
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
    rules: Triggers,
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
    # The states this update went through (computed at the first change: most updates change nothing).
    seen: dict[tuple[object, ...], int] | None = None
    last: tuple[object, ...] = ()
    # A rule that failed on facts that have not changed since would fail again: check it only after a change.
    version = 0
    checked: dict[str, int] = {}
    facts = Facts(ticket, before, update, now, tools.sla, calendars)
    for _ in range(max_passes):
        fired_now = False
        for rule in rules.candidates(ticket.tags):
            rule_id = rule.id
            if checked.get(rule_id) == version or rule_id in fired:
                continue
            if rule.check(facts) is not None:
                checked[rule_id] = version
                continue
            previous = ticket
            ticket, produced, notified, refused = apply_actions(rule.actions, ticket, rule_id, tools, at)
            fired.append(rule_id)
            fired_now = True
            notes.extend(notified)
            refusals.extend(refused)
            if produced:
                if seen is None:
                    last = _state(previous)
                    seen = {last: 0}
                events.extend(produced)
                version += 1
                facts = Facts(ticket, before, (*update, *events), now, tools.sla, calendars)
                state = _state(ticket)
                if state != last:
                    # Back to a state this update already had: the rules undo each other.
                    if state in seen:
                        raise AutomationLoop(fired[seen[state] :], ticket_id=ticket.id)
                    seen[state] = len(fired)
                    last = state
            if rule.stop:
                break
        if not fired_now:
            return AutomationOutcome(ticket, tuple(events), tuple(notes), tuple(refusals), tuple(fired))
    raise AutomationLoop(fired, ticket_id=ticket.id, passes=max_passes)
