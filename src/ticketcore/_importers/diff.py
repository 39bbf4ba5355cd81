"""The snapshot-diffing engine: a ticket's successive states become the events between them.

Rows arrive as ``(line, cells)`` pairs. A ticket's rows are sorted by the order column (then by line), the first
becomes an ``Opened`` event carrying every described column, and each later row becomes the events that turn the
state before it into its own, in a fixed order: status, priority, assignment, tags, ticket attributes, custom fields.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import attrs

from ticketcore.errors import BadInput, InvalidEvent
from ticketcore.lifecycle import Workflow
from ticketcore.model import (
    FIELD_ATTRIBUTES,
    Actor,
    Assigned,
    Category,
    Event,
    FieldChanged,
    FieldValue,
    Opened,
    PriorityChanged,
    Role,
    StatusChanged,
    TagsChanged,
    Ticket,
    Unassigned,
)

from .mapping import SnapshotMapping, StatusValue, formula_like
from .reading import ROW_ERROR, Row
from .report import Anomaly, AnomalyKind, RowOutcome, TicketImport

Cells = Mapping[str, str | None]
Value = FieldValue | frozenset[str]
State = dict[str, Value]

UNKNOWN = "unknown"
"""The requester or channel of a ticket whose first row leaves it missing (the model needs one)."""

IMPORT_ACTOR = Actor.system("import")
"""Who a row was recorded by when the export does not say."""

ROW_ROLE = Role.AGENT
"""The role of a row's named actor: exports do not say who is a requester; those updating tickets are staff."""


@attrs.define
class _Step:
    """The reading of one row: where it sits, when, by whom, and the ticket state it records.

    ``raw`` holds the row's described cells as read, so that the next row re-reads only the cells that differ.
    """

    line: int
    order: int | None
    at: datetime
    opened: datetime | None
    actor: Actor
    state: State
    statuses: dict[str, StatusValue]
    raw: tuple[str | None, ...]
    changed: tuple[str, ...] = ()
    """The columns whose value differs from the row before (every column on a ticket's first row)."""
    notes: tuple[tuple[AnomalyKind, str, str], ...] = ()
    """What is odd about the cells that first appear in this row: (kind, column, detail)."""


class _Builder:
    def __init__(
        self, ticket_id: str, mapping: SnapshotMapping, fields: Mapping[str, str] | None = None
    ) -> None:
        self.ticket_id = ticket_id
        self.mapping = mapping
        self.fields = fields or {}  # each state column's field, as the reader worked it out for the header
        self.events: list[Event] = []
        self.lines: list[int] = []  # the line of each event, for anomalies found on the folded history
        self.anomalies: list[Anomaly] = []

    def anomaly(self, line: int, kind: AnomalyKind, detail: str, column: str | None = None) -> None:
        self.anomalies.append(
            Anomaly(line=line, ticket_id=self.ticket_id, kind=kind, detail=detail, column=column)
        )

    def head(self, step: _Step, at: datetime) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "seq": len(self.events) + 1, "at": at, "actor": step.actor}

    def add(self, event: Event, line: int) -> None:
        self.events.append(event)
        self.lines.append(line)


_STAMPS_KEPT = 100_000
"""How many parsed timestamp cells a reader keeps: stamps repeat (to the minute, and a ticket's creation on
every row of it), and parsing is most of a row's cost."""


