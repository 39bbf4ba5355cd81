"""Evaluating conditions: what a field reads on a ticket, an update, the elapsed time and the SLA report."""

from __future__ import annotations

import functools
import operator as op
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

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

__all__ = [
    "DEFAULT_TIER",
    "Check",
    "Facts",
    "compile_conditions",
    "failed_condition",
    "holds",
    "tier_of",
    "update_facts",
]

DEFAULT_TIER = 1
"""The support tier of a ticket whose custom field ``tier`` is not set."""

_MISSING = object()


def tier_of(ticket: Ticket) -> int:
    """The ticket's support tier, read from its custom field ``tier``."""
    value = ticket.fields.get("tier")
    return value if isinstance(value, int) and not isinstance(value, bool) else DEFAULT_TIER


def _fact(event: Event) -> str | None:
    """The ``update.*`` field ``event`` makes hold, if any (an event makes at most one hold)."""
    if isinstance(event, Opened):
        return "update.created"
    if isinstance(event, NoteAdded):
        return "update.note_added"
    if isinstance(event, Replied):
        if not event.public:
            return "update.note_added"
        if event.actor.role is Role.REQUESTER:
            return "update.requester_replied"
        if event.actor.role.is_staff:
            return "update.agent_replied"
    return None


_NO_FACTS: frozenset[str] = frozenset()
_ONE_FACT = {
    name: frozenset({name})
    for name in ("update.created", "update.note_added", "update.requester_replied", "update.agent_replied")
}


def update_facts(events: Sequence[Event]) -> frozenset[str]:
    """The ``update.*`` fields that hold for an update made of ``events``, read in one pass over them."""
    # Most updates are one event: its fact (or none) is a shared set rather than a new one per update.
    if len(events) == 1:
        fact = _fact(events[0])
        return _NO_FACTS if fact is None else _ONE_FACT[fact]
    return frozenset(fact for event in events if (fact := _fact(event)) is not None)


class Facts:
    """What conditions see: the ticket before and after the update, the update's events, ``now`` and the SLA.

    ``updated`` is the ``update.*`` fields that hold for ``update`` (:func:`update_facts` of it when not given: a
    caller that knows them passes them). A plain slotted class, not an attrs one: the engine makes one per update
    and per firing, and nothing outside it holds one.
    """

    __slots__ = ("before", "calendars", "now", "sla", "ticket", "update", "updated")

    def __init__(
        self,
        ticket: Ticket,
        before: Ticket | None,
        update: Sequence[Event],
        now: datetime,
        *,
        sla: SLAReport | None = None,
        calendars: Mapping[str, BusinessCalendar] | None = None,
        updated: frozenset[str] | None = None,
    ) -> None:
        self.ticket = ticket
        self.before = before
        self.update = update
        self.now = now
        self.sla = sla
        self.calendars = {} if calendars is None else calendars
        self.updated = update_facts(update) if updated is None else updated


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
    return name in facts.updated


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


Check = Callable[[Facts], str | None]
"""Compiled conditions: ``None`` when they hold for the facts, otherwise which one failed."""
Predicate = Callable[[Facts], bool]


def _reader(name: str) -> Callable[[Facts], object]:
    """What a ticket field reads on ``facts.ticket``, as one call (the same values as ``_ticket_value``)."""
    if name == "tier":
        return lambda facts: tier_of(facts.ticket)
    if name.startswith("fields."):
        key = name.removeprefix("fields.")
        return lambda facts: facts.ticket.fields.get(key)
    if name == "category":
        return lambda facts: facts.ticket.category.value
    return op.attrgetter(f"ticket.{name}")


def _tag_change(condition: Condition) -> Predicate | None:
    """``tags changed_to`` / ``changed_from`` some tags as one closure, or ``None`` for other conditions.

    The tags changed to ``wanted`` when each is on the ticket and was not before (a new ticket had none): then the
    tags differ, so :func:`_changed`'s first test is implied. Not for an empty list, which holds on any change.
    """
    wanted = condition.value if isinstance(condition.value, tuple) else (condition.value,)
    if condition.field != "tags" or not wanted or not all(isinstance(tag, str) for tag in wanted):
        return None
    if condition.operator is Operator.CHANGED_TO:
        if len(wanted) == 1:
            tag = wanted[0]
            return lambda facts: (
                tag in facts.ticket.tags and (facts.before is None or tag not in facts.before.tags)
            )
        return lambda facts: (
            all(tag in facts.ticket.tags for tag in wanted)
            and (facts.before is None or not any(tag in facts.before.tags for tag in wanted))
        )
    if condition.operator is Operator.CHANGED_FROM:
        return lambda facts: (
            facts.before is not None
            and (all(tag in facts.before.tags and tag not in facts.ticket.tags for tag in wanted))
        )
    return None


def _compiled(condition: Condition) -> Predicate:
    """One predicate for ``condition``, built once: the common ticket-field and update comparisons read the field
    and compare it in a single closure, and so do tag changes; the rest (other changes, elapsed time, SLA) keep the
    general path of :func:`holds`, which is also the oracle the compiled form is tested against."""
    operator, value = condition.operator, condition.value
    kind = field_kind(condition.field)
    if operator in (Operator.CHANGED, Operator.CHANGED_TO, Operator.CHANGED_FROM):
        return _tag_change(condition) or functools.partial(holds, condition)
    if kind == "update":
        name = condition.field
        if operator is Operator.IS and isinstance(value, bool):
            return (
                (lambda facts: name in facts.updated) if value else (lambda facts: name not in facts.updated)
            )
        return lambda facts: _compare(operator, name in facts.updated, value)
    if kind not in ("ticket", "custom"):
        return functools.partial(holds, condition)
    read = _reader(condition.field)
    if operator is Operator.IS:
        return lambda facts: bool(read(facts) == value)
    if operator is Operator.IS_NOT:
        return lambda facts: bool(read(facts) != value)
    if operator is Operator.IN:
        return lambda facts: read(facts) in value
    if operator is Operator.NOT_IN:
        return lambda facts: read(facts) not in value
    if operator is Operator.INCLUDES and condition.field == "tags":
        wanted = value if isinstance(value, tuple) else (value,)
        if len(wanted) == 1 and isinstance(wanted[0], str):
            tag = wanted[0]
            return lambda facts: tag in facts.ticket.tags
    return lambda facts: _compare(operator, read(facts), value)


def _names(part: str, count: int) -> tuple[str, ...]:
    return tuple(f"{part}[{index}]" for index in range(count))


def compile_conditions(conditions: Conditions) -> Check:
    """``conditions`` as one function of the facts, equal to :func:`failed_condition` but without interpreting
    each condition on every call."""
    alls = tuple(_compiled(condition) for condition in conditions.all)
    anys = tuple(_compiled(condition) for condition in conditions.any)
    names = _names("all", len(alls))
    if not anys and len(alls) == 1:
        only = alls[0]
        return lambda facts: None if only(facts) else "all[0]"

    def check(facts: Facts) -> str | None:
        for name, predicate in zip(names, alls, strict=True):
            if not predicate(facts):
                return name
        if anys and not any(predicate(facts) for predicate in anys):
            return "any"
        return None

    return check
