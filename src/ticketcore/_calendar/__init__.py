"""Business time: the one home of business calendars (public through ``ticketcore.sla``).

Other areas import this package's face, never its modules: :class:`BusinessCalendar`, :class:`Holidays`,
:class:`RecurringClosure`, the calendar protocols, and the two searches over a segment table (``open_before``,
``instant_reaching``) that every business-time computation answers through. Inside, ``config`` parses and checks a
calendar's configuration, ``dates`` defines the dates it closes on, ``protocols`` says what other areas need of a
calendar, ``table`` does the zone and interval arithmetic and keeps the per-year tables, and ``calendar`` holds the
calendar itself.
"""

from ticketcore._calendar.calendar import BusinessCalendar, Holidays, RecurringClosure
from ticketcore._calendar.protocols import Elapsed, Segmented, TimerCalendar
from ticketcore._calendar.table import instant_reaching, open_before

__all__ = [
    "BusinessCalendar",
    "Elapsed",
    "Holidays",
    "RecurringClosure",
    "Segmented",
    "TimerCalendar",
    "instant_reaching",
    "open_before",
]
