"""The configuration values of a workflow (transitions, system rules, timers) and the values it answers with.

Everything here is a frozen attrs value that loads from and dumps to plain data through ``ticketcore.codec``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from ticketcore._check import texts
from ticketcore.errors import ConfigError
from ticketcore.model import STAFF_ROLES, Category, Role, Ticket, member_set

__all__ = [
    "REPLY_ACTION",
    "STAFF_ROLES",
    "Anchor",
    "SystemRules",
    "Timer",
    "TimerDue",
    "Transition",
    "Violation",
]


REPLY_ACTION = "requester_reply"
"""The action recorded on a status change made by the reply system rule; reserved, no transition may use it."""


def _names(values: Iterable[str]) -> tuple[str, ...]:
    return texts(values, "names")


def _roles(values: Iterable[Role | str]) -> frozenset[Role]:
    return member_set(Role, values, "roles")


def _categories(values: Iterable[Category | str]) -> frozenset[Category]:
    return member_set(Category, values, "categories")


def _optional_category(value: Category | str | None) -> Category | None:
    return None if value is None else next(iter(_categories([value])))


@attrs.frozen
class Transition:
    """An action that moves a ticket from one of ``sources`` to ``target``.

    ``roles`` may take it (the staff roles when not given); every guard named in ``guards`` must allow it.

    >>> Transition("solve", ["open", "pending"], "solved", guards=["has_assignee"]).sources
    ('open', 'pending')
    """

    action: str
    sources: tuple[str, ...] = attrs.field(converter=_names)
    target: str
    roles: frozenset[Role] = attrs.field(default=STAFF_ROLES, converter=_roles)
    guards: tuple[str, ...] = attrs.field(default=(), converter=_names)


@attrs.frozen(kw_only=True)
class SystemRules:
    """The help-desk rules a workflow enforces besides its transitions; each is on by default.

    - ``reply_reopens``: a public requester reply on a ticket whose category is in ``reply_reopens_from`` moves it to
      the follow-up status (the ``open`` status flagged ``default_for_follow_up``); from ``solved`` that is a reopen.
    - ``never_back_to_new``: no transition may lead into a ``new`` status.
    - ``closed_immutable``: ``closed`` statuses have no exits; a requester reply opens a follow-up ticket instead.
    - ``solve_needs_assignee``: every transition into a ``solved`` status also needs the ``has_assignee`` guard.
    """

    reply_reopens: bool = True
    reply_reopens_from: frozenset[Category] = attrs.field(
        default=frozenset({Category.PENDING, Category.ON_HOLD, Category.SOLVED}), converter=_categories
    )
    never_back_to_new: bool = True
    closed_immutable: bool = True
    solve_needs_assignee: bool = True


class Anchor(enum.StrEnum):
    """The instant a timer counts from, read from the ticket snapshot."""

    STATUS = "status_since"
    """When the ticket entered its current status."""
    SOLVED = "solved_at"
    """When the ticket was (last) solved."""
    REQUESTER_REPLY = "last_requester_reply"
    """The requester's last public reply, or entering the status if that came later."""
    AGENT_REPLY = "last_agent_reply"
    """The last public agent reply, or entering the status if that came later."""
    CREATED = "created_at"
    """When the ticket was opened."""

    def instant(self, ticket: Ticket) -> datetime | None:
        """The anchor's instant for ``ticket``, or ``None`` when the ticket has none (e.g. never solved)."""
        if self is Anchor.STATUS:
            return ticket.status_since
        if self is Anchor.SOLVED:
            return ticket.solved_at
        if self is Anchor.CREATED:
            return ticket.created_at
        reply = (
            ticket.last_requester_reply_at if self is Anchor.REQUESTER_REPLY else ticket.last_agent_reply_at
        )
        return ticket.status_since if reply is None else max(reply, ticket.status_since)


def _to_anchor(value: Anchor | str) -> Anchor:
    try:
        return Anchor(value)
    except ValueError:
        raise ConfigError.invalid_choice(value, Anchor) from None


@attrs.frozen
class Timer:
    """A timed rule: ``after`` the ``since`` anchor, while the ticket is in ``status`` (or any status of
    ``category``), take ``action`` as the system — or, without an action, only record a reminder.

    ``business=True`` counts ``after`` in business time on the calendar passed to ``Workflow.timers``.

    >>> Timer("auto_close", timedelta(days=4), category=Category.SOLVED, since=Anchor.SOLVED, action="close").action
    'close'
    """

    name: str
    after: timedelta
    status: str | None = attrs.field(default=None, kw_only=True)
    category: Category | None = attrs.field(default=None, kw_only=True, converter=_optional_category)
    since: Anchor = attrs.field(default=Anchor.STATUS, kw_only=True, converter=_to_anchor)
    action: str | None = attrs.field(default=None, kw_only=True)
    business: bool = attrs.field(default=False, kw_only=True)

    def applies_to(self, status: str, category: Category) -> bool:
        """True when a ticket in ``status`` (of ``category``) is subject to this timer."""
        if self.status is not None:
            return self.status == status
        return self.category is category


@attrs.frozen
class TimerDue:
    """A timer that applies to a ticket now: it counts from ``since`` and fires at ``due_at`` (UTC).

    ``due`` is true when ``due_at`` has come and nothing blocks it; ``blocked`` says why a due action cannot run yet
    (a guard refuses it), in which case ``due`` is false until the obstacle is gone.
    """

    timer: Timer
    since: datetime
    due_at: datetime
    due: bool
    blocked: str | None = None


@attrs.frozen
class Violation:
    """A deviation of a recorded history from a workflow: which ticket and event, which ``rule``, and what happened."""

    ticket_id: str
    seq: int
    rule: str
    message: str
