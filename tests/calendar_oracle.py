"""A slow, obviously correct model of business calendars, and Hypothesis strategies for random calendars.

The oracle decides membership one instant at a time, straight from the rule in DESIGN.md: convert the instant to
local time, look at its local date and wall-clock reading, check the date's windows and the closures. Everything
else (elapsed, add, breach_at, subtract, intervals) is computed from a minute bitmap of that membership, which is
exact because the random calendars, zones and closures only change state on whole minutes.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holidays_package
from dateutil import rrule
from hypothesis import strategies as st

from ticketcore.sla import BusinessCalendar, RecurringClosure

MINUTE = timedelta(minutes=1)
DAY_MINUTES = 1440
WEEK_MINUTES = 7 * DAY_MINUTES
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

ZONES = (
    "UTC",
    "Europe/Rome",
    "America/New_York",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "America/Los_Angeles",
)

# Local dates with a DST change or an offset change in one of ZONES (and a few plain ones).
ANCHORS = (
    date(2024, 3, 31),  # Rome spring forward
    date(2024, 10, 27),  # Rome fall back
    date(2015, 10, 18),  # Sao Paulo: midnight does not exist
    date(2016, 2, 21),  # Sao Paulo fall back at midnight
    date(2024, 4, 7),  # Lord Howe (30 min back), Chatham fall back
    date(2024, 10, 6),  # Lord Howe 30 min forward
    date(2024, 9, 29),  # Chatham spring forward
    date(1986, 1, 1),  # Kathmandu +05:30 -> +05:45
    date(2024, 3, 10),  # New York / Los Angeles spring forward
    date(2024, 11, 3),  # New York / Los Angeles fall back
    date(1994, 12, 31),  # Kiritimati skips a whole day (-10:00 -> +14:00)
    date(2011, 12, 29),  # Pacific date-line jumps nearby (Apia)
    date(2025, 1, 1),
    date(2025, 6, 15),
)


_SECOND = 1_000_000
_DAY = 86_400 * _SECOND


def parse_window(text: str) -> tuple[int, int]:
    """(start, end) in microseconds of the day; '24:00' and an end of '00:00' mean the end of the day."""
    start, end = ([int(p) for p in part.split(":")] + [0] for part in text.split("-"))
    s = (start[0] * 3600 + start[1] * 60 + start[2]) * _SECOND
    e = (end[0] * 3600 + end[1] * 60 + end[2]) * _SECOND
    return s, e or _DAY


@dataclass
class Oracle:
    """Membership of instants, straight from the definition."""

    zone: ZoneInfo
    week: dict[int, list[tuple[int, int]]]  # weekday -> windows as written (end < start: past midnight)
    holidays: set[date] = field(default_factory=set)
    country: tuple[str, str | None] | None = None
    special: dict[date, list[tuple[int, int]]] = field(default_factory=dict)
    closures: list[tuple[datetime, datetime]] = field(default_factory=list)
    recurring: list[tuple[set[date], list[tuple[int, int]]]] = field(default_factory=list)
    parts: tuple[list[Oracle], str] | None = None
    _country_days: dict[int, set[date]] = field(default_factory=dict)
    _windows: dict[date, list[tuple[int, int]]] = field(default_factory=dict)

    def is_holiday(self, day: date) -> bool:
        if day in self.holidays:
            return True
        if self.country is None:
            return False
        if day.year not in self._country_days:
            found = holidays_package.country_holidays(self.country[0], subdiv=self.country[1], years=day.year)
            self._country_days[day.year] = set(found)
        return day in self._country_days[day.year]

    def windows_on(self, day: date) -> list[tuple[int, int]]:
        """Windows (µs of the local day) open on local date ``day``: its own, and the tails of overnight windows
        written on the day before (weekly hours only), unless the date is special or a holiday."""
        if day not in self._windows:
            self._windows[day] = self._find_windows(day)
        return self._windows[day]

    def _find_windows(self, day: date) -> list[tuple[int, int]]:
        if day in self.special:
            return list(self.special[day])
        if self.is_holiday(day):
            return []
        found = [(s, e if e > s else _DAY) for s, e in self.week.get(day.weekday(), [])]
        previous = (day - timedelta(days=1)).weekday()
        return found + [(0, e) for s, e in self.week.get(previous, []) if e < s]

    def recurring_closed(self, day: date, reading: int) -> bool:
        for dates, windows in self.recurring:
            for s, e in windows:
                if day in dates and s <= reading < (e if e > s else _DAY):
                    return True
                if day - timedelta(days=1) in dates and e < s and reading < e:
                    return True
        return False

    def is_open(self, instant: datetime) -> bool:
        utc = instant.astimezone(UTC)
        if self.parts is not None:
            parts, how = self.parts
            inside = (any if how == "any" else all)(part.is_open(utc) for part in parts)
        else:
            local = utc.astimezone(self.zone)
            day = local.date()
            reading = ((local.hour * 60 + local.minute) * 60 + local.second) * _SECOND + local.microsecond
            inside = any(s <= reading < e for s, e in self.windows_on(day))
            if inside and self.recurring_closed(day, reading):
                inside = False
        return inside and not any(s <= utc < e for s, e in self.closures)


class Bitmap:
    """Open minutes of ``oracle`` from ``origin`` (a whole UTC minute) for ``count`` minutes."""

    def __init__(self, oracle: Oracle, origin: datetime, count: int) -> None:
        self.origin, self.count = origin, count
        self.bits = [oracle.is_open(origin + i * MINUTE) for i in range(count)]
        self.prefix = [0]
        for bit in self.bits:
            self.prefix.append(self.prefix[-1] + bit)
        self.end = origin + count * MINUTE

    def index(self, instant: datetime) -> int:
        return (instant - self.origin) // MINUTE

    def elapsed(self, a: datetime, b: datetime) -> timedelta:
        """Exact measure of open instants in [a, b) (a <= b, both inside), for any microseconds."""
        if b < a:
            return -self.elapsed(b, a)
        ia, ib = self.index(a), self.index(b)
        if ia == ib:
            return (b - a) * self.bits[ia] if ia < self.count else timedelta(0)
        total = (self.origin + (ia + 1) * MINUTE - a) * self.bits[ia]
        total += MINUTE * (self.prefix[ib] - self.prefix[ia + 1])
        if ib < self.count:
            total += (b - (self.origin + ib * MINUTE)) * self.bits[ib]
        return total

    def add(self, start: datetime, minutes: int) -> datetime | None:
        """The earliest t >= start with elapsed(start, t) == minutes (start on a whole minute); None past the end."""
        if minutes == 0:
            return start
        i, need = self.index(start), minutes
        while i < self.count:
            need -= self.bits[i]
            i += 1
            if need == 0:
                return self.origin + i * MINUTE
        return None

    def next_open(self, at: datetime) -> datetime | None:
        i = self.index(at)
        if i < self.count and self.bits[i]:
            return at
        i += 1
        while i < self.count:
            if self.bits[i]:
                return self.origin + i * MINUTE
            i += 1
        return None

    def subtract(self, end: datetime, minutes: int) -> datetime | None:
        """The latest s <= end with elapsed(s, end) == minutes (end on a whole minute); None before the start."""
        if minutes == 0:
            return end
        i, need = self.index(end), minutes
        while i > 0:
            i -= 1
            need -= self.bits[i]
            if need == 0:
                return self.origin + i * MINUTE
        return None

    def intervals(self) -> list[tuple[datetime, datetime]]:
        runs: list[tuple[datetime, datetime]] = []
        i = 0
        while i < self.count:
            if self.bits[i]:
                j = i
                while j < self.count and self.bits[j]:
                    j += 1
                runs.append((self.origin + i * MINUTE, self.origin + j * MINUTE))
                i = j
            else:
                i += 1
        return runs


# --- random calendars ----------------------------------------------------------------------------------------------


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}"


def week_windows(points: Sequence[int], wrap: bool, sugar: bool) -> dict[str, list[str]]:
    """Weekly hours from sorted week minutes (pairs are windows; ``wrap`` closes the last one past Sunday)."""
    if wrap and len(points) % 2 == 0 and points:
        pairs = [(points[i], points[i + 1]) for i in range(1, len(points) - 1, 2)]
        pairs.append((points[-1], points[0] + WEEK_MINUTES))
    else:
        pairs = [(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]
    written: dict[str, list[str]] = {}
    for first, b in pairs:
        a = first
        while a < b:
            day_start = a // DAY_MINUTES * DAY_MINUTES
            day, s = WEEKDAYS[(a // DAY_MINUTES) % 7], a - day_start
            day_end = day_start + DAY_MINUTES
            if b <= day_end:
                written.setdefault(day, []).append(f"{_hhmm(s * 60)}-{_hhmm((b - day_start) * 60)}")
                break
            if sugar and s > 0 and b - day_end < s:
                written.setdefault(day, []).append(f"{_hhmm(s * 60)}-{_hhmm((b - day_end) * 60)}")
                break
            written.setdefault(day, []).append(f"{_hhmm(s * 60)}-24:00")
            a = day_end
    return written


_INTERESTING = [
    d * DAY_MINUTES + m for d in range(7) for m in (0, 60, 120, 150, 165, 180, 540, 780, 1320, 1410)
]


@st.composite
def weekly_hours(draw: st.DrawFn) -> dict[str, list[str]]:
    minute = st.one_of(st.integers(0, WEEK_MINUTES - 1), st.sampled_from(_INTERESTING))
    points = sorted(set(draw(st.lists(minute, max_size=14))))
    return week_windows(points, draw(st.booleans()), draw(st.booleans()))


@st.composite
def day_windows(draw: st.DrawFn) -> list[str]:
    minute = st.one_of(st.integers(0, DAY_MINUTES), st.sampled_from([0, 60, 120, 150, 180, 1440]))
    points = sorted(set(draw(st.lists(minute, max_size=6))))
    return [f"{_hhmm(points[i] * 60)}-{_hhmm(points[i + 1] * 60)}" for i in range(0, len(points) - 1, 2)]


@dataclass
class Scenario:
    calendar: BusinessCalendar
    oracle: Oracle
    origin: datetime  # a whole UTC minute
    minutes: int

    def bitmap(self) -> Bitmap:
        return Bitmap(self.oracle, self.origin, self.minutes)

    @functools.cached_property
    def edges(self) -> list[datetime]:
        """Local midnights and the calendar's opening and closing instants inside the span (inputs only: the
        oracle judges the results)."""
        end = self.origin + self.minutes * MINUTE
        zone = self.calendar.tz
        first = self.origin.astimezone(zone).date()
        found = [
            datetime.combine(first + timedelta(days=n), time(0), zone)
            for n in range(self.minutes // 1440 + 2)
        ]
        for start, stop in self.calendar.open_intervals(self.origin, end):
            found += [start, stop]
        return sorted({edge.astimezone(UTC) for edge in found if self.origin <= edge < end})

    @functools.cached_property
    def instants(self) -> st.SearchStrategy[datetime]:
        """Instants inside the scenario's span: whole minutes, any microsecond, and edges (±1 µs)."""
        whole = st.integers(0, self.minutes - 1).map(lambda i: self.origin + i * MINUTE)
        fine = st.integers(0, self.minutes * 60_000_000 - 1).map(
            lambda us: self.origin + timedelta(microseconds=us)
        )
        edges = self.edges
        if not edges:
            return st.one_of(whole, fine)
        last = self.origin + self.minutes * MINUTE - timedelta(microseconds=1)
        near = st.tuples(st.sampled_from(edges), st.sampled_from([-1, 0, 0, 1])).map(
            lambda pair: min(max(pair[0] + timedelta(microseconds=pair[1]), self.origin), last)
        )
        return st.one_of(whole, fine, near, near)


