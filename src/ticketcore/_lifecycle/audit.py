"""Checking a recorded history against a workflow, reporting deviations instead of refusing them."""

from __future__ import annotations

from collections.abc import Iterable

from ticketcore._lifecycle.defs import REPLY_ACTION, SystemRules, Violation
from ticketcore._lifecycle.validate import Index
from ticketcore.model import Category, Event, Opened, StatusChanged, Ticket

__all__ = ["audit_history"]


def audit_history(index: Index, rules: SystemRules, events: Iterable[Event]) -> list[Violation]:
    """Every deviation of ``events`` (one or more tickets' histories, each in order) from the workflow."""
    tickets: dict[str, Ticket] = {}
    found: list[Violation] = []
    for event in events:
        current = tickets.get(event.ticket_id)
        if current is None:
            ticket = Ticket.from_events([event])
            if isinstance(event, Opened):
                found.extend(_opened(index, event))
        else:
            if rules.closed_immutable and current.category is Category.CLOSED:
                found.append(
                    _violation(
                        event,
                        "closed_changed",
                        f"a {event.type!r} event changed the closed ticket (status {current.status!r}); "
                        "closed tickets are immutable",
                    )
                )
            elif isinstance(event, StatusChanged):
                found.extend(_status_changed(index, rules, current, event))
            ticket = current.apply(event)
        tickets[event.ticket_id] = ticket
    return found


def _violation(event: Event, rule: str, message: str) -> Violation:
    return Violation(event.ticket_id, event.seq, rule, message)


def _known(index: Index, event: Event, status: str, category: Category) -> list[Violation]:
    known = index.by_name.get(status)
    if known is None:
        names = ", ".join(repr(name) for name in index.by_name)
        return [_violation(event, "unknown_status", f"status {status!r} is not in the workflow ({names})")]
    if known.category is not category:
        return [
            _violation(
                event,
                "category_mismatch",
                f"status {status!r} is recorded in the {category.value!r} category, but the workflow puts it "
                f"in {known.category.value!r}",
            )
        ]
    return []


def _opened(index: Index, event: Opened) -> list[Violation]:
    found = _known(index, event, event.status, event.category)
    if not found and event.status != index.initial.name:
        found.append(
            _violation(
                event,
                "not_initial",
                f"the ticket opened in {event.status!r}, not in the initial status {index.initial.name!r}",
            )
        )
    return found


def _status_changed(
    index: Index, rules: SystemRules, ticket: Ticket, event: StatusChanged
) -> list[Violation]:
    found: list[Violation] = []
    if event.from_status != ticket.status:
        found.append(
            _violation(
                event,
                "from_mismatch",
                f"the event moves from {event.from_status!r}, but the ticket was in {ticket.status!r}",
            )
        )
    target_problems = _known(index, event, event.to_status, event.to_category)
    found.extend(target_problems)
    if rules.never_back_to_new and event.to_category is Category.NEW:
        found.append(
            _violation(event, "back_to_new", f"the ticket went back to {event.to_status!r}, a 'new' status")
        )
    if not target_problems and ticket.status in index.by_name and not _legal(index, rules, ticket, event):
        by = f" by action {event.action!r}" if event.action else ""
        found.append(
            _violation(
                event,
                "no_transition",
                f"no transition leads from {ticket.status!r} to {event.to_status!r}{by}",
            )
        )
    if rules.solve_needs_assignee and event.to_category is Category.SOLVED and ticket.assignee is None:
        found.append(
            _violation(event, "solved_unassigned", f"the ticket was solved ({event.to_status!r}) unassigned")
        )
    return found


def _legal(index: Index, rules: SystemRules, ticket: Ticket, event: StatusChanged) -> bool:
    reply_move = (
        rules.reply_reopens
        and index.follow_up is not None
        and ticket.category in rules.reply_reopens_from
        and event.to_status == index.follow_up.name
    )
    if event.action == REPLY_ACTION:
        return bool(reply_move)
    if event.action is not None:
        transition = index.moves.get((ticket.status, event.action))
        return transition is not None and transition.target == event.to_status
    return bool(reply_move) or any(
        source == ticket.status and transition.target == event.to_status
        for (source, _), transition in index.moves.items()
    )
