"""When a time-based rule can next fire: the instants at which its conditions may turn true.

A ticket does not change between two of its events, so a rule's conditions change truth only with time: an elapsed
condition ``hours_since.X greater_than N`` turns true at the first instant whose elapsed time is ``N`` and one
microsecond (``calendar.add`` gives that instant exactly); ``less_than`` conditions only ever turn false, and every
other ticket condition is constant. A rule can therefore first fire only at its due instant or at one of those
switches, and evaluating it there is exact.

An ``sla.*`` condition reads a report that holds only at the instant it was evaluated. For those rules the result is
the next instant worth a check — the due instant, a state change of a running clock (a warning, the breach), or a
lower bound of the instant a percentage is reached (business time never passes faster than wall time) — and the
scheduler, checking there with a fresh report, asks again. It is never later than the rule's first firing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

from ticketcore._automation.conditions import Facts
from ticketcore._automation.model import ELAPSED_FIELDS, Condition, Operator, Rule, field_kind, sla_field
from ticketcore._calendar import BusinessCalendar
from ticketcore._time import MICROSECOND
from ticketcore.model import Ticket
from ticketcore.sla import ClockState, SLAReport

__all__ = ["first_firing"]


def _conditions(rule: Rule) -> tuple[Condition, ...]:
    return (*rule.conditions.all, *rule.conditions.any)


def _elapsed_switches(
    rule: Rule, ticket: Ticket, calendars: Mapping[str, BusinessCalendar]
) -> Iterator[datetime]:
    for condition in _conditions(rule):
        if field_kind(condition.field) != "elapsed" or condition.operator is not Operator.GREATER_THAN:
            continue
        start: datetime | None = getattr(ticket, ELAPSED_FIELDS[condition.field])
        if start is None:
            continue
        # The condition compares durations (see conditions.holds): true once the limit is passed by 1 µs.
        beyond = timedelta(hours=condition.value) + MICROSECOND
        try:
            if condition.calendar is None:
                yield start + beyond
            else:
                yield calendars[condition.calendar].add(start, beyond)
        except OverflowError:
            continue  # beyond the last representable instant: never


def _sla_switches(rule: Rule, report: SLAReport | None, now: datetime) -> Iterator[datetime]:
    if report is None:
        return
    metrics = {metric.metric: metric for metric in report.metrics}
    for condition in _conditions(rule):
        if field_kind(condition.field) != "sla":
            continue
        name, part = sla_field(condition.field)
        metric = metrics.get(name)
        cycle = None if metric is None else metric.current
        if cycle is None or cycle.state is not ClockState.RUNNING:
            continue  # a clock that does not run changes nothing until the next event
        for warning in cycle.warnings:
            yield warning.at
        if cycle.breach_at is not None:
            yield cycle.breach_at + MICROSECOND
            if part == "hours_to_breach" and isinstance(condition.value, int | float):
                limit = timedelta(hours=condition.value)
                yield cycle.breach_at - limit - MICROSECOND
        if part == "percent" and isinstance(condition.value, int | float):
            # The percentage is passed strictly after ``needed`` more business time, which takes at least as
            # long in wall time; at least 1 µs on, which also covers rounding the percentage of the target.
            needed = cycle.target * (condition.value / 100) - cycle.elapsed
            if needed >= timedelta(0):
                yield now + max(needed, MICROSECOND)


def first_firing(
    rule: Rule,
    due_at: datetime,
    ticket: Ticket,
    *,
    now: datetime,
    sla: SLAReport | None,
    calendars: Mapping[str, BusinessCalendar],
) -> datetime | None:
    """The first instant ``>= now`` at which ``rule`` (due at ``due_at``) fires on ``ticket`` as it stands, or —
    for a rule that reads the SLA — the next instant worth checking; ``None`` when never."""
    start = max(due_at, now)
    switches = sorted({at for at in _elapsed_switches(rule, ticket, calendars) if at > start})
    if not any(field_kind(condition.field) == "sla" for condition in _conditions(rule)):
        for at in (start, *switches):
            if rule.check(Facts(ticket, None, (), at, calendars=calendars)) is None:
                return at
        return None
    if start > now:
        return start
    if rule.check(Facts(ticket, None, (), now, sla=sla, calendars=calendars)) is None:
        return now
    later = [at for at in (*switches, *_sla_switches(rule, sla, now)) if at > now]
    return min(later, default=None)
