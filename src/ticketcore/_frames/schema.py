"""The column schema of event and ticket DataFrames, and conversions both ways (private to ``dataframes``).

Imports pandas at module level: ``ticketcore.dataframes`` imports this module only after checking the extra.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any

import attrs
import numpy as np
import pandas as pd

from ticketcore._frames.columns import EVENT_COLUMNS
from ticketcore.errors import ConfigError, InvalidEvent, NaiveDatetimeError
from ticketcore.model import EVENT_TYPES, Actor, Category, Event, Ticket

__all__ = [
    "EVENT_COLUMNS",
    "TICKET_COLUMNS",
    "events_from_frame",
    "events_to_frame",
    "tickets_from_frame",
    "tickets_to_frame",
]

_KINDS = {name: re.match(r"\w+", text).group() for name, text in EVENT_COLUMNS.items()}  # type: ignore[union-attr]
_KINDS["value"] = _KINDS["previous"] = "value"

TICKET_COLUMNS: tuple[str, ...] = tuple(a.name for a in attrs.fields(Ticket))
"""The columns of a tickets DataFrame: one per :class:`~ticketcore.model.Ticket` attribute, in order."""


def _kind_of(annotation: object) -> str:
    text = str(annotation)
    for kind, marks in (
        ("pairs", ("tuple",)),
        ("strings", ("frozenset",)),
        ("json", ("dict",)),
        ("datetime", ("datetime",)),
        ("category", ("Category",)),
        ("bool", ("bool",)),
        ("int", ("int",)),
    ):
        if any(mark in text for mark in marks):
            return kind
    return "str"


_TICKET_KINDS: dict[str, str] = {a.name: _kind_of(a.type) for a in attrs.fields(attrs.resolve_types(Ticket))}
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d(?::?\d\d)?)$", re.IGNORECASE)


def _is_null(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float | type(pd.NaT)):
        return bool(pd.isna(value))
    return False


def _cell(value: object) -> object:
    """An event or ticket attribute as a DataFrame cell (sets as sorted tuples, enums as their values)."""
    if isinstance(value, frozenset | set):
        return tuple(sorted(value))
    if isinstance(value, Category):
        return value.value
    if isinstance(value, dict):
        return dict(value)
    return value


def _instants(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.as_unit("us")


def _typed_frame(
    rows: list[dict[str, object]], kinds: dict[str, str], columns: Iterable[str]
) -> pd.DataFrame:
    """``rows`` as a frame of ``columns``, each column of ``kinds`` given its dtype (instants in UTC µs)."""
    frame = pd.DataFrame(rows, columns=list(columns), dtype=object)
    for name, kind in kinds.items():
        if kind == "datetime":
            frame[name] = _instants(frame[name])
        elif kind == "int":
            frame[name] = frame[name].astype("Int64")
        elif kind == "bool":
            frame[name] = frame[name].astype("boolean")
    return frame


def events_to_frame(events: Iterable[Event | Iterable[Event]]) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    for item in events:
        for event in [item] if isinstance(item, Event) else item:
            row: dict[str, object] = {
                "ticket_id": event.ticket_id,
                "seq": event.seq,
                "at": event.at,
                "type": event.type,
                "actor_id": event.actor.id,
                "actor_role": event.actor.role.value,
            }
            for field in attrs.fields(type(event)):
                if field.name not in ("ticket_id", "seq", "at", "actor"):
                    row[field.name] = _cell(getattr(event, field.name))
            rows.append(row)
    return _typed_frame(rows, _KINDS, EVENT_COLUMNS)


def _int(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be an integer, got {value!r}") from None


def _bool(value: object, name: str) -> bool:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
    elif value in (True, False, 0, 1):
        return bool(value)
    raise ValueError(f"{name} must be true or false, got {value!r}")


def _strings(value: object, name: str) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(part.strip() for part in value.split(";") if part.strip())
    if isinstance(value, Iterable):
        return frozenset(str(part) for part in value)
    raise ValueError(f"{name} must be a list of strings or a ';'-separated string, got {value!r}")


def _json(value: object, name: str) -> dict[str, Any]:
    parsed = json.loads(value) if isinstance(value, str) else value
    if not isinstance(parsed, Mapping):
        raise ValueError(f"{name} must be a mapping or a JSON object string, got {value!r}")
    return dict(parsed)


def _convert(kind: str, value: object, name: str) -> object:
    if kind == "int":
        return _int(value, name)
    if kind == "bool":
        return _bool(value, name)
    if kind == "strings":
        return _strings(value, name)
    if kind == "json":
        return _json(value, name)
    if kind == "datetime":
        return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    if kind == "pairs":
        return tuple((a, _convert("datetime", b, name)) for a, b in value)  # type: ignore[attr-defined]
    if kind == "value":
        return value.item() if hasattr(value, "item") else value
    if kind == "category":
        return Category(str(value))
    return str(value) if kind == "str" else value


def _seq(value: object, row: int) -> int:
    try:
        number = _int(value, "seq")
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"row {row}: seq must be a whole number from 1, got {value!r}", "seq")
    return number


def _rename(frame: pd.DataFrame, columns: Mapping[str, str] | None) -> pd.DataFrame:
    if not columns:
        return frame
    missing = [source for source in columns if source not in frame.columns]
    if missing:
        raise ConfigError(
            f"the frame has no column {missing[0]!r} to map; its columns are: {', '.join(map(str, frame.columns))}",
            f"columns.{missing[0]}",
        )
    unknown = [target for target in columns.values() if target not in EVENT_COLUMNS]
    if unknown:
        raise ConfigError(
            f"{unknown[0]!r} is not an event column; valid columns: {', '.join(EVENT_COLUMNS)}", "columns"
        )
    return frame.rename(columns=dict(columns))


def _instant(value: object, tz: tzinfo | None, name: str, row: int) -> datetime | None:
    if _is_null(value):
        return None
    if isinstance(value, datetime):
        parsed = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ConfigError(
                f"row {row}: {value!r} is not an ISO 8601 datetime; write e.g. '2025-03-03T09:00:00+01:00'",
                name,
            ) from None
    else:
        raise ConfigError(f"row {row}: expected a datetime, got {type(value).__name__} {value!r}", name)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        if tz is None:
            raise NaiveDatetimeError(
                f"column {name!r} (row {row}; or pass tz=… to read naive times in a zone)", value
            )
        parsed = parsed.replace(tzinfo=tz)  # an ambiguous local time reads as its first occurrence (fold=0)
    return parsed


def _parse_at(values: pd.Series, tz: tzinfo | None, name: str) -> pd.Series:
    """A column of instants as UTC datetimes; naive values are read in ``tz`` (refused without it)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.as_unit("us")
    if pd.api.types.is_datetime64_dtype(values.dtype) and tz is None and bool(values.notna().any()):
        raise NaiveDatetimeError(f"column {name!r}", values[values.notna()].iloc[0])
    parsed = [_instant(v, tz, name, i) for i, v in enumerate(values.astype(object))]
    return pd.Series(pd.to_datetime(parsed, utc=True), index=values.index).dt.as_unit("us")


