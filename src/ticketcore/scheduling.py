"""When a ticket next needs the scheduler: its workflow timers, time-based rules and SLA alerts, as one instant.

A ticket stands still between two of its events, so everything time will do to it is known when it is written:
a workflow timer fires at its due instant, a time-based rule at the first instant its schedule and conditions allow
(see :meth:`~ticketcore.automation.AutomationSet.next_due`), and a running SLA clock reaches its warnings and its
breach at instants the report gives. :func:`next_due` is the earliest of them. ``HelpDesk`` stores it with every
append (``TicketStore.append(..., due=...)``), so a scheduler reads only the tickets that are due
(``TicketStore.due``), never all of them; after handling one it asks again and moves the instant on.

Pure: ``now`` and the SLA report are arguments.

>>> from datetime import UTC, datetime, timedelta
>>> import attrs
>>> from ticketcore.lifecycle import Timer, default_workflow
>>> from ticketcore.model import Actor, Opened, Role, Ticket
>>> workflow = attrs.evolve(default_workflow(), timers=[Timer("nudge", timedelta(hours=4), status="new")])
>>> opened = Opened(ticket_id="T-1", seq=1, at=datetime(2025, 3, 3, 9, tzinfo=UTC),
...                 actor=Actor("cy", Role.REQUESTER), requester="cy")
>>> due = next_due(Ticket.from_events([opened]), now=opened.at, workflow=workflow)
>>> due.at.isoformat(), due.reasons
('2025-03-03T13:00:00+00:00', ('timer:nudge',))
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from ticketcore._time import utc
from ticketcore.automation import AutomationSet
from ticketcore.errors import WrongType
from ticketcore.lifecycle import TimerCalendar, Workflow
from ticketcore.model import Ticket
from ticketcore.sla import SLAReport, upcoming

__all__ = ["Due", "next_due"]


@attrs.frozen
class Due:
    """The instant a scheduler must next look at a ticket, and why: ``timer:<name>`` (a workflow timer),
    ``automation:<rule>`` (a time-based rule), ``sla:<metric>:breach`` or ``sla:<metric>:warning``."""

    at: datetime
    reasons: tuple[str, ...]


def next_due(
    ticket: Ticket,
    *,
    now: datetime,
    workflow: Workflow,
    calendar: TimerCalendar | None = None,
    automations: AutomationSet | None = None,
    sla: SLAReport | None = None,
) -> Due | None:
    """The first instant ``>= now`` at which something is due on ``ticket`` as it stands; ``None`` when nothing
    ever is before the ticket changes.

    Counted: the workflow's timers that apply and are not blocked by a guard (``calendar`` for business-time
    ones), the time-based rules of ``automations``, and the warnings and breach of each running clock of ``sla``
    (the ticket's report at ``now``). Everything due at that instant is named in ``reasons``. A timer that came
    due before ``now`` and has not fired is due at ``now``.
    """
    now = utc(now, "now")
    if not isinstance(ticket, Ticket):
        raise WrongType("ticket", ticket, "a Ticket, e.g. Ticket.from_events(history)")
    if not isinstance(workflow, Workflow):
        raise WrongType("workflow", workflow, "a Workflow, e.g. default_workflow()")
    if calendar is not None and not callable(getattr(calendar, "add", None)):
        raise WrongType("calendar", calendar, "a business calendar (with add()), or None")
    if automations is not None and not isinstance(automations, AutomationSet):
        raise WrongType("automations", automations, "an AutomationSet, or None")
    if sla is not None and not isinstance(sla, SLAReport):
        raise WrongType("sla", sla, "the ticket's SLAReport at now, or None")
    found: list[tuple[datetime, str]] = [
        (max(due.due_at, now), f"timer:{due.timer.name}")
        for due in workflow.timers(ticket, now=now, calendar=calendar)
        if due.blocked is None
    ]
    if automations is not None:
        rule = automations.next_due(ticket, now=now, sla=sla)
        if rule is not None:
            found.append((rule[0], f"automation:{rule[1]}"))
    if sla is not None:
        # upcoming() lists a breach while it is ahead (the clock is breached just after breach_at).
        for alert in upcoming([sla], now=now, within=timedelta.max):
            found.append((alert.at, f"sla:{alert.metric}:{alert.kind}"))
    if not found:
        return None
    at = min(instant for instant, _ in found)
    return Due(at, tuple(reason for instant, reason in found if instant == at))
