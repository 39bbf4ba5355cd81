"""Building what a workflow's commands answer with: status changes, follow-up tickets and due timers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from ticketcore._calendar import TimerCalendar
from ticketcore._lifecycle.defs import Timer, TimerDue
from ticketcore._lifecycle.guards import CONFIRMATION_FIELD
from ticketcore._time import utc
from ticketcore.errors import ConfigError
from ticketcore.model import Actor, Event, Opened, Replied, Status, StatusChanged, Ticket

__all__ = ["follow_up_events", "status_changed", "timer_dues"]


def status_changed(
    ticket: Ticket, status: Status, *, action: str, actor: Actor, at: datetime, reason: str | None
) -> StatusChanged:
    """The event moving ``ticket`` to ``status``, recording both categories and whether the target pauses SLAs."""
    return StatusChanged(
        ticket_id=ticket.id,
        seq=ticket.version + 1,
        at=at,
        actor=actor,
        from_status=ticket.status,
        from_category=ticket.category,
        to_status=status.name,
        to_category=status.category,
        action=action,
        reason=reason,
        pauses_sla=status.pauses_sla,
    )


def follow_up_events(
    ticket: Ticket, start: Status, *, new_ticket_id: str, actor: Actor, at: datetime, body: str | None
) -> list[Event]:
    """The first events of a ticket following up ``ticket``: its attributes copied, the confirmation dropped."""
    fields = {name: value for name, value in ticket.fields.items() if name != CONFIRMATION_FIELD}
    opened = Opened(
        ticket_id=new_ticket_id,
        seq=1,
        at=at,
        actor=actor,
        subject=ticket.subject,
        requester=ticket.requester,
        channel=ticket.channel,
        status=start.name,
        category=start.category,
        topic=ticket.topic,
        impact=ticket.impact,
        urgency=ticket.urgency,
        priority=ticket.priority,
        segment=ticket.segment,
        region=ticket.region,
        country=ticket.country,
        language=ticket.language,
        group=ticket.group,
        tags=ticket.tags,
        fields=fields,
        follow_up_of=ticket.id,
    )
    if body is None:
        return [opened]
    return [opened, Replied(ticket_id=new_ticket_id, seq=2, at=at, actor=actor, public=True, body=body)]


def timer_dues(
    timers: Sequence[Timer],
    ticket: Ticket,
    *,
    now: datetime,
    calendar: TimerCalendar | None,
    blocked: Callable[[str], str | None],
) -> list[TimerDue]:
    """The timers applying to ``ticket`` and not yet fired for their instant, earliest first.

    ``blocked(action)`` says why the system could not take ``action`` now (``None`` when it could).
    """
    fired = set(ticket.timers_fired)
    found: list[TimerDue] = []
    for i, timer in enumerate(timers):
        if not timer.applies_to(ticket.status, ticket.category):
            continue
        since = timer.since.instant(ticket)
        if since is None:
            continue
        due_at = _due_at(timer, since, calendar, i)
        if (timer.name, due_at) in fired:
            continue
        why = None if timer.action is None else blocked(timer.action)
        found.append(TimerDue(timer, since, due_at, due_at <= now and why is None, why))
    return sorted(found, key=lambda due: (due.due_at, due.timer.name))


def _due_at(timer: Timer, since: datetime, calendar: TimerCalendar | None, i: int) -> datetime:
    if not timer.business:
        return since + timer.after
    if calendar is None:
        raise ConfigError(
            f"timer {timer.name!r} counts business time, but no calendar was passed; "
            "call workflow.timers(ticket, now=..., calendar=your_calendar)",
            f"timers[{i}].business",
        )
    return utc(calendar.add(since, timer.after), f"the due instant of timer {timer.name!r}")