class Reader:
    """A mapping applied to one header: which field each described column fills, worked out once."""

    def __init__(self, header: tuple[str, ...], mapping: SnapshotMapping) -> None:
        self.mapping = mapping
        self.columns = mapping.described(header)
        self.fields = tuple(mapping.field_of(column) for column in self.columns)
        self.field_of = dict(zip(self.columns, self.fields, strict=True))
        self._stamps: dict[tuple[str, str], datetime] = {}

    def timestamp(self, cell: str, line: int, column: str) -> datetime:
        key = (column, cell)
        found = self._stamps.get(key)
        if found is None:
            if len(self._stamps) >= _STAMPS_KEPT:
                self._stamps.clear()
            found = self._stamps[key] = self.mapping.timestamp(cell, line, column)
        return found

    def step(self, line: int, cells: Cells, before: _Step | None) -> _Step:
        """Read one row into a step (the cells equal to ``before``'s are not read again).

        Raises :class:`BadInput` naming the line and column when a cell cannot be read.
        """
        m = self.mapping
        if ROW_ERROR in cells:
            raise BadInput(str(cells[ROW_ERROR]), line=line)
        stamp = cells.get(m.at)
        if stamp is None or m.is_missing(stamp):
            raise BadInput("the row has no timestamp", line=line, column=m.at)
        order: int | None = None
        if m.order is not None:
            counter = (cells.get(m.order) or "").strip()
            try:
                order = int(counter)
            except ValueError:
                raise BadInput(
                    f"{counter!r} is not an integer order value", line=line, column=m.order
                ) from None
        actor_id = cells.get(m.actor) if m.actor is not None else None
        actor = (
            IMPORT_ACTOR if actor_id is None or m.is_missing(actor_id) else Actor(actor_id.strip(), ROW_ROLE)
        )
        opened_cell = cells.get(m.opened_at) if m.opened_at is not None else None
        opened = (
            None
            if m.opened_at is None or opened_cell is None or m.is_missing(opened_cell)
            else self.timestamp(opened_cell, line, m.opened_at)
        )
        raw = tuple(map(cells.get, self.columns))
        state, statuses, changed, notes = self._state(raw, before)
        return _Step(
            line=line,
            order=order,
            at=self.timestamp(stamp, line, m.at),
            opened=opened,
            actor=actor,
            state=state,
            statuses=statuses,
            raw=raw,
            changed=changed,
            notes=notes,
        )

    def _state(
        self, raw: tuple[str | None, ...], before: _Step | None
    ) -> tuple[State, dict[str, StatusValue], tuple[str, ...], tuple[tuple[AnomalyKind, str, str], ...]]:
        if before is not None and raw == before.raw:
            return before.state, before.statuses, (), ()
        m = self.mapping
        state: State = {} if before is None else dict(before.state)
        statuses = {} if before is None else dict(before.statuses)
        changed: list[str] = []
        notes: list[tuple[AnomalyKind, str, str]] = []
        old = before.raw if before is not None else None
        for index, column in enumerate(self.columns):
            cell = raw[index]
            if old is not None and cell == old[index]:
                continue
            field = self.fields[index]
            if cell and cell.lstrip()[:1] in FORMULA_STARTS and formula_like(cell):
                notes.append((AnomalyKind.FORMULA, column, f"{cell!r} looks like a formula; kept as text"))
            missing = cell is None or m.is_missing(cell)
            if field == "status" and not missing:
                assert cell is not None
                status, known = m.status(cell)
                if not known:
                    detail = (
                        f"state {cell.strip()!r} is not in the mapping; kept in category {m.unknown_category}"
                    )
                    notes.append((AnomalyKind.UNKNOWN_STATE, column, detail))
                statuses[column] = status
                value: Value = status.status
            else:
                value = None if field == "status" else m.read(field, cell)
            if value is None and field in KEPT and state.get(column) is not None:
                # A history cannot unset these: the value before stands, and the row says it did not know it.
                why = "missing" if missing else f"{cell!r}, which is not a level the mapping reads"
                notes.append(
                    (AnomalyKind.UNKNOWN_STATE, column, f"the {field} is {why}; the one before is kept")
                )
                continue
            if value != state.get(column) or before is None:
                changed.append(column)
            state[column] = value
        return state, statuses, tuple(changed), tuple(notes)


KEPT = frozenset({"status", "priority", "group"})
"""The fields a snapshot cannot clear: a missing cell keeps the value before (and is reported)."""

FORMULA_STARTS = frozenset("=+-@")


def _opened(b: _Builder, step: _Step) -> None:
    m = b.mapping
    attributes: dict[str, object] = {}
    fields: dict[str, FieldValue] = {}
    for column, value in step.state.items():
        field = b.fields[column]
        if field == "status":
            status = step.statuses.get(column)
            if status is not None:
                attributes["status"], attributes["category"] = status.status, status.category
        elif field == "assignee":
            continue  # an assignee on the first row is an assignment, so first-assignment metrics see it
        elif field in ("tags", "group", "priority") or field in FIELD_ATTRIBUTES:
            if value is not None:
                attributes[field] = value
        elif field == "requester":
            attributes["requester"] = value if value is not None else UNKNOWN
        elif value is not None:
            assert not isinstance(value, frozenset)
            fields[field] = value
    attributes.setdefault("requester", UNKNOWN)
    attributes.setdefault("channel", UNKNOWN)
    at = step.at if step.opened is None else step.opened
    if at > step.at:
        b.anomaly(
            step.line,
            AnomalyKind.OUT_OF_ORDER,
            f"opened {at.isoformat()}, after the row's own stamp; clamped to {step.at.isoformat()}",
            m.opened_at,
        )
        at = step.at
    b.add(Opened(**b.head(step, at), **attributes, fields=fields), step.line)  # type: ignore[arg-type]
    agent = next((v for c, v in step.state.items() if b.fields[c] == "assignee" and v is not None), None)
    if agent is not None:
        b.add(Assigned(**b.head(step, at), agent=str(agent)), step.line)


