"""The dataframes path on Dask: on a real cluster of worker processes, every result equals the pandas path's exactly."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import dask
import dask.dataframe as dd
import pandas as pd
import pytest
from distributed import Client, LocalCluster
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import T0
from test_backlog import at, desk
from test_backlog_sla import POLICIES, reports_of
from test_dataframes import OFFICE, START, instants, periods
from ticketcore import ConfigError, Event, InvalidEvent, MissingExtra, NaiveDatetimeError
from ticketcore import backlog as bl
from ticketcore import dataframes as dfs
from ticketcore.testing.strategies import many_histories

SETTINGS = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    # The dashboard on a free port: another cluster (the how-to's, on the other xdist worker) may hold 8787, and
    # distributed's warning about it is an error here.
    with (
        LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0", memory_limit="1GiB"
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


def shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


def split(frame: pd.DataFrame, seed: int, npartitions: int = 3) -> dd.DataFrame:
    """The events in a random row order, cut into partitions: most tickets' events land in several of them."""
    rows = shuffled(frame, seed)
    with dask.config.set({"dataframe.convert-string": False}):  # keep tag tuples and field dicts as they are
        return dd.from_pandas(rows, npartitions=npartitions, sort=False)


def equal(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.attrs == expected.attrs


def every_metric(events: Any, instant: datetime, period: bl.Period, by: str, business: bool) -> list[Any]:
    calendar = OFFICE if business else None
    day = instant.date()
    return [
        dfs.backlog(events, instant),
        dfs.backlog(events, instant, by=by),
        dfs.backlog_series(events, day, day + timedelta(days=9), tz="Asia/Kathmandu", at=time(8)),
        dfs.backlog_ratio(events, instant, window=timedelta(weeks=2)),
        dfs.growth_trend(events, instant, weeks=4, steady_after=2),
        *(dfs.flow(events, day, day + timedelta(days=40), tz="Europe/Rome", freq=f) for f in bl.FREQUENCIES),
        dfs.ageing(events, instant),
        dfs.ageing(
            events, instant, edges=[timedelta(0), timedelta(hours=4), timedelta(hours=40)], calendar=OFFICE
        ),
        dfs.durations(events, period, calendar=calendar),
        dfs.touches(events, period),
        dfs.touches(events, period, zero_as_one_touch=False),
        dfs.reopens(events, period),
        dfs.csat(events, period),
        dfs.csat(events, period, good_from=(5, 5)),
        dfs.volumes(events, period, by=by),
        dfs.self_service_share(events, period, channels=["self_service", "web"]),
        dfs.agents(events, period),
    ]


@SETTINGS
@given(
    many_histories(max_tickets=6, max_events=10),
    instants,
    periods,
    st.sampled_from(bl.DIMENSIONS),
    st.booleans(),
    st.integers(0, 9),
)
def test_every_metric_on_dask_equals_pandas(
    client: Client,
    histories: list[list[Event]],
    instant: datetime,
    period: bl.Period,
    by: str,
    business: bool,
    seed: int,
) -> None:
    frame = dfs.events_to_frame(histories)
    prepared = dfs.prepare(split(frame, seed))
    assert dfs.prepare(prepared) is prepared
    expected = every_metric(frame, instant, period, by, business)
    for got, want in zip(every_metric(prepared, instant, period, by, business), expected, strict=True):
        equal(got, want)


@SETTINGS
@given(many_histories(max_tickets=5, max_events=10), instants, st.booleans(), st.integers(0, 9))
def test_sla_achievement_over_a_dask_cycles_frame_equals_pandas(
    client: Client, histories: list[list[Event]], now: datetime, by_priority: bool, seed: int
) -> None:
    cycles = dfs.sla_cycles_to_frame(reports_of(histories, now))
    period = bl.Period(now - timedelta(days=20), now - timedelta(days=2))
    for window in (None, period):
        equal(
            dfs.sla_achievement(split(cycles, seed), window, by_priority=by_priority),
            dfs.sla_achievement(cycles, window, by_priority=by_priority),
        )
    assert POLICIES.policies  # the policy set the reports come from


@SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(0, 400 * 86_400), st.integers(-86_400, 30 * 86_400), st.booleans()), max_size=20
    ),
    st.integers(1, 3),
)
def test_business_time_over_dask_series_equals_pandas(
    client: Client, rows: list[tuple[int, int, bool]], npartitions: int
) -> None:
    frame = pd.DataFrame(
        {
            "start": pd.Series(
                [START + timedelta(seconds=a) for a, _, _ in rows], dtype="datetime64[us, UTC]"
            ),
            "span": pd.to_timedelta([d if present else None for _, d, present in rows], unit="s"),
        }
    )
    frame["end"] = frame["start"] + frame["span"]
    lazy = dd.from_pandas(frame, npartitions=npartitions, sort=False)
    elapsed = dfs.business_elapsed(OFFICE, lazy["start"], lazy["end"])
    assert isinstance(elapsed, dd.Series)
    pd.testing.assert_series_equal(
        elapsed.compute(), dfs.business_elapsed(OFFICE, frame["start"], frame["end"])
    )
    pd.testing.assert_series_equal(
        dfs.business_add(OFFICE, lazy["start"], lazy["span"]).compute(),
        dfs.business_add(OFFICE, frame["start"], frame["span"]),
    )
    pd.testing.assert_series_equal(
        dfs.business_add(OFFICE, lazy["start"], timedelta(hours=8)).compute(),
        dfs.business_add(OFFICE, frame["start"], timedelta(hours=8)),
    )


