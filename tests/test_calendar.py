"""Worked examples, DST and zone cases, validation and configuration of BusinessCalendar (issue 11)."""

from __future__ import annotations

import pickle
import threading
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketcore.codec import dump, load
from ticketcore.errors import ConfigError, NaiveDatetimeError, NoBusinessTime
from ticketcore.sla import BusinessCalendar, Holidays, RecurringClosure
from ticketcore.testing.strategies import json_like

ROME = ZoneInfo("Europe/Rome")
US = timedelta(microseconds=1)
H = timedelta(hours=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def utc(value: datetime) -> datetime:
    """Compare instants, not wall clocks (PEP 495: same-zone comparisons ignore fold)."""
    return value.astimezone(UTC)


def at(zone: str | ZoneInfo, *fields: int, fold: int = 0) -> datetime:
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return datetime(*fields, tzinfo=tz, fold=fold)  # type: ignore[misc]


def rome(*fields: int) -> datetime:
    return at(ROME, *fields)


@pytest.fixture(scope="module")
def office() -> BusinessCalendar:
    """Rome, Mon–Fri 09:00–13:00 + 14:00–18:00, Italian holidays: the calendar of the issue's benchmark."""
    hours = {day: ["09:00-13:00", "14:00-18:00"] for day in WEEKDAYS}
    return BusinessCalendar(tz="Europe/Rome", hours=hours, holidays=("IT", None))


# --- worked examples a user can check by hand ----------------------------------------------------------------------


def test_p3_reported_friday_afternoon_is_due_monday() -> None:
    calendar = BusinessCalendar(tz="Europe/Rome", hours={key: ["08:00-17:00"] for key in WEEKDAYS})
    reported = rome(2025, 3, 7, 16, 0)  # a Friday
    assert calendar.add(reported, 8 * H) == rome(2025, 3, 10, 15, 0)
    assert calendar.elapsed(reported, rome(2025, 3, 10, 15, 0)) == 8 * H


def test_due_at_lunch_is_13_00_and_the_breach_is_at_14_00(office: BusinessCalendar) -> None:
    start = rome(2025, 3, 4, 9, 0)
    due, breach = office.add(start, 4 * H), office.breach_at(start, 4 * H)
    assert (due, breach) == (rome(2025, 3, 4, 13, 0), rome(2025, 3, 4, 14, 0))
    late = lambda reply: office.elapsed(start, reply) > 4 * H  # noqa: E731 (a one-line predicate named for the assertion that reads it)
    assert not late(rome(2025, 3, 4, 13, 30))  # a reply during lunch is on time
    assert not late(rome(2025, 3, 4, 14, 0))
    assert late(rome(2025, 3, 4, 14, 0) + US)
    assert [x > breach for x in (rome(2025, 3, 4, 14, 0), rome(2025, 3, 4, 14, 0) + US)] == [False, True]


@pytest.mark.parametrize(
    ("start", "duration", "due", "breach"),
    [
        # Friday evening: the due is the closing time, the breach the next business morning.
        (rome(2025, 3, 7, 14, 0), 4 * H, rome(2025, 3, 7, 18, 0), rome(2025, 3, 10, 9, 0)),
        # The day before Christmas (Thu 25 and Fri 26 are Italian holidays), across the weekend.
        (rome(2025, 12, 24, 14, 0), 4 * H, rome(2025, 12, 24, 18, 0), rome(2025, 12, 29, 9, 0)),
        (rome(2025, 12, 24, 17, 0), 2 * H, rome(2025, 12, 29, 10, 0), rome(2025, 12, 29, 10, 0)),
        # Easter Monday 2025-04-21 is a holiday.
        (rome(2025, 4, 18, 16, 0), 3 * H, rome(2025, 4, 22, 10, 0), rome(2025, 4, 22, 10, 0)),
        # Zero: inside a window, at a window start, at a window end, in a gap.
        (rome(2025, 3, 4, 10, 15), timedelta(0), rome(2025, 3, 4, 10, 15), rome(2025, 3, 4, 10, 15)),
        (rome(2025, 3, 4, 9, 0), timedelta(0), rome(2025, 3, 4, 9, 0), rome(2025, 3, 4, 9, 0)),
        (rome(2025, 3, 4, 13, 0), timedelta(0), rome(2025, 3, 4, 13, 0), rome(2025, 3, 4, 14, 0)),
        (rome(2025, 3, 8, 3, 0), timedelta(0), rome(2025, 3, 8, 3, 0), rome(2025, 3, 10, 9, 0)),
        # Starts outside hours count from the next opening: night, weekend, holiday, lunch.
        (rome(2025, 3, 4, 22, 0), H, rome(2025, 3, 5, 10, 0), rome(2025, 3, 5, 10, 0)),
        (rome(2025, 3, 9, 12, 0), H, rome(2025, 3, 10, 10, 0), rome(2025, 3, 10, 10, 0)),
        (rome(2025, 12, 25, 10, 0), H, rome(2025, 12, 29, 10, 0), rome(2025, 12, 29, 10, 0)),
        (
            rome(2025, 3, 4, 13, 20),
            30 * timedelta(minutes=1),
            rome(2025, 3, 4, 14, 30),
            rome(2025, 3, 4, 14, 30),
        ),
        # One microsecond before an opening, exactly at an opening (inclusive) and a closing (exclusive).
        (rome(2025, 3, 4, 9, 0) - US, H, rome(2025, 3, 4, 10, 0), rome(2025, 3, 4, 10, 0)),
        (rome(2025, 3, 4, 14, 0), 4 * H, rome(2025, 3, 4, 18, 0), rome(2025, 3, 5, 9, 0)),
        (rome(2025, 3, 4, 18, 0), US, rome(2025, 3, 5, 9, 0) + US, rome(2025, 3, 5, 9, 0) + US),
        # Microsecond precision both ways.
        (rome(2025, 3, 4, 12, 59, 59) + 7 * US, 2 * US, rome(2025, 3, 4, 12, 59, 59) + 9 * US, None),
        (rome(2025, 3, 4, 12, 59, 59, 999_999), 2 * US, rome(2025, 3, 4, 14, 0) + US, None),
    ],
)
def test_due_and_breach_at(
    office: BusinessCalendar, start: datetime, duration: timedelta, due: datetime, breach: datetime | None
) -> None:
    assert office.add(start, duration) == due
    assert office.breach_at(start, duration) == (breach or due)
    assert office.elapsed(start, due) == duration


def test_elapsed_edge_cases(office: BusinessCalendar) -> None:
    monday = rome(2025, 3, 3, 0, 0)
    assert office.elapsed(monday, monday) == timedelta(0)
    assert office.elapsed(rome(2025, 3, 3, 13, 0), rome(2025, 3, 3, 14, 0)) == timedelta(0)  # inside a gap
    assert office.elapsed(rome(2025, 3, 3, 9, 0), rome(2025, 3, 3, 13, 0)) == 4 * H  # on boundaries
    assert office.elapsed(monday, monday + timedelta(days=7)) == 40 * H
    assert office.elapsed(monday + timedelta(days=7), monday) == -40 * H  # signed
    # The week of Christmas 2025: Thu 25 and Fri 26 closed.
    assert office.elapsed(rome(2025, 12, 22, 0, 0), rome(2025, 12, 29, 0, 0)) == 24 * H


def test_subtract(office: BusinessCalendar) -> None:
    assert office.subtract(rome(2025, 3, 5, 17, 0), 3 * H) == rome(2025, 3, 5, 14, 0)
    # Landing on a window start, never on the previous closing time.
    assert office.subtract(rome(2025, 3, 5, 18, 0), 4 * H) == rome(2025, 3, 5, 14, 0)
    assert office.subtract(rome(2025, 3, 10, 10, 0), 2 * H) == rome(2025, 3, 7, 17, 0)
    assert office.subtract(rome(2025, 3, 8, 12, 0), timedelta(0)) == rome(2025, 3, 8, 12, 0)
    assert office.add(rome(2025, 3, 5, 17, 0), -5 * H) == rome(2025, 3, 5, 11, 0)
    assert office.subtract(rome(2025, 3, 5, 10, 0), -3 * H) == rome(2025, 3, 5, 13, 0)


def test_queries(office: BusinessCalendar) -> None:
    assert office.is_open(rome(2025, 3, 4, 9, 0))
    assert not office.is_open(rome(2025, 3, 4, 13, 0))
    assert not office.is_open(rome(2025, 12, 25, 10, 0))
    assert office.next_open(rome(2025, 3, 4, 13, 0)) == rome(2025, 3, 4, 14, 0)
    assert office.next_open(rome(2025, 3, 4, 10, 0)) == rome(2025, 3, 4, 10, 0)
    assert office.next_close(rome(2025, 3, 4, 10, 0)) == rome(2025, 3, 4, 13, 0)
    assert office.next_close(rome(2025, 3, 4, 13, 30)) == rome(2025, 3, 4, 18, 0)
    assert office.next_close(rome(2025, 3, 4, 13, 0)) == rome(2025, 3, 4, 13, 0)
    assert list(office.open_intervals(rome(2025, 3, 7, 12, 0), rome(2025, 3, 10, 10, 0))) == [
        (rome(2025, 3, 7, 12, 0), rome(2025, 3, 7, 13, 0)),
        (rome(2025, 3, 7, 14, 0), rome(2025, 3, 7, 18, 0)),
        (rome(2025, 3, 10, 9, 0), rome(2025, 3, 10, 10, 0)),
    ]
    assert list(office.open_intervals(rome(2025, 3, 10, 10, 0), rome(2025, 3, 7, 12, 0))) == []


def test_results_are_in_the_calendar_zone(office: BusinessCalendar) -> None:
    start = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)  # 09:00 in Rome
    due = office.add(start, H)
    assert due.tzinfo is ROME
    assert due == rome(2025, 3, 4, 10, 0)
    assert office.add(start, timedelta(0)).tzinfo is ROME


