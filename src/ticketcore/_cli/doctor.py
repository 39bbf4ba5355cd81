"""``ticketcore doctor``: the rows of a SQLite store that readers cannot decode, listed, quarantined or restored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TextIO

from ticketcore.adapters.sqlite import bad_rows, quarantine, restore

__all__ = ["run_doctor"]


def run_doctor(db: str, *, move: bool, back: bool, out: TextIO) -> int:
    """List the bad rows of ``db`` (and quarantine them with ``move``, or restore the quarantined ones with
    ``back``); the exit code: 0 when nothing is left to fix, 1 when bad rows remain in place."""
    if back:
        count = restore(db)
        print(f"restored {count} rows from the quarantine table of {db}", file=out)
        found = bad_rows(db)
        if found:
            print(
                f"{len(found)} of them still do not decode; run ticketcore doctor --db {db} for the list",
                file=out,
            )
        return 1 if found else 0
    found = bad_rows(db)
    if not found:
        print(f"{db}: every row decodes", file=out)
        return 0
    for row in found:
        print(
            f"{row.table} {row.key} (tenant {row.tenant!r}, ticket {row.ticket_id!r}): {row.problem}",
            file=out,
        )
    tickets = len({(row.tenant, row.ticket_id) for row in found})
    if not move:
        print(
            f"{len(found)} bad rows in {tickets} tickets; move those tickets aside, kept whole and verbatim, with: "
            f"ticketcore doctor --db {db} --quarantine",
            file=out,
        )
        return 1
    moved = quarantine(db, found, at=datetime.now(UTC))
    print(
        f"moved {moved} rows of {tickets} tickets to the quarantine table of {db} (each row's columns as JSON in "
        f"'row', with the reason and the time). Fix them there (UPDATE quarantine SET row = ... WHERE id = ...), "
        f"then put them back with: ticketcore doctor --db {db} --restore",
        file=out,
    )
    return 0
