"""The metrics of ``ticketcore.dataframes`` over Dask DataFrames (private to ``dataframes``; imports dask).

A Dask events frame is shuffled on ``ticket_id`` so that all of a ticket's events sit in one partition. Each partition
is then prepared by the pandas path (:class:`~ticketcore._frames.metrics.PreparedEvents`) once and kept by the
workers (``persist``); a metric runs the pandas path's own function on every prepared partition, where the data
lives, and only the partial results travel back. Every metric is a function of tickets that no other ticket
changes, so the partial results combine exactly: counts add up (per period, per bucket, per group, per agent), and
the duration statistics gather every partition's durations (one int64 per ticket measured) and summarise them with
the very function the pandas path uses, so the median and p90 are the exact order statistics, not estimates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import attrs
import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask.dataframe.utils import make_meta

from ticketcore._backlog.sla import SLAAchievement, SLARate
from ticketcore._backlog.values import (
    Ageing,
    AgentActivity,
    AgentReport,
    Backlog,
    BacklogRatio,
    BacklogSeries,
    Csat,
    DurationStats,
    Flow,
    GrowthTrend,
    Key,
    Period,
    Reopens,
    Share,
    TouchResolution,
    Volumes,
    groups_of,
)
from ticketcore._frames import kpis, sla
from ticketcore._frames.metrics import PreparedEvents
from ticketcore.errors import NaiveDatetimeError

__all__ = [
    "PartitionedEvents",
    "ageing",
    "agents",
    "backlog",
    "backlog_ratio",
    "backlog_series",
    "business_add",
    "business_elapsed",
    "csat",
    "durations",
    "flow",
    "growth_trend",
    "prepare",
    "reopens",
    "self_service_share",
    "sla_achievement",
    "touches",
    "volumes",
]


READ_COLUMNS = frozenset(
    ("ticket_id", "seq", "at", "type", "actor_id", "actor_role", "category", "to_category", "public", "agent",
     "field", "value", "group", "to_priority", "to_status", "score", "scale", "status", "priority", "channel",
     "region")
)  # fmt: skip
"""The columns the metrics read: the others (subjects, bodies, tags …) are left out before the shuffle."""


class PartitionedEvents:
    """A Dask events frame shuffled by ticket, each partition prepared once and held by the workers.

    Build it with ``ticketcore.dataframes.prepare(dask_frame)`` and pass it to several metrics: the shuffle and the
    preparation then happen once.
    """

    def __init__(self, frame: dd.DataFrame) -> None:
        try:
            # The empty pandas frame Dask keeps for the columns and dtypes: refused here as pandas refuses it.
            PreparedEvents(make_meta(frame))
        except NaiveDatetimeError:
            first = frame["at"].head(1, npartitions=-1)
            raise NaiveDatetimeError("column 'at'", first.iloc[0] if len(first) else None) from None
        frame = frame[[name for name in frame.columns if name in READ_COLUMNS]]
        if frame.npartitions > 1:
            # Task-based: object columns (tags, fields) travel pickled, unchanged.
            frame = frame.shuffle(on="ticket_id", shuffle_method="tasks")
        self.npartitions: int = frame.npartitions
        self.parts: tuple[Any, ...] = dask.persist(
            *(dask.delayed(PreparedEvents)(p) for p in frame.to_delayed())
        )

    def open_counts(self, instants: Sequence[int]) -> list[int]:
        """The backlog at each instant (µs), as :meth:`PreparedEvents.open_counts` over all the tickets."""
        parts: list[list[int]] = self.run(PreparedEvents.open_counts, list(instants))
        return [sum(counts) for counts in zip(*parts, strict=True)]

    def run(self, function: Callable[..., Any], *args: object) -> list[Any]:
        """``function(part, *args)`` on every prepared partition, on the workers; the results in partition order."""
        return list(dask.compute(*(dask.delayed(function)(part, *args) for part in self.parts)))


def prepare(frame: dd.DataFrame | PartitionedEvents) -> PartitionedEvents:
    return frame if isinstance(frame, PartitionedEvents) else PartitionedEvents(frame)


def _added(results: Sequence[Any], *names: str) -> Any:
    """The first result with each field of ``names`` replaced by its sum over ``results``."""
    return attrs.evolve(results[0], **{name: sum(getattr(r, name) for r in results) for name in names})


def _merged(groups: Iterable[Iterable[Any]]) -> tuple[Any, ...]:
    counts: Counter[Key] = Counter()
    for part in groups:
        for group in part:
            counts[group.key] += group.count
    return groups_of(counts)


def _pointwise(points: Sequence[Sequence[Any]], *names: str) -> tuple[Any, ...]:
    """Point ``i`` of the first partition with each field of ``names`` summed over every partition's point ``i``."""
    return tuple(_added(same, *names) for same in zip(*points, strict=True))


def backlog(events: PartitionedEvents, as_of: datetime, by: str | None) -> Backlog:
    parts: list[Backlog] = events.run(kpis.backlog, as_of, by)
    merged: Backlog = attrs.evolve(_added(parts, "open"), groups=_merged(p.groups for p in parts))
    return merged


