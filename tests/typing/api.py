"""Uses the public API the way a user would; checked by `mypy --strict` in CI (never executed by pytest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ticketcore import Actor, Event, Opened, Replied, Role, Ticket, TicketcoreError
from ticketcore.codec import dump, load

at = datetime(2025, 3, 3, 9, tzinfo=UTC)
events: list[Event] = [
    Opened(ticket_id="T-1", seq=1, at=at, actor=Actor("cy", Role.REQUESTER), requester="cy", subject="Hi"),
    Replied(ticket_id="T-1", seq=2, at=at + timedelta(minutes=3), actor=Actor("ada", Role.AGENT)),
]
ticket: Ticket = Ticket.from_events(events)
version: int = ticket.version
first_reply: datetime | None = ticket.first_replied_at
data = dump(events)
again: list[Event] = load(list[Event], data)
try:
    load(Ticket, {"id": 1})
except TicketcoreError as error:
    message: str = str(error)
