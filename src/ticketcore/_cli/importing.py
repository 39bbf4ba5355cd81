"""``ticketcore import``: ticket events from CSV or JSON Lines into a store, a whole ticket or nothing of it.

The rows follow the events column schema of ``ticketcore.dataframes`` (``EVENT_COLUMNS``: ``ticket_id``, ``seq``,
``at``, ``type``, ``actor_id``, ``actor_role`` and one column per event attribute, empty where unused), read with the
standard library only — pandas is not needed. A JSON Lines row may also be an event in ``ticketcore.codec``'s own
form (with a nested ``"actor": {"id": …, "role": …}``). ``--map src=dst`` renames a file's columns first.

Each row becomes an event (``codec.load``); each ticket's events are checked together (``Ticket.from_events``) and
appended in one atomic batch. A ticket with any bad row is refused whole, and every bad row is reported with its line
number and the reason.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from ticketcore import codec
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.dataframes import EVENT_COLUMNS
from ticketcore.errors import ConcurrencyError, ConfigError, InvalidEvent, StorageError, TicketNotFound
from ticketcore.importers import FORMATS, ImportReport, import_file, mapping_for
from ticketcore.lifecycle import Workflow
from ticketcore.model import Event, Ticket
from ticketcore.repositories import TicketStore

__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "ImportResult",
    "Refusal",
    "import_events",
    "import_export",
    "read_rows",
]

IMPORT_FORMATS = ("csv", "jsonl")
EXPORT_FORMATS = tuple(FORMATS)

_INTS = frozenset({"seq", "impact", "urgency", "priority", "from_priority", "to_priority", "score", "scale"})
_BOOLS = frozenset({"pauses_sla", "manual", "public"})
_SETS = frozenset({"tags", "added", "removed"})
_SCALARS = frozenset({"value", "previous"})
_INTEGER = re.compile(r"-?[0-9]+")  # str.isdigit would let '¹' and '٣' through to int()


@attrs.frozen
class Refusal:
    """A row not imported: its line, its ticket (when known), and why."""

    line: int
    ticket_id: str | None
    reason: str


@attrs.frozen
class ImportResult:
    """Rows and tickets imported, and the rows refused (the bad ones and the others of their tickets)."""

    rows: int
    tickets: int
    refused: tuple[Refusal, ...]

    @property
    def bad_rows(self) -> tuple[Refusal, ...]:
        """The rows refused for a problem of their own (not just for sharing a ticket with a bad row)."""
        return tuple(r for r in self.refused if not r.reason.startswith("ticket refused:"))


@attrs.frozen
class _Row:
    line: int
    data: dict[str, Any]


class RowError(ValueError):
    """A row's cell cannot be read."""


def _mapping(pairs: Mapping[str, str]) -> dict[str, str]:
    for target in pairs.values():
        if target not in EVENT_COLUMNS:
            raise ConfigError(
                f"{target!r} is not an event column; valid columns: {', '.join(EVENT_COLUMNS)}", "map"
            )
    return dict(pairs)