def _changes(b: _Builder, before: _Step, step: _Step, at: datetime) -> None:
    by_field = {b.fields[c]: c for c in step.changed}

    def emit(event_type: type[Event], **body: Any) -> None:
        b.add(event_type(**b.head(step, at), **body), step.line)

    if "status" in by_field:
        column = by_field["status"]
        old = before.statuses.get(column) or StatusValue(status="new", category=Category.NEW)
        new = step.statuses[column]
        emit(
            StatusChanged,
            from_status=old.status,
            from_category=old.category,
            to_status=new.status,
            to_category=new.category,
        )
    if "priority" in by_field:
        column = by_field["priority"]
        previous = before.state.get(column)
        emit(
            PriorityChanged,
            from_priority=previous if isinstance(previous, int) else None,
            to_priority=step.state[column],
        )
    agent_col, group_col = by_field.get("assignee"), by_field.get("group")
    agent = step.state[agent_col] if agent_col else None
    group = step.state[group_col] if group_col else None
    if agent_col and agent is None:
        emit(Unassigned)
    if agent is not None or group is not None:
        emit(Assigned, agent=agent, group=group)
    if "tags" in by_field:
        column = by_field["tags"]
        old_tags = before.state.get(column) or frozenset()
        new_tags = step.state[column] or frozenset()
        assert isinstance(old_tags, frozenset)
        assert isinstance(new_tags, frozenset)
        emit(TagsChanged, added=new_tags - old_tags, removed=old_tags - new_tags)
    for column in step.changed:
        field = b.fields[column]
        if field in EVENT_FIELDS:
            continue
        value, previous = step.state[column], before.state.get(column)
        assert not isinstance(value, frozenset)
        assert not isinstance(previous, frozenset)
        emit(FieldChanged, field=field, value=value, previous=previous)


EVENT_FIELDS = frozenset({"status", "priority", "assignee", "group", "tags"})
"""The fields with events of their own; every other change is a ``FieldChanged``."""


def _check_order(b: _Builder, before: _Step, step: _Step) -> None:
    if before.order is None or step.order is None:
        return
    if step.order == before.order:
        b.anomaly(step.line, AnomalyKind.ORDER_GAP, f"repeats order value {step.order}", b.mapping.order)
    elif b.mapping.counted and step.order > before.order + 1:
        missing = step.order - before.order - 1
        b.anomaly(
            step.line,
            AnomalyKind.ORDER_GAP,
            f"order jumps from {before.order} to {step.order} ({missing} update(s) missing from the export)",
            b.mapping.order,
        )


def _note_cells(b: _Builder, step: _Step) -> None:
    """Report what is odd about the cells a row brings (once, where they first appear in the ticket)."""
    for kind, column, detail in step.notes:
        b.anomaly(step.line, kind, detail, column)


def diff_ticket(
    ticket_id: str,
    rows: Iterable[Row],
    reader: Reader,
    workflow: Workflow | None = None,
) -> TicketImport:
    """One ticket's rows (in any order) as its history, with the accounting of every row.

    A row that cannot be read refuses the whole ticket: a partial history would be wrong, not just short.
    """
    mapping = reader.mapping
    b = _Builder(ticket_id, mapping, reader.field_of)
    ordered = sorted(rows, key=lambda r: (_order_key(r[1], mapping), r[0]))
    steps: list[_Step] = []
    try:
        for line, cells in ordered:
            step = reader.step(line, cells, steps[-1] if steps else None)
            _note_cells(b, step)
            steps.append(step)
    except BadInput as error:
        b.anomaly(error.line or 0, AnomalyKind.BAD_ROW, error.problem, error.column)
        return _refused(ticket_id, ordered, b, f"line {error.line}: {error.problem}")
    outcomes: list[RowOutcome] = []
    before: _Step | None = None
    for step in steps:
        count = len(b.events)
        if before is None:
            _opened(b, step)
        else:
            _check_order(b, before, step)
            at = step.at
            if at < b.events[-1].at:
                b.anomaly(
                    step.line,
                    AnomalyKind.OUT_OF_ORDER,
                    f"stamped {at.isoformat()}, before the row before it; clamped to {b.events[-1].at.isoformat()}",
                    mapping.at,
                )
                at = b.events[-1].at
            _changes(b, before, step, at)
        made = len(b.events) - count
        outcomes.append(RowOutcome(line=step.line, events=made, duplicate=made == 0))
        before = step
    if workflow is not None:
        try:
            violations = workflow.audit(b.events)
        except InvalidEvent as error:  # pragma: no cover - the engine builds valid histories
            return _refused(ticket_id, ordered, b, str(error))
        for v in violations:
            b.anomaly(b.lines[v.seq - 1], AnomalyKind.REFUSED_JUMP, v.message)
    return TicketImport(
        ticket_id=ticket_id,
        events=tuple(b.events),
        rows=tuple(outcomes),
        anomalies=tuple(sorted(b.anomalies, key=lambda a: a.line)),
    )


