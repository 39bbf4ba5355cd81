"""Durations, deadlines and dates in words: examples in Italian, Croatian and English, and an exact-rounding oracle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketcore import ConfigError, NaiveDatetimeError
from ticketcore.i18n import UNITS, Unit, format_datetime, format_deadline, format_duration, format_remaining

NOW = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)  # a Wednesday
SECONDS = {"day": 86_400, "hour": 3_600, "minute": 60, "second": 1}


class OfficeHours:
    """Weekdays 09:00–17:00 UTC; ``elapsed`` counts minute by minute (whole minutes only), slow and obviously right."""

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        if end < start:
            return -self.elapsed(end, start)
        assert start.second == end.second == start.microsecond == end.microsecond == 0
        minutes = 0
        t = start
        while t < end:
            if t.weekday() < 5 and 9 <= t.hour < 17:
                minutes += 1
            t += timedelta(minutes=1)
        return timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("duration", "english", "italian", "croatian"),
    [
        (timedelta(hours=2, minutes=30), "2 hours and 30 minutes", "2 ore e 30 minuti", "2 sata i 30 minuta"),
        (timedelta(minutes=1), "1 minute", "1 minuto", "1 minuta"),
        (timedelta(minutes=21), "21 minutes", "21 minuti", "21 minuta"),
        (timedelta(hours=5), "5 hours", "5 ore", "5 sati"),
        (timedelta(days=1, hours=3, minutes=50), "1 day and 4 hours", "1 giorno e 4 ore", "1 dan i 4 sata"),
        (
            timedelta(hours=2, minutes=29, seconds=30),
            "2 hours and 30 minutes",
            "2 ore e 30 minuti",
            "2 sata i 30 minuta",
        ),
        (
            timedelta(hours=2, minutes=29, seconds=29),
            "2 hours and 29 minutes",
            "2 ore e 29 minuti",
            "2 sata i 29 minuta",
        ),
        (timedelta(minutes=59, seconds=45), "1 hour", "1 ora", "1 sat"),
        (timedelta(seconds=20), "0 minutes", "0 minuti", "0 minuta"),
        (-timedelta(minutes=20), "20 minutes", "20 minuti", "20 minuta"),
    ],
)
def test_durations(duration: timedelta, english: str, italian: str, croatian: str) -> None:
    assert format_duration(duration, "en") == english
    assert format_duration(duration, "it") == italian
    assert format_duration(duration, "hr") == croatian


def test_duration_options() -> None:
    d = timedelta(days=2, hours=3, minutes=4, seconds=5)
    assert (
        format_duration(d, "it", max_units=4, granularity="second") == "2 giorni, 3 ore, 4 minuti e 5 secondi"
    )
    assert format_duration(d, "en", largest="hour") == "51 hours and 4 minutes"
    assert format_duration(d, "hr", max_units=1) == "2 dana"
    assert format_duration(d, "it", length="short", largest="hour") == "51 h e 4 min"
    assert format_duration(d, "hr", length="narrow", largest="hour", max_units=3) == "51 h 4 m"
    assert format_duration(timedelta(0), "en", granularity="second") == "0 seconds"


def test_duration_misuse_names_the_options() -> None:
    with pytest.raises(
        ValueError, match="granularity 'week' is not a unit; valid units: day, hour, minute, second"
    ):
        format_duration(timedelta(1), "en", granularity="week")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="smaller than granularity"):
        format_duration(timedelta(1), "en", largest="minute", granularity="hour")
    with pytest.raises(ValueError, match="max_units"):
        format_duration(timedelta(1), "en", max_units=0)
    with pytest.raises(ValueError, match="valid lengths: long, short, narrow"):
        format_duration(timedelta(1), "en", length="tiny")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a timedelta"):
        format_duration(90, "en")  # type: ignore[arg-type]


def _oracle(micros: int, granularity: Unit, largest: Unit, max_units: int) -> list[tuple[Unit, int]]:
    """The finest rounding step whose rounded amount fits in ``max_units`` adjacent units, then its parts."""
    units = [u for u in UNITS if SECONDS[largest] >= SECONDS[u] >= SECONDS[granularity]]
    for smallest in reversed(units):
        step = SECONDS[smallest] * 1_000_000
        rounded = (2 * micros + step) // (2 * step) * step
        top = next((u for u in units if rounded >= SECONDS[u] * 1_000_000), smallest)
        if units.index(smallest) - units.index(top) < max_units:
            parts: list[tuple[Unit, int]] = []
            for unit in units:
                count, rounded = divmod(rounded, SECONDS[unit] * 1_000_000)
                if count:
                    parts.append((unit, count))
            return parts
    raise AssertionError("unreachable: the largest unit always fits")


def _english(parts: list[tuple[Unit, int]], granularity: Unit) -> str:
    words = [f"{n:,} {unit}{'' if n == 1 else 's'}" for unit, n in parts] or [f"0 {granularity}s"]
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + ", and " + words[-1]


@given(
    micros=st.integers(min_value=-(10**13), max_value=10**13),
    bounds=st.lists(st.sampled_from(UNITS), min_size=2, max_size=2, unique=False),
    max_units=st.integers(min_value=1, max_value=4),
)
def test_duration_matches_the_rounding_oracle(micros: int, bounds: list[Unit], max_units: int) -> None:
    largest, granularity = sorted(bounds, key=lambda u: -SECONDS[u])
    expected = _english(_oracle(abs(micros), granularity, largest, max_units), granularity)
    duration = timedelta(microseconds=micros)
    assert (
        format_duration(duration, "en", granularity=granularity, largest=largest, max_units=max_units)
        == expected
    )


@pytest.mark.parametrize(
    ("delta", "english", "italian", "croatian"),
    [
        (timedelta(hours=3), "in 3 hours", "tra 3 ore", "još 3 sata"),
        (
            timedelta(hours=2, minutes=30),
            "in 2 hours and 30 minutes",
            "tra 2 ore e 30 minuti",
            "još 2 sata i 30 minuta",
        ),
        (-timedelta(minutes=20), "overdue by 20 minutes", "scaduto da 20 minuti", "20 minuta nakon roka"),
        (
            -timedelta(days=2, hours=1),
            "overdue by 2 days and 1 hour",
            "scaduto da 2 giorni e 1 ora",
            "2 dana i 1 sat nakon roka",
        ),
        (timedelta(seconds=10), "due now", "in scadenza ora", "rok ističe sada"),
        (timedelta(0), "due now", "in scadenza ora", "rok ističe sada"),
    ],
)
def test_deadlines(delta: timedelta, english: str, italian: str, croatian: str) -> None:
    due = NOW + delta
    assert format_deadline(due, NOW, "en") == english
    assert format_deadline(due, NOW, "it") == italian
    assert format_deadline(due, NOW, "hr") == croatian


def test_remaining_time_as_measured() -> None:
    """A signed amount already measured (an SLA cycle's ``remaining``): negative is overdue."""
    assert format_remaining(timedelta(hours=26), "it", largest="hour") == "tra 26 ore"
    assert format_remaining(timedelta(hours=26), "hr") == "još 1 dan i 2 sata"
    assert format_remaining(-timedelta(minutes=20), "it") == "scaduto da 20 minuti"
    assert format_remaining(-timedelta(minutes=20), "hr") == "20 minuta nakon roka"
    assert format_remaining(-timedelta(minutes=1, seconds=30), "en", granularity="second") == (
        "overdue by 1 minute and 30 seconds"
    )
    assert format_remaining(timedelta(seconds=-29), "en") == "due now"
    with pytest.raises(TypeError, match="must be a timedelta"):
        format_remaining(3600, "en")  # type: ignore[arg-type]


@given(
    minutes=st.integers(min_value=-(10**6), max_value=10**6), locale=st.sampled_from(["en", "it", "hr", "de"])
)
def test_deadline_agrees_with_remaining(minutes: int, locale: str) -> None:
    due = NOW + timedelta(minutes=minutes)
    assert format_deadline(due, NOW, locale) == format_remaining(due - NOW, locale)


def test_business_time_deadlines() -> None:
    """Time left or overdue is business time when a calendar is given: nights and weekends do not count."""
    office = OfficeHours()
    friday_4pm = datetime(2025, 3, 7, 16, tzinfo=UTC)
    due = datetime(2025, 3, 10, 11, tzinfo=UTC)  # Monday 11:00: 1 h on Friday + 2 h on Monday
    assert format_deadline(due, friday_4pm, "it") == "tra 2 giorni e 19 ore"
    assert format_deadline(due, friday_4pm, "it", calendar=office) == "tra 3 ore"
    assert format_deadline(due, friday_4pm, "hr", calendar=office) == "još 3 sata"
    assert format_deadline(due, friday_4pm, "en", calendar=office) == "in 3 hours"
    # Overdue since Friday 16:40; on Monday at 09:20 only 40 business minutes have gone by.
    missed = datetime(2025, 3, 7, 16, 40, tzinfo=UTC)
    monday = datetime(2025, 3, 10, 9, 20, tzinfo=UTC)
    assert format_deadline(missed, monday, "it", calendar=office) == "scaduto da 40 minuti"
    assert format_deadline(missed, monday, "hr", calendar=office) == "40 minuta nakon roka"
    assert format_deadline(missed, monday, "en", calendar=office) == "overdue by 40 minutes"
    # Past the due instant, but no business time since: nothing counts against it yet.
    saturday = datetime(2025, 3, 8, 12, tzinfo=UTC)
    assert (
        format_deadline(datetime(2025, 3, 7, 17, tzinfo=UTC), saturday, "it", calendar=office)
        == "in scadenza ora"
    )
    # Business amounts read in hours by default (a "day" of 24 business hours would mislead).
    in_two_weeks = datetime(2025, 3, 19, 10, tzinfo=UTC)
    assert format_deadline(in_two_weeks, NOW, "en", calendar=office) == "in 80 hours"


def test_deadline_shows_the_due_instant_in_the_readers_zone() -> None:
    due = datetime(2025, 7, 1, 12, tzinfo=UTC)
    now = due - timedelta(hours=3)
    assert (
        format_deadline(due, now, "hr", "Europe/Zagreb", show_due=True)
        == "još 3 sata (1. srp 2025. 14:00:00)"
    )
    assert format_deadline(due, now, "it", ZoneInfo("America/New_York"), show_due=True) == (
        "tra 3 ore (1 lug 2025, 08:00:00)"
    )
    with pytest.raises(ValueError, match="pass tz"):
        format_deadline(due, now, "it", show_due=True)
    with pytest.raises(NaiveDatetimeError, match="due must be timezone-aware"):
        format_deadline(datetime(2025, 7, 1, 12), now, "it")
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        format_deadline(due, now, "it", "Mars/Olympus", show_due=True)


def test_dates_in_the_readers_zone() -> None:
    at = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)  # the night Europe/Rome moves to summer time
    assert format_datetime(at, "it", "Europe/Rome") == "30 mar 2025, 01:30:00"
    assert format_datetime(at + timedelta(hours=1), "it", "Europe/Rome") == "30 mar 2025, 03:30:00"
    assert format_datetime(at, "hr", "Europe/Zagreb", format="short") == "30. 03. 2025. 01:30"
    assert (
        format_datetime(at, "en", "America/Los_Angeles", format="yyyy-MM-dd HH:mm zzz")
        == "2025-03-29 17:30 PDT"
    )
    with pytest.raises(NaiveDatetimeError):
        format_datetime(datetime(2025, 3, 30), "it", "Europe/Rome")