def read_rows(path: Path, fmt: str, columns: Mapping[str, str]) -> Iterator[_Row]:
    """The rows of a CSV or JSON Lines file, renamed by ``columns``; unreadable lines come as ``{"__error__": …}``."""
    rename = _mapping(columns)
    with path.open(encoding="utf-8", newline="") as file:
        if fmt == "csv":
            reader = csv.DictReader(file)
            header = [rename.get(name, name) for name in reader.fieldnames or []]
            unknown = [name for name in header if name not in EVENT_COLUMNS]
            if unknown:
                raise ConfigError(
                    f"unknown column {unknown[0]!r}; map it with --map {unknown[0]}=<column> or remove it; "
                    f"valid columns: {', '.join(EVENT_COLUMNS)}",
                    "columns",
                )
            line = 2
            for raw in reader:
                data = {rename.get(k, k): v for k, v in raw.items() if k is not None}
                if None in raw:
                    data["__error__"] = (
                        f"the row has {len(header) + len(raw[None])} cells, the header {len(header)}"
                    )
                yield _Row(line, data)
                line = reader.line_num + 1
            return
        for number, text in enumerate(file, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                yield _Row(number, {"__error__": f"not valid JSON: {error.msg}"})
                continue
            if not isinstance(value, dict):
                yield _Row(number, {"__error__": f"expected a JSON object, got {type(value).__name__}"})
                continue
            yield _Row(number, {rename.get(str(k), str(k)): v for k, v in value.items()})


def _int(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    raise RowError(f"{name} must be a whole number, got {value!r}")


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "false", "0", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise RowError(f"{name} must be true or false, got {value!r}")


def _cell(name: str, value: Any) -> Any:
    if name in _INTS:
        return _int(value, name)
    if name in _BOOLS:
        return _bool(value, name)
    if name in _SETS:
        return [p.strip() for p in value.split(";") if p.strip()] if isinstance(value, str) else value
    if name == "fields" and isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise RowError(f"fields must be a JSON object, got {value!r}") from None
    if name in _SCALARS and isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _event_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """A flat row as ``codec``'s event form: empty cells left out, cells typed, ``actor`` nested."""
    if "__error__" in data:
        raise RowError(str(data["__error__"]))
    if "actor" in data:
        return dict(data)  # already an event in codec form
    unknown = [name for name in data if name not in EVENT_COLUMNS]
    if unknown:
        raise RowError(f"unknown column {unknown[0]!r}; valid columns: {', '.join(EVENT_COLUMNS)}")
    present = {k: v for k, v in data.items() if v is not None and v != ""}
    for required in ("ticket_id", "at", "type", "actor_id", "actor_role"):
        if required not in present:
            raise RowError(f"{required} is required and empty")
    event = {
        name: _cell(name, value) for name, value in present.items() if name not in ("actor_id", "actor_role")
    }
    event["actor"] = {"id": present["actor_id"], "role": present["actor_role"]}
    return event


def _complete(
    ticket_rows: list[tuple[_Row, dict[str, Any]]], workflow: Workflow, version: int
) -> dict[int, str]:
    """Fill what the schema lets a file leave out: seq numbers, categories from status names, from_status.

    Returns the problems found, by line.
    """
    if any("seq" not in event for _, event in ticket_rows):
        ticket_rows.sort(key=lambda item: (str(item[1].get("at", "")), item[0].line))
        for offset, (_, event) in enumerate(ticket_rows, start=1):
            event["seq"] = version + offset
    else:
        ticket_rows.sort(key=lambda item: (_seq(item[1]), item[0].line))
    categories = {status.name: status.category.value for status in workflow.statuses}
    problems: dict[int, str] = {}
    current = None
    for row, event in ticket_rows:
        kind = event.get("type")
        try:
            if kind == "opened":
                event.setdefault("status", workflow.initial_status.name)
                _category(event, "status", "category", categories)
                current = event["status"]
            elif kind == "status_changed":
                if "from_status" not in event and current is not None:
                    event["from_status"] = current
                _category(event, "from_status", "from_category", categories)
                _category(event, "to_status", "to_category", categories)
                current = event.get("to_status", current)
        except RowError as error:
            problems[row.line] = str(error)
    return problems


def _seq(event: Mapping[str, Any]) -> int:
    value = event.get("seq")
    return value if isinstance(value, int) else 0


def _category(event: dict[str, Any], status: str, category: str, known: Mapping[str, str]) -> None:
    if category in event or status not in event:
        return
    name = event[status]
    if name not in known:
        raise RowError(
            f"status {name!r} is not in the workflow ({', '.join(known)}); give its {category} column "
            f"(new, open, pending, on_hold, solved or closed)"
        )
    event[category] = known[name]


def import_events(
    rows: Iterator[_Row],
    store: TicketStore,
    workflow: Workflow,
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Append the tickets of ``rows`` to ``store``, each whole or not at all."""
    refused: list[Refusal] = []
    tickets: dict[str, list[tuple[_Row, dict[str, Any]]]] = {}
    bad: dict[str, list[Refusal]] = {}
    for row in rows:
        ticket_id = row.data.get("ticket_id")
        key = str(ticket_id) if ticket_id not in (None, "") else None
        try:
            event = _event_data(row.data)
        except RowError as error:
            if key is None:
                refused.append(Refusal(row.line, None, str(error)))
            else:
                bad.setdefault(key, []).append(Refusal(row.line, key, str(error)))
                tickets.setdefault(key, [])
            continue
        tickets.setdefault(str(event["ticket_id"]), []).append((row, event))
    imported_rows = imported_tickets = 0
    for done, (ticket_id, ticket_rows) in enumerate(tickets.items(), start=1):
        if progress is not None and done % 100 == 0:
            progress(done)
        problems = bad.get(ticket_id, [])
        if not problems:
            problems = _store_ticket(ticket_id, ticket_rows, store, workflow)
        if problems:
            lines = {p.line for p in problems}
            refused.extend(problems)
            first = min(lines)
            refused.extend(
                Refusal(row.line, ticket_id, f"ticket refused: line {first} is bad")
                for row, _ in ticket_rows
                if row.line not in lines
            )
            continue
        imported_rows += len(ticket_rows)
        imported_tickets += 1
    refused.sort(key=lambda r: r.line)
    return ImportResult(imported_rows, imported_tickets, tuple(refused))


def _store_ticket(
    ticket_id: str, ticket_rows: list[tuple[_Row, dict[str, Any]]], store: TicketStore, workflow: Workflow
) -> list[Refusal]:
    try:
        version = store.get(ticket_id).version
    except TicketNotFound:
        version = 0
    events: list[Event] = []
    filled = _complete(ticket_rows, workflow, version)
    problems = []
    for row, data in ticket_rows:
        if row.line in filled:
            problems.append(Refusal(row.line, ticket_id, filled[row.line]))
            continue
        try:
            events.append(codec.load(Event, data))
        except (InvalidEvent, ConfigError) as error:
            problems.append(Refusal(row.line, ticket_id, str(error)))
    if problems:
        return problems
    try:
        if version == 0:
            Ticket.from_events(events)
        store.append(ticket_id, events, version)
    except (InvalidEvent, ConcurrencyError, StorageError) as error:
        line = ticket_rows[0][0].line
        if isinstance(error, InvalidEvent) and error.seq is not None:
            line = next((row.line for row, data in ticket_rows if data.get("seq") == error.seq), line)
        return [Refusal(line, ticket_id, str(error))]
    return []


def import_export(
    path: Path,
    format: str,
    overrides: Mapping[str, Any],
    *,
    db: str,
    workflow: Workflow | None,
    progress: Callable[[int], None],
) -> ImportReport:
    """``ticketcore import --format servicenow|zendesk|…``: a help desk's export diffed into events, into the SQLite
    ``db``."""
    mapping = mapping_for(format, overrides)
    done = 0

    def rows_done(rows: int) -> None:
        nonlocal done
        done += rows
        progress(done)

    store = SQLiteStore(db)
    try:
        return import_file(store, path, format=format, mapping=mapping, workflow=workflow, progress=rows_done)
    finally:
        store.close()
