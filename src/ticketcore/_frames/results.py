"""Result values of ``ticketcore.backlog`` as DataFrames (private to ``ticketcore.dataframes``)."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from ticketcore._backlog.sla import SLAAchievement
from ticketcore._backlog.values import (
    Ageing,
    AgentReport,
    Backlog,
    BacklogRatio,
    BacklogSeries,
    Csat,
    DurationStats,
    Flow,
    GrowthTrend,
    Reopens,
    Share,
    TouchResolution,
    Volumes,
)

__all__ = ["age_label", "to_frame"]


def _instants(values: Sequence[datetime | None]) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True)).dt.as_unit("us")


def _durations(values: Sequence[timedelta | None]) -> pd.Series:
    return pd.Series(pd.to_timedelta(list(values))).dt.as_unit("us")


def _span(value: timedelta, days: bool) -> str:
    micros = value // timedelta(microseconds=1)
    units = (("d", 86_400_000_000),) if days else ()
    for unit, size in (*units, ("h", 3_600_000_000), ("min", 60_000_000), ("s", 1_000_000)):
        if micros % size == 0:
            return f"{micros // size}{unit}" if micros else "0"
    return f"{micros}µs"


def age_label(low: timedelta, high: timedelta | None, business: bool = False) -> str:
    """A bucket's label: ``"1d–3d"``, or ``"30d+"`` for the last one; business ages in hours (``"8h–24h"``), since
    a business day is not 24 hours."""
    days = not business
    return f"{_span(low, days)}+" if high is None else f"{_span(low, days)}–{_span(high, days)}"


def _one_row(columns: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame({name: [value] for name, value in columns.items()})


@functools.singledispatch
def to_frame(result: object) -> pd.DataFrame:
    """The DataFrame of a result value of ``ticketcore.backlog``: one function per result type, registered below."""
    raise TypeError(
        f"cannot make a DataFrame of {type(result).__name__}; pass a result of ticketcore.backlog"
    )


@to_frame.register
def _backlog(result: Backlog) -> pd.DataFrame:
    if result.by is None:
        return pd.DataFrame({"as_of": _instants([result.as_of]), "open": [result.open]})
    keys = pd.Series([g.key for g in result.groups], dtype=object)
    return pd.DataFrame({result.by: keys, "open": [g.count for g in result.groups]})


@to_frame.register
def _backlog_series(result: BacklogSeries) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": [p.day for p in result.points],
            "at": _instants([p.at for p in result.points]),
            "open": [p.open for p in result.points],
        }
    )


@to_frame.register
def _backlog_ratio(result: BacklogRatio) -> pd.DataFrame:
    frame = pd.DataFrame({"as_of": _instants([result.as_of]), "window": _durations([result.window])})
    frame["open"], frame["solved"] = result.open, result.solved
    frame["solved_per_week"], frame["weeks"] = result.solved_per_week, result.weeks
    frame["infinite"] = result.is_infinite
    return frame


@to_frame.register
def _growth_trend(result: GrowthTrend) -> pd.DataFrame:
    counts = [p.open for p in result.points]
    frame = pd.DataFrame({"at": _instants([p.at for p in result.points]), "open": counts})
    frame["grew"] = [False] + [b > a for a, b in itertools.pairwise(counts)]
    frame.attrs.update(growing_weeks=result.growing_weeks, steady=result.steady)
    return frame


@to_frame.register
def _flow(result: Flow) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "start": _instants([p.start for p in result.points]),
            "end": _instants([p.end for p in result.points]),
            "created": [p.created for p in result.points],
            "solved": [p.solved for p in result.points],
            "reopened": [p.reopened for p in result.points],
        }
    )


@to_frame.register
def _ageing(result: Ageing) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bucket": [age_label(b.low, b.high, result.business) for b in result.buckets],
            "low": _durations([b.low for b in result.buckets]),
            "high": _durations([b.high for b in result.buckets]),
            "open": [b.count for b in result.buckets],
        }
    )


@to_frame.register
def _duration_stats(result: DurationStats) -> pd.DataFrame:
    frame = pd.DataFrame({"metric": [result.metric], "business": [result.business], "count": [result.count]})
    for name in ("mean", "median", "p90"):
        frame[name] = _durations([getattr(result, name)])
    return frame


@to_frame.register
def _touch_resolution(result: TouchResolution) -> pd.DataFrame:
    return _one_row(
        {
            "solved": result.solved,
            "zero_touch": result.zero_touch,
            "one_touch": result.one_touch,
            "two_touch": result.two_touch,
            "multi_touch": result.multi_touch,
            "one_touch_rate": result.one_touch_rate,
            "two_touch_rate": result.two_touch_rate,
            "multi_touch_rate": result.multi_touch_rate,
        }
    ).astype({"one_touch_rate": float, "two_touch_rate": float, "multi_touch_rate": float})


@to_frame.register
def _reopens(result: Reopens) -> pd.DataFrame:
    row = {"solved": result.solved, "reopened": result.reopened, "reopens": result.reopens}
    return _one_row({**row, "rate": result.rate}).astype({"rate": float})


@to_frame.register
def _csat(result: Csat) -> pd.DataFrame:
    return _one_row({"rated": result.rated, "good": result.good, "rate": result.rate}).astype({"rate": float})


@to_frame.register
def _share(result: Share) -> pd.DataFrame:
    return _one_row({"total": result.total, "matching": result.matching, "share": result.share}).astype(
        {"share": float}
    )


@to_frame.register
def _volumes(result: Volumes) -> pd.DataFrame:
    keys = pd.Series([g.key for g in result.groups], dtype=object)
    return pd.DataFrame({result.by: keys, "created": [g.count for g in result.groups]})


@to_frame.register
def _agent_report(result: AgentReport) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "agent": pd.Series([a.agent for a in result.agents], dtype=object),
            "open": [a.open for a in result.agents],
            "solved": [a.solved for a in result.agents],
            "replies": [a.replies for a in result.agents],
        }
    )


@to_frame.register
def _sla_achievement(result: SLAAchievement) -> pd.DataFrame:
    columns: dict[str, Any] = {"metric": pd.Series([r.metric for r in result.rates], dtype=object)}
    if result.by_priority:
        columns["priority"] = pd.Series([r.priority for r in result.rates], dtype="Int64")
    frame = pd.DataFrame(columns)
    frame["achieved"] = pd.Series([r.achieved for r in result.rates], dtype="int64")
    frame["breached"] = pd.Series([r.breached for r in result.rates], dtype="int64")
    frame["rate"] = pd.Series([r.rate for r in result.rates], dtype=float)
    return frame
