"""Change records (one field's old and new value per record) rebuilt into the successive states of each ticket.

Audit tables such as ServiceNow's ``sys_audit`` record each change of each field as its own row. The records of
one ticket and one update (the same ``order`` value, ServiceNow's ``record_checkpoint``) are one state; a ticket's
first update is its creation. A field whose first record comes later held that record's old value from the start.
The states then go through the snapshot engine like any other export's rows, so the mapping, the anomalies and
the accounting are the same.

The records of the whole file are held in memory (an audit table is ordered by time, not by ticket).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from .reading import ROW_ERROR, Row


@attrs.frozen
class Change:
    """One record: its line, the ticket, the update's order, time and author, and the field's old and new value."""

    line: int
    ticket: str
    order: str
    at: str
    actor: str
    field: str
    old: str | None
    new: str


def rebuild(
    changes: Iterable[Change],
    *,
    ticket: str,
    order: str,
    at: str,
    actor: str,
    problems: Iterable[tuple[int, str, str]] = (),
) -> list[Row]:
    """The states the records stand for, a ticket's together and in order, named by the given columns.

    A state's line is the line of its update's first record. ``problems`` — ``(line, ticket, reason)`` of records
    that could not be read — come as rows beside their ticket's states, so that they refuse it and are counted.
    """
    tickets: dict[str, dict[str, list[Change]]] = {}
    bad: dict[str, list[Row]] = {}
    for line, ticket_id, reason in problems:
        bad.setdefault(ticket_id, []).append((line, {ticket: ticket_id, ROW_ERROR: reason}))
        tickets.setdefault(ticket_id, {})
    for change in changes:
        tickets.setdefault(change.ticket, {}).setdefault(change.order, []).append(change)
    rows: list[Row] = []
    for ticket_id, updates in tickets.items():
        rows.extend(bad.get(ticket_id, ()))
        ordered = sorted(updates.items(), key=lambda item: (_number(item[0]), item[1][0].line))
        before: dict[str, str | None] = {}
        for _, records in ordered[1:]:
            for record in records:
                before.setdefault(record.field, record.old)
        state = {field: value for field, value in before.items() if value is not None}
        for position, records in ordered:
            for record in records:
                state[record.field] = record.new
            first = records[0]
            head = {ticket: ticket_id, order: position, at: first.at, actor: first.actor}
            rows.append((first.line, head | state))
    return rows


def _number(order: str) -> tuple[int, str]:
    text = order.strip()
    return (int(text), "") if text.isdigit() else (-1, text)
