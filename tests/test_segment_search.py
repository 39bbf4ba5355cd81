"""The one search over a segment table, its numpy twin, and the µs conversions, against slow obvious oracles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketcore._calendar import instant_reaching, open_before
from ticketcore._time import EPOCH, delta_micros, from_micros, to_micros
from ticketcore.errors import NaiveDatetimeError


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[int], list[int], list[int], list[int]]:
    """Disjoint sorted segments with the open µs before and up to each, from a random origin."""
    cuts = sorted(draw(st.sets(st.integers(-1_000, 1_000), max_size=12)))
    cuts = cuts[: len(cuts) - len(cuts) % 2]
    starts, ends = cuts[0::2], cuts[1::2]
    total = draw(st.integers(-50, 50))
    before: list[int] = []
    after: list[int] = []
    for start, end in zip(starts, ends, strict=True):
        before.append(total)
        total += end - start
        after.append(total)
    return starts, ends, before, after


def _open_time_oracle(starts: list[int], ends: list[int], before: list[int], x: int) -> int:
    """Count the open µs one by one from the first segment's start (or the origin before it)."""
    if not starts:
        return 0
    origin = before[0]
    return origin + sum(1 for s, e in zip(starts, ends, strict=True) for t in range(s, e) if t < x)


@settings(max_examples=60)
@given(tables(), st.integers(-1_100, 1_100))
def test_open_before_counts_the_open_microseconds_before_x(
    table: tuple[list[int], list[int], list[int], list[int]], x: int
) -> None:
    starts, ends, before, _ = table
    assert open_before(starts, ends, before, x) == _open_time_oracle(starts, ends, before, x)


@settings(max_examples=60)
@given(tables(), st.integers(0, 2_000))
def test_instant_reaching_is_the_first_instant_with_that_much_open_time(
    table: tuple[list[int], list[int], list[int], list[int]], amount: int
) -> None:
    starts, ends, before, after = table
    if not after:
        return
    target = before[0] + amount % (after[-1] - before[0] + 1)
    found = instant_reaching(starts, before, after, target)
    assert open_before(starts, ends, before, found) == target
    if target > before[0]:
        assert open_before(starts, ends, before, found - 1) < target


@settings(max_examples=40)
@given(tables(), st.lists(st.integers(-1_100, 1_100), max_size=8))
def test_the_numpy_twin_answers_as_the_scalar_search(
    table: tuple[list[int], list[int], list[int], list[int]], xs: list[int]
) -> None:
    from ticketcore._frames.calendar import _open_before

    starts, ends, before, _ = table
    arrays = [np.asarray(values, dtype=np.int64) for values in (starts, ends, before)]
    vectorised = _open_before(*arrays, np.asarray(xs, dtype=np.int64))
    assert vectorised.tolist() == [open_before(starts, ends, before, x) for x in xs]


@settings(max_examples=60)
@given(st.datetimes(timezones=st.just(UTC)), st.timedeltas())
def test_micros_round_trip_exactly(value: datetime, delta: timedelta) -> None:
    micros = to_micros(value)
    assert timedelta(microseconds=micros) == value - EPOCH
    assert from_micros(micros) == value
    assert timedelta(microseconds=delta_micros(delta)) == delta


def test_to_micros_refuses_a_naive_datetime_and_other_types() -> None:
    with pytest.raises(NaiveDatetimeError, match="created_at"):
        to_micros(datetime(2026, 1, 1), "created_at")
    with pytest.raises(TypeError, match="must be a datetime"):
        to_micros(datetime(2026, 1, 1, tzinfo=UTC).date())  # type: ignore[arg-type]