def _category_of(status: str, categories: Mapping[str, Category | str], path: str) -> Category:
    if status in categories:
        return Category(categories[status])
    try:
        return Category(status)
    except ValueError:
        raise ConfigError(
            f"status {status!r} has no category; fill the category column or pass "
            f"categories={{{status!r}: 'open'}} (valid categories: {', '.join(c.value for c in Category)})",
            path,
        ) from None


def _fields_of(cls: type[Event]) -> list[attrs.Attribute[Any]]:
    return [f for f in attrs.fields(cls) if f.name not in ("ticket_id", "seq", "at", "actor")]


def _event(
    cls: type[Event], row: Mapping[str, object], status: str | None, categories: Mapping[str, Category | str]
) -> Event:
    kwargs: dict[str, object] = {}
    for field in _fields_of(cls):
        value = row.get(field.name)
        if field.name == "from_status" and _is_null(value):
            value = status
        if field.name == "requester" and _is_null(value):
            value = row.get("actor_id")
        if _is_null(value) and field.name in ("category", "from_category", "to_category"):
            source = {"category": "status", "from_category": "from_status", "to_category": "to_status"}[
                field.name
            ]
            named = kwargs.get(source, row.get(source))
            if isinstance(named, str):
                value = _category_of(named, categories, field.name)
            elif field.name == "category":
                continue
        if _is_null(value):
            if field.default is attrs.NOTHING:
                kwargs[field.name] = None
            continue
        kwargs[field.name] = _convert(_KINDS[field.name], value, field.name)
    actor = Actor(str(row["actor_id"]), str(row["actor_role"]))
    at = _convert("datetime", row["at"], "at")
    assert isinstance(at, datetime)
    return cls(ticket_id=str(row["ticket_id"]), seq=_int(row["seq"], "seq"), at=at, actor=actor, **kwargs)


