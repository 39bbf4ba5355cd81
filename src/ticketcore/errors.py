"""Every exception ticketcore raises, rooted in :class:`TicketcoreError`.

Each exception carries the facts of the refusal as attributes (``.path``, ``.ticket_id``, ``.action`` …) and builds
its message in one place, so that the message names the bad value and says how to fix it. Exceptions that stand for
bad input also inherit the matching builtin (``ValueError``, ``KeyError``), so generic handlers keep working.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

__all__ = [
    "AgentNotFound",
    "AutomationLoop",
    "BadInput",
    "ConcurrencyError",
    "ConfigError",
    "CorruptRecord",
    "GuardRefused",
    "HistoryNeeded",
    "InvalidEvent",
    "InvalidTransition",
    "MissingExtra",
    "NaiveDatetimeError",
    "NoBusinessTime",
    "PriorityError",
    "StorageError",
    "TicketNotFound",
    "TicketcoreError",
    "WrongType",
]


class TicketcoreError(Exception):
    """The root of every exception raised by ticketcore."""


class ConfigError(TicketcoreError, ValueError):
    """Configuration (a workflow, matrix, calendar, policy, rule …) is invalid.

    ``path`` names the bad field in dotted form (``hours.mon[1]``); ``problem`` says what is wrong with it and how to
    fix it. Loaders prefix the path as the error travels outwards, so a nested error reads
    ``calendars.rome.hours.mon[1]: '25:00' is not a time of day …``.
    """

    def __init__(self, problem: str, path: str = "") -> None:
        self.problem = problem
        self.path = path
        super().__init__(f"{path}: {problem}" if path else problem)

    @classmethod
    def invalid_choice(cls, value: object, choices: type[enum.Enum], path: str = "") -> ConfigError:
        """``value`` is none of the members of the enum ``choices``; the message lists the valid values."""
        options = ", ".join(repr(member.value) for member in choices)
        return cls(f"{value!r} is not a valid {choices.__name__}; valid values: {options}", path)

    def within(self, prefix: str | int) -> ConfigError:
        """The same error seen from the enclosing field ``prefix`` (a name, or an index for sequences)."""
        head = f"[{prefix}]" if isinstance(prefix, int) else str(prefix)
        if not self.path:
            path = head
        elif self.path.startswith("["):
            path = head + self.path
        else:
            path = f"{head}.{self.path}" if head else self.path
        return type(self)(self.problem, path)

    def __reduce__(self) -> tuple[type[ConfigError], tuple[str, str]]:
        return (type(self), (self.problem, self.path))


class NaiveDatetimeError(TicketcoreError, ValueError):
    """A datetime without a time zone crossed the public API."""

    def __init__(self, name: str, value: object) -> None:
        self.name = name
        self.value = value
        super().__init__(
            f"{name} must be timezone-aware, got the naive datetime {value!r}; "
            "attach a zone, e.g. value.replace(tzinfo=ZoneInfo('Europe/Rome')) or datetime.now(UTC)"
        )


class WrongType(TicketcoreError, TypeError):
    """An argument of the wrong type crossed the public API (a date where a datetime belongs, a string for a list).

    ``name`` names the argument, ``value`` is what was given and ``expected`` says what to give instead.
    """

    def __init__(self, name: str, value: object, expected: str) -> None:
        self.name = name
        self.value = value
        self.expected = expected
        super().__init__(f"{name} must be {expected}, got {type(value).__name__} {value!r}")

    def __reduce__(self) -> tuple[type[WrongType], tuple[str, object, str]]:
        return (type(self), (self.name, self.value, self.expected))


class InvalidEvent(TicketcoreError, ValueError):
    """An event (or a sequence of events) cannot be part of a ticket's history."""

    def __init__(
        self, problem: str, *, ticket_id: str | None = None, seq: int | None = None, path: str = ""
    ) -> None:
        self.problem = problem
        self.ticket_id = ticket_id
        self.seq = seq
        self.path = path
        where = []
        if ticket_id is not None:
            where.append(f"ticket {ticket_id!r}")
        if seq is not None:
            where.append(f"event seq {seq}")
        if path:
            where.append(f"field {path}")
        super().__init__(f"{', '.join(where)}: {problem}" if where else problem)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_invalid_event, (self.problem, self.ticket_id, self.seq, self.path))


def _rebuild_invalid_event(problem: str, ticket_id: str | None, seq: int | None, path: str) -> InvalidEvent:
    return InvalidEvent(problem, ticket_id=ticket_id, seq=seq, path=path)


