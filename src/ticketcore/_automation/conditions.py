"""Evaluating conditions: what a field reads on a ticket, an update, the elapsed time and the SLA report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from ticketcore._automation.model import (
    ELAPSED_FIELDS,
    Condition,
    Conditions,
    Operator,
    field_kind,
    sla_field,
)
from ticketcore._calendar import BusinessCalendar
from ticketcore.model import Event, NoteAdded, Opened, Replied, Role, Ticket
from ticketcore.sla import SLAReport

__all__ = ["DEFAULT_TIER", "Facts", "failed_condition", "tier_of"]

DEFAULT_TIER = 1
"""The support tier of a ticket whose custom field ``tier`` is not set."""

_MISSING = object()


def tier_of(ticket: Ticket) -> int:
    """The ticket's support tier, read from its custom field ``tier``."""
    value = ticket.fields.get("tier")
    return value if isinstance(value, int) and not isinstance(value, bool) else DEFAULT_TIER


@attrs.frozen
class Facts:
    """What conditions see: the ticket before and after the update, the update's events, ``now`` and the SLA."""

    ticket: Ticket
    before: Ticket | None
    update: Sequence[Event]
    now: datetime
    sla: SLAReport | None = None
    calendars: Mapping[str, BusinessCalendar] = attrs.field(factory=dict)


def _ticket_value(ticket: Ticket | None, name: str) -> object:
    if ticket is None:
        return _MISSING
    if name == "tier":
        return tier_of(ticket)
    if name.startswith("fields."):
        return ticket.fields.get(name.removeprefix("fields."))
    value = getattr(ticket, name)
    return value.value if name == "category" else value


def _update_value(facts: Facts, name: str) -> bool:
    if name == "update.created":
        return any(isinstance(event, Opened) for event in facts.update)
    if name == "update.note_added":
        return any(
            isinstance(e, NoteAdded) or (isinstance(e, Replied) and not e.public) for e in facts.update
        )
    requester = name == "update.requester_replied"
    for event in facts.update:
        if isinstance(event, Replied) and event.public:
            if requester and event.actor.role is Role.REQUESTER:
                return True
            if not requester and event.actor.role.is_staff:
                return True
    return False


def _elapsed(facts: Facts, condition: Condition) -> timedelta | None:
    start: datetime | None = getattr(facts.ticket, ELAPSED_FIELDS[condition.field])
    if start is None:
        return None
    if condition.calendar is None:
        return facts.now - start
    return facts.calendars[condition.calendar].elapsed(start, facts.now)


def _sla_value(facts: Facts, name: str) -> object:
    metric, part = sla_field(name)
    if facts.sla is None or metric not in {m.metric for m in facts.sla.metrics}:
        return None
    cycle = facts.sla.metric(metric).current
    if cycle is None:
        return None
    if part == "state":
        return cycle.state.value
    if part == "percent":
        target = cycle.target // timedelta(microseconds=1)
        return None if target <= 0 else (cycle.elapsed // timedelta(microseconds=1)) * 100 / target
    if cycle.breach_at is None:
        return None
    return (cycle.breach_at - facts.now) / timedelta(hours=1)


def _compare(operator: Operator, actual: object, expected: object) -> bool:
    if operator is Operator.IS:
        return actual == expected
    if operator is Operator.IS_NOT:
        return actual != expected
    if operator is Operator.IN:
        return _contains(expected, actual)
    if operator is Operator.NOT_IN:
        return not _contains(expected, actual)
    if operator is Operator.INCLUDES:
        wanted = expected if isinstance(expected, tuple) else (expected,)
        if isinstance(actual, frozenset | set | tuple):
            return all(item in actual for item in wanted)
        return isinstance(actual, str) and all(isinstance(w, str) and w in actual for w in wanted)
    if operator is Operator.PRESENT:
        present = actual is not None and actual not in (frozenset(), "")
        return present is expected
    if not isinstance(actual, int | float) or isinstance(actual, bool):
        return False
    assert isinstance(expected, int | float)
    return actual < expected if operator is Operator.LESS_THAN else actual > expected


def _contains(options: object, value: object) -> bool:
    return isinstance(options, tuple) and value in options


def _changed(condition: Condition, facts: Facts) -> bool:
    after = _ticket_value(facts.ticket, condition.field)
    before = _ticket_value(facts.before, condition.field)
    if before is _MISSING:
        # The update created the ticket: every field it has came from somewhere.
        before = None if condition.field != "tags" else frozenset()
    if before == after:
        return False
    if condition.operator is Operator.CHANGED:
        return True
    wanted = condition.value
    if condition.field == "tags":
        assert isinstance(after, frozenset)
        assert isinstance(before, frozenset)
        tags = wanted if isinstance(wanted, tuple) else (wanted,)
        if condition.operator is Operator.CHANGED_TO:
            return all(tag in after and tag not in before for tag in tags)
        return all(tag in before and tag not in after for tag in tags)
    return bool((after if condition.operator is Operator.CHANGED_TO else before) == wanted)


def holds(condition: Condition, facts: Facts) -> bool:
    """True when ``condition`` holds for ``facts``."""
    operator = condition.operator
    if operator in (Operator.CHANGED, Operator.CHANGED_TO, Operator.CHANGED_FROM):
        return _changed(condition, facts)
    kind = field_kind(condition.field)
    actual: object
    if kind in ("ticket", "custom"):
        actual = _ticket_value(facts.ticket, condition.field)
    elif kind == "update":
        actual = _update_value(facts, condition.field)
    elif kind == "sla":
        actual = _sla_value(facts, condition.field)
    else:
        elapsed = _elapsed(facts, condition)
        if elapsed is None:
            return False
        # Exact: compare durations, never float hours.
        assert isinstance(condition.value, int | float)
        limit = timedelta(hours=condition.value)
        return elapsed < limit if operator is Operator.LESS_THAN else elapsed > limit
    return _compare(operator, actual, condition.value)


def failed_condition(conditions: Conditions, facts: Facts) -> str | None:
    """``None`` when ``conditions`` hold, otherwise which one failed (``all[1]`` or ``any``)."""
    for index, condition in enumerate(conditions.all):
        if not holds(condition, facts):
            return f"all[{index}]"
    if conditions.any and not any(holds(condition, facts) for condition in conditions.any):
        return "any"
    return None
