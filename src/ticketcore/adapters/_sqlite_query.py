"""The SQL behind ``SQLiteStore.find`` (private to ``ticketcore.adapters.sqlite``)."""

from __future__ import annotations

from typing import Any

from ticketcore._time import to_micros
from ticketcore.repositories import TicketQuery, decode_cursor

__all__ = ["find_sql"]


def find_sql(tenant: str, query: TicketQuery) -> tuple[str, list[Any]]:
    """The keyset-paged query for ``query`` and its parameters: it selects ``(ticket_id, created_us)`` of up to
    ``limit + 1`` matching tickets in page order, touching only the covering paging index unless a filter needs more.
    """
    params: list[Any] = [tenant]
    where = ["t.tenant = ?"]
    if query.status is not None:
        where.append(_in("t.status", query.status, params))
    if query.category is not None:
        where.append(_in("t.category", frozenset(c.value for c in query.category), params))
    if query.priority is not None:
        where.append(_in("t.priority", query.priority, params))
    if query.assignee is not None:
        where.append(_in("t.assignee", query.assignee, params))
    if query.group is not None:
        where.append(_in("t.grp", query.group, params))
    for tag in sorted(query.tags):
        where.append(
            "EXISTS (SELECT 1 FROM ticket_tags g WHERE g.tenant = t.tenant AND g.tag = ? "
            "AND g.ticket_id = t.ticket_id)"
        )
        params.append(tag)
    for column, op, bound in (
        ("created_us", ">=", query.created_from),
        ("created_us", "<", query.created_before),
        ("updated_us", ">=", query.updated_since),
    ):
        if bound is not None:
            where.append(f"t.{column} {op} ?")
            params.append(to_micros(bound))
    direction = "DESC" if query.newest_first else "ASC"
    if query.cursor is not None:
        where.append(f"(t.created_us, t.ticket_id) {'<' if query.newest_first else '>'} (?, ?)")
        params.extend(decode_cursor(query.cursor))
    # Keys first, from the covering index (no row is read for a ticket that does not match), then snapshots.
    sql = (
        f"SELECT t.ticket_id, t.created_us FROM tickets t WHERE {' AND '.join(where)} "
        f"ORDER BY t.created_us {direction}, t.ticket_id {direction} LIMIT ?"
    )
    params.append(query.limit + 1)
    return sql, params


def _in(column: str, values: frozenset[Any], params: list[Any]) -> str:
    """``column IN (…)``, where a ``None`` among ``values`` also matches NULL, and an empty set matches nothing."""
    present = sorted((v for v in values if v is not None), key=str)
    clauses = []
    if present:
        clauses.append(f"{column} IN ({', '.join('?' * len(present))})")
        params.extend(present)
    if None in values:
        clauses.append(f"{column} IS NULL")
    return "(" + " OR ".join(clauses) + ")" if clauses else "0"
