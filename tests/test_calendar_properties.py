"""Property tests of BusinessCalendar: against the oracle in calendar_oracle.py, and algebraic laws."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from calendar_oracle import MINUTE, Scenario, scenarios
from ticketcore._time import to_micros
from ticketcore.errors import NoBusinessTime
from ticketcore.sla import BusinessCalendar

durations = st.one_of(
    st.integers(0, 3 * 1440).map(lambda m: timedelta(minutes=m)),
    st.integers(0, 3 * 86_400_000_000).map(lambda us: timedelta(microseconds=us)),
)


def utc(value: datetime) -> datetime:
    """Results are compared as UTC instants: aware datetimes in a zone compare by wall time within that zone and
    never equal another zone's datetime during a repeated hour (PEP 495)."""
    return value.astimezone(UTC)


def _add(scenario: Scenario, start: datetime, duration: timedelta) -> datetime | None:
    try:
        return utc(scenario.calendar.add(start, duration))
    except NoBusinessTime:
        return None


# --- against the oracle ----------------------------------------------------------------------------------------


@given(st.data(), scenarios())
def test_membership_matches_the_oracle(data: st.DataObject, scenario: Scenario) -> None:
    for _ in range(12):
        at = data.draw(scenario.instants)
        assert scenario.calendar.is_open(at) == scenario.oracle.is_open(at), at


@given(st.data(), scenarios(combined=False), st.integers(-14 * 60, 14 * 60), st.booleans())
def test_local_readings_with_fold_are_judged_by_their_instant(
    data: st.DataObject, scenario: Scenario, minutes: int, fold: bool
) -> None:
    """Repeated and skipped local readings (fold=0/1) are judged by the instant they denote."""
    zone = scenario.calendar.tz
    local = (scenario.origin + timedelta(days=3, minutes=minutes)).replace(tzinfo=None)
    at = local.replace(tzinfo=zone, fold=int(fold))
    assert scenario.calendar.is_open(at) == scenario.oracle.is_open(at)


@given(st.data(), scenarios())
def test_arithmetic_and_intervals_match_the_oracle(data: st.DataObject, scenario: Scenario) -> None:
    bitmap = scenario.bitmap()
    calendar = scenario.calendar
    for _ in range(8):
        a, b = data.draw(scenario.instants), data.draw(scenario.instants)
        assert calendar.elapsed(a, b) == bitmap.elapsed(a, b), (a, b)
    for _ in range(6):
        start = scenario.origin + data.draw(st.integers(0, scenario.minutes - 1)) * MINUTE
        minutes = data.draw(st.integers(0, 3 * 1440))
        expected = bitmap.add(start, minutes)
        due = _add(scenario, start, timedelta(minutes=minutes))
        if expected is None:
            assert due is None or due > bitmap.end - MINUTE
        else:
            assert due == expected
            breach = bitmap.next_open(expected)
            if breach is not None:
                assert utc(calendar.breach_at(start, timedelta(minutes=minutes))) == breach
        earliest = bitmap.subtract(start, minutes)
        if earliest is not None:
            assert utc(calendar.subtract(start, timedelta(minutes=minutes))) == earliest
    # One bitmap serves the interval queries too (building it is the slow part of these tests).
    runs = bitmap.intervals()
    found = list(scenario.calendar.open_intervals(scenario.origin, bitmap.end))
    for opens, closes in found:
        assert opens.tzinfo is scenario.calendar.tz
        assert closes.tzinfo is scenario.calendar.tz
    assert [(utc(opens), utc(closes)) for opens, closes in found] == runs
    for _ in range(5):
        at = data.draw(scenario.instants)
        expected_open = bitmap.next_open(at)
        if expected_open is not None:
            assert utc(scenario.calendar.next_open(at)) == expected_open
        ends = [end for _, end in runs if end >= at]
        if ends and ends[0] < bitmap.end and at > scenario.origin:  # a run may end unseen at the origin
            assert utc(scenario.calendar.next_close(at)) == ends[0]


# --- algebraic laws (any microsecond, no oracle) -----------------------------------------------------------------


@given(st.data(), scenarios())
def test_elapsed_is_additive_antisymmetric_and_bounded(data: st.DataObject, scenario: Scenario) -> None:
    calendar = scenario.calendar
    a, b, c = (data.draw(scenario.instants) for _ in range(3))
    assert calendar.elapsed(a, c) == calendar.elapsed(a, b) + calendar.elapsed(b, c)
    assert calendar.elapsed(b, a) == -calendar.elapsed(a, b)
    assert calendar.elapsed(a, a) == timedelta(0)
    low, high = min(a, b), max(a, b)
    assert timedelta(0) <= calendar.elapsed(low, high) <= high - low


