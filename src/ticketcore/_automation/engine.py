"""Triggers: rules run on an update's events, in order, in passes until none fires (Zendesk's semantics)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from ticketcore._automation.actions import Notification, Refusal, Tools, perform
from ticketcore._automation.conditions import Facts, update_facts
from ticketcore._automation.model import Action, Rule
from ticketcore._calendar import BusinessCalendar
from ticketcore.errors import AutomationLoop
from ticketcore.model import Event, Ticket

__all__ = ["AutomationOutcome", "Fired", "Triggers", "apply_actions", "fire_triggers", "run_rules"]


@attrs.frozen
class AutomationOutcome:
    """What running rules did: the events to append (in order), the notifications, the refusals, and the rules
    that fired (in the order they fired)."""

    ticket: Ticket
    events: tuple[Event, ...] = ()
    notifications: tuple[Notification, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    fired: tuple[str, ...] = ()


Fired = tuple[str, tuple[Event, ...], tuple[Notification, ...], tuple[Refusal, ...]]
"""One firing of a trigger: the rule's id, and the events, notifications and refusals its actions made."""

_REMEMBERED = 4096
"""How many combinations of the tags its rules require a rule set remembers its candidate rules for."""


_Found = tuple[list[Rule], bool, dict[frozenset[str], list[Rule]]]
"""The candidate rules for some required tags, whether any of them needs an added tag or an update fact, and the
:meth:`Triggers.possible` ones for each set of update facts on updates that add no tag."""


class Triggers:
    """Trigger rules in order, indexed by the tags their ``all`` conditions require, built once per rule set.

    Most triggers name a tag (or a form, a group …); a ticket has a few tags, so an update checks the few rules
    whose required tags it has, not all of them. Of those, :meth:`possible` also leaves out the rules that need a
    tag the update did not add (``changed_to``) or an ``update.*`` fact that does not hold. ``index=False`` turns
    both filters off (every rule is a candidate): the plain reading the filters are tested against. When a firing
    changes the tags or the update facts, the rest of its pass goes on with the candidates for them (:meth:`after`).
    """

    __slots__ = (
        "_always",
        "_by_tag",
        "_conditional",
        "_found",
        "_index",
        "_last",
        "_named",
        "_needs",
        "_order",
        "rules",
    )

    def __init__(self, rules: Iterable[Rule], *, index: bool = True) -> None:
        self.rules = tuple(rules)
        self._index = index
        # A rule set's ids are unique (AutomationSet checks): a rule's place in the order, by its id.
        self._order = {rule.id: position for position, rule in enumerate(self.rules)}
        self._needs = tuple(rule.needs_tags for rule in self.rules)
        # The rules that need an added tag or an update fact: only those are filtered by :meth:`possible`.
        self._conditional = frozenset(
            position
            for position, rule in enumerate(self.rules)
            if index and (rule.needs_added_tags or rule.needs_update)
        )
        by_tag: dict[str, list[int]] = {}
        always: list[int] = []
        for position, needs in enumerate(self._needs):
            if needs and index:
                # One tag is enough for the index; the rest are checked against the ticket's tags.
                by_tag.setdefault(min(needs), []).append(position)
            else:
                always.append(position)
        self._by_tag = {tag: tuple(positions) for tag, positions in by_tag.items()}
        self._always = tuple(always)
        # The answer depends only on the tags some rule requires, and tickets share a few combinations of those:
        # remember the answer for each (bounded, for endless variety), with whether any of those rules needs an
        # added tag or an update fact (if none, nothing to filter). Keyed by the ticket's own tags, it would keep
        # (and the garbage collector walk) tens of thousands of sets in a replay of many tickets.
        self._named = frozenset[str]().union(*self._needs) if index else frozenset[str]()
        self._found: dict[frozenset[str], _Found] = {}
        # The last answer, by the identity of the tags asked about: a ticket keeps its set of tags from update to
        # update until they change, so a replay asks about the same set again and again. One tuple, replaced
        # whole, so that threads sharing the rule set never read one set's answer for another.
        self._last: tuple[frozenset[str], _Found] = (frozenset(), ([], False, {}))

    def candidates(self, tags: frozenset[str]) -> list[Rule]:
        """The rules, in order, whose required tags are all among ``tags`` (do not change the list)."""
        return self._candidates(tags)[0]

    def possible(self, tags: frozenset[str], added: frozenset[str], update: frozenset[str]) -> list[Rule]:
        """The :meth:`candidates` for ``tags`` that may hold on an update that added the tags ``added`` and for
        which the ``update.*`` fields ``update`` hold (do not change the list)."""
        found, conditional, unchanged = self._candidates(tags)
        if not conditional:
            return found
        if not added:
            # Most updates add no tag, and a few sets of update facts cover them all: remember those answers.
            known = unchanged.get(update)
            if known is None:
                known = unchanged[update] = [
                    rule for rule in found if not rule.needs_added_tags and rule.needs_update <= update
                ]
            return known
        return [rule for rule in found if rule.needs_added_tags <= added and rule.needs_update <= update]

    def after(
        self, rule: Rule, tags: frozenset[str], added: frozenset[str], update: frozenset[str]
    ) -> list[Rule]:
        """The rules :meth:`possible` for these facts that come after ``rule`` in order."""
        position = self._order[rule.id]
        order = self._order
        return [later for later in self.possible(tags, added, update) if order[later.id] > position]

    def _candidates(self, tags: frozenset[str]) -> _Found:
        last, answer = self._last
        if last is tags:
            return answer
        named = tags & self._named
        known = self._found.get(named)
        if known is None:
            if len(self._found) >= _REMEMBERED:
                self._found.clear()
            self._found[named] = known = self._compute(named)
        self._last = (tags, known)
        return known

    def _compute(self, tags: frozenset[str]) -> _Found:
        found = list(self._always)
        needs = self._needs
        for tag in tags:
            positions = self._by_tag.get(tag)
            if positions is not None:
                found.extend(position for position in positions if needs[position] <= tags)
        found.sort()
        rules = [self.rules[position] for position in found]
        conditional = not self._conditional.isdisjoint(found)
        return rules, conditional, {}


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


