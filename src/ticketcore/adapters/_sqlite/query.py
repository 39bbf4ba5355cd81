"""The SQL behind ``SQLiteStore.find`` (private to ``ticketcore.adapters.sqlite``)."""

from __future__ import annotations

from typing import Any

from ticketcore.adapters._common import in_clause, time_bounds, value_filters
from ticketcore.repositories import TicketQuery, decode_cursor

__all__ = ["find_sql"]


def find_sql(tenant: str, query: TicketQuery) -> tuple[str, list[Any]]:
    """The keyset-paged query for ``query`` and its parameters: it selects ``(ticket_id, created_us)`` of up to
    ``limit + 1`` matching tickets in page order, touching only the covering paging index unless a filter needs more.
    """
    params: list[Any] = [tenant]
    where = ["t.tenant = ?"]
    for column, values, _ in value_filters(query):
        where.append(in_clause(f"t.{column}", values, params, "?", "0"))
    for tag in sorted(query.tags):
        where.append(
            "EXISTS (SELECT 1 FROM ticket_tags g WHERE g.tenant = t.tenant AND g.tag = ? "
            "AND g.ticket_id = t.ticket_id)"
        )
        params.append(tag)
    for column, op, micros in time_bounds(query):
        where.append(f"t.{column} {op} ?")
        params.append(micros)
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