@given(st.data(), scenarios(), durations, durations)
def test_add_laws(data: st.DataObject, scenario: Scenario, d1: timedelta, d2: timedelta) -> None:
    calendar = scenario.calendar
    s = data.draw(scenario.instants)
    due = _add(scenario, s, d1)
    assume(due is not None)
    assert due is not None
    assert due >= s
    assert calendar.elapsed(s, due) == d1
    assert utc(calendar.add(s, timedelta(0))) == s
    # add is the earliest such instant: one microsecond earlier is not enough (for non-zero durations).
    if d1:
        assert calendar.elapsed(s, due - timedelta(microseconds=1)) < d1
    later = _add(scenario, s, d1 + d2)
    if later is not None:
        assert utc(calendar.add(due, d2)) == later
        assert later >= due  # monotone in the duration
    s2 = s + data.draw(st.integers(0, 10**12).map(lambda us: timedelta(microseconds=us)))
    due2 = _add(scenario, s2, d1)
    if due2 is not None:
        assert due2 >= due  # monotone in the start


@given(st.data(), scenarios(), durations)
def test_breached_at_x_iff_x_is_after_breach_at(
    data: st.DataObject, scenario: Scenario, d: timedelta
) -> None:
    calendar = scenario.calendar
    s = data.draw(scenario.instants)
    try:
        breach = utc(calendar.breach_at(s, d))
    except NoBusinessTime:
        return
    due = utc(calendar.add(s, d))
    assert breach >= due
    assert calendar.elapsed(due, breach) == timedelta(0)
    assert calendar.is_open(breach)
    one = timedelta(microseconds=1)
    assert not calendar.elapsed(s, breach) > d
    assert calendar.elapsed(s, breach + one) > d
    x = data.draw(scenario.instants)
    if x >= s:
        assert (calendar.elapsed(s, x) > d) == (x > breach)


@given(st.data(), scenarios(), durations)
def test_subtract_laws(data: st.DataObject, scenario: Scenario, d: timedelta) -> None:
    calendar = scenario.calendar
    e = data.draw(scenario.instants)
    try:
        s = utc(calendar.subtract(e, d))
    except NoBusinessTime:
        return
    assert s <= e
    assert calendar.elapsed(s, e) == d
    if d:
        assert calendar.elapsed(s + timedelta(microseconds=1), e) < d
        assert calendar.is_open(s)
    assert utc(calendar.add(e, -d)) == s


@given(st.data(), scenarios(combined=False), scenarios(combined=False))
def test_union_and_intersection_bound_their_parts(
    data: st.DataObject, first: Scenario, second: Scenario
) -> None:
    a, b = first.calendar, second.calendar
    x, y = sorted([data.draw(first.instants), data.draw(first.instants)])
    union, both = (a | b).elapsed(x, y), (a & b).elapsed(x, y)
    assert union >= a.elapsed(x, y) >= both
    assert union >= b.elapsed(x, y) >= both
    assert union + both == a.elapsed(x, y) + b.elapsed(x, y)
    assert (a | b).is_open(x) == (a.is_open(x) or b.is_open(x))
    assert (a & b).is_open(x) == (a.is_open(x) and b.is_open(x))


@given(st.data(), scenarios())
def test_segments_reproduce_elapsed_and_add(data: st.DataObject, scenario: Scenario) -> None:
    """The integer form a vectorised path would use gives the same answers (here with bisect for searchsorted)."""
    calendar = scenario.calendar
    low, high = scenario.origin, scenario.origin + scenario.minutes * MINUTE
    starts, ends, before = calendar.segments(low, high)

    def open_up_to(x: int) -> int:
        i = bisect_right(starts, x) - 1
        if not starts:
            return 0
        return before[0] if i < 0 else before[i] + min(x, ends[i]) - starts[i]

    a, b = data.draw(scenario.instants), data.draw(scenario.instants)
    assert timedelta(microseconds=open_up_to(to_micros(b)) - open_up_to(to_micros(a))) == calendar.elapsed(
        a, b
    )
    d = data.draw(durations)
    after = [be + e - s for be, s, e in zip(before, starts, ends, strict=True)]
    target = open_up_to(to_micros(a)) + d // timedelta(microseconds=1)
    j = bisect_left(after, target)
    if d and j < len(after):
        due = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=starts[j] + target - before[j])
        assert due == utc(calendar.add(a, d))


@pytest.mark.parametrize(
    "zone", ["Europe/Rome", "Australia/Lord_Howe", "Pacific/Chatham", "America/Sao_Paulo"]
)
@given(st.integers(0, 51), st.integers(1, 26 * 7), st.integers(0, 10**9))
def test_weeks_of_business_time_have_no_accumulated_error(
    zone: str, shift: int, weeks: int, micros: int
) -> None:
    calendar = BusinessCalendar(tz=zone, hours={"mon": ["09:00:01-17:30:07"], "thu": ["22:00-06:00"]})
    week = timedelta(hours=8, minutes=30, seconds=6) + timedelta(hours=8)
    monday = date(2024, 1, 1) + timedelta(weeks=shift)
    start = datetime.combine(monday, time(9, 0, 1), ZoneInfo(zone))
    due = utc(calendar.add(start, week * weeks))
    assert due == utc(datetime.combine(monday + timedelta(weeks=weeks - 1, days=4), time(6), ZoneInfo(zone)))
    extra = timedelta(microseconds=micros)
    assert calendar.elapsed(start, utc(calendar.add(start, week * weeks + extra))) == week * weeks + extra
