"""The DataFrame path: conversions both ways, every metric equal to the pure path, business time over columns."""

from __future__ import annotations

import io
import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import T0
from test_backlog import at, desk
from ticketcore import (
    ConfigError,
    Event,
    InvalidEvent,
    MissingExtra,
    NaiveDatetimeError,
    Ticket,
    TicketcoreError,
)
from ticketcore import backlog as bl
from ticketcore import dataframes as dfs
from ticketcore._frames import kpis
from ticketcore.model import EVENT_TYPES
from ticketcore.sla import BusinessCalendar
from ticketcore.testing.strategies import many_histories

START = datetime(2024, 1, 1, tzinfo=UTC)
instants = st.integers(0, 400 * 86_400).map(lambda s: START + timedelta(seconds=s))
periods = st.tuples(instants, st.integers(1, 60 * 86_400)).map(
    lambda p: bl.Period(p[0], p[0] + timedelta(seconds=p[1]))
)
desks = many_histories(max_tickets=4, max_events=12)
OFFICE = BusinessCalendar(
    tz="Europe/Rome",
    hours={day: ["09:00-13:00", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    holidays=("IT", None),
)


def same(frame: pd.DataFrame, result: object) -> None:
    pd.testing.assert_frame_equal(frame, dfs.to_frame(result))


def shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The same events in another row order: the DataFrame path must not depend on it."""
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


@given(
    desks, instants, st.sampled_from(bl.DIMENSIONS), st.integers(1, 5), st.integers(0, 20), st.integers(0, 3)
)
def test_round_trips_and_state_metrics_equal_the_pure_path(
    histories: list[list[Event]], instant: datetime, by: str, weeks: int, days: int, seed: int
) -> None:
    frame = shuffled(dfs.events_to_frame(histories), seed)
    assert dfs.events_from_frame(frame) == sorted(histories, key=lambda h: h[0].ticket_id)
    tickets = [Ticket.from_events(h) for h in histories]
    assert dfs.tickets_from_frame(dfs.tickets_to_frame(tickets)) == tickets
    events = dfs.prepare(frame)
    assert kpis.backlog(events, instant, None) == bl.backlog(histories, instant)
    assert kpis.backlog(events, instant, by) == bl.backlog(histories, instant, by=by)
    window = timedelta(weeks=weeks)
    assert kpis.backlog_ratio(events, instant, window) == bl.backlog_ratio(histories, instant, window=window)
    assert kpis.growth_trend(events, instant, weeks, 2) == bl.growth_trend(
        histories, instant, weeks=weeks, steady_after=2
    )
    assert kpis.ageing(events, instant, bl.DEFAULT_AGE_EDGES, None) == bl.ageing(histories, instant)
    edges = [timedelta(0), timedelta(hours=4), timedelta(hours=40)]
    business = bl.ageing(histories, instant, edges=edges, calendar=OFFICE)
    assert kpis.ageing(events, instant, edges, OFFICE) == business
    start, end = instant.date(), instant.date() + timedelta(days=days)
    assert kpis.backlog_series(events, start, end, "Asia/Kathmandu", time(8)) == bl.backlog_series(
        histories, start, end, tz="Asia/Kathmandu", at=time(8)
    )
    freq = bl.FREQUENCIES[seed % 3]
    assert kpis.flow(events, start, end, "Europe/Rome", freq) == bl.flow(
        histories, start, end, tz="Europe/Rome", freq=freq
    )


@given(desks, periods, st.sampled_from(bl.DIMENSIONS), st.booleans())
def test_period_metrics_equal_the_pure_path(
    histories: list[list[Event]], period: bl.Period, by: str, business: bool
) -> None:
    events = dfs.prepare(dfs.events_to_frame(histories))
    calendar = OFFICE if business else None
    for metric in bl.DURATION_METRICS:
        assert kpis.durations(events, period, metric, calendar) == bl.durations(
            histories, period, metric, calendar=calendar
        )
    for zero in (True, False):
        assert kpis.touches(events, period, zero) == bl.touches(histories, period, zero_as_one_touch=zero)
    assert kpis.reopens(events, period) == bl.reopens(histories, period)
    assert kpis.csat(events, period, (4, 5)) == bl.csat(histories, period)
    assert kpis.csat(events, period, (5, 5)) == bl.csat(histories, period, good_from=(5, 5))
    assert kpis.volumes(events, period, by) == bl.volumes(histories, period, by=by)
    share = bl.self_service_share(histories, period, channels=["self_service", "web"])
    assert kpis.self_service_share(events, period, ["self_service", "web"]) == share
    assert kpis.agents(events, period) == bl.agents(histories, period)


def test_public_frames_equal_the_pure_results_as_frames() -> None:
    histories = desk()
    frame = dfs.prepare(dfs.events_to_frame(histories))
    period = bl.Period(T0, at(100))
    instant = at(40)
    same(dfs.backlog(frame, instant), bl.backlog(histories, instant))
    same(dfs.backlog(frame, instant, by="priority"), bl.backlog(histories, instant, by="priority"))
    same(dfs.backlog_ratio(frame, instant), bl.backlog_ratio(histories, instant))
    trend = dfs.growth_trend(frame, instant, weeks=3)
    same(trend, bl.growth_trend(histories, instant, weeks=3))
    assert trend.attrs == {"growing_weeks": 1, "steady": False}
    same(dfs.ageing(frame, instant, calendar=OFFICE), bl.ageing(histories, instant, calendar=OFFICE))
    start, end = date(2025, 3, 1), date(2025, 3, 20)
    same(dfs.backlog_series(frame, start, end, tz="UTC"), bl.backlog_series(histories, start, end, tz="UTC"))
    same(
        dfs.flow(frame, start, end, tz="UTC", freq="day"),
        bl.flow(histories, start, end, tz="UTC", freq="day"),
    )
    pd.testing.assert_frame_equal(
        dfs.durations(frame, period),
        pd.concat(
            [dfs.to_frame(bl.durations(histories, period, m)) for m in bl.DURATION_METRICS], ignore_index=True
        ),
    )
    same(dfs.touches(frame, period), bl.touches(histories, period))
    same(dfs.reopens(frame, period), bl.reopens(histories, period))
    same(dfs.csat(frame, period), bl.csat(histories, period))
    same(dfs.volumes(frame, period, by="channel"), bl.volumes(histories, period))
    same(dfs.self_service_share(frame, period), bl.self_service_share(histories, period))
    same(dfs.agents(frame, period), bl.agents(histories, period))
    same(
        dfs.backlog(dfs.events_to_frame(histories), instant), bl.backlog(histories, instant)
    )  # unprepared works too
    assert list(dfs.ageing(frame, instant)["bucket"]) == ["0–1d", "1d–3d", "3d–7d", "7d–30d", "30d+"]


EXPORT = """\
Ticket,When,Kind,Who,Role,Channel,Requester,New status,Agent,Score
42,2025-03-03 09:00,opened,cy,requester,web,cy,,,
42,2025-03-03 09:30,assigned,ada,agent,,,,ada,
42,2025-03-03 10:00,replied,ada,agent,,,,,
42,2025-03-03 11:00,status_changed,ada,agent,,,Resolved,,
42,2025-03-04 08:00,rated,cy,requester,,,,,5
43,2025-03-03 12:00,opened,dee,requester,email,dee,,,
43,2025-03-05 12:00,status_changed,ada,agent,,,Waiting on customer,,
"""
MAPPING = {
    "Ticket": "ticket_id",
    "When": "at",
    "Kind": "type",
    "Who": "actor_id",
    "Role": "actor_role",
    "Channel": "channel",
    "Requester": "requester",
    "New status": "to_status",
    "Agent": "agent",
    "Score": "score",
}
STATUSES = {"Resolved": "solved", "Waiting on customer": "pending"}


def test_an_export_maps_into_events() -> None:
    raw = pd.read_csv(io.StringIO(EXPORT))
    rome = ZoneInfo("Europe/Rome")
    histories = dfs.events_from_frame(raw, columns=MAPPING, categories=STATUSES, tz=rome)
    assert [len(h) for h in histories] == [5, 2]
    solved = histories[0][3]
    assert (solved.from_status, solved.to_status, solved.to_category) == ("new", "Resolved", "solved")  # type: ignore[attr-defined]
    assert histories[0][0].at == datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    assert [e.seq for e in histories[1]] == [1, 2]
    frame = dfs.normalize(raw, columns=MAPPING, categories=STATUSES, tz=rome)
    assert dfs.events_from_frame(frame) == histories


def test_export_refusals_name_the_problem() -> None:
    raw = pd.read_csv(io.StringIO(EXPORT))
    with pytest.raises(
        NaiveDatetimeError,
        match=r"column 'at' \(row 0; or pass tz=… to read naive times in a zone\) must be timezone-aware",
    ):
        dfs.events_from_frame(raw, columns=MAPPING, categories=STATUSES)
    with pytest.raises(
        InvalidEvent, match=r"ticket '42', event seq 4.*status 'Resolved' has no category.*categories="
    ):
        dfs.events_from_frame(raw, columns=MAPPING, tz=UTC)
    with pytest.raises(ConfigError, match="the frame has no column 'Nope'"):
        dfs.events_from_frame(raw, columns={"Nope": "ticket_id"})
    with pytest.raises(ConfigError, match="'colour' is not an event column"):
        dfs.events_from_frame(raw, columns={"Ticket": "colour"})
    with pytest.raises(ConfigError, match="needs a 'actor_role' column"):
        dfs.events_from_frame(
            raw.drop(columns="Role"), columns={k: v for k, v in MAPPING.items() if k != "Role"}
        )
    typo = raw.assign(Kind=raw["Kind"].replace("rated", "rating"))
    with pytest.raises(InvalidEvent, match=r"ticket '42', event seq 5.*unknown event type 'rating'"):
        dfs.events_from_frame(typo, columns=MAPPING, categories=STATUSES, tz=UTC)


def test_prepare_refuses_broken_frames() -> None:
    frame = dfs.normalize(pd.read_csv(io.StringIO(EXPORT)), columns=MAPPING, categories=STATUSES, tz=UTC)
    with pytest.raises(InvalidEvent, match=r"ticket '42', event seq 3: seq must go up by one"):
        dfs.prepare(frame.drop(index=1))
    with pytest.raises(InvalidEvent, match="must start with an 'opened' event"):
        dfs.prepare(frame.drop(index=0))
    with pytest.raises(NaiveDatetimeError):
        dfs.prepare(frame.assign(at=frame["at"].dt.tz_localize(None)))
    with pytest.raises(ConfigError, match="needs a 'type' column"):
        dfs.prepare(frame.drop(columns="type"))


def test_missing_pandas_raises_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(
        MissingExtra, match=r"needs pandas, numpy; install it with: pip install 'ticketcore\[pandas\]'"
    ):
        dfs.events_to_frame([])
    with pytest.raises(MissingExtra):
        dfs.backlog(None, START)


bounds = st.integers(0, 3 * 365 * 86_400 * 10**6)


@given(st.lists(st.tuples(bounds, bounds, st.booleans()), max_size=30))
def test_business_elapsed_equals_the_scalar_calendar(pairs: list[tuple[int, int, bool]]) -> None:
    starts = [START + timedelta(microseconds=a) for a, _, _ in pairs]
    ends = [START + timedelta(microseconds=b) if present else None for _, b, present in pairs]
    got = dfs.business_elapsed(
        OFFICE, pd.Series(starts, dtype="datetime64[us, UTC]"), pd.Series(pd.to_datetime(ends, utc=True))
    )
    expected = [OFFICE.elapsed(a, b) if b is not None else None for a, b in zip(starts, ends, strict=True)]
    assert [None if pd.isna(v) else v.to_pytimedelta() for v in got] == expected


@given(
    st.lists(st.tuples(bounds, st.integers(-3 * 86_400 * 10**6, 200 * 3_600 * 10**6)), max_size=30),
    st.sampled_from([OFFICE, BusinessCalendar.always("America/New_York")]),
)
def test_business_add_equals_the_scalar_calendar(
    rows: list[tuple[int, int]], calendar: BusinessCalendar
) -> None:
    starts = pd.Series([START + timedelta(microseconds=a) for a, _ in rows], dtype="datetime64[us, UTC]")
    spans = pd.Series(pd.to_timedelta([d for _, d in rows], unit="us"))
    got = dfs.business_add(calendar, starts, spans)
    expected = [calendar.add(START + timedelta(microseconds=a), timedelta(microseconds=d)) for a, d in rows]
    assert [v.to_pydatetime() for v in got] == expected
    assert all(v.tzinfo == calendar.tz for v in got)
    one = dfs.business_add(calendar, starts, timedelta(hours=8))
    assert [v.to_pydatetime() for v in one] == [
        calendar.add(s.to_pydatetime(), timedelta(hours=8)) for s in starts
    ]


def test_business_time_over_a_large_column_is_exact() -> None:
    rng = np.random.default_rng(7)
    micros = rng.integers(0, 2 * 365 * 86_400 * 10**6, size=(2, 2_000))
    starts = pd.Series(pd.to_datetime(START) + pd.to_timedelta(micros[0], unit="us"))
    ends = pd.Series(pd.to_datetime(START) + pd.to_timedelta(micros[1], unit="us"))
    got = dfs.business_elapsed(OFFICE, starts, ends)
    sample = rng.choice(len(starts), 50, replace=False)
    for i in sample:
        assert got[i].to_pytimedelta() == OFFICE.elapsed(starts[i].to_pydatetime(), ends[i].to_pydatetime())


def test_to_frame_refuses_other_values() -> None:
    with pytest.raises(TypeError, match="cannot make a DataFrame of str"):
        dfs.to_frame("backlog")


def test_empty_frames_give_zeroes() -> None:
    frame = dfs.events_to_frame([])
    period = bl.Period(START, START + timedelta(days=7))
    same(dfs.backlog(frame, START), bl.backlog([], START))
    same(dfs.backlog_ratio(frame, START), bl.backlog_ratio([], START))
    same(dfs.durations(frame, period, ["first_response"]), bl.durations([], period, "first_response"))
    same(dfs.agents(frame, period), bl.agents([], period))
    same(
        dfs.flow(frame, date(2024, 1, 1), date(2024, 1, 31), tz="UTC"),
        bl.flow([], date(2024, 1, 1), date(2024, 1, 31), tz="UTC"),
    )


cells = st.one_of(
    st.none(),
    st.integers(-3, 30),
    st.floats(allow_nan=True),
    st.booleans(),
    st.sampled_from(
        ["opened", "status_changed", "replied", "rated", "assigned", "agent", "requester", "new", "solved"]
    ),
    st.sampled_from(["2025-03-03T09:00:00+01:00", "2025-03-03 09:00", "yesterday", "2025-13-40T00:00Z"]),
    st.text(max_size=6),
)
heads = st.fixed_dictionaries(
    {
        "ticket_id": st.sampled_from(["A", "B", 7]),
        "at": st.sampled_from(
            ["2025-03-03T09:00:00+01:00", "2025-03-03 10:00", "2025-03-04T09:00:00Z", "soon"]
        ),
        "type": st.sampled_from([*EVENT_TYPES, "bogus"]),
        "actor_id": st.sampled_from(["cy", "ada", None]),
        "actor_role": st.sampled_from(["requester", "agent", "system", "boss"]),
    }
)
rows = st.lists(
    st.tuples(heads, st.dictionaries(st.sampled_from(list(dfs.EVENT_COLUMNS)), cells, max_size=8)).map(
        lambda pair: {**pair[0], **pair[1]}
    ),
    max_size=6,
)


@given(rows, st.booleans())
def test_reading_any_frame_raises_only_our_errors(data: list[dict[str, object]], with_tz: bool) -> None:
    frame = pd.DataFrame(data)
    try:
        histories = dfs.events_from_frame(frame, tz=UTC if with_tz else None)
    except TicketcoreError:
        return
    assert all(Ticket.from_events(h).id == h[0].ticket_id for h in histories)


@given(
    desks,
    st.lists(st.tuples(st.integers(0, 200), st.sampled_from(list(dfs.EVENT_COLUMNS)), cells), max_size=4),
)
def test_metrics_over_a_damaged_frame_raise_only_our_errors(
    histories: list[list[Event]], damage: list[tuple[int, str, object]]
) -> None:
    frame = dfs.events_to_frame(histories).astype(object)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    for row, column, value in damage:
        if len(frame) and column != "at":
            frame.loc[row % len(frame), column] = value
    period = bl.Period(START, START + timedelta(days=400))
    try:
        events = dfs.prepare(frame)
        dfs.backlog(events, period.end, by="priority")
        dfs.durations(events, period)
        dfs.csat(events, period)
        dfs.agents(events, period)
        dfs.volumes(events, period, by="region")
    except TicketcoreError:
        return
