"""Trailing windows and calendar periods: one definition on the pure and the DataFrame path, across DST changes.

Trailing windows (``backlog_ratio``'s window, ``growth_trend``'s weeks) are exact elapsed time; calendar periods
(``flow``, ``backlog_series``) are local days, weeks and months in the named zone. The histories here straddle DST
changes in three zones, one of which (Lord Howe) moves its clocks by half an hour.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketcore import backlog as bl
from ticketcore import dataframes as dfs
from ticketcore.model import Actor, Category, Event, Opened, Role, StatusChanged
from ticketcore.testing.strategies import histories

# A DST change in each zone (UTC instants): Rome and New York move by an hour, Lord Howe by half an hour.
CHANGES = [
    ("Europe/Rome", datetime(2024, 3, 31, 1, tzinfo=UTC)),
    ("Europe/Rome", datetime(2024, 10, 27, 1, tzinfo=UTC)),
    ("America/New_York", datetime(2024, 3, 10, 7, tzinfo=UTC)),
    ("America/New_York", datetime(2024, 11, 3, 6, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2024, 4, 6, 15, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2024, 10, 5, 15, 30, tzinfo=UTC)),
]
DAY = 86_400
ADA, CY = Actor("ada", Role.AGENT), Actor("cy", Role.REQUESTER)


def test_the_changes_above_are_dst_changes() -> None:
    for name, change in CHANGES:
        zone = ZoneInfo(name)
        assert (
            change.astimezone(zone).utcoffset()
            != (change - timedelta(seconds=1)).astimezone(zone).utcoffset()
        )


@st.composite
def around_a_change(draw: st.DrawFn) -> tuple[ZoneInfo, list[list[Event]], datetime]:
    """A zone, a few histories starting within three weeks either side of one of its DST changes, and an
    instant in that zone up to five weeks after the change."""
    name, change = draw(st.sampled_from(CHANGES))
    count = draw(st.integers(0, 5))
    found = [
        draw(
            histories(
                ticket_id=f"T-{i}",
                max_events=10,
                max_gap=timedelta(hours=30),
                start=change + timedelta(seconds=draw(st.integers(-21 * DAY, 14 * DAY))),
            )
        )
        for i in range(count)
    ]
    zone = ZoneInfo(name)
    as_of = (change + timedelta(seconds=draw(st.integers(-3 * DAY, 35 * DAY)))).astimezone(zone)
    return zone, found, as_of


def same(frame: pd.DataFrame, result: object) -> None:
    pd.testing.assert_frame_equal(frame, dfs.to_frame(result))


@settings(max_examples=60, deadline=None)
@given(around_a_change(), st.integers(1, 5), st.sampled_from(bl.FREQUENCIES))
def test_every_metric_agrees_on_both_paths_across_dst_changes(
    case: tuple[ZoneInfo, list[list[Event]], datetime], weeks: int, freq: str
) -> None:
    zone, found, as_of = case
    events = dfs.prepare(dfs.events_to_frame(found))
    window = timedelta(weeks=weeks)
    ratio = bl.backlog_ratio(found, as_of, window=window)
    same(dfs.backlog_ratio(events, as_of, window=window), ratio)
    # The oracle: resolutions in the exact span [as_of - window, as_of) on the UTC timeline.
    low = as_of.astimezone(UTC) - window
    assert ratio.solved == sum(
        low <= e.at < as_of
        for h in found
        for e in h
        if isinstance(e, StatusChanged) and e.from_category.is_unsolved and not e.to_category.is_unsolved
    )
    in_utc = as_of.astimezone(UTC)
    trend = bl.growth_trend(found, as_of, weeks=weeks, steady_after=2)
    same(dfs.growth_trend(events, as_of, weeks=weeks, steady_after=2), trend)
    # (Subtracting in UTC: Python subtracts two datetimes of the same zone on the wall clock.)
    assert [in_utc - p.at for p in trend.points] == [timedelta(weeks=k) for k in range(weeks, -1, -1)]
    # The same instant written in UTC gives the same answers.
    again = bl.backlog_ratio(found, in_utc, window=window)
    assert (again.open, again.solved, again.weeks) == (ratio.open, ratio.solved, ratio.weeks)
    # (Comparing in UTC: an instant in a repeated hour, fold=1, never equals one written in another zone.)
    in_other_zone = bl.growth_trend(found, in_utc, weeks=weeks).points
    assert [(p.at.astimezone(UTC), p.open) for p in in_other_zone] == [
        (p.at.astimezone(UTC), p.open) for p in trend.points
    ]
    same(dfs.backlog(events, as_of), bl.backlog(found, as_of))
    same(dfs.ageing(events, as_of), bl.ageing(found, as_of))
    start = as_of.date() - timedelta(days=30)
    end = as_of.date()
    same(dfs.flow(events, start, end, tz=zone, freq=freq), bl.flow(found, start, end, tz=zone, freq=freq))
    same(
        dfs.backlog_series(events, start, end, tz=zone, at=time(2, 15)),
        bl.backlog_series(found, start, end, tz=zone, at=time(2, 15)),
    )
    # A local calendar week (Monday 00:00 to Monday 00:00 in the zone), as a weekly report reads it.
    monday = as_of.date() - timedelta(days=as_of.weekday())
    week = bl.Period(
        datetime.combine(monday, time(0), zone), datetime.combine(monday + timedelta(7), time(0), zone)
    )
    for metric in bl.DURATION_METRICS:
        same(dfs.durations(events, week, [metric]), bl.durations(found, week, metric))
    same(dfs.touches(events, week), bl.touches(found, week))
    same(dfs.reopens(events, week), bl.reopens(found, week))
    same(dfs.csat(events, week), bl.csat(found, week))
    same(dfs.volumes(events, week), bl.volumes(found, week))
    same(dfs.self_service_share(events, week), bl.self_service_share(found, week))
    same(dfs.agents(events, week), bl.agents(found, week))


def _status(tid: str, seq: int, at: datetime, old: str, new: str, actor: Actor = ADA) -> StatusChanged:
    return StatusChanged(
        ticket_id=tid,
        seq=seq,
        at=at,
        actor=actor,
        from_status=old,
        from_category=Category(old),
        to_status=new,
        to_category=Category(new),
    )


def _solved_at(tid: str, opened: datetime, solved: datetime) -> list[Event]:
    return [
        Opened(ticket_id=tid, seq=1, at=opened, actor=CY, requester="cy"),
        _status(tid, 2, solved, "new", "solved"),
    ]


def test_a_four_week_window_across_the_october_change_is_28_days_on_both_paths() -> None:
    # As in the BPI 2014 replay: 4 weeks before 15 November 12:00 in Rome is 18 October 13:00 on Rome's clocks
    # (summer time then), not 12:00. A ticket solved at 12:30 lies in the wall-clock window, not in the exact one.
    rome = ZoneInfo("Europe/Rome")
    as_of = datetime(2013, 11, 15, 12, tzinfo=rome)
    inside = datetime(2013, 10, 18, 13, 30, tzinfo=rome)
    in_the_extra_hour = datetime(2013, 10, 18, 12, 30, tzinfo=rome)
    found = [
        _solved_at("A", datetime(2013, 10, 1, tzinfo=rome), inside),
        _solved_at("B", datetime(2013, 10, 1, tzinfo=rome), in_the_extra_hour),
        [Opened(ticket_id="C", seq=1, at=datetime(2013, 11, 1, tzinfo=rome), actor=CY, requester="cy")],
    ]
    ratio = bl.backlog_ratio(found, as_of)
    frame = dfs.backlog_ratio(dfs.events_to_frame(found), as_of)
    assert (ratio.open, ratio.solved, ratio.weeks) == (1, 1, 4.0)
    assert (int(frame["open"].iloc[0]), int(frame["solved"].iloc[0])) == (1, 1)
    same(frame, ratio)
    trend = bl.growth_trend(found, as_of, weeks=4)
    assert trend.points[0].at == datetime(2013, 10, 18, 13, tzinfo=rome)
    same(dfs.growth_trend(dfs.events_to_frame(found), as_of, weeks=4), trend)


def test_a_ticket_solved_then_reopened_inside_the_period_counts_as_solved_and_reopened() -> None:
    monday = datetime(2025, 3, 3, 9, tzinfo=UTC)
    week = bl.Period(monday, monday + timedelta(weeks=1))
    found = [
        [
            *_solved_at("A", monday, monday + timedelta(hours=1)),
            _status("A", 3, monday + timedelta(hours=5), "solved", "open", CY),
        ],
        _solved_at("B", monday, monday + timedelta(hours=2)),  # solved, stays solved
        [  # reopened this week after a resolution last week, then solved again
            *_solved_at("C", monday - timedelta(days=5), monday - timedelta(days=4)),
            _status("C", 3, monday + timedelta(hours=3), "solved", "open", CY),
            _status("C", 4, monday + timedelta(hours=4), "open", "solved"),
        ],
    ]
    result = bl.reopens(found, week)
    assert (result.solved, result.reopened, result.reopens) == (3, 2, 2)
    assert result.rate == 2 / 3
    same(dfs.reopens(dfs.events_to_frame(found), week), result)
    # The tickets that stay solved are what touches measures: A, open again at the end, is not among them.
    assert bl.touches(found, week).solved == 2


def test_calendar_weeks_in_a_zone_follow_its_clocks() -> None:
    # Flow's weeks are local calendar weeks: the one containing Rome's October change lasts 169 hours.
    found = [_solved_at("A", datetime(2024, 10, 22, tzinfo=UTC), datetime(2024, 10, 29, tzinfo=UTC))]
    weekly = bl.flow(found, date(2024, 10, 21), date(2024, 10, 27), tz="Europe/Rome")
    (point,) = weekly.points
    assert point.end.astimezone(UTC) - point.start == timedelta(hours=169)
    same(
        dfs.flow(dfs.events_to_frame(found), date(2024, 10, 21), date(2024, 10, 27), tz="Europe/Rome"), weekly
    )