@SETTINGS
@given(many_histories(max_tickets=5, max_events=10), periods, st.integers(0, 9))
def test_parquet_round_trips_events_for_both_paths(
    client: Client,
    tmp_path_factory: pytest.TempPathFactory,
    histories: list[list[Event]],
    period: bl.Period,
    seed: int,
) -> None:
    folder = tmp_path_factory.mktemp("parquet")
    frame = dfs.events_to_frame(histories)
    dfs.write_events_parquet(frame, folder / "events.parquet")
    back = dfs.read_events_parquet(folder / "events.parquet")
    assert list(back.columns) == list(dfs.EVENT_COLUMNS)
    assert dfs.events_from_frame(back) == dfs.events_from_frame(frame)
    dfs.write_events_parquet(split(frame, seed), folder / "parts")
    lazy = dfs.read_events_parquet(folder / "parts", dask=True)
    assert isinstance(lazy, dd.DataFrame)
    assert dfs.events_from_frame(lazy.compute()) == dfs.events_from_frame(frame)
    equal(dfs.durations(lazy, period), dfs.durations(frame, period))
    equal(dfs.agents(lazy, period), dfs.agents(frame, period))


def test_parquet_refuses_columns_outside_the_schema(tmp_path: Path) -> None:
    frame = dfs.events_to_frame([]).assign(colour="blue")
    with pytest.raises(ConfigError, match="'colour' is not an event column; valid columns: ticket_id, seq"):
        dfs.write_events_parquet(frame, tmp_path / "events.parquet")


def test_one_partition_and_an_unprepared_frame(client: Client) -> None:
    frame = dfs.events_to_frame(desk())
    lazy = dd.from_pandas(frame, npartitions=1)
    period = bl.Period(T0, at(100))
    equal(dfs.backlog(lazy, at(40), by="status"), dfs.backlog(frame, at(40), by="status"))
    equal(dfs.durations(lazy, period, ["first_response"]), dfs.durations(frame, period, ["first_response"]))


def refusal(action: Callable[[], object]) -> tuple[type[BaseException], str]:
    try:
        action()
    except Exception as error:
        return type(error), str(error)
    raise AssertionError("no error")


def test_broken_frames_are_refused_as_pandas_refuses_them(client: Client) -> None:
    frame = dfs.events_to_frame(desk())
    naive = frame.assign(at=frame["at"].dt.tz_localize(None))
    for broken, kind in ((frame.drop(columns="type"), ConfigError), (naive, NaiveDatetimeError)):
        expected = refusal(lambda b=broken: dfs.backlog(shuffled(b, 1), START))
        assert expected[0] is kind
        assert refusal(lambda b=broken: dfs.backlog(split(b, 1), START)) == expected
        assert refusal(lambda b=broken: dfs.prepare(split(b, 1))) == expected
    gap = frame.drop(index=1)  # the first ticket loses its second event; the other tickets are whole
    expected = refusal(lambda: dfs.backlog(gap, START))
    assert expected[0] is InvalidEvent
    assert refusal(lambda: dfs.backlog(split(gap, 2), START)) == expected


class FakeDaskFrame:
    """Stands for a Dask frame (told apart by its module) where Dask is not installed."""


FakeDaskFrame.__module__ = "dask.dataframe"


def test_missing_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    message = (
        r"needs dask\[dataframe\], distributed, pyarrow; install it with: pip install 'ticketcore\[dask\]'"
    )
    with pytest.raises(MissingExtra, match=message) as caught:
        dfs.backlog(FakeDaskFrame(), START)
    assert caught.value.extra == "dask"
    with pytest.raises(MissingExtra, match=message):
        dfs.business_elapsed(OFFICE, FakeDaskFrame(), FakeDaskFrame())  # type: ignore[arg-type]
    with pytest.raises(MissingExtra, match=message):
        dfs.sla_achievement(FakeDaskFrame())  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingExtra, match=r"Parquet files needs .*pip install 'ticketcore\[dask\]'"):
        dfs.read_events_parquet(tmp_path / "events.parquet")


def test_a_small_desk_on_the_cluster(client: Client) -> None:
    histories = desk()
    frame = dfs.events_to_frame(histories)
    prepared = dfs.prepare(split(frame, 3))
    instants = [int(i.timestamp() * 1_000_000) for i in (at(0), at(20), at(40), at(100))]
    assert prepared.open_counts(instants) == dfs.prepare(frame).open_counts(instants)
    cycles = dfs.sla_cycles_to_frame(reports_of(histories, at(100)))
    achieved = dfs.sla_achievement(split(cycles, 3), by_priority=True)
    assert achieved["achieved"].sum() + achieved["breached"].sum() > 0
    equal(achieved, dfs.sla_achievement(cycles, by_priority=True))


def test_parquet_fills_missing_columns_and_reads_tag_strings(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "ticket_id": ["A"],
            "seq": [1],
            "at": pd.to_datetime(["2025-03-03T09:00Z"], utc=True),
            "type": ["opened"],
            "actor_id": ["cy"],
            "actor_role": ["requester"],
            "tags": ["vip; billing"],
            "fields": pd.Series([pd.NA], dtype=object),
        }
    )
    dfs.write_events_parquet(frame, tmp_path / "events.parquet")
    back = dfs.read_events_parquet(tmp_path / "events.parquet")
    assert list(back.columns) == list(dfs.EVENT_COLUMNS)
    [[opened]] = dfs.events_from_frame(back)
    assert opened.tags == frozenset({"vip", "billing"})  # type: ignore[attr-defined]
    assert opened.fields == {}  # type: ignore[attr-defined]
