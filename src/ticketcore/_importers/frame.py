"""The snapshot diff done over whole columns with pandas: an export straight into an events DataFrame.

Imports pandas at module level: :func:`ticketcore.importers.read_frame` imports this module only after checking the
extra.

The decisions are the engine's (:mod:`.diff`), read from the same mapping: every cell is read by
``SnapshotMapping.read`` / ``SnapshotMapping.status`` once per distinct value, and a ticket whose rows need any
judgement — an anomaly, a row that cannot be read, a stamp that pandas cannot parse — is handed to the engine
itself (:func:`.diff.diff_ticket`) and converted with ``events_to_frame``. The columns only decide, for the many
regular tickets, which cells changed and which events that makes.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from ticketcore.dataframes import events_to_frame
from ticketcore.model import (
    FIELD_ATTRIBUTES,
    Assigned,
    Category,
    Event,
    FieldChanged,
    Opened,
    PriorityChanged,
    StatusChanged,
    Unassigned,
)

from .diff import EVENT_FIELDS, FORMULA_STARTS, IMPORT_ACTOR, KEPT, ROW_ROLE, UNKNOWN, Reader, diff_ticket
from .mapping import SnapshotMapping, StatusValue, formula_like
from .reading import ROW_ERROR, Row, read_csv
from .report import Anomaly, ImportReport, TicketImport

_EPOCH = pd.Timestamp("2000-01-01", tz="UTC")
_ACTOR = IMPORT_ACTOR
_NEW = StatusValue(status="new", category=Category.NEW)


def _templates() -> dict[str, dict[str, object]]:
    """Each event type's row as ``events_to_frame`` writes it for an event with only its required values: the
    defaults, and NaN in the columns the type does not use."""
    head: dict[str, Any] = {"ticket_id": "t", "seq": 1, "at": _EPOCH.to_pydatetime(), "actor": _ACTOR}
    events: list[Event] = [
        Opened(**head, requester=UNKNOWN),
        StatusChanged(**head, from_status="new", from_category="new", to_status="new", to_category="new"),
        PriorityChanged(**head, from_priority=None, to_priority=1),
        Unassigned(**head),
        Assigned(**head),
        FieldChanged(**head, field="f"),
    ]
    frame = events_to_frame(events)
    return {str(row["type"]): row for row in frame.to_dict("records")}


def regular_csv(path: Path, width: int) -> bool:
    """True when pandas' fast reader reads the file row for row as the ``csv`` module does: no quotes, no carriage
    returns but in line ends, no blank line, and every line ``width`` cells (so a row's line is its position plus two)."""
    data = np.fromfile(path, dtype=np.uint8)
    if data.size and data[-1] != ord("\n"):
        data = np.append(data, np.uint8(ord("\n")))
    if (data == ord('"')).any():
        return False
    returns = np.flatnonzero(data == ord("\r"))  # allowed only as the \r of a \r\n line end
    if returns.size and (returns[-1] + 1 >= data.size or (data[returns + 1] != ord("\n")).any()):
        return False
    ends = np.flatnonzero(data == ord("\n"))
    commas = np.searchsorted(np.flatnonzero(data == ord(",")), ends)
    return bool((np.diff(commas, prepend=0) == width - 1).all())


def _read(path: Path, header: tuple[str, ...], bom: bool) -> tuple[pd.DataFrame, np.ndarray, list[Row]]:
    """The cells as text, each row's line, and the rows that do not split into the header's cells (for the engine)."""
    if regular_csv(path, len(header)):
        frame = pd.read_csv(
            path,
            header=None,
            skiprows=1,
            names=list(header),
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8-sig" if bom else "utf-8",
        )
        return frame, np.arange(len(frame)) + 2, []
    # Anything else is read by the engine's own reader, so quoting and line numbers are the engine's.
    read = read_csv(path)
    good: list[Sequence[str | None]] = []
    lines: list[int] = []
    bad: list[Row] = []
    for line, cells in read.rows:
        if ROW_ERROR in cells:
            bad.append((line, cells))
        else:
            good.append([cells[c] for c in header])
            lines.append(line)
    return pd.DataFrame(good, columns=list(header), dtype=object), np.array(lines, dtype=np.int64), bad


def _instants(cells: pd.Series, mapping: SnapshotMapping) -> pd.Series:
    """The UTC instants of timestamp cells, NaT where pandas cannot read one as the mapping says (those rows go to
    the engine, which reads or refuses them)."""
    text = cells.str.strip()
    unique = pd.Series(text.unique())
    if mapping.timestamp_format is None:
        # ISO 8601 has too many spellings to trust another parser with: each distinct cell is read by the engine's rule.
        def one(cell: str) -> pd.Timestamp:
            try:
                return pd.Timestamp(mapping.timestamp(cell, 0))
            except ValueError:
                return pd.NaT

        parsed = pd.to_datetime(unique.map(one), utc=True)
    else:
        # Stamps with their own offsets may differ in offset from cell to cell, which pandas reads only into UTC.
        offsets = "%z" in mapping.timestamp_format
        parsed = pd.to_datetime(unique, format=mapping.timestamp_format, errors="coerce", utc=offsets)
        if parsed.dt.tz is None:
            parsed = parsed.dt.tz_localize(mapping.tz, ambiguous="NaT", nonexistent="NaT")
        parsed = parsed.dt.tz_convert("UTC")
    parsed = parsed.dt.as_unit("us")
    return (
        pd.Series(parsed.to_numpy(), index=unique.to_numpy()).reindex(text.to_numpy()).set_axis(cells.index)
    )


def _values(
    cells: pd.Series, field: str, mapping: SnapshotMapping
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each cell's value as the engine reads it, a code per distinct value (equal codes, equal values), whether the
    cell needs the engine (a formula, an unknown state), and each status cell's :class:`StatusValue`."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    values: list[object] = []
    statuses: list[StatusValue | None] = []
    odd: list[bool] = []
    for cell in uniques:
        text = str(cell)
        strange = text.lstrip()[:1] in FORMULA_STARTS and formula_like(text)
        status: StatusValue | None = None
        if field == "status":
            if not mapping.is_missing(text):
                status, known = mapping.status(text)
                strange = strange or not known
            values.append(None if status is None else status.status)
        else:
            values.append(mapping.read(field, text))
        statuses.append(status)
        odd.append(strange)
    numbered: dict[Hashable, int] = {}
    value_codes = np.array([numbered.setdefault(v, len(numbered)) for v in values], dtype=np.int64)
    as_objects = np.empty(len(values), dtype=object)
    as_objects[:] = values
    status_objects = np.empty(len(statuses), dtype=object)
    status_objects[:] = statuses
    return as_objects[codes], value_codes[codes], np.array(odd, dtype=bool)[codes], status_objects[codes]


def supported(reader: Reader) -> bool:
    """Whether the columns can diff this header: no tags, and one column per ticket field."""
    return "tags" not in reader.fields and len(set(reader.fields)) == len(reader.fields)


def diff_frame(
    path: Path, header: tuple[str, ...], bom: bool, reader: Reader
) -> tuple[pd.DataFrame, ImportReport, tuple[Anomaly, ...]] | None:
    """The events frame, the report and the anomalies of a CSV snapshot export; ``None`` when the file needs the
    engine as a whole (rows of a ticket split across it, rows without a ticket id, rows that do not split into the
    header's cells)."""
    m = reader.mapping
    frame, lines, bad = _read(path, header, bom)
    ticket = frame[m.ticket].str.strip()
    starts = (ticket != ticket.shift()).to_numpy()
    if bad or ticket.map(m.is_missing).any() or int(starts.sum()) != ticket.nunique():
        return None
    position = np.cumsum(starts) - 1  # the ticket's place in the file
    odd = np.zeros(len(frame), dtype=bool)
    if m.order is not None:
        counter = frame[m.order].str.strip()
        plain = counter.str.fullmatch(r"[0-9]{1,18}").to_numpy(dtype=bool)
        odd |= ~plain
        order = np.where(plain, pd.to_numeric(counter.where(plain, "0")).to_numpy(), 0)
    else:
        order = np.zeros(len(frame), dtype=np.int64)
    at = _instants(frame[m.at], m)
    odd |= at.isna().to_numpy()
    if m.opened_at is not None:
        opened_missing = frame[m.opened_at].map(m.is_missing).to_numpy(dtype=bool)
        opened = _instants(frame[m.opened_at], m).where(~opened_missing)
        odd |= opened.isna().to_numpy() & ~opened_missing
    else:
        opened = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us, UTC]")
    # A ticket's rows in the engine's order: by the order column, then by line.
    sort = np.lexsort((lines, order, position))
    frame, lines, order, position = (
        frame.iloc[sort].reset_index(drop=True),
        lines[sort],
        order[sort],
        position[sort],
    )
    at, opened, odd = (
        at.iloc[sort].reset_index(drop=True),
        opened.iloc[sort].reset_index(drop=True),
        odd[sort],
    )
    first = np.r_[True, position[1:] != position[:-1]]
    stamp = at.to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT"))
    previous = np.r_[stamp[:1], stamp[:-1]]
    odd |= ~first & (stamp < previous)
    open_stamp = opened.to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT"))
    odd |= first & (open_stamp > stamp)
    if m.order is not None:
        before = np.r_[order[:1], order[:-1]]
        odd |= ~first & ((order == before) | ((order > before + 1) if m.counted else False))
    columns: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for column, field in zip(reader.columns, reader.fields, strict=True):
        values, codes, strange, statuses = _values(frame[column], field, m)
        changed = first | (codes != np.r_[codes[:1], codes[:-1]])
        if field in KEPT:
            # A kept field that goes missing after a value: the engine keeps the one before and reports it.
            known = pd.Series(~pd.isna(values)).groupby(position).cummax().to_numpy(dtype=bool)
            strange = strange | (~first & pd.isna(values) & np.r_[False, known[:-1]])
        odd |= strange
        columns[column] = (values, changed, statuses)
    routed = np.zeros(position[-1] + 1 if len(position) else 0, dtype=bool)
    routed[position[odd]] = True
    engine = routed[position]
    return _build(
        frame,
        lines,
        position=position,
        first=first,
        at=at,
        opened=opened,
        engine=engine,
        columns=columns,
        reader=reader,
    )


def _events(
    kind: str,
    rows: np.ndarray,
    rank: int,
    cells: dict[str, Any],
    *,
    base: dict[str, np.ndarray],
    templates: dict[str, dict[str, object]],
) -> pd.DataFrame:
    """The events of one type, one per row of ``rows``, with their sort keys."""
    chunk: dict[str, np.ndarray] = {}
    for name, value in templates[kind].items():
        chunk[name] = np.empty(len(rows), dtype=object)
        chunk[name].fill(value)  # fill, not full: a tuple is one cell
    for name, values in base.items():
        chunk[name] = values[rows]
    for name, values in cells.items():
        chunk[name] = values
    chunk["type"] = np.full(len(rows), kind, dtype=object)
    result = pd.DataFrame(chunk)
    result["_row"], result["_rank"] = rows, rank
    return result


def _build(
    frame: pd.DataFrame,
    lines: np.ndarray,
    *,
    position: np.ndarray,
    first: np.ndarray,
    at: pd.Series,
    opened: pd.Series,
    engine: np.ndarray,
    columns: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    reader: Reader,
) -> tuple[pd.DataFrame, ImportReport, tuple[Anomaly, ...]]:
    m = reader.mapping
    templates = _templates()
    by_field = {reader.field_of[c]: c for c in reader.columns}
    ticket = frame[m.ticket].str.strip().to_numpy(dtype=object)
    if m.actor is not None:
        actor_cells = frame[m.actor]
        absent = actor_cells.map(m.is_missing).to_numpy(dtype=bool)
        actor_id = np.where(absent, _ACTOR.id, actor_cells.str.strip().to_numpy(dtype=object))
        actor_role = np.where(absent, _ACTOR.role.value, ROW_ROLE.value)
    else:
        actor_id = np.full(len(frame), _ACTOR.id, dtype=object)
        actor_role = np.full(len(frame), _ACTOR.role.value, dtype=object)
    stamps = at.to_numpy()
    base = {"ticket_id": ticket, "actor_id": actor_id, "actor_role": actor_role}
    clean = ~engine
    later = clean & ~first
    parts: list[pd.DataFrame] = []
    # The opening: every described column of the first row.
    heads = np.flatnonzero(clean & first)
    open_at = opened.to_numpy()[heads]
    open_at = np.where(pd.isna(open_at), stamps[heads], open_at)
    cells: dict[str, Any] = {"at": open_at}
    custom: list[tuple[str, np.ndarray]] = []
    for column, (values, _, statuses) in columns.items():
        field = reader.field_of[column]
        head_values = values[heads]
        if field == "status":
            status = statuses[heads]
            cells["status"] = np.array(
                [templates["opened"]["status"] if s is None else s.status for s in status], dtype=object
            )
            cells["category"] = np.array(
                [templates["opened"]["category"] if s is None else s.category.value for s in status],
                dtype=object,
            )
        elif field == "assignee":
            continue
        elif field in ("group", "priority") or field in FIELD_ATTRIBUTES or field == "requester":
            default = UNKNOWN if field in ("requester", "channel") else templates["opened"][field]
            filled = head_values.copy()
            filled[pd.isna(head_values)] = default
            cells[field] = filled
        else:
            custom.append((field, head_values))
    names = [name for name, _ in custom]
    cells["fields"] = np.empty(len(heads), dtype=object)
    cells["fields"][:] = (
        [
            {name: value for name, value in zip(names, row, strict=True) if value is not None}
            for row in zip(*(values for _, values in custom), strict=True)
        ]
        if custom
        else [{} for _ in heads]
    )
    parts.append(_events("opened", heads, 0, cells, base=base, templates=templates))
    if "assignee" in by_field:
        values = columns[by_field["assignee"]][0]
        assigned = heads[np.array([values[r] is not None for r in heads], dtype=bool)]
        at_of = dict(zip(heads.tolist(), open_at, strict=True))
        parts.append(
            _events(
                "assigned",
                assigned,
                1,
                {"at": np.array([at_of[r] for r in assigned.tolist()]), "agent": values[assigned]},
                base=base,
                templates=templates,
            )
        )

    def changed_rows(field: str) -> np.ndarray:
        return later & columns[by_field[field]][1] if field in by_field else np.zeros(len(frame), dtype=bool)

    if "status" in by_field:
        rows = np.flatnonzero(changed_rows("status"))
        statuses = columns[by_field["status"]][2]
        old = [statuses[r - 1] or _NEW for r in rows.tolist()]
        new = statuses[rows]
        parts.append(
            _events(
                "status_changed",
                rows,
                2,
                {
                    "at": stamps[rows],
                    "from_status": np.array([s.status for s in old], dtype=object),
                    "from_category": np.array([s.category.value for s in old], dtype=object),
                    "to_status": np.array([s.status for s in new], dtype=object),
                    "to_category": np.array([s.category.value for s in new], dtype=object),
                },
                base=base,
                templates=templates,
            )
        )
    if "priority" in by_field:
        rows = np.flatnonzero(changed_rows("priority"))
        values = columns[by_field["priority"]][0]
        parts.append(
            _events(
                "priority_changed",
                rows,
                3,
                {"at": stamps[rows], "from_priority": values[rows - 1], "to_priority": values[rows]},
                base=base,
                templates=templates,
            )
        )
    agent_changed, group_changed = changed_rows("assignee"), changed_rows("group")
    agent = (
        columns[by_field["assignee"]][0]
        if "assignee" in by_field
        else np.full(len(frame), None, dtype=object)
    )
    group = columns[by_field["group"]][0] if "group" in by_field else np.full(len(frame), None, dtype=object)
    agent, group = agent.copy(), group.copy()
    agent[~agent_changed], group[~group_changed] = None, None
    rows = np.flatnonzero(agent_changed & pd.isna(agent))
    parts.append(_events("unassigned", rows, 4, {"at": stamps[rows]}, base=base, templates=templates))
    rows = np.flatnonzero(~pd.isna(agent) | ~pd.isna(group))
    parts.append(
        _events(
            "assigned",
            rows,
            5,
            {"at": stamps[rows], "agent": agent[rows], "group": group[rows]},
            base=base,
            templates=templates,
        )
    )
    for index, column in enumerate(reader.columns):
        field = reader.field_of[column]
        if field in EVENT_FIELDS:
            continue
        values, changed, _ = columns[column]
        rows = np.flatnonzero(later & changed)
        cells = {
            "at": stamps[rows],
            "field": np.full(len(rows), field, dtype=object),
            "value": values[rows],
            "previous": values[rows - 1],
        }
        parts.append(_events("field_changed", rows, 6 + index, cells, base=base, templates=templates))
    events = pd.concat(parts, ignore_index=True)
    events["_ticket"] = position[events["_row"].to_numpy()]
    events = events.sort_values(["_ticket", "_row", "_rank"], kind="stable", ignore_index=True)
    events["seq"] = events.groupby("_ticket", sort=False).cumcount().to_numpy() + 1
    per_row = np.bincount(events["_row"].to_numpy(), minlength=len(frame))
    # The engine's tickets, in file order: their rows, their events converted as any history is.
    items: list[TicketImport] = []
    for where in np.flatnonzero(np.r_[True, position[1:] != position[:-1]] & engine):
        rows = np.flatnonzero(position == position[where])
        ticket_rows = [
            (int(lines[r]), dict(zip(frame.columns, frame.iloc[r].tolist(), strict=True))) for r in rows
        ]
        items.append(diff_ticket(str(ticket[where]), ticket_rows, reader))
    done = events_to_frame([e for item in items for e in item.events])
    done["_ticket"] = np.repeat(
        [position[np.flatnonzero(lines == item.rows[0].line)[0]] for item in items],
        [len(item.events) for item in items],
    ).astype(np.int64)
    kinds = done.dtypes.drop("_ticket").to_dict()
    whole = pd.concat([events, done], ignore_index=True).sort_values(["_ticket", "seq"], kind="stable")
    whole = whole[list(kinds)].astype(kinds).reset_index(drop=True)
    counts = per_row[clean]
    report = ImportReport.of(items)
    report = attrs.evolve(
        report,
        rows_in=report.rows_in + int(clean.sum()),
        events_out=report.events_out + int(counts.sum()),
        tickets=report.tickets + int((clean & first).sum()),
        rows_with_events=report.rows_with_events + int((counts > 0).sum()),
        duplicates=report.duplicates + int((counts == 0).sum()),
    )
    return whole, report, tuple(a for item in items for a in item.anomalies)