def events_from_frame(
    frame: pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    categories: Mapping[str, Category | str] | None = None,
    tz: tzinfo | None = None,
) -> list[list[Event]]:
    data = _rename(frame, columns)
    for name in ("ticket_id", "at", "type", "actor_id", "actor_role"):
        if name not in data.columns:
            raise ConfigError(
                f"the events frame needs a {name!r} column; map yours with columns={{'your name': {name!r}}} "
                f"(it has: {', '.join(map(str, data.columns))})",
                name,
            )
    data = data.copy()
    data["at"] = _parse_at(data["at"], tz, "at")
    if "due_at" in data.columns:
        data["due_at"] = _parse_at(data["due_at"], tz, "due_at")
    for name in ("ticket_id", "at", "type", "actor_id", "actor_role"):
        empty = np.flatnonzero(data[name].isna().to_numpy())
        if len(empty):
            raise ConfigError(f"row {int(empty[0])}: the required column {name!r} is empty", name)
    data["ticket_id"] = data["ticket_id"].astype(str)
    data["_row"] = range(len(data))
    if "seq" in data.columns:
        data["seq"] = [_seq(value, row) for row, value in enumerate(data["seq"].astype(object))]
    if "seq" not in data.columns:
        data = data.sort_values(["ticket_id", "at", "_row"], kind="stable")
        data["seq"] = data.groupby("ticket_id", sort=False).cumcount() + 1
    else:
        data = data.sort_values(["ticket_id", "seq", "_row"], kind="stable")
    names = {} if categories is None else dict(categories)
    histories: list[list[Event]] = []
    status: str | None = None
    records = data.astype(object).where(data.notna(), None).to_dict("records")
    for row in records:
        if not histories or histories[-1][0].ticket_id != row["ticket_id"]:
            histories.append([])
            status = None
        cls = EVENT_TYPES.get(str(row["type"]))
        try:
            if cls is None:
                raise InvalidEvent(
                    f"unknown event type {row['type']!r}; valid types: {', '.join(sorted(EVENT_TYPES))}",
                    path="type",
                )
            event = _event(cls, row, status, names)
        except InvalidEvent as error:
            raise InvalidEvent(
                error.problem, ticket_id=str(row["ticket_id"]), seq=_int(row["seq"], "seq"), path=error.path
            ) from None
        except (ConfigError, ValueError, TypeError) as error:
            path = getattr(error, "path", "")
            problem = getattr(error, "problem", str(error))
            raise InvalidEvent(
                f"row {row['_row']}: {problem}",
                ticket_id=str(row["ticket_id"]),
                seq=_int(row["seq"], "seq"),
                path=path,
            ) from None
        status = getattr(event, "to_status", getattr(event, "status", status))
        histories[-1].append(event)
    for history in histories:
        Ticket.from_events(history)  # refuse broken histories here, naming the event, not later in a metric
    return histories


def tickets_to_frame(tickets: Iterable[Ticket]) -> pd.DataFrame:
    rows = [{name: _cell(getattr(ticket, name)) for name in TICKET_COLUMNS} for ticket in tickets]
    return _typed_frame(rows, _TICKET_KINDS, TICKET_COLUMNS)


def tickets_from_frame(frame: pd.DataFrame) -> list[Ticket]:
    missing = [name for name in TICKET_COLUMNS if name not in frame.columns]
    if missing:
        raise ConfigError(
            f"the tickets frame has no {missing[0]!r} column; it needs: {', '.join(TICKET_COLUMNS)}",
            missing[0],
        )
    tickets = []
    defaults = {a.name: a.default for a in attrs.fields(Ticket)}
    for row in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        kwargs: dict[str, object] = {}
        for name in TICKET_COLUMNS:
            value = row[name]
            if _is_null(value):
                if defaults[name] is attrs.NOTHING:
                    kwargs[name] = None
                continue
            kwargs[name] = _convert(
                _TICKET_KINDS.get(name, "str" if name != "fields" else "json"), value, name
            )
        try:
            tickets.append(Ticket(**kwargs))  # type: ignore[arg-type]
        except (TypeError, ValueError) as error:
            raise InvalidEvent(
                f"cannot build a ticket from this row: {error}", ticket_id=str(row["id"])
            ) from None
    return tickets
