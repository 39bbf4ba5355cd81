"""What the other areas need from a business calendar, as protocols (``BusinessCalendar`` satisfies them all).

Each area asks only for the methods it calls, so a caller may pass its own calendar-like object: a timer needs
:class:`TimerCalendar`, backlog metrics and deadline phrases need :class:`Elapsed`, and the vectorised DataFrame
arithmetic needs :class:`Segmented`. The public faces re-export them where users import them
(``ticketcore.lifecycle.TimerCalendar``, ``ticketcore.sla.Elapsed``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

__all__ = ["Elapsed", "Segmented", "TimerCalendar"]


class Elapsed(Protocol):
    """Anything that measures business time, such as a ``BusinessCalendar``."""

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time in ``[start, end)``."""
        ...  # pragma: no cover


class TimerCalendar(Protocol):
    """What a timer needs from a business calendar (``ticketcore.sla.BusinessCalendar`` has it)."""

    def add(self, start: datetime, duration: timedelta, /) -> datetime:
        """The instant at which ``duration`` of business time has elapsed since ``start``."""
        ...  # pragma: no cover


class Segmented(Elapsed, TimerCalendar, Protocol):
    """A calendar that also exposes its open segments (``BusinessCalendar.segments``), for whole-array arithmetic."""

    def segments(self, start: datetime, end: datetime) -> tuple[list[int], list[int], list[int]]:
        """Open segment starts, ends and the open µs before each, covering ``[start, end]``."""
        ...  # pragma: no cover