class InvalidTransition(TicketcoreError):
    """A workflow command is not allowed for this ticket, in its status, for this actor."""

    def __init__(
        self,
        action: str,
        status: str,
        allowed: Iterable[str] = (),
        *,
        ticket_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.action = action
        self.status = status
        self.allowed: tuple[str, ...] = tuple(sorted(allowed))
        self.ticket_id = ticket_id
        self.reason = reason
        subject = f"ticket {ticket_id!r}" if ticket_id is not None else "the ticket"
        message = f"cannot {action!r} {subject} in status {status!r}"
        if reason:
            message += f": {reason}"
        options = ", ".join(self.allowed) if self.allowed else "none"
        message += f". Allowed now: {options}"
        super().__init__(message)


class GuardRefused(InvalidTransition):
    """A transition exists, but one of its guards refused it; ``guard`` names it and ``reason`` says why."""

    def __init__(
        self,
        action: str,
        status: str,
        guard: str,
        reason: str,
        allowed: Iterable[str] = (),
        *,
        ticket_id: str | None = None,
    ) -> None:
        self.guard = guard
        super().__init__(
            action, status, allowed, ticket_id=ticket_id, reason=f"guard {guard!r} refused: {reason}"
        )


class PriorityError(TicketcoreError, ValueError):
    """A priority, impact or urgency value does not fit the matrix, or a priority command is refused.

    ``subject`` names what was wrong (``"impact"``, ``"priority"``, ``"reason"``, ``"actor"``), ``value`` the bad value.
    """

    def __init__(self, subject: str, value: object, problem: str) -> None:
        self.subject = subject
        self.value = value
        self.problem = problem
        super().__init__(f"{subject} {value!r}: {problem}")

    @classmethod
    def out_of_range(cls, subject: str, value: object, highest: int) -> PriorityError:
        """``value`` is not a level from 1 to ``highest``."""
        return cls(subject, value, f"not a valid {subject} level here; valid levels: 1 to {highest}")

    def __reduce__(self) -> tuple[type[PriorityError], tuple[str, object, str]]:
        return (type(self), (self.subject, self.value, self.problem))


class ConcurrencyError(TicketcoreError):
    """An append was made against a stale version of the ticket; nothing was written."""

    def __init__(self, ticket_id: str, expected: int, actual: int) -> None:
        self.ticket_id = ticket_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"ticket {ticket_id!r} is at version {actual}, not the expected {expected}; "
            "reload the ticket and decide again"
        )


class TicketNotFound(TicketcoreError, KeyError):
    """No ticket with this id exists in the store (for this tenant)."""

    def __init__(self, ticket_id: str) -> None:
        self.ticket_id = ticket_id
        super().__init__(ticket_id)

    def __str__(self) -> str:
        return f"no ticket with id {self.ticket_id!r} in this store"


class AgentNotFound(TicketcoreError, KeyError):
    """No agent with this id is in the directory (for this tenant)."""

    def __init__(self, agent_id: str) -> None:
        self.agent_id = agent_id
        super().__init__(agent_id)

    def __str__(self) -> str:
        return f"no agent with id {self.agent_id!r} in this directory; add it with put_agent({self.agent_id!r}, data)"


class HistoryNeeded(TicketcoreError, ValueError):
    """A metric needs more of a ticket's history than a :class:`Ticket` snapshot keeps; pass the ticket's events."""

    def __init__(self, ticket_id: str, problem: str) -> None:
        self.ticket_id = ticket_id
        super().__init__(f"ticket {ticket_id!r}: {problem}; pass the ticket's events instead of its snapshot")


class NoBusinessTime(TicketcoreError, ValueError):
    """A business-time computation cannot finish: the calendar has no open time where it would be needed."""


class StorageError(TicketcoreError):
    """A storage adapter failed in a way that is not the caller's fault (driver errors are translated to this)."""


class CorruptRecord(StorageError):
    """A stored row cannot be decoded; the message names the row. Nothing is changed by the read.

    ``ticket_id`` names the row's ticket and ``position`` (for an events row) its stream position, so that a
    reader can go on past it: ``store.stream(after=error.position)``, or
    :func:`ticketcore.repositories.read_stream`, which does so and reports each bad row.
    """

    def __init__(self, problem: str, *, ticket_id: str | None = None, position: int | None = None) -> None:
        self.problem = problem
        self.ticket_id = ticket_id
        self.position = position
        super().__init__(problem)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_corrupt_record, (self.problem, self.ticket_id, self.position))


def _rebuild_corrupt_record(problem: str, ticket_id: str | None, position: int | None) -> CorruptRecord:
    return CorruptRecord(problem, ticket_id=ticket_id, position=position)


class MissingExtra(TicketcoreError, ImportError):
    """An optional feature needs a package extra that is not installed."""

    def __init__(self, feature: str, extra: str, packages: Sequence[str]) -> None:
        self.feature = feature
        self.extra = extra
        super().__init__(
            f"{feature} needs {', '.join(packages)}; install it with: pip install 'ticketcore[{extra}]'"
        )


class AutomationLoop(TicketcoreError):
    """Automation rules would not settle on one update: they undo each other, or need more passes than allowed.

    ``rules`` names the rules involved, in the order they fired.
    """

    def __init__(
        self, rules: Iterable[str], *, ticket_id: str | None = None, passes: int | None = None
    ) -> None:
        self.rules: tuple[str, ...] = tuple(rules)
        self.ticket_id = ticket_id
        self.passes = passes
        subject = f"ticket {ticket_id!r}" if ticket_id is not None else "the ticket"
        names = ", ".join(repr(rule) for rule in self.rules)
        if passes is None:
            why = f"the rules {names} undo each other's changes on {subject}"
        else:
            why = f"the rules on {subject} still fire after {passes} passes ({names})"
        super().__init__(f"{why}; change their conditions so that one's actions stop matching the other")


class BadInput(TicketcoreError, ValueError):
    """An import file cannot be read as declared: ``line`` and ``column`` (when known) say where, the message why."""

    def __init__(self, problem: str, line: int | None = None, column: str | None = None) -> None:
        self.problem = problem
        self.line = line
        self.column = column
        where = ", ".join(
            part for part in (f"line {line}" if line else "", f"column {column!r}" if column else "") if part
        )
        super().__init__(f"{where}: {problem}" if where else problem)

    def __reduce__(self) -> tuple[type[BadInput], tuple[str, int | None, str | None]]:
        return (type(self), (self.problem, self.line, self.column))