def _states(
    before: Ticket, after: Ticket, fired: int
) -> tuple[dict[tuple[object, ...], int], tuple[object, ...]]:
    """The states an update went through by its first change (``fired`` rules had fired by then), and the last."""
    last = _state(before)
    seen = {last: 0}
    state = _state(after)
    if state != last:
        seen[state] = fired
    return seen, state


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
    """Run the triggers ``rules`` on ``update`` (the events that turned ``before`` into ``ticket``): see
    :func:`fire_triggers`, whose firings this gathers into one outcome."""
    after, firings = fire_triggers(
        rules,
        before=before,
        ticket=ticket,
        update=update,
        now=now,
        tools=tools,
        calendars=calendars,
        max_passes=max_passes,
    )
    if not firings:
        return AutomationOutcome(after)
    if len(firings) == 1:
        rule, events, notes, refusals = firings[0]
        return AutomationOutcome(after, events, notes, refusals, (rule,))
    return AutomationOutcome(
        after,
        tuple(event for firing in firings for event in firing[1]),
        tuple(note for firing in firings for note in firing[2]),
        tuple(refusal for firing in firings for refusal in firing[3]),
        tuple(firing[0] for firing in firings),
    )


def fire_triggers(
    rules: Triggers,
    *,
    before: Ticket | None,
    ticket: Ticket,
    update: Sequence[Event],
    now: datetime,
    tools: Tools,
    calendars: Mapping[str, BusinessCalendar],
    max_passes: int,
    updated: frozenset[str] | None = None,
    possible: list[Rule] | None = None,
) -> tuple[Ticket, list[Fired]]:
    """Run the triggers ``rules`` on ``update`` (the events that turned ``before`` into ``ticket``); the ticket as
    they leave it, and each firing in the order they fired.

    Each pass checks the rules in order against the ticket as the earlier firings left it; a rule fires at most once
    per update, and a firing rule with ``stop`` ends the pass. Passes repeat until one fires nothing. Raises
    :class:`AutomationLoop` when rules undo each other (the ticket returns to a state it already had in this run)
    or more than ``max_passes`` passes would be needed. A caller that has asked already may pass ``updated``
    (``update_facts(update)``) and ``possible`` (``rules.possible`` for this update: see :class:`Triggers`).
    """
    had = frozenset() if before is None else before.tags
    if updated is None:
        updated = update_facts(update)
    pending = rules.possible(ticket.tags, ticket.tags - had, updated) if possible is None else possible
    if not pending:
        return (
            ticket,
            [],
        )  # no rule may hold on this update: nothing fires, nothing else is read (most updates)
    at = max(now, ticket.updated_at)
    firings: list[Fired] = []
    fired: list[str] = []
    events: list[Event] = []
    # The states this update went through, from its second change on: one change cannot return to a state the
    # update had, and most updates change the ticket once at most. ``first`` is that change until then.
    seen: dict[tuple[object, ...], int] | None = None
    last: tuple[object, ...] = ()
    first: tuple[Ticket, Ticket, int] | None = None
    # A rule that failed on facts that have not changed since would fail again: check it only after a change.
    version = 0
    checked: dict[str, int] = {}
    facts = Facts(ticket, before, update, now, sla=tools.sla, calendars=calendars, updated=updated)
    for _ in range(max_passes):
        fired_now = False
        index = 0
        while index < len(pending):
            rule = pending[index]
            index += 1
            rule_id = rule.id
            if checked.get(rule_id) == version or rule_id in fired:
                continue
            if rule.check(facts) is not None:
                checked[rule_id] = version
                continue
            previous = ticket
            ticket, produced, notified, refused = apply_actions(rule.actions, ticket, rule_id, tools, at)
            fired.append(rule_id)
            firings.append((rule_id, tuple(produced), tuple(notified), tuple(refused)))
            fired_now = True
            if produced:
                if first is None:
                    first = (previous, ticket, len(fired))
                else:
                    if seen is None:
                        seen, last = _states(*first)
                    state = _state(ticket)
                    if state != last:
                        # Back to a state this update already had: the rules undo each other.
                        if state in seen:
                            raise AutomationLoop(fired[seen[state] :], ticket_id=ticket.id)
                        seen[state] = len(fired)
                        last = state
                events.extend(produced)
                version += 1
                now_updated = updated | update_facts(produced)
                facts = Facts(
                    ticket,
                    before,
                    (*update, *events),
                    now,
                    sla=tools.sla,
                    calendars=calendars,
                    updated=now_updated,
                )
                if ticket.tags != previous.tags or now_updated != updated:
                    # Other rules may now hold (or not): the rest of the pass checks those, in order.
                    updated = now_updated
                    pending = rules.after(rule, ticket.tags, ticket.tags - had, updated)
                    index = 0
            if rule.stop:
                break
        if not fired_now:
            return ticket, firings
        pending = rules.possible(ticket.tags, ticket.tags - had, updated)
    raise AutomationLoop(fired, ticket_id=ticket.id, passes=max_passes)
