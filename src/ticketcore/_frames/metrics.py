"""The metrics of ``ticketcore.backlog`` computed with numpy over an events DataFrame (private to ``dataframes``).

Each function returns exactly the value the pure function returns for the same histories: the same definitions,
integer microseconds throughout, and the same helpers for local periods and orderings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ticketcore.errors import ConfigError, InvalidEvent, NaiveDatetimeError
from ticketcore.model import STAFF_ROLES, Category

__all__ = ["PreparedEvents", "prepare"]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
_CATEGORIES = [c.value for c in Category]  # NEW, OPEN, PENDING, ON_HOLD first: codes below 4 are unsolved
_UNSOLVED_BELOW = 4


def _ffill_index(mask: Bools) -> Ints:
    """For each row, the index of the latest row at or before it where ``mask`` holds (0 if none)."""
    index = np.where(mask, np.arange(len(mask), dtype=np.int64), 0)
    return np.maximum.accumulate(index) if len(index) else index


_TYPES = (
    "opened", "status_changed", "priority_changed", "assigned", "unassigned", "replied", "note_added",
    "tags_changed", "field_changed", "rated", "linked", "timer_fired",
)  # fmt: skip


def _lookup(column: pd.Series | None, rows: Bools, table: dict[Any, int], default: int) -> Ints:
    """``table[value]`` for the values of ``column`` on ``rows`` (``default`` for nulls, -1 for unknown values)."""
    count = int(rows.sum())
    if column is None:
        return np.full(count, default, dtype=np.int64)
    codes, uniques = pd.factorize(column[rows])
    mapped = np.array([table.get(u, -1) for u in uniques] + [default], dtype=np.int64)
    result: Ints = mapped[codes]
    return result


def whole_numbers(
    values: pd.Series | npt.NDArray[Any], name: str, default: int | None = None
) -> npt.NDArray[Any]:
    """``values`` as int64 (nulls become ``default``; with no default a null is refused), or a ConfigError naming
    the first value that is not a whole number."""
    series = pd.Series(values, dtype=object)
    numbers = pd.to_numeric(series, errors="coerce")
    present = series.notna().to_numpy()
    finite = numbers.notna().to_numpy() & np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
    whole = finite & (np.abs(numbers.to_numpy(dtype=float, na_value=0.0)) < 2.0**62)
    whole[whole] = numbers.to_numpy(dtype=float, na_value=0.0)[whole] % 1 == 0
    bad = np.flatnonzero((present & ~whole) | (~present if default is None else np.zeros(len(series), bool)))
    if len(bad):
        row = int(bad[0])
        raise ConfigError(f"row {row}: {name} must be a whole number, got {series.iloc[row]!r}", name)
    result: npt.NDArray[Any] = np.where(present, numbers.to_numpy(dtype=float, na_value=0.0), default or 0)
    return result.astype(np.int64)


def _subset(frame: pd.DataFrame, name: str, rows: Bools) -> npt.NDArray[Any]:
    """The values of column ``name`` on ``rows`` as Python objects, ``None`` for nulls (and for a missing column)."""
    count = int(rows.sum())
    if name not in frame.columns:
        return np.full(count, None, dtype=object)
    column = frame[name][rows]
    values = column.to_numpy(dtype=object, na_value=None)
    result: npt.NDArray[Any] = values if values.flags.writeable else values.copy()
    return result


def _setters(parts: list[tuple[Bools, npt.NDArray[Any] | None]]) -> tuple[Ints, npt.NDArray[Any]]:
    """The ascending rows where any of the masks holds, and the value each sets (later parts win)."""
    mask = np.zeros(len(parts[0][0]), dtype=bool)
    for rows, _ in parts:
        mask |= rows
    where = np.flatnonzero(mask)
    values = np.full(len(where), None, dtype=object)
    for rows, given in parts:
        if given is not None:
            values[np.searchsorted(where, np.flatnonzero(rows))] = given
        else:
            values[np.searchsorted(where, np.flatnonzero(rows))] = None
    return where, values


class PreparedEvents:
    """An events DataFrame checked, ordered by ticket and seq, with the state after each event derived once.

    Build it with ``ticketcore.dataframes.prepare(frame)`` and pass it to several metrics to skip re-deriving.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        for name in ("ticket_id", "seq", "at", "type", "actor_id", "actor_role"):
            if name not in frame.columns:
                raise ConfigError(
                    f"the events frame needs a {name!r} column (see EVENT_COLUMNS); read exports with "
                    "events_from_frame(…, columns=…) and convert them with events_to_frame",
                    name,
                )
        at_column = frame["at"]
        if not isinstance(at_column.dtype, pd.DatetimeTZDtype):
            if pd.api.types.is_datetime64_dtype(at_column.dtype):
                raise NaiveDatetimeError("column 'at'", at_column.iloc[0] if len(at_column) else None)
            raise ConfigError(
                f"column 'at' must hold aware datetimes, not {at_column.dtype}; use pd.to_datetime(…, utc=True)",
                "at",
            )
        codes, ids = pd.factorize(frame["ticket_id"], sort=False)
        seq = whole_numbers(frame["seq"], "seq")
        at = pd.DatetimeIndex(at_column).tz_convert("UTC").as_unit("us").asi8.astype(np.int64)
        order = np.lexsort((seq, codes))
        if not bool(np.all(order == np.arange(len(order)))):
            frame = frame.iloc[order]
            codes, seq, at = codes[order], seq[order], at[order]
        self.frame = frame.reset_index(drop=True)
        self.ticket: Ints = codes.astype(np.int64)
        self.ids = ids
        self.seq: Ints = seq
        self.at: Ints = at
        rows = len(seq)
        self.rows = rows
        self.first: Bools = np.ones(rows, dtype=bool)
        self.first[1:] = self.ticket[1:] != self.ticket[:-1]
        self._types, self._type_names = pd.factorize(self.frame["type"])
        self._is_type: dict[str, Bools] = {}
        self._last_before: dict[int, Ints] = {}
        self._solved_in: dict[tuple[int, int], tuple[Ints, Ints]] = {}
        self._check()
        self.created: Ints = self.at[self.first]  # indexed by ticket code: codes ascend with the blocks
        self._dims: dict[str, tuple[Ints, npt.NDArray[Any]]] = {}
        self._derive()

    def _fail(self, rows: Bools, problem: str) -> None:
        bad = np.flatnonzero(rows)
        if len(bad):
            row = int(bad[0])
            raise InvalidEvent(problem, ticket_id=str(self.ids[self.ticket[row]]), seq=int(self.seq[row]))

    def _check(self) -> None:
        unknown = [name for name in self._type_names if name not in _TYPES]
        if unknown:
            self._fail(
                self.is_type(str(unknown[0])),
                f"unknown event type {unknown[0]!r}; valid types: {', '.join(_TYPES)}",
            )
        opened = self.is_type("opened")
        self._fail(
            self.first & (~opened | (self.seq != 1)), "a history must start with an 'opened' event with seq 1"
        )
        follows = ~self.first
        self._fail(follows & opened, "an 'opened' event can only be the first event")
        previous_seq = np.r_[np.int64(0), self.seq[:-1]]
        self._fail(follows & (self.seq != previous_seq + 1), "seq must go up by one within a ticket")
        previous_at = np.r_[np.int64(0), self.at[:-1]]
        self._fail(follows & (self.at < previous_at), "events must be in time order")

    def is_type(self, name: str) -> Bools:
        """Rows whose event type is ``name`` (a fresh array: callers may change it)."""
        if name not in self._is_type:
            self._is_type[name] = self._find_type(name)
        return self._is_type[name].copy()

    def _find_type(self, name: str) -> Bools:
        found = np.flatnonzero(np.asarray(self._type_names, dtype=object) == name)
        if not len(found):
            return np.zeros(self.rows, dtype=bool)
        same: Bools = self._types == found[0]
        return same

    def _derive(self) -> None:
        opened, moved = self.first, self.is_type("status_changed")
        code = np.full(self.rows, -1, dtype=np.int64)
        table = {name: i for i, name in enumerate(_CATEGORIES)}
        code[opened] = _lookup(self.frame.get("category"), opened, table, 0)
        code[moved] = _lookup(self.frame.get("to_category"), moved, table, -1)
        self._fail(moved & (code < 0), f"to_category must be one of {', '.join(_CATEGORIES)}")
        self.category: Ints = code[_ffill_index(opened | moved)]
        self.unsolved: Bools = self.category < _UNSOLVED_BELOW
        before = np.r_[True, self.unsolved[:-1]]
        self.resolved_rows: Ints = np.flatnonzero(~opened & before & ~self.unsolved)
        self.reopen_rows: Ints = np.flatnonzero(~opened & ~before & self.unsolved)
        replied = self.is_type("replied")
        staff = (
            _lookup(
                self.frame["actor_role"],
                replied,
                dict.fromkeys(sorted(role.value for role in STAFF_ROLES), 1),
                0,
            )
            == 1
        )
        public = _lookup(self.frame.get("public"), replied, {True: 1, False: 0}, 1) == 1
        replied[replied] = staff & public
        self.reply_rows: Ints = np.flatnonzero(replied)
        self.rating_rows: Ints = np.flatnonzero(self.is_type("rated"))

    def dimension(self, name: str, rows: Ints) -> npt.NDArray[Any]:
        """The value of a breakdown dimension just after each of ``rows`` (``None`` where unset)."""
        if name == "category":
            result: npt.NDArray[Any] = np.array(_CATEGORIES, dtype=object)[self.category[rows]]
            return result
        if name not in self._dims:
            self._dims[name] = self._dimension(name)
        source, values = self._dims[name]
        found: npt.NDArray[Any] = values[np.searchsorted(source, rows, side="right") - 1]
        return found

    def _dimension(self, name: str) -> tuple[Ints, npt.NDArray[Any]]:
        """The rows that set the dimension (ascending) and the value each sets."""
        opened = self.first
        if name == "assignee":
            assigned = self.is_type("assigned")
            agent = _subset(self.frame, "agent", assigned)
            changed = assigned.copy()
            changed[assigned] = agent != None  # noqa: E711 (elementwise comparison of a pandas column; `is not None` would compare the column)
            setters = [(opened, None), (self.is_type("unassigned"), None), (changed, agent[agent != None])]  # noqa: E711 (elementwise comparison of a pandas column; `is not None` would compare the column)
            return _setters(setters)
        at_opening = _subset(self.frame, name, opened)
        default = {"status": "new", "channel": "email"}.get(name)
        if default is not None:
            at_opening[at_opening == None] = default  # noqa: E711 (elementwise comparison of a pandas column; `is not None` would compare the column)
        if name == "status":
            changed, column = self.is_type("status_changed"), "to_status"
        elif name == "priority":
            changed, column = self.is_type("priority_changed"), "to_priority"
        elif name == "group":
            changed, column = self.is_type("assigned"), "group"
            changed[changed] = _subset(self.frame, "group", changed) != None  # noqa: E711 (elementwise comparison of a pandas column; `is not None` would compare the column)
        else:  # channel, region: set at opening, changed by field_changed events
            changed, column = self.is_type("field_changed").copy(), "value"
            changed[changed] = _subset(self.frame, "field", changed) == name
        rows, picked = _setters([(opened, at_opening), (changed, _subset(self.frame, column, changed))])
        if name == "priority":
            # Exports often hold priorities as floats (a column with gaps); the model's priorities are ints.
            numbers = whole_numbers(picked, "priority", default=0)
            picked = np.array(
                [None if v is None else int(n) for v, n in zip(picked, numbers, strict=True)], dtype=object
            )
        return rows, picked

    # --- building blocks ---------------------------------------------------------------------------------------

    def last_before(self, instant: int) -> Ints:
        """Per ticket existing before ``instant``, the row of its last event strictly before it."""
        if instant not in self._last_before:
            self._last_before[instant] = self._find_last_before(instant)
        return self._last_before[instant]

    def _find_last_before(self, instant: int) -> Ints:
        seen = self.at < instant
        same_next = np.r_[self.ticket[1:] == self.ticket[:-1], False]
        seen_next = np.r_[seen[1:], False]
        return np.flatnonzero(seen & ~(same_next & seen_next))

    def open_before(self, instant: int) -> Ints:
        rows = self.last_before(instant)
        return rows[self.unsolved[rows]]

    def steps(self) -> tuple[Ints, Ints]:
        """Sorted instants at which the backlog changes, and the running backlog after each."""
        if not hasattr(self, "_steps"):
            created = np.flatnonzero(self.first & self.unsolved)
            at = np.concatenate([self.at[created], self.at[self.resolved_rows], self.at[self.reopen_rows]])
            delta = np.concatenate([np.ones(len(created), np.int64), -np.ones(len(self.resolved_rows), np.int64),
                                    np.ones(len(self.reopen_rows), np.int64)])  # fmt: skip
            order = np.argsort(at, kind="stable")
            self._steps = (at[order], np.cumsum(delta[order]))
        return self._steps

    def open_counts(self, instants: Sequence[int]) -> list[int]:
        at, running = self.steps()
        index = np.searchsorted(at, np.asarray(instants, dtype=np.int64), side="left")
        return [int(running[i - 1]) if i else 0 for i in index]

    def solved_in(self, start: int, end: int) -> tuple[Ints, Ints]:
        """Tickets solved in ``[start, end)`` and the row of their last resolution."""
        if (start, end) not in self._solved_in:
            self._solved_in[start, end] = self._find_solved_in(start, end)
        return self._solved_in[start, end]

    def _find_solved_in(self, start: int, end: int) -> tuple[Ints, Ints]:
        done = self.last_before(end)
        done = done[~self.unsolved[done]]
        rows = self.resolved_rows[self.at[self.resolved_rows] < end]
        last = rows[np.r_[self.ticket[rows][1:] != self.ticket[rows][:-1], True]] if len(rows) else rows
        last = last[np.isin(self.ticket[last], self.ticket[done]) & (self.at[last] >= start)]
        return self.ticket[last], last


def prepare(frame: pd.DataFrame | PreparedEvents) -> PreparedEvents:
    return frame if isinstance(frame, PreparedEvents) else PreparedEvents(frame)
