"""The facts metrics read from one ticket's history, gathered in a single pass (private to ``ticketcore.backlog``)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Union

from ticketcore.errors import HistoryNeeded, WrongType
from ticketcore.model import Event, Rated, Replied, Ticket

__all__ = ["FoldedHistory", "HistoryNeeded", "Source", "histories_of"]

Source = Union[Sequence[Event], Ticket, "FoldedHistory"]
"""A ticket's history (its events, in order), a snapshot standing for its history up to ``updated_at``, or a history
already folded by ``ticketcore.backlog.fold``."""


class FoldedHistory:
    """One ticket's history folded once: its snapshot after each event, and the moments metrics count.

    Build them with ``ticketcore.backlog.fold(histories)`` and pass the list to several metrics, so that each
    history is folded once instead of once per metric.

    ``resolutions`` are ``(at, seq, assignee)`` of each move from an unsolved category into ``solved`` or ``closed``;
    ``reopens`` the instants of each move back; ``replies`` the ``(at, seq, actor id, is staff)`` of public replies;
    ``ratings`` the ``(at, score, scale)`` of each rating. A history built from a snapshot knows none of these.
    """

    __slots__ = (
        "created_at",
        "has_events",
        "ratings",
        "reopens",
        "replies",
        "resolutions",
        "snapshots",
        "ticket_id",
        "times",
    )

    def __init__(self, snapshots: list[Ticket], has_events: bool) -> None:
        first = snapshots[0]
        self.ticket_id = first.id
        self.created_at = first.created_at
        self.snapshots = snapshots
        self.times = [snapshot.updated_at for snapshot in snapshots]
        self.has_events = has_events
        self.resolutions: list[tuple[datetime, int, str | None]] = []
        self.reopens: list[datetime] = []
        self.replies: list[tuple[datetime, int, str, bool]] = []
        self.ratings: list[tuple[datetime, int, int]] = []

    @classmethod
    def from_events(cls, events: Sequence[Event]) -> FoldedHistory:
        """Fold ``events`` (raising :class:`~ticketcore.errors.InvalidEvent` for a broken history)."""
        ticket = Ticket.from_events(events[:1])
        history = cls([ticket], has_events=True)
        for event in events[1:]:
            after = ticket.apply(event)
            if ticket.is_unsolved and not after.is_unsolved:
                history.resolutions.append((event.at, event.seq, after.assignee))
            elif not ticket.is_unsolved and after.is_unsolved:
                history.reopens.append(event.at)
            if isinstance(event, Replied) and event.public:
                history.replies.append((event.at, event.seq, event.actor.id, event.actor.is_staff))
            elif isinstance(event, Rated):
                history.ratings.append((event.at, event.score, event.scale))
            history.snapshots.append(after)
            history.times.append(after.updated_at)
            ticket = after
        return history

    def at(self, instant: datetime) -> Ticket | None:
        """The ticket as it stood just before ``instant`` (events at ``instant`` or later unseen); ``None`` if it
        did not exist yet."""
        if not self.has_events:
            ticket = self.snapshots[0]
            if instant <= ticket.created_at:
                return None
            if instant <= ticket.updated_at:
                raise HistoryNeeded(
                    self.ticket_id,
                    f"its snapshot (version {ticket.version}, updated {ticket.updated_at.isoformat()}) cannot say "
                    f"how it stood just before {instant.isoformat()}",
                )
            return ticket
        i = bisect_left(self.times, instant)
        return self.snapshots[i - 1] if i else None

    def need_events(self, metric: str) -> None:
        """Refuse a snapshot-only history for a metric that counts events."""
        if not self.has_events:
            raise HistoryNeeded(
                self.ticket_id, f"{metric} counts events that a Ticket snapshot does not keep"
            )


def _snapshot_history(ticket: Ticket) -> FoldedHistory:
    return FoldedHistory([ticket], has_events=False)


def histories_of(sources: Iterable[Source]) -> list[FoldedHistory]:
    """Each source as a :class:`FoldedHistory`, refusing a ticket id seen twice."""
    if isinstance(sources, str | bytes) or not isinstance(sources, Iterable):
        raise WrongType("sources", sources, "an iterable of tickets, histories or event lists")
    result: list[FoldedHistory] = []
    seen: set[str] = set()
    for source in sources:
        if isinstance(source, FoldedHistory):
            history = source
        elif isinstance(source, Ticket):
            history = _snapshot_history(source)
        else:
            if isinstance(source, str | bytes) or not isinstance(source, Iterable):
                raise WrongType("each source", source, "a Ticket, a FoldedHistory or a ticket's events")
            events = list(source)
            history = FoldedHistory.from_events(events)
        if history.ticket_id in seen:
            raise ValueError(
                f"ticket {history.ticket_id!r} appears twice in the histories; pass each ticket's history once"
            )
        seen.add(history.ticket_id)
        result.append(history)
    return result