def _oracle_for(data: dict[str, Any], zone: ZoneInfo, anchor: date) -> Oracle:
    week = {
        WEEKDAYS.index(day): [parse_window(w) for w in windows]
        for day, windows in data.get("hours", {}).items()
    }
    special = {
        day: [parse_window(w) for w in windows] for day, windows in data.get("special_days", {}).items()
    }
    return Oracle(
        zone=zone,
        week=week,
        holidays=set(data.get("holidays", ())),
        special=special,
        closures=[(s.astimezone(UTC), e.astimezone(UTC)) for s, e in data.get("closures", ())],
        recurring=[
            (_occurrences(r.rule, r.start, anchor), [parse_window(w) for w in r.hours])
            for r in data.get("recurring_closures", ())
        ],
    )


def _occurrences(rule: str, start: date, anchor: date) -> set[date]:
    parsed = rrule.rrulestr(rule, dtstart=datetime(start.year, start.month, start.day))
    low, high = anchor - timedelta(days=60), anchor + timedelta(days=60)
    between = parsed.between(
        datetime(low.year, low.month, low.day), datetime(high.year, high.month, high.day), inc=True
    )
    return {moment.date() for moment in between}


@st.composite
def calendar_data(draw: st.DrawFn, zone: str, anchor: date) -> dict[str, Any]:
    near = st.integers(-4, 6).map(lambda n: anchor + timedelta(days=n))
    data: dict[str, Any] = {"tz": zone, "hours": draw(weekly_hours())}
    if draw(st.booleans()):
        data["holidays"] = draw(st.frozensets(near, max_size=3))
    if draw(st.booleans()):
        data["special_days"] = draw(st.dictionaries(near, day_windows(), max_size=2))
    if draw(st.booleans()):
        base = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
        closures = []
        for _ in range(draw(st.integers(0, 2))):
            start = base + draw(st.integers(-4 * DAY_MINUTES, 6 * DAY_MINUTES)) * MINUTE
            closures.append((start, start + draw(st.integers(1, 2 * DAY_MINUTES)) * MINUTE))
        data["closures"] = closures
    if draw(st.integers(0, 3)) == 0:
        rule = draw(
            st.sampled_from(["FREQ=DAILY;INTERVAL=2", "FREQ=WEEKLY;BYDAY=MO,TH", "FREQ=MONTHLY;BYDAY=1SU"])
        )
        data["recurring_closures"] = [
            RecurringClosure(
                rule,
                anchor - timedelta(days=draw(st.integers(0, 40))),
                draw(day_windows()) or ["01:00-03:00"],
            )
        ]
    return data


@st.composite
def scenarios(draw: st.DrawFn, combined: bool = True) -> Scenario:
    """A random calendar in a random zone, and a span of six days around a DST or offset change."""
    anchor = draw(st.one_of(st.sampled_from(ANCHORS), st.dates(date(2014, 1, 1), date(2027, 12, 31))))
    origin = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC) - timedelta(days=3)
    minutes = 6 * DAY_MINUTES
    how = draw(st.sampled_from(["plain", "plain", "plain", "any", "all"])) if combined else "plain"
    count = 1 if how == "plain" else 2
    zones = [draw(st.sampled_from(ZONES)) for _ in range(count)]
    datas = [draw(calendar_data(zone, anchor)) for zone in zones]
    calendars = [BusinessCalendar(**data) for data in datas]
    oracles = [_oracle_for(data, ZoneInfo(zone), anchor) for data, zone in zip(datas, zones, strict=True)]
    if how == "plain":
        return Scenario(calendars[0], oracles[0], origin, minutes)
    calendar = calendars[0] | calendars[1] if how == "any" else calendars[0] & calendars[1]
    oracle = Oracle(zone=ZoneInfo(zones[0]), week={}, parts=(oracles, how))
    return Scenario(calendar, oracle, origin, minutes)
