"""Business time over whole arrays: numpy ``searchsorted`` over a calendar's cumulative open segments.

Private to ``ticketcore.dataframes`` (imports numpy at module level). Instants are int64 UTC microseconds since the
epoch; durations int64 microseconds. The results equal the scalar calendar's exactly, since both use the same segments
and integer arithmetic; rows the segments cannot answer (a negative duration, a due instant beyond the horizon) fall
back to the scalar method.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from ticketcore._calendar import Segmented
from ticketcore._time import MICROSECOND, from_micros, to_micros

__all__ = ["add_us", "elapsed_us"]

Ints = npt.NDArray[np.int64]
_DAY = 86_400_000_000


def _table(calendar: Segmented, low: int, high: int) -> tuple[Ints, Ints, Ints]:
    starts, ends, before = calendar.segments(from_micros(low), from_micros(high))
    return (
        np.asarray(starts, dtype=np.int64),
        np.asarray(ends, dtype=np.int64),
        np.asarray(before, dtype=np.int64),
    )


def _open_before(starts: Ints, ends: Ints, before: Ints, x: Ints) -> Ints:
    """:func:`ticketcore._calendar.open_before` for every instant of ``x`` at once, on the same table arrays."""
    if len(starts) == 0:
        return np.zeros_like(x)
    i = np.searchsorted(starts, x, side="right") - 1
    inside = i >= 0
    j = np.where(inside, i, 0)
    value = before[j] + np.minimum(x, ends[j]) - starts[j]
    return np.where(inside, value, before[0])


def elapsed_us(calendar: Any, starts: Ints, ends: Ints) -> Ints:
    """Business µs in ``[start, end)`` for each pair (negative when ``end < start``), as ``calendar.elapsed``."""
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    if not hasattr(calendar, "segments"):
        return np.fromiter(
            (
                calendar.elapsed(from_micros(int(a)), from_micros(int(b))) // MICROSECOND
                for a, b in zip(starts, ends, strict=True)
            ),
            dtype=np.int64,
            count=len(starts),
        )
    low = int(min(starts.min(), ends.min()))
    high = int(max(starts.max(), ends.max()))
    table = _table(calendar, low, high)
    return _open_before(*table, ends) - _open_before(*table, starts)


def add_us(calendar: Segmented, starts: Ints, durations: Ints) -> Ints:
    """The due instant (µs) for each start and duration, as ``calendar.add``."""
    result = starts.copy()
    if len(starts) == 0:
        return result
    forward = durations > 0
    if forward.any():
        low = int(starts[forward].min())
        high = int(starts[forward].max()) + 4 * int(durations[forward].max()) + 60 * _DAY
        starts_t, ends_t, before_t = _table(calendar, low, high)
        if len(starts_t):
            after_t = before_t + (ends_t - starts_t)
            target = _open_before(starts_t, ends_t, before_t, starts[forward]) + durations[forward]
            # ticketcore._calendar.instant_reaching for every row at once.
            j = np.searchsorted(after_t, target, side="left")
            found = j < len(starts_t)
            jj = np.where(found, j, 0)
            due = starts_t[jj] + target - before_t[jj]
            # A segment found past the table's last start may be cut by the horizon: check it against the scalar.
            found &= starts_t[jj] <= high
            values = result[forward]
            values[found] = due[found]
            result[forward] = values
            forward_rows = np.flatnonzero(forward)
            leftover = forward_rows[~found]
        else:
            leftover = np.flatnonzero(forward)
    else:
        leftover = np.zeros(0, dtype=np.int64)
    rows = np.concatenate([leftover, np.flatnonzero(durations < 0)]).astype(np.int64)
    for row in rows:
        due_at = calendar.add(from_micros(int(starts[row])), timedelta(microseconds=int(durations[row])))
        result[row] = to_micros(due_at)
    return result