def test_bulk_methods(office: BusinessCalendar) -> None:
    starts = [rome(2025, 3, 3, 8, 0) + timedelta(hours=7 * i) for i in range(50)]
    assert office.add_many(starts, 8 * H) == [office.add(s, 8 * H) for s in starts]
    durations = [timedelta(minutes=17 * i) for i in range(50)]
    assert office.add_many(starts, durations) == [
        office.add(s, d) for s, d in zip(starts, durations, strict=True)
    ]
    ends = [s + timedelta(days=5) for s in starts]
    assert office.elapsed_many(starts, ends) == [
        office.elapsed(s, e) for s, e in zip(starts, ends, strict=True)
    ]
    with pytest.raises(ValueError, match="one duration per start"):
        office.add_many(starts, durations[:3])
    with pytest.raises(ValueError, match="one end per start"):
        office.elapsed_many(starts, ends[:3])


# --- midnight, 24:00 and overnight windows ---------------------------------------------------------------------


def test_24_00_and_contiguous_windows_across_midnight() -> None:
    calendar = BusinessCalendar(tz="Europe/Rome", hours={"mon": ["20:00-24:00"], "tue": ["00:00-04:00"]})
    monday = rome(2025, 3, 3, 22, 0)
    assert calendar.add(monday, 2 * H) == rome(2025, 3, 4, 0, 0)
    assert calendar.breach_at(monday, 2 * H) == rome(2025, 3, 4, 0, 0)  # the same instant: no gap at midnight
    assert calendar.next_close(rome(2025, 3, 3, 21, 0)) == rome(2025, 3, 4, 4, 0)
    assert list(calendar.open_intervals(rome(2025, 3, 3, 0, 0), rome(2025, 3, 5, 0, 0))) == [
        (rome(2025, 3, 3, 20, 0), rome(2025, 3, 4, 4, 0))
    ]
    sugar = BusinessCalendar(tz="Europe/Rome", hours={"mon": ["20:00-04:00"]})
    assert list(sugar.open_intervals(rome(2025, 3, 3, 0, 0), rome(2025, 3, 5, 0, 0))) == [
        (rome(2025, 3, 3, 20, 0), rome(2025, 3, 4, 4, 0))
    ]