def _order_key(cells: Cells, mapping: SnapshotMapping) -> int:
    if mapping.order is None:
        return 0
    try:
        return int((cells.get(mapping.order) or "").strip())
    except ValueError:
        return -1  # read_step refuses the row with its line and column


def _refused(ticket_id: str, rows: list[Row], b: _Builder, reason: str) -> TicketImport:
    return TicketImport(
        ticket_id=ticket_id,
        events=(),
        rows=tuple(RowOutcome(line=line, events=0) for line, _ in rows),
        anomalies=tuple(b.anomalies),
        refused=reason,
    )


def diff_rows(
    rows: Iterable[Row],
    header: tuple[str, ...],
    mapping: SnapshotMapping,
    workflow: Workflow | None = None,
    *,
    sparse: bool = False,
) -> Iterator[TicketImport]:
    """Each ticket's history, one ticket at a time, from rows grouped by ticket (memory: one ticket's rows).

    A ticket whose rows come back after another ticket's is refused the second time (``split_ticket``): sort the
    file by ticket first.
    """
    mapping.check_header(header, sparse=sparse)
    reader = Reader(header, mapping)
    seen: set[str] = set()
    for ticket_id, group in itertools.groupby(rows, key=lambda r: (r[1].get(mapping.ticket) or "").strip()):
        ticket_rows = list(group)
        if not ticket_id or mapping.is_missing(ticket_id):
            b = _Builder("", mapping)
            for line, _ in ticket_rows:
                b.anomaly(line, AnomalyKind.BAD_ROW, "the row has no ticket id", mapping.ticket)
            yield _refused("", ticket_rows, b, "no ticket id")
            continue
        if ticket_id in seen:
            b = _Builder(ticket_id, mapping)
            line = ticket_rows[0][0]
            b.anomaly(
                line, AnomalyKind.SPLIT_TICKET, "the ticket's rows are not together; sort the file by ticket"
            )
            yield _refused(ticket_id, ticket_rows, b, "rows of the ticket are split across the file")
            continue
        seen.add(ticket_id)
        yield diff_ticket(ticket_id, ticket_rows, reader, workflow)


def snapshot(ticket: Ticket, column: str, mapping: SnapshotMapping) -> Value:
    """The value a column would hold for ``ticket``: the inverse of the mapping, for the round-trip check."""
    field = mapping.field_of(column)
    if field == "assignee":
        return ticket.assignee
    if field == "requester":
        if "requester" in ticket.fields:
            return ticket.fields["requester"]
        return None if ticket.requester == UNKNOWN else ticket.requester
    if field == "channel":
        return None if ticket.channel == UNKNOWN else ticket.channel
    if field in ("status", "priority", "group", "tags", "subject") or field in FIELD_ATTRIBUTES:
        value: Value = getattr(ticket, field)
        return None if value == "" and field == "subject" else value
    return ticket.fields.get(field)


def round_trip(
    item: TicketImport, rows: Iterable[Row], header: tuple[str, ...], mapping: SnapshotMapping
) -> list[str]:
    """The differences between each input row and the folded history at its position (empty when lossless).

    Compares normalized values (after the value maps) for every described column, and the row's stamp unless it
    was clamped; a missing status, priority or group (the history keeps the one before) is reported as a difference.
    """
    by_line = dict(rows)
    clamped = {a.line for a in item.anomalies if a.kind is AnomalyKind.OUT_OF_ORDER}
    problems: list[str] = []
    events = iter(item.events)
    reader = Reader(header, mapping)
    ticket: Ticket | None = None
    for outcome in item.rows:
        for _ in range(outcome.events):
            event = next(events)
            ticket = Ticket.from_events([event]) if ticket is None else ticket.apply(event)
        assert ticket is not None
        step = reader.step(outcome.line, by_line[outcome.line], None)
        # The first row's stamp is the opening when the mapping names a creation column; that column is checked below.
        first = ticket.version == outcome.events and step.opened is not None
        if outcome.line not in clamped and outcome.events and not first and ticket.updated_at != step.at:
            problems.append(
                f"line {outcome.line}: stamp {step.at.isoformat()} != {ticket.updated_at.isoformat()}"
            )
        if step.opened is not None and outcome.line not in clamped and step.opened != ticket.created_at:
            problems.append(
                f"line {outcome.line}: opened {step.opened.isoformat()} != {ticket.created_at.isoformat()}"
            )
        for column, expected in step.state.items():
            got = snapshot(ticket, column, mapping)
            if got != expected:
                problems.append(f"line {outcome.line}, column {column!r}: {expected!r} != {got!r}")
    return problems