def backlog_series(
    events: PartitionedEvents, start: date, end: date, tz: str | tzinfo, at: time
) -> BacklogSeries:
    parts: list[BacklogSeries] = events.run(kpis.backlog_series, start, end, tz, at)
    return attrs.evolve(parts[0], points=_pointwise([p.points for p in parts], "open"))


def backlog_ratio(events: PartitionedEvents, as_of: datetime, window: timedelta) -> BacklogRatio:
    parts: list[BacklogRatio] = events.run(kpis.backlog_ratio, as_of, window)
    return kpis.ratio(as_of, window, sum(p.open for p in parts), sum(p.solved for p in parts))


def growth_trend(events: PartitionedEvents, as_of: datetime, weeks: int, steady_after: int) -> GrowthTrend:
    parts: list[GrowthTrend] = events.run(kpis.growth_trend, as_of, weeks, steady_after)
    points = _pointwise([p.points for p in parts], "open")
    return kpis.trend(as_of, [p.at for p in points], [p.open for p in points], weeks, steady_after)


def flow(events: PartitionedEvents, start: date, end: date, tz: str | tzinfo, freq: str) -> Flow:
    parts: list[Flow] = events.run(kpis.flow, start, end, tz, freq)
    return attrs.evolve(
        parts[0], points=_pointwise([p.points for p in parts], "created", "solved", "reopened")
    )


def ageing(events: PartitionedEvents, as_of: datetime, edges: Sequence[timedelta], calendar: Any) -> Ageing:
    parts: list[Ageing] = events.run(kpis.ageing, as_of, edges, calendar)
    return attrs.evolve(parts[0], buckets=_pointwise([p.buckets for p in parts], "count"))


def durations(events: PartitionedEvents, period: Period, metric: str, calendar: Any) -> DurationStats:
    parts = events.run(kpis.duration_micros, period, metric, calendar)
    return kpis.stats(metric, period, calendar is not None, np.concatenate(parts).astype(np.int64))


def touches(events: PartitionedEvents, period: Period, zero_as_one_touch: bool) -> TouchResolution:
    parts = events.run(kpis.touches, period, zero_as_one_touch)
    return _added(parts, "solved", "zero_touch", "one_touch", "two_touch", "multi_touch")  # type: ignore[no-any-return]


def reopens(events: PartitionedEvents, period: Period) -> Reopens:
    return _added(events.run(kpis.reopens, period), "solved", "reopened", "reopens")  # type: ignore[no-any-return]


def csat(events: PartitionedEvents, period: Period, good_from: tuple[int, int]) -> Csat:
    return _added(events.run(kpis.csat, period, good_from), "rated", "good")  # type: ignore[no-any-return]


def volumes(events: PartitionedEvents, period: Period, by: str) -> Volumes:
    parts: list[Volumes] = events.run(kpis.volumes, period, by)
    merged: Volumes = attrs.evolve(_added(parts, "total"), groups=_merged(p.groups for p in parts))
    return merged


def self_service_share(events: PartitionedEvents, period: Period, channels: Iterable[str]) -> Share:
    wanted = [channels] if isinstance(channels, str) else list(channels)
    return _added(events.run(kpis.self_service_share, period, wanted), "total", "matching")  # type: ignore[no-any-return]


def agents(events: PartitionedEvents, period: Period) -> AgentReport:
    parts: list[AgentReport] = events.run(kpis.agents, period)
    totals: dict[str, list[int]] = {}
    for part in parts:
        for a in part.agents:
            total = totals.setdefault(a.agent, [0, 0, 0])
            total[0], total[1], total[2] = total[0] + a.open, total[1] + a.solved, total[2] + a.replies
    return AgentReport(period, tuple(AgentActivity(name, *totals[name]) for name in sorted(totals)))


def sla_achievement(cycles: dd.DataFrame, period: Period | None, by_priority: bool) -> SLAAchievement:
    """Achievement over a Dask cycles frame: each partition's counts per (metric, priority), added up."""
    parts: list[SLAAchievement] = list(
        dask.compute(*(dask.delayed(sla.achievement)(p, period, by_priority) for p in cycles.to_delayed()))
    )
    counts: dict[tuple[str, int | None], list[int]] = {}
    for part in parts:
        for rate in part.rates:
            total = counts.setdefault((rate.metric, rate.priority), [0, 0])
            total[0], total[1] = total[0] + rate.achieved, total[1] + rate.breached
    order = sorted(counts, key=lambda k: (k[0], k[1] is None, k[1] or 0))
    return SLAAchievement(period, by_priority, tuple(SLARate(m, p, *counts[m, p]) for m, p in order))


# --- business time over columns: element by element, so partition by partition ----------------------------------


def business_elapsed(
    function: Callable[..., pd.Series], calendar: Any, starts: dd.Series, ends: dd.Series
) -> dd.Series:
    meta = pd.Series(np.zeros(0, dtype="timedelta64[us]"))
    return dd.map_partitions(function, calendar, starts, ends, meta=meta, align_dataframes=False)


def business_add(
    function: Callable[..., pd.Series], calendar: Any, starts: dd.Series, durations: dd.Series | timedelta
) -> dd.Series:
    meta = pd.Series(pd.DatetimeIndex([], tz=calendar.tz).as_unit("us"))
    return dd.map_partitions(function, calendar, starts, durations, meta=meta, align_dataframes=False)