def test_24_7_loses_no_minute_at_midnight() -> None:
    """Zammad #3180: a 24×7 calendar entered without 24:00 lost a minute per midnight."""
    for calendar in (BusinessCalendar.always("Europe/Rome"), BusinessCalendar.always()):
        start = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)
        assert calendar.elapsed(start, start + timedelta(days=7)) == timedelta(days=7)
        assert utc(calendar.add(start, timedelta(days=3))) == start + timedelta(days=3)
        assert utc(calendar.add(start, timedelta(days=400))) == start + timedelta(days=400)
        assert calendar.is_open(rome(2025, 3, 4, 0, 0))
    # Across the DST change the 24×7 Rome week is 167 real hours.
    week = BusinessCalendar.always("Europe/Rome")
    assert week.elapsed(rome(2025, 3, 24, 0, 0), rome(2025, 3, 31, 0, 0)) == 167 * H


def test_overnight_windows_follow_each_dates_own_status() -> None:
    hours = {day: ["22:00-06:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    # Tuesday 2025-03-04 is a holiday: Mon 22–24 stays open, Tue 00–06 and Tue 22–24 are closed.
    calendar = BusinessCalendar(tz="Europe/Rome", hours=hours, holidays=[date(2025, 3, 4)])
    assert calendar.elapsed(rome(2025, 3, 3, 0, 0), rome(2025, 3, 5, 12, 0)) == 2 * H + 6 * H
    assert calendar.is_open(rome(2025, 3, 3, 23, 0))
    assert not calendar.is_open(rome(2025, 3, 4, 1, 0))
    assert not calendar.is_open(rome(2025, 3, 4, 23, 0))
    assert calendar.is_open(rome(2025, 3, 5, 1, 0))  # Wednesday's morning part of Tuesday's shift is open
    # A special day replaces the date's hours, including the part of last night's shift that falls on it.
    special = BusinessCalendar(
        tz="Europe/Rome", hours=hours, special_days={date(2025, 3, 5): ["10:00-12:00"]}
    )
    assert not special.is_open(rome(2025, 3, 5, 1, 0))
    assert special.is_open(rome(2025, 3, 5, 11, 0))
    assert special.is_open(rome(2025, 3, 4, 23, 0))


# --- DST and odd zones -------------------------------------------------------------------------------------------


def test_windows_over_dst_changes_last_their_real_length() -> None:
    night = BusinessCalendar(tz="Europe/Rome", hours={"sun": ["00:00-04:00"]})
    assert night.elapsed(rome(2024, 3, 31, 0, 0), rome(2024, 3, 31, 12, 0)) == 3 * H
    assert night.elapsed(rome(2024, 10, 27, 0, 0), rome(2024, 10, 27, 12, 0)) == 5 * H
    # A window starting in the skipped hour begins when the clocks next show a time inside it (03:00).
    gap = BusinessCalendar(tz="Europe/Rome", hours={"sun": ["02:30-04:00"]})
    assert list(gap.open_intervals(rome(2024, 3, 31, 0, 0), rome(2024, 3, 31, 12, 0))) == [
        (rome(2024, 3, 31, 3, 0), rome(2024, 3, 31, 4, 0))
    ]
    # A window ending in the skipped hour ends at the jump.
    ends = BusinessCalendar(tz="Europe/Rome", hours={"sun": ["01:00-02:30"]})
    assert ends.elapsed(rome(2024, 3, 31, 0, 0), rome(2024, 3, 31, 12, 0)) == H
    # A window inside the repeated hour is read twice: two intervals.
    twice = BusinessCalendar(tz="Europe/Rome", hours={"sun": ["02:30-02:45"]})
    intervals = list(twice.open_intervals(rome(2024, 10, 27, 0, 0), rome(2024, 10, 27, 12, 0)))
    assert [(utc(a), utc(b)) for a, b in intervals] == [
        (datetime(2024, 10, 27, 0, 30, tzinfo=UTC), datetime(2024, 10, 27, 0, 45, tzinfo=UTC)),
        (datetime(2024, 10, 27, 1, 30, tzinfo=UTC), datetime(2024, 10, 27, 1, 45, tzinfo=UTC)),
    ]
    assert [b.fold for _, b in intervals] == [0, 1]
    start = rome(2024, 10, 27, 0, 0)
    assert utc(twice.add(start, timedelta(minutes=20))) == datetime(2024, 10, 27, 1, 35, tzinfo=UTC)


def test_fold_1_instants_are_their_own_instants() -> None:
    first_pass = (datetime(2024, 10, 27, 0, 15, tzinfo=UTC), datetime(2024, 10, 27, 0, 45, tzinfo=UTC))
    calendar = BusinessCalendar(
        tz="Europe/Rome", hours={key: ["00:00-24:00"] for key in ("sat", "sun")}, closures=[first_pass]
    )
    assert not calendar.is_open(at(ROME, 2024, 10, 27, 2, 30, fold=0))
    assert calendar.is_open(at(ROME, 2024, 10, 27, 2, 30, fold=1))
    assert calendar.elapsed(
        at(ROME, 2024, 10, 27, 2, 0, fold=0), at(ROME, 2024, 10, 27, 2, 0, fold=1)
    ) == 30 * timedelta(minutes=1)


def test_sao_paulo_midnight_that_does_not_exist() -> None:
    """2015-10-18: clocks jump from 00:00 to 01:00; 24:00 of the 17th is the jump itself."""
    zone = ZoneInfo("America/Sao_Paulo")
    calendar = BusinessCalendar(tz=zone, hours={"sat": ["22:00-24:00"], "sun": ["00:00-02:00"]})
    night = list(calendar.open_intervals(at(zone, 2015, 10, 17, 12), at(zone, 2015, 10, 18, 12)))
    assert night == [(at(zone, 2015, 10, 17, 22), at(zone, 2015, 10, 18, 2))]
    assert calendar.elapsed(at(zone, 2015, 10, 17, 12), at(zone, 2015, 10, 18, 12)) == 3 * H
    assert calendar.add(at(zone, 2015, 10, 17, 23), H) == at(zone, 2015, 10, 18, 1)
    assert calendar.add(at(zone, 2015, 10, 17, 23), 2 * H) == at(zone, 2015, 10, 18, 2)


@pytest.mark.parametrize(
    ("zone", "day", "length"),
    [
        ("Australia/Lord_Howe", date(2024, 10, 6), timedelta(hours=2, minutes=30)),  # 02:00 -> 02:30
        ("Australia/Lord_Howe", date(2024, 4, 7), timedelta(hours=3, minutes=30)),  # 02:00 -> 01:30
        ("Pacific/Chatham", date(2024, 9, 29), timedelta(hours=2, minutes=45)),  # 02:45 -> 03:45
        ("Pacific/Chatham", date(2024, 4, 7), timedelta(hours=3, minutes=15)),  # 03:45 -> 02:45
        ("America/New_York", date(2024, 3, 10), 2 * H),
        ("Asia/Kathmandu", date(1986, 1, 1), timedelta(hours=2, minutes=45)),  # +05:30 -> +05:45 at 00:00
        ("Asia/Kathmandu", date(2024, 3, 31), 3 * H),
    ],
)
def test_a_night_window_on_odd_dst_days(zone: str, day: date, length: timedelta) -> None:
    tz = ZoneInfo(zone)
    key = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
    calendar = BusinessCalendar(tz=zone, hours={key: ["00:00-03:00"]})
    midnight = datetime.combine(day, time(0), tz)
    assert calendar.elapsed(midnight - 6 * H, midnight + 12 * H) == length


def test_odd_offsets_map_windows_to_the_right_instants() -> None:
    kathmandu = BusinessCalendar(tz="Asia/Kathmandu", hours={"mon": ["09:00-17:00"]})
    opens = kathmandu.next_open(datetime(2025, 3, 3, 0, 0, tzinfo=UTC))
    assert utc(opens) == datetime(2025, 3, 3, 3, 15, tzinfo=UTC)
    chatham = BusinessCalendar(tz="Pacific/Chatham", hours={"mon": ["09:00-17:00"]})
    opens = chatham.next_open(datetime(2025, 1, 5, 0, 0, tzinfo=UTC))  # Sunday UTC is Monday in Chatham
    assert utc(opens) == datetime(2025, 1, 5, 19, 15, tzinfo=UTC)  # +13:45 in summer


def test_special_days_and_closures_match_the_local_date_far_from_utc() -> None:
    """zendesk/biz PR #156: shifts were matched on the UTC date. Ours follow the local date."""
    shanghai = ZoneInfo("Asia/Shanghai")
    calendar = BusinessCalendar(
        tz=shanghai,
        hours={"mon": ["09:00-17:00"], "tue": ["09:00-17:00"]},
        special_days={date(2019, 4, 29): ["07:00-12:00"]},
    )
    assert not calendar.is_open(at(shanghai, 2019, 4, 29, 15))
    assert calendar.elapsed(at(shanghai, 2019, 4, 29, 0), at(shanghai, 2019, 4, 30, 0)) == 5 * H
    assert calendar.add(at(shanghai, 2019, 4, 29, 7), 6 * H) == at(shanghai, 2019, 4, 30, 10)
    # Far west: a holiday on a Pago Pago date is its whole local day (UTC-11).
    pago = ZoneInfo("Pacific/Pago_Pago")
    west = BusinessCalendar(tz=pago, hours={"mon": ["00:00-24:00"]}, holidays=[date(2025, 3, 3)])
    assert west.elapsed(at(pago, 2025, 3, 3, 0), at(pago, 2025, 3, 4, 0)) == timedelta(0)
    assert west.elapsed(at(pago, 2025, 3, 10, 0), at(pago, 2025, 3, 11, 0)) == 24 * H
    # Far east: Kiritimati (UTC+14) skipped 1994-12-31 entirely; a Saturday window that day never happens.
    kiritimati = ZoneInfo("Pacific/Kiritimati")
    skipped = BusinessCalendar(tz=kiritimati, hours={"sat": ["00:00-24:00"], "sun": ["00:00-01:00"]})
    day = datetime(1994, 12, 30, 0, 0, tzinfo=UTC)
    assert skipped.elapsed(day, day + timedelta(days=3)) == H


def test_holidays_from_the_package() -> None:
    assert Holidays("IT").closes(date(2025, 12, 25))
    assert not Holidays("IT").closes(date(2025, 12, 24))
    assert Holidays("US", "CA").closes(date(2025, 3, 31))  # César Chávez Day
    assert not Holidays("US").closes(date(2025, 3, 31))
    assert Holidays("HR").closes(date(2025, 5, 30))  # Statehood Day (since 2020)
    assert Holidays("IT", dates=[date(2025, 8, 14)]).in_year(2025) >= {date(2025, 8, 14), date(2025, 8, 15)}
    calendar = BusinessCalendar(
        tz="America/Los_Angeles", hours={"mon": ["09:00-17:00"]}, holidays=("US", "CA")
    )
    la = ZoneInfo("America/Los_Angeles")
    assert calendar.elapsed(at(la, 2025, 3, 31, 0), at(la, 2025, 4, 1, 0)) == timedelta(0)


def test_special_days_closures_and_recurring_closures() -> None:
    maintenance = RecurringClosure("FREQ=MONTHLY;BYDAY=1MO", date(2025, 1, 1), ["09:00-11:00"])
    calendar = BusinessCalendar(
        tz="Europe/Rome",
        hours={key: ["09:00-18:00"] for key in WEEKDAYS},
        special_days={date(2025, 12, 24): ["09:00-13:00"], date(2025, 12, 27): ["10:00-12:00"]},
        closures=[(rome(2025, 3, 4, 15, 0), rome(2025, 3, 5, 10, 0))],
        recurring_closures=[maintenance],
    )
    assert calendar.elapsed(rome(2025, 12, 24, 0, 0), rome(2025, 12, 25, 0, 0)) == 4 * H  # Christmas Eve
    assert calendar.elapsed(rome(2025, 12, 27, 0, 0), rome(2025, 12, 28, 0, 0)) == 2 * H  # a Saturday opening
    assert calendar.elapsed(rome(2025, 3, 4, 0, 0), rome(2025, 3, 6, 0, 0)) == 6 * H + 8 * H
    assert calendar.next_open(rome(2025, 3, 3, 9, 0)) == rome(2025, 3, 3, 11, 0)  # first Monday of March
    assert calendar.is_open(rome(2025, 3, 10, 9, 0))
    overnight = RecurringClosure("FREQ=WEEKLY;BYDAY=SU", date(2025, 1, 5), "23:00-01:00")
    night = BusinessCalendar.always("Europe/Rome") & BusinessCalendar.always("Europe/Rome")
    night = attrs.evolve(night, recurring_closures=[overnight])
    assert night.elapsed(rome(2025, 3, 9, 0, 0), rome(2025, 3, 10, 12, 0)) == 36 * H - 2 * H


def test_follow_the_sun_with_public_operations() -> None:
    """Issue 11's "done when": from a dict to due dates across Rome and New York, with public names only."""
    from ticketcore import BusinessCalendar as Public
    from ticketcore.sla import BusinessCalendar as FromSla

    assert Public is FromSla is BusinessCalendar
    team = {key: ["09:00-17:00"] for key in WEEKDAYS}
    rome_team = load(Public, {"tz": "Europe/Rome", "hours": team, "holidays": {"country": "IT"}})
    new_york = load(Public, {"tz": "America/New_York", "hours": team, "holidays": {"country": "US"}})
    both = rome_team | new_york
    start = rome(2025, 3, 4, 16, 0)  # 10:00 in New York
    assert both.add(start, 2 * H) == rome(2025, 3, 4, 18, 0)
    assert both.elapsed(rome(2025, 3, 4, 0, 0), rome(2025, 3, 5, 0, 0)) == 14 * H  # 09–17 Rome + 15–23 Rome
    overlap = rome_team & new_york
    assert overlap.elapsed(rome(2025, 3, 4, 0, 0), rome(2025, 3, 5, 0, 0)) == 2 * H  # 15:00–17:00 Rome
    assert both.add(start, 2 * H).tzinfo is ROME
    assert (new_york | rome_team).add(start, 2 * H).tzinfo == ZoneInfo("America/New_York")


# --- refusals ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["add", "breach_at", "subtract"])
def test_naive_datetimes_are_refused(office: BusinessCalendar, method: str) -> None:
    with pytest.raises(NaiveDatetimeError, match="start|end"):
        getattr(office, method)(datetime(2025, 3, 4, 9, 0), H)


def test_naive_datetimes_are_refused_everywhere(office: BusinessCalendar) -> None:
    naive, aware = datetime(2025, 3, 4, 9, 0), rome(2025, 3, 4, 9, 0)
    for call in (
        lambda: office.elapsed(naive, aware),
        lambda: office.elapsed(aware, naive),
        lambda: office.is_open(naive),
        lambda: office.next_open(naive),
        lambda: office.next_close(naive),
        lambda: list(office.open_intervals(aware, naive)),
        lambda: office.segments(naive, aware),
        lambda: office.add_many([naive], H),
    ):
        with pytest.raises(NaiveDatetimeError):
            call()
    with pytest.raises(TypeError, match="timedelta"):
        office.add(aware, 3600)  # type: ignore[arg-type]


def test_computations_that_cannot_finish_raise() -> None:
    start = rome(2025, 3, 4, 9, 0)
    empty = BusinessCalendar(tz="Europe/Rome")
    with pytest.raises(NoBusinessTime, match="no open time"):
        empty.add(start, H)
    with pytest.raises(NoBusinessTime):
        empty.subtract(start, H)
    with pytest.raises(NoBusinessTime):
        empty.next_open(start)
    assert empty.add(start, timedelta(0)) == start
    assert empty.elapsed(start, start + timedelta(days=900)) == timedelta(0)
    with pytest.raises(NoBusinessTime, match="no closing time"):
        BusinessCalendar.always().next_close(start)
    disjoint = BusinessCalendar(tz="UTC", hours={"mon": ["09:00-10:00"]}) & BusinessCalendar(
        tz="UTC", hours={"tue": ["09:00-10:00"]}
    )
    with pytest.raises(NoBusinessTime):
        disjoint.add(start, US)
    with pytest.raises(NoBusinessTime, match="beyond the years"):
        BusinessCalendar.always().add(start, timedelta(days=10**7))
    # Open only on dated special days: searches run to them, then give up after them.
    dated = BusinessCalendar(tz="Europe/Rome", special_days={date(2040, 6, 1): ["09:00-10:00"]})
    assert dated.add(start, H) == rome(2040, 6, 1, 10, 0)
    with pytest.raises(NoBusinessTime):
        dated.add(start, 2 * H)


@pytest.mark.parametrize(
    ("kwargs", "path", "fragment"),
    [
        ({"tz": "Europe/Roma"}, "tz", "'Europe/Roma' is not a time zone"),
        ({"tz": timezone(timedelta(hours=2))}, "tz", "IANA"),
        (
            {"tz": "UTC", "hours": {"mon": ["09:00-13:00", "25:00-26:00"]}},
            "hours.mon[1]",
            "'25:00' is not a time",
        ),
        ({"tz": "UTC", "hours": {"mon": ["9:00-17:00"]}}, "hours.mon[0]", "'9:00' is not a time of day"),
        ({"tz": "UTC", "hours": {"mon": ["09:00-17:00:60"]}}, "hours.mon[0]", "write HH:MM"),
        ({"tz": "UTC", "hours": {"mon": ["24:00-10:00"]}}, "hours.mon[0]", "cannot start at '24:00'"),
        ({"tz": "UTC", "hours": {"mon": ["09:00"]}}, "hours.mon[0]", "START-END"),
        ({"tz": "UTC", "hours": {"mon": [900]}}, "hours.mon[0]", "900 is not a window"),
        ({"tz": "UTC", "hours": {"mon": ["09:00-09:00"]}}, "hours.mon[0]", "'00:00-24:00' for a whole day"),
        ({"tz": "UTC", "hours": {"mon": ["00:00-00:00"]}}, "hours.mon[0]", "is empty"),
        (
            {"tz": "UTC", "hours": {"mon": ["09:00-13:00", "12:00-14:00"]}},
            "hours.mon[1]",
            "overlaps '09:00-13:00'",
        ),
        (
            {"tz": "UTC", "hours": {"sun": ["22:00-06:00"], "mon": ["05:00-09:00"]}},
            "hours.mon[0]",
            "after midnight",
        ),
        ({"tz": "UTC", "hours": {"monday": ["09:00-17:00"]}}, "hours.monday", "use mon, tue"),
        ({"tz": "UTC", "hours": "09:00-17:00"}, "hours", "weekday keys"),
        ({"tz": "UTC", "holidays": "XX"}, "holidays.country", "'XX' is not a country code"),
        ({"tz": "UTC", "holidays": ("US", "ZZ")}, "holidays.subdivision", "'CA'"),
        ({"tz": "UTC", "holidays": {"subdivision": "CA"}}, "holidays.subdivision", "needs a country"),
        ({"tz": "UTC", "holidays": {"country": "IT", "region": "x"}}, "holidays", "unknown key 'region'"),
        ({"tz": "UTC", "holidays": [datetime(2025, 1, 1, tzinfo=UTC)]}, "holidays.dates[0]", "not a date"),
        (
            {"tz": "UTC", "special_days": {date(2025, 12, 24): ["22:00-02:00"]}},
            "special_days.2025-12-24[0]",
            "cannot run past midnight",
        ),
        ({"tz": "UTC", "special_days": {"2025-12-24": []}}, "special_days", "not a date"),
        (
            {"tz": "UTC", "closures": [(datetime(2025, 3, 1), datetime(2025, 3, 2))]},
            "closures[0].start",
            "aware",
        ),
        (
            {"tz": "UTC", "closures": [(datetime(2025, 3, 2, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC))]},
            "closures[0]",
            "not after its start",
        ),
        ({"tz": "UTC", "closures": [datetime(2025, 3, 2, tzinfo=UTC)]}, "closures[0]", "(start, end) pair"),
        (
            {"tz": "UTC", "recurring_closures": ["FREQ=DAILY"]},
            "recurring_closures[0]",
            "not a RecurringClosure",
        ),
        (
            {"tz": "UTC", "any_of": [BusinessCalendar.always()], "hours": {"mon": "09:00-10:00"}},
            "hours",
            "from its parts",
        ),
        (
            {"tz": "UTC", "any_of": [BusinessCalendar.always()], "all_of": [BusinessCalendar.always()]},
            "all_of",
            "not both",
        ),
        ({"tz": "UTC", "any_of": ["UTC"]}, "any_of[0]", "not a BusinessCalendar"),
    ],
)
def test_validation_names_the_field_and_the_fix(kwargs: dict[str, Any], path: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as raised:
        BusinessCalendar(**kwargs)
    assert raised.value.path == path
    assert fragment in raised.value.problem


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ("FREQ=HOURLY", "repeats by date"),
        ("FREQ=DAILY;BYHOUR=9", "repeats by date"),
        ("DTSTART:20250101T000000\nRRULE:FREQ=DAILY", "repeats by date"),
        ("FREQ=MONTHLY;BYDAY=XX", "not a valid RFC 5545"),
        ("hello", "not a valid RFC 5545"),
    ],
)
def test_recurring_closure_validation(rule: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as raised:
        RecurringClosure(rule, date(2025, 1, 1))
    assert raised.value.path == "rule"
    assert fragment in raised.value.problem
    with pytest.raises(ConfigError, match="not a date"):
        RecurringClosure("FREQ=DAILY", datetime(2025, 1, 1, tzinfo=UTC))


def test_windows_with_seconds_and_unsorted_input_are_canonical() -> None:
    calendar = BusinessCalendar(tz="UTC", hours={"mon": ["14:00-18:00", "09:00:30-13:00", "22:00-00:00"]})
    assert calendar.hours[0] == ("09:00:30-13:00", "14:00-18:00", "22:00-24:00")
    monday = datetime(2025, 3, 3, tzinfo=UTC)
    assert calendar.elapsed(monday, monday + timedelta(days=1)) == timedelta(hours=9, minutes=59, seconds=30)
    assert calendar == BusinessCalendar(
        tz="UTC", hours={"mon": ["09:00:30-13:00", "14:00-18:00", "22:00-24:00"]}
    )


# --- values ------------------------------------------------------------------------------------------------------


def test_calendars_are_immutable_hashable_picklable_values(office: BusinessCalendar) -> None:
    copy = pickle.loads(pickle.dumps(office))
    assert copy == office
    assert hash(copy) == hash(office)
    assert copy.add(rome(2025, 3, 7, 16, 0), 8 * H) == office.add(rome(2025, 3, 7, 16, 0), 8 * H)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        office.tz = ZoneInfo("UTC")  # type: ignore[misc]
    later = attrs.evolve(office, special_days={date(2025, 3, 7): ["09:00-10:00"]})
    assert later != office
    assert later.elapsed(rome(2025, 3, 7, 0, 0), rome(2025, 3, 8, 0, 0)) == H
    union = office | BusinessCalendar.always()
    assert pickle.loads(pickle.dumps(union)) == union


def test_a_shared_calendar_is_thread_safe() -> None:
    calendar = BusinessCalendar(
        tz="Europe/Rome", hours={key: ["09:00-18:00"] for key in WEEKDAYS}, holidays="IT"
    )
    starts = [rome(2020, 1, 1, 0, 0) + timedelta(days=37 * i, hours=i) for i in range(60)]
    expected = [
        BusinessCalendar(
            tz="Europe/Rome", hours={key: ["09:00-18:00"] for key in WEEKDAYS}, holidays="IT"
        ).add(s, 50 * H)
        for s in starts
    ]
    results: dict[int, list[datetime]] = {}

    def work(n: int) -> None:
        order = starts[n:] + starts[:n]
        results[n] = [calendar.add(s, 50 * H) for s in order]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n, found in results.items():
        assert found == expected[n:] + expected[:n]


# --- configuration as data ---------------------------------------------------------------------------------------

ROME_DATA: dict[str, Any] = {
    "tz": "Europe/Rome",
    "hours": {key: ["09:00-13:00", "14:00-18:00"] for key in WEEKDAYS} | {"sat": ["22:00-02:00"]},
    "holidays": {"country": "IT", "dates": ["2025-08-14"]},
    "special_days": {"2025-12-24": ["09:00-13:00"], "2025-12-27": []},
    "closures": [{"start": "2025-03-01T10:00:00+01:00", "end": "2025-03-01T12:00:00+01:00"}],
    "recurring_closures": [
        {"rule": "FREQ=MONTHLY;BYDAY=1MO", "start": "2025-01-06", "hours": ["09:00-11:00"]}
    ],
}


@pytest.mark.parametrize(
    "data",
    [
        ROME_DATA,
        {"tz": "UTC"},
        {
            "tz": "America/New_York",
            "hours": {"mon": ["09:00-17:00"]},
            "holidays": {"country": "US", "subdivision": "CA"},
        },
        {"tz": "Europe/Rome", "holidays": {"dates": ["2025-01-02", "2025-01-03"]}},
        {
            "tz": "Europe/Rome",
            "any_of": [ROME_DATA, {"tz": "America/New_York", "hours": {"mon": ["09:00-17:00"]}}],
        },
        {
            "tz": "UTC",
            "all_of": [{"tz": "UTC", "hours": {"mon": ["00:00-24:00"]}}],
            "closures": ROME_DATA["closures"],
        },
    ],
)
def test_dump_gives_the_loaded_form_back(data: dict[str, Any]) -> None:
    calendar = load(BusinessCalendar, data)
    assert dump(calendar) == data
    assert load(BusinessCalendar, dump(calendar)) == calendar


def test_loaded_calendars_equal_constructed_ones(office: BusinessCalendar) -> None:
    data = {
        "tz": "Europe/Rome",
        "hours": {key: ["09:00-13:00", "14:00-18:00"] for key in WEEKDAYS},
        "holidays": ["2025-12-25"],
    }
    assert load(BusinessCalendar, data) == BusinessCalendar(
        tz=ROME, hours=data["hours"], holidays=[date(2025, 12, 25)]
    )
    assert load(BusinessCalendar, dump(office)) == office
    assert load(Holidays, {"country": "IT"}) == Holidays("IT")
    closure = RecurringClosure("FREQ=WEEKLY", date(2025, 1, 1), ["01:00-02:00"])
    assert load(RecurringClosure, dump(closure)) == closure


@pytest.mark.parametrize(
    ("data", "path", "fragment"),
    [
        ({"tz": "Europe/Rome", "hours": {"mon": ["09:00-13:00", "25:00-26:00"]}}, "hours.mon[1]", "'25:00'"),
        ({"tz": "Europe/Roma"}, "tz", "not a time zone"),
        ({"hours": {}}, "tz", "missing"),
        ({"tz": 5}, "tz", "IANA"),
        ({"tz": "UTC", "hours": {"mon": "9-5"}}, "hours.mon[0]", "not a time of day"),
        ({"tz": "UTC", "hours": {"mon": [["09:00-10:00"]]}}, "hours.mon[0]", "not a window"),
        ({"tz": "UTC", "hours": ["09:00-10:00"]}, "hours", "weekday keys"),
        ({"tz": "UTC", "holidays": {"country": "ZZ"}}, "holidays.country", "ISO 3166"),
        ({"tz": "UTC", "holidays": {"country": 5}}, "holidays.country", "string code"),
        ({"tz": "UTC", "holidays": {"dates": ["2025-02-30"]}}, "holidays.dates[0]", "YYYY-MM-DD"),
        ({"tz": "UTC", "holidays": ["2025-01-01", "x"]}, "holidays[1]", "YYYY-MM-DD"),
        (
            {"tz": "UTC", "holidays": {"country": "IT", "observed": True}},
            "holidays.observed",
            "unknown field",
        ),
        (
            {"tz": "UTC", "special_days": {"2025-12-24": "22:00-02:00"}},
            "special_days.2025-12-24[0]",
            "midnight",
        ),
        ({"tz": "UTC", "special_days": {"24/12": []}}, "special_days.24/12", "YYYY-MM-DD"),
        ({"tz": "UTC", "closures": [{"start": "2025-03-01T10:00:00"}]}, "closures[0].end", "missing"),
        (
            {"tz": "UTC", "closures": [{"start": "2025-03-01T10:00:00", "end": "2025-03-01T11:00Z"}]},
            "closures[0].start",
            "offset",
        ),
        ({"tz": "UTC", "closures": {"start": "x"}}, "closures", "list"),
        (
            {"tz": "UTC", "recurring_closures": [{"rule": "FREQ=SECONDLY", "start": "2025-01-01"}]},
            "recurring_closures[0].rule",
            "by date",
        ),
        (
            {"tz": "UTC", "recurring_closures": [{"rule": "FREQ=DAILY"}]},
            "recurring_closures[0].start",
            "missing",
        ),
        (
            {
                "tz": "UTC",
                "recurring_closures": [{"rule": "FREQ=DAILY", "start": "2025-01-01", "hours": "x"}],
            },
            "recurring_closures[0].hours[0]",
            "START-END",
        ),
        (
            {"tz": "UTC", "any_of": [{"tz": "UTC", "hours": {"fri": ["08:00-07:00", "07:30-09:00"]}}]},
            "any_of[0].hours.fri[1]",
            "overlaps",
        ),
        ({"tz": "UTC", "typo": 1}, "typo", "unknown field"),
    ],
)
def test_load_errors_name_the_path(data: object, path: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(BusinessCalendar, data)
    assert raised.value.path == path
    assert fragment in raised.value.problem


def test_load_errors_nest_inside_other_configuration() -> None:
    with pytest.raises(ConfigError) as raised:
        load(
            dict[str, BusinessCalendar],
            {"rome": {"tz": "Europe/Rome", "hours": {"mon": ["09:00-13:00", "25:00-26:00"]}}},
        )
    assert raised.value.path.endswith("hours.mon[1]")
    assert "rome" in raised.value.path


windows = st.one_of(
    st.text(alphabet="0123456789:-", max_size=12),
    st.builds(
        lambda a, b, c, d: f"{a:02d}:{b:02d}-{c:02d}:{d:02d}", *(st.integers(0, 25), st.integers(0, 61)) * 2
    ),
)
calendar_like = st.fixed_dictionaries(
    {"tz": st.sampled_from(["UTC", "Europe/Rome", "Nowhere/Land", "", "../etc/passwd"])},
    optional={
        "hours": st.dictionaries(
            st.sampled_from([*WEEKDAYS, "sat", "sun", "xyz"]), st.lists(windows, max_size=3)
        ),
        "holidays": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "country": st.sampled_from(["IT", "US", "XX", "it"]),
                    "subdivision": st.sampled_from(["CA", "ZZ"]),
                    "dates": st.lists(st.sampled_from(["2025-01-01", "2025-13-01", "x"])),
                },
            ),
            json_like(),
        ),
        "special_days": st.dictionaries(
            st.sampled_from(["2025-12-24", "2025-02-30", "soon"]), st.lists(windows, max_size=2)
        ),
        "closures": st.lists(
            st.fixed_dictionaries(
                {
                    "start": st.sampled_from(
                        ["2025-03-01T10:00:00+01:00", "2025-03-01T10:00:00", "0001-01-01T00:00:00+05:00", "x"]
                    ),
                    "end": st.sampled_from(["2025-03-01T12:00:00Z", "9999-12-31T23:59:59-05:00"]),
                }
            ),
            max_size=2,
        ),
        "recurring_closures": st.lists(
            st.fixed_dictionaries(
                {
                    "rule": st.sampled_from(
                        [
                            "FREQ=DAILY",
                            "FREQ=YEARLY;BYMONTH=13",
                            "FREQ=MONTHLY;BYDAY=1MO;COUNT=x",
                            "RRULE:FREQ=WEEKLY;UNTIL=20251231T000000Z",
                        ]
                    ),
                    "start": st.sampled_from(["2025-01-01", "2025"]),
                },
                optional={"hours": json_like()},
            ),
            max_size=1,
        ),
        "any_of": json_like(),
    },
)


@given(st.one_of(json_like(), calendar_like))
def test_loading_arbitrary_data_raises_only_config_error(data: object) -> None:
    try:
        load(BusinessCalendar, data)
    except ConfigError:
        pass


@given(json_like())
def test_loading_holidays_and_rules_raises_only_config_error(data: object) -> None:
    for kind in (Holidays, RecurringClosure):
        try:
            load(kind, data)
        except ConfigError:
            pass
