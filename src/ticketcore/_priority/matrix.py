"""Impact × urgency → priority: the lookup matrix and the weighted (BMC-style) matrix (see ``ticketcore.priority``).

Both are checked when built: complete (a priority for every impact and urgency level), monotone (a more severe impact
or urgency never gives a less urgent priority), every priority named. A refusal is a :class:`ConfigError` whose path
names the offending field or cell (``table[2][1]``), so a loaded configuration points at its own mistake.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

import attrs

from ticketcore._check import listed, texts
from ticketcore._priority.levels import (
    DEFAULT_PRIORITY_NAMES,
    Impact,
    Priority,
    PriorityError,
    Urgency,
    _Level,
    default_level_names,
)
from ticketcore.errors import ConfigError

__all__ = ["PriorityMatrix", "WeightedPriorityMatrix"]

L = TypeVar("L", bound=_Level)


def _rows(value: Iterable[Iterable[int]]) -> tuple[tuple[int, ...], ...]:
    rows = listed(value, "rows (one list of priority levels per impact level)", "table")
    return tuple(listed(row, "priority levels", f"table[{index}]") for index, row in enumerate(rows))


def _ints(value: Iterable[int]) -> tuple[int, ...]:
    return listed(value, "integers")


def _strs(value: Iterable[str]) -> tuple[str, ...]:
    return texts(value, "names")


def _check_count(value: object, path: str, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{value!r} is not a number of levels; give the number of {what}, 1 or more", path)
    return value


def _check_names(names: tuple[str, ...], path: str, count: int | None) -> None:
    """``names`` must be distinct non-blank strings; ``count`` (if given) is how many are needed."""
    if count is None and not names:
        raise ConfigError("give at least one priority name (the name of P1 first)", path)
    if count is not None and names and len(names) != count:
        raise ConfigError(
            f"expected {count} names, one per level (level 1 first), got {len(names)}; or leave it empty for defaults",
            path,
        )
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{name!r} is not a name; give a non-blank string", f"{path}[{index}]")
        if name in seen:
            raise ConfigError(
                f"{name!r} repeats {path}[{seen[name]}]; every level needs its own name", f"{path}[{index}]"
            )
        seen[name] = index


def _coerce(value: object, kind: type[_Level], count: int) -> int:
    subject = kind.__name__.lower()
    if isinstance(value, _Level) and not isinstance(value, kind):
        raise PriorityError(
            subject, value, f"expected {kind.__name__} or an int level, got {type(value).__name__}"
        )
    level = value.level if isinstance(value, kind) else value
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= count:
        raise PriorityError.out_of_range(subject, value, count)
    return level


class _Scales:
    """Named levels shared by both matrix kinds (a mixin: the attrs classes below provide the fields)."""

    __slots__ = ()

    names: tuple[str, ...]
    impact_names: tuple[str, ...]
    urgency_names: tuple[str, ...]
    _named: tuple[tuple[Impact, ...], tuple[Urgency, ...], tuple[Priority, ...]]

    def _name_levels(self, impacts: int, urgencies: int) -> None:
        # Built once: lookups index these tuples instead of building level values on every call.
        named = (
            tuple(
                Impact(n, name) for n, name in enumerate(self.impact_names or default_level_names(impacts), 1)
            ),
            tuple(
                Urgency(n, name)
                for n, name in enumerate(self.urgency_names or default_level_names(urgencies), 1)
            ),
            tuple(Priority(n, name) for n, name in enumerate(self.names, 1)),
        )
        object.__setattr__(self, "_named", named)

    @property
    def impacts(self) -> tuple[Impact, ...]:
        """Every impact level, most severe first, with its display name."""
        return self._named[0]

    @property
    def urgencies(self) -> tuple[Urgency, ...]:
        """Every urgency level, most pressing first, with its display name."""
        return self._named[1]

    @property
    def priorities(self) -> tuple[Priority, ...]:
        """Every named priority, P1 first (rules may move a ticket to any of them)."""
        return self._named[2]

    def impact(self, level: Impact | int) -> Impact:
        """The named impact of ``level``; :class:`PriorityError` when it is not a level of this matrix."""
        return self._named[0][_coerce(level, Impact, len(self._named[0])) - 1]

    def urgency(self, level: Urgency | int) -> Urgency:
        """The named urgency of ``level``; :class:`PriorityError` when it is not a level of this matrix."""
        return self._named[1][_coerce(level, Urgency, len(self._named[1])) - 1]

    def priority_of(self, level: Priority | int) -> Priority:
        """The named priority of ``level`` (``3`` → ``P3 Moderate``); :class:`PriorityError` outside the names."""
        return self._named[2][_coerce(level, Priority, len(self._named[2])) - 1]


@attrs.frozen
class PriorityMatrix(_Scales):
    """A complete impact × urgency lookup: rows are impact levels, columns urgency levels, cells priority levels.

    ``levels`` is the number of impact levels (and of urgency levels, unless ``urgency_levels`` says otherwise).
    ``names`` names P1, P2 … (default Critical, High, Moderate, Low, Planning); every cell must be a named level.

    >>> m = PriorityMatrix(3, [[1, 2, 3], [2, 3, 4], [3, 4, 4]])
    >>> m.priority(3, 3).label, m.priority(Impact.HIGH, Urgency.MEDIUM).label
    ('P4 Low', 'P2 High')
    """

    levels: int
    table: tuple[tuple[int, ...], ...] = attrs.field(converter=_rows)
    names: tuple[str, ...] = attrs.field(default=DEFAULT_PRIORITY_NAMES, converter=_strs, kw_only=True)
    urgency_levels: int | None = attrs.field(default=None, kw_only=True)
    impact_names: tuple[str, ...] = attrs.field(default=(), converter=_strs, kw_only=True)
    urgency_names: tuple[str, ...] = attrs.field(default=(), converter=_strs, kw_only=True)
    _named: tuple[tuple[Impact, ...], tuple[Urgency, ...], tuple[Priority, ...]] = attrs.field(
        init=False, repr=False, eq=False
    )

    def __attrs_post_init__(self) -> None:
        rows = _check_count(self.levels, "levels", "impact levels (table rows)")
        columns = rows
        if self.urgency_levels is not None:
            columns = _check_count(self.urgency_levels, "urgency_levels", "urgency levels (table columns)")
        _check_names(self.names, "names", None)
        _check_names(self.impact_names, "impact_names", rows)
        _check_names(self.urgency_names, "urgency_names", columns)
        _check_table(self.table, rows, columns, len(self.names))
        self._name_levels(rows, columns)

    @classmethod
    def itil(cls) -> PriorityMatrix:
        """The standard ITIL / ServiceNow 3×3 table: priority = impact + urgency − 1 (1/1 → P1 … 3/3 → P5)."""
        return cls(3, ((1, 2, 3), (2, 3, 4), (3, 4, 5)))

    @property
    def _impact_count(self) -> int:
        return self.levels

    @property
    def _urgency_count(self) -> int:
        return self.levels if self.urgency_levels is None else self.urgency_levels

    def priority(self, impact: Impact | int, urgency: Urgency | int) -> Priority:
        """The priority of ``impact`` × ``urgency`` (levels as ints or :class:`Impact`/:class:`Urgency` values)."""
        i = _coerce(impact, Impact, self._impact_count)
        u = _coerce(urgency, Urgency, self._urgency_count)
        return self.priority_of(self.table[i - 1][u - 1])

    def basis(self, impact: Impact | int, urgency: Urgency | int) -> str:
        """Why the matrix gives what it gives: ``"impact 1 - High × urgency 2 - Medium → P2 High"``."""
        return f"impact {self.impact(impact)} × urgency {self.urgency(urgency)} → {self.priority(impact, urgency)}"

    def cells(self) -> Iterator[tuple[Impact, Urgency, Priority]]:
        """Every (impact, urgency, priority) of the table, row by row (for display and export)."""
        for impact in self.impacts:
            for urgency in self.urgencies:
                yield impact, urgency, self.priority(impact, urgency)


def _check_table(table: tuple[tuple[int, ...], ...], rows: int, columns: int, priorities: int) -> None:
    """Shape first, then each cell in row-major order: a named level, not more urgent than the cell above or left."""
    if len(table) != rows:
        where = f"table[{min(len(table), rows)}]"
        if len(table) < rows:
            raise ConfigError(
                f"impact level {len(table) + 1} has no row; the table needs {rows} rows (one per impact level), "
                f"got {len(table)}",
                where,
            )
        raise ConfigError(f"an extra row: `levels` is {rows}, so the table has {rows} rows; remove it", where)
    for i, row in enumerate(table):
        if len(row) != columns:
            where = f"table[{i}][{min(len(row), columns)}]"
            if len(row) < columns:
                raise ConfigError(
                    f"missing: impact {i + 1} has no priority for urgency {len(row) + 1}; each row needs {columns} "
                    "cells (one per urgency level)",
                    where,
                )
            raise ConfigError(
                f"an extra cell: there are {columns} urgency levels, so rows have {columns} cells", where
            )
    for i, row in enumerate(table):
        for j, cell in enumerate(row):
            where = f"table[{i}][{j}]"
            if not isinstance(cell, int) or isinstance(cell, bool) or not 1 <= cell <= priorities:
                raise ConfigError(
                    f"{cell!r} is not a priority level; valid levels: 1 to {priorities} (add names to allow more)",
                    where,
                )
            if i and cell < table[i - 1][j]:
                raise ConfigError(
                    f"P{cell} at impact {i + 1}, urgency {j + 1} is more urgent than P{table[i - 1][j]} at the more "
                    f"severe impact {i}; a lower impact must never raise the priority (use {table[i - 1][j]} or more)",
                    where,
                )
            if j and cell < row[j - 1]:
                raise ConfigError(
                    f"P{cell} at impact {i + 1}, urgency {j + 1} is more urgent than P{row[j - 1]} at the more pressing "
                    f"urgency {j}; a lower urgency must never raise the priority (use {row[j - 1]} or more)",
                    where,
                )


def _check_weights(weights: tuple[int, ...], path: str, what: str) -> None:
    if not weights:
        raise ConfigError(f"give one weight per {what} level, level 1 (the most severe) first", path)
    for index, weight in enumerate(weights):
        if not isinstance(weight, int) or isinstance(weight, bool):
            raise ConfigError(f"{weight!r} is not a weight; give an integer", f"{path}[{index}]")
        if index and weight > weights[index - 1]:
            raise ConfigError(
                f"{what} level {index + 1} weighs {weight}, more than level {index} ({weights[index - 1]}); "
                "a less severe level must not weigh more",
                f"{path}[{index}]",
            )


@attrs.frozen
class WeightedPriorityMatrix(_Scales):
    """Priority from weights, as BMC Helix computes it: impact weight + urgency weight, mapped through ranges.

    ``thresholds[k]`` is the least total weight that gives priority ``k + 1``: they fall strictly (P1's is the
    highest), and the lowest possible total must reach the last one so that every combination has a priority.

    >>> m = WeightedPriorityMatrix((9, 5, 3, 0), (20, 15, 10, 0), (24, 16, 10, 0))
    >>> m.weight(1, 2), m.priority(1, 2).label, m.priority(4, 1).label
    (24, 'P1 Critical', 'P2 High')
    """

    impact_weights: tuple[int, ...] = attrs.field(converter=_ints)
    urgency_weights: tuple[int, ...] = attrs.field(converter=_ints)
    thresholds: tuple[int, ...] = attrs.field(converter=_ints)
    names: tuple[str, ...] = attrs.field(default=DEFAULT_PRIORITY_NAMES, converter=_strs, kw_only=True)
    impact_names: tuple[str, ...] = attrs.field(default=(), converter=_strs, kw_only=True)
    urgency_names: tuple[str, ...] = attrs.field(default=(), converter=_strs, kw_only=True)
    _named: tuple[tuple[Impact, ...], tuple[Urgency, ...], tuple[Priority, ...]] = attrs.field(
        init=False, repr=False, eq=False
    )

    def __attrs_post_init__(self) -> None:
        _check_weights(self.impact_weights, "impact_weights", "impact")
        _check_weights(self.urgency_weights, "urgency_weights", "urgency")
        _check_names(self.names, "names", None)
        _check_names(self.impact_names, "impact_names", len(self.impact_weights))
        _check_names(self.urgency_names, "urgency_names", len(self.urgency_weights))
        if not self.thresholds:
            raise ConfigError("give the least weight of each priority, P1's first", "thresholds")
        for index, threshold in enumerate(self.thresholds):
            where = f"thresholds[{index}]"
            if not isinstance(threshold, int) or isinstance(threshold, bool):
                raise ConfigError(f"{threshold!r} is not a weight; give an integer", where)
            if index >= len(self.names):
                raise ConfigError(
                    f"P{index + 1} has no name; add it to `names` or drop this threshold", where
                )
            if index and threshold >= self.thresholds[index - 1]:
                raise ConfigError(
                    f"P{index + 1} starts at {threshold}, not below P{index}'s {self.thresholds[index - 1]}; "
                    "thresholds must fall strictly from P1 down",
                    where,
                )
        lowest = self.impact_weights[-1] + self.urgency_weights[-1]
        if lowest < self.thresholds[-1]:
            raise ConfigError(
                f"the lowest possible weight {lowest} (least impact + least urgency) is below every range, "
                f"so some tickets would get no priority; lower this threshold to {lowest} or less",
                f"thresholds[{len(self.thresholds) - 1}]",
            )
        self._name_levels(len(self.impact_weights), len(self.urgency_weights))

    @property
    def _impact_count(self) -> int:
        return len(self.impact_weights)

    @property
    def _urgency_count(self) -> int:
        return len(self.urgency_weights)

    def weight(self, impact: Impact | int, urgency: Urgency | int) -> int:
        """The total weight of ``impact`` × ``urgency``."""
        i = _coerce(impact, Impact, self._impact_count)
        u = _coerce(urgency, Urgency, self._urgency_count)
        return self.impact_weights[i - 1] + self.urgency_weights[u - 1]

    def priority(self, impact: Impact | int, urgency: Urgency | int) -> Priority:
        """The priority whose range holds the total weight of ``impact`` × ``urgency``."""
        total = self.weight(impact, urgency)
        level = next(n for n, least in enumerate(self.thresholds, 1) if total >= least)
        return self.priority_of(level)

    def basis(self, impact: Impact | int, urgency: Urgency | int) -> str:
        """``"impact 1 - High (9) + urgency 2 - High (15) = 24 ≥ 24 → P1 Critical"``."""
        i, u = self.impact(impact), self.urgency(urgency)
        total = self.weight(i, u)
        result = self.priority(i, u)
        return (
            f"impact {i} ({self.impact_weights[i.level - 1]}) + urgency {u} ({self.urgency_weights[u.level - 1]}) "
            f"= {total} ≥ {self.thresholds[result.level - 1]} → {result}"
        )

    def to_lookup(self) -> PriorityMatrix:
        """The same mapping as a lookup :class:`PriorityMatrix` (to show or export the grid)."""
        rows, columns = self._impact_count, self._urgency_count
        return PriorityMatrix(
            rows,
            [[self.priority(i, u).level for u in range(1, columns + 1)] for i in range(1, rows + 1)],
            names=self.names,
            urgency_levels=None if columns == rows else columns,
            impact_names=self.impact_names,
            urgency_names=self.urgency_names,
        )
