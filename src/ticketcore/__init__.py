"""ticketcore: the core of a professional help desk, as an embeddable library.

The names below are the public surface; everything else lives in its module (``ticketcore.sla``,
``ticketcore.backlog`` …) or at the edges (``ticketcore.codec``, ``ticketcore.desk``, ``ticketcore.adapters``).
"""

from ticketcore._version import __version__
from ticketcore.errors import (
    ConcurrencyError,
    ConfigError,
    CorruptRecord,
    GuardRefused,
    InvalidEvent,
    InvalidTransition,
    MissingExtra,
    NaiveDatetimeError,
    NoBusinessTime,
    StorageError,
    TicketcoreError,
    TicketNotFound,
)
from ticketcore.model import (
    Actor,
    Assigned,
    Category,
    Event,
    FieldChanged,
    Linked,
    NoteAdded,
    Opened,
    PriorityChanged,
    Rated,
    Replied,
    Role,
    Status,
    StatusChanged,
    TagsChanged,
    Ticket,
    TimerFired,
    Unassigned,
)

__all__ = [
    # model
    "Actor",
    "Assigned",
    "Category",
    # errors
    "ConcurrencyError",
    "ConfigError",
    "CorruptRecord",
    "Event",
    "FieldChanged",
    "GuardRefused",
    "InvalidEvent",
    "InvalidTransition",
    "Linked",
    "MissingExtra",
    "NaiveDatetimeError",
    "NoBusinessTime",
    "NoteAdded",
    "Opened",
    "PriorityChanged",
    "Rated",
    "Replied",
    "Role",
    "Status",
    "StatusChanged",
    "StorageError",
    "TagsChanged",
    "Ticket",
    "TicketNotFound",
    "TicketcoreError",
    "TimerFired",
    "Unassigned",
    "__version__",
]
