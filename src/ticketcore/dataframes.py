"""Ticket histories and backlog metrics as pandas DataFrames, for data teams and notebooks (extra ``[pandas]``).

An **events DataFrame** has one row per event and the columns of :data:`EVENT_COLUMNS` (``ticket_id``, ``seq``, ``at``,
``type``, ``actor_id``, ``actor_role`` and one column per event attribute, empty where an event type does not use
it). :func:`events_to_frame` builds one from events; :func:`events_from_frame` reads one back — and reads a help desk's
own export too: map its column names with ``columns=``, its status names to categories with ``categories=``, and name
the zone of naive timestamps with ``tz=``. :func:`normalize` does both steps at once.

Every metric of :mod:`ticketcore.backlog` has a namesake here that takes an events DataFrame (or a
:func:`prepare`-d one, to derive the per-event state once for several metrics) and returns a DataFrame. It is
computed with numpy over whole columns, and gives exactly what the pure function gives for the same histories
(:func:`to_frame` turns any pure result into the same DataFrame). :func:`business_elapsed` and :func:`business_add`
apply a business calendar to whole Series, with the scalar calendar's exact results.

**Dask** (extra ``[dask]``): every metric, :func:`prepare` and the business-time functions also take a
``dask.dataframe.DataFrame`` (Series). The library shuffles the events on ``ticket_id`` so that each ticket's events
sit in one partition, runs the pandas computation on each partition where it lives, and combines the partial
results exactly — counts add up; durations are gathered (one value per ticket) and summarised by the same code, so
medians and percentiles are exact. Metrics return the same pandas DataFrames as for pandas input, equal to the last
bit; the business-time functions return a lazy Dask Series. :func:`write_events_parquet` and
:func:`read_events_parquet` store events as Parquet with a fixed column schema.

pandas and numpy are imported when a function needs them, Dask and pyarrow only for Dask frames and Parquet; without
them the call raises :class:`~ticketcore.errors.MissingExtra` naming the extra.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, cast

from ticketcore._frames.columns import EVENT_COLUMNS
from ticketcore.backlog import DEFAULT_AGE_EDGES, DURATION_METRICS, Period
from ticketcore.errors import MissingExtra
from ticketcore.model import Category, Event, Ticket

if TYPE_CHECKING:
    from pathlib import Path

    import dask.dataframe as dd
    import pandas as pd

    from ticketcore._frames.metrics import PreparedEvents
    from ticketcore._frames.partitioned import PartitionedEvents
    from ticketcore.sla import SLAReport

__all__ = [
    "EVENT_COLUMNS",
    "ageing",
    "agents",
    "backlog",
    "backlog_ratio",
    "backlog_series",
    "business_add",
    "business_elapsed",
    "csat",
    "durations",
    "events_from_frame",
    "events_to_frame",
    "flow",
    "growth_trend",
    "normalize",
    "prepare",
    "read_events_parquet",
    "reopens",
    "self_service_share",
    "sla_achievement",
    "sla_cycles_to_frame",
    "tickets_from_frame",
    "tickets_to_frame",
    "to_frame",
    "touches",
    "volumes",
    "write_events_parquet",
]


def _require() -> None:
    try:
        import numpy  # noqa: F401 (imported to check the extra is installed)
        import pandas  # noqa: F401 (imported to check the extra is installed)
    except ImportError:
        raise MissingExtra("ticketcore.dataframes", "pandas", ["pandas", "numpy"]) from None


def _require_dask(feature: str = "ticketcore.dataframes over Dask DataFrames") -> None:
    _require()
    try:
        import dask.dataframe  # noqa: F401 (imported to check the extra is installed)
        import pyarrow  # noqa: F401 (imported to check the extra is installed)
    except ImportError:
        raise MissingExtra(feature, "dask", ["dask[dataframe]", "distributed", "pyarrow"]) from None


def _is_dask(value: object) -> bool:
    """Whether ``value`` is a Dask collection or prepared Dask events (told without importing Dask)."""
    module = type(value).__module__
    return module.split(".")[0] == "dask" or module == "ticketcore._frames.partitioned"


def _prepared(events: object) -> Any:
    """The prepared events: :class:`PreparedEvents` for pandas, ``PartitionedEvents`` for Dask."""
    if _is_dask(events):
        _require_dask()
        from ticketcore._frames.partitioned import prepare as partition

        return partition(cast("dd.DataFrame", events))
    _require()
    from ticketcore._frames.metrics import prepare as make

    return make(cast("pd.DataFrame", events))


def _kpis(events: object = None) -> Any:
    """The module computing the metrics over ``events``: one per backend, with the same functions."""
    if _is_dask(events):
        from ticketcore._frames import partitioned

        return partitioned
    _require()
    from ticketcore._frames import kpis

    return kpis


def _metric(
    name: str, events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents, *args: object
) -> pd.DataFrame:
    prepared = _prepared(events)
    return _frame(getattr(_kpis(prepared), name)(prepared, *args))


def _frame(result: object) -> pd.DataFrame:
    from ticketcore._frames.results import to_frame as make

    return make(result)


# --- conversion ---------------------------------------------------------------------------------------------------


def events_to_frame(events: Iterable[Event | Iterable[Event]]) -> pd.DataFrame:
    """Events (or histories: iterables of events) as an events DataFrame with every column of
    :data:`EVENT_COLUMNS`; ``at`` and ``due_at`` are UTC datetimes, tags sorted tuples."""
    _require()
    from ticketcore._frames.schema import events_to_frame as make

    return make(events)


def events_from_frame(
    frame: pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    categories: Mapping[str, Category | str] | None = None,
    tz: tzinfo | None = None,
) -> list[list[Event]]:
    """The histories in an events DataFrame, one list of events per ticket, each checked to fold.

    ``columns`` renames the frame's columns to those of :data:`EVENT_COLUMNS` (``{"Ticket #": "ticket_id"}``);
    missing ``seq`` numbers each ticket's events in time order; an empty ``from_status`` is the ticket's previous
    status; an empty category is looked up in ``categories`` by status name (a status named like a category needs no
    entry); ``tz`` is the zone of naive timestamps, which are refused without it. Raises
    :class:`~ticketcore.errors.ConfigError` for a bad mapping and :class:`~ticketcore.errors.InvalidEvent` naming the
    ticket and seq of a row that is not a valid event.
    """
    _require()
    from ticketcore._frames.schema import events_from_frame as read

    return read(frame, columns=columns, categories=categories, tz=tz)


def normalize(
    frame: pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    categories: Mapping[str, Category | str] | None = None,
    tz: tzinfo | None = None,
) -> pd.DataFrame:
    """A help desk's export mapped into a checked events DataFrame: :func:`events_from_frame` then
    :func:`events_to_frame`."""
    return events_to_frame(events_from_frame(frame, columns=columns, categories=categories, tz=tz))


def tickets_to_frame(tickets: Iterable[Ticket]) -> pd.DataFrame:
    """Ticket snapshots as a DataFrame with one column per :class:`~ticketcore.model.Ticket` attribute."""
    _require()
    from ticketcore._frames.schema import tickets_to_frame as make

    return make(tickets)


def tickets_from_frame(frame: pd.DataFrame) -> list[Ticket]:
    """The tickets of a DataFrame made by :func:`tickets_to_frame` (or with the same columns)."""
    _require()
    from ticketcore._frames.schema import tickets_from_frame as read

    return read(frame)


def prepare(
    events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents,
) -> PreparedEvents | PartitionedEvents:
    """Check an events DataFrame, order it by ticket and seq, and derive the state after each event once; pass the
    result to several metrics. Raises :class:`~ticketcore.errors.InvalidEvent` naming the first broken history.

    A Dask frame is shuffled on ``ticket_id`` (every ticket's events in one partition), each partition prepared by
    the pandas code and kept by the workers (``persist``), with only the columns the metrics read: the result, a ``PartitionedEvents``, is what to pass to
    several metrics so that the shuffle and the preparation happen once."""
    prepared: PreparedEvents | PartitionedEvents = _prepared(events)
    return prepared


def to_frame(result: object) -> pd.DataFrame:
    """Any result of :mod:`ticketcore.backlog` as the DataFrame its namesake here returns."""
    _require()
    return _frame(result)


def write_events_parquet(frame: pd.DataFrame | dd.DataFrame, path: str | Path) -> None:
    """Write an events DataFrame as Parquet (pyarrow; extra ``[dask]``): a pandas frame to one file, a Dask frame
    to a directory of part files, one a partition.

    The file has every column of :data:`EVENT_COLUMNS`, in order, each with one Arrow type whatever the frame's
    dtypes: ``string`` for text and categories, ``int64``, ``bool``, ``timestamp[us, UTC]`` for instants,
    ``list<string>`` for the tag sets, and JSON text for ``fields``, ``value`` and ``previous``. A column that is not
    an event column raises :class:`~ticketcore.errors.ConfigError`."""
    _require_dask("ticketcore.dataframes Parquet files")
    from ticketcore._frames import parquet

    if _is_dask(frame):
        parquet.write_dask(frame, path)
    else:
        parquet.write(frame, path)


def read_events_parquet(path: str | Path, *, dask: bool = False) -> pd.DataFrame | dd.DataFrame:
    """The events DataFrame stored by :func:`write_events_parquet` (a file, or a directory of part files), as
    :func:`events_to_frame` makes it; with ``dask=True`` a lazy Dask frame of one partition a part file, for the
    metrics to shuffle by ticket."""
    _require_dask("ticketcore.dataframes Parquet files")
    from ticketcore._frames import parquet

    return parquet.read_dask(path) if dask else parquet.read(path)


# --- metrics ------------------------------------------------------------------------------------------------------


def backlog(
    events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents,
    as_of: datetime,
    *,
    by: str | None = None,
) -> pd.DataFrame:
    """:func:`ticketcore.backlog.backlog`: one row (``as_of``, ``open``), or one row per value of ``by``."""
    return _metric("backlog", events, as_of, by)


def backlog_series(
    events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents,
    start: date,
    end: date,
    *,
    tz: str | tzinfo,
    at: time = time(23, 0),
) -> pd.DataFrame:
    """:func:`ticketcore.backlog.backlog_series`: columns ``day``, ``at``, ``open``."""
    return _metric("backlog_series", events, start, end, tz, at)


def backlog_ratio(
    events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents,
    as_of: datetime,
    *,
    window: timedelta = timedelta(weeks=4),
) -> pd.DataFrame:
    """:func:`ticketcore.backlog.backlog_ratio`: one row with ``open``, ``solved``, ``solved_per_week``, ``weeks``
    (``inf`` when nothing was solved) and ``infinite``."""
    return _metric("backlog_ratio", events, as_of, window)


def growth_trend(
    events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents,
    as_of: datetime,
    *,
    weeks: int = 8,
    steady_after: int = 3,
) -> pd.DataFrame:
    """:func:`ticketcore.backlog.growth_trend`: weekly rows ``at``, ``open``, ``grew``; ``frame.attrs`` holds
    ``growing_weeks`` and ``steady``."""
    return _metric("growth_trend", events, as_of, weeks, steady_after)


def flow(
    events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents,
    start: date,
    end: date,
    *,
    tz: str | tzinfo,
    freq: str = "week",
) -> pd.DataFrame:
    """:func:`ticketcore.backlog.flow`: rows ``start``, ``end``, ``created``, ``solved``, ``reopened``."""
    return _metric("flow", events, start, end, tz, freq)


def ageing(
    events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents,
    as_of: datetime,
    *,
    edges: Sequence[timedelta] = DEFAULT_AGE_EDGES,
    calendar: Any = None,
) -> pd.DataFrame:
    """:func:`ticketcore.backlog.ageing`: rows ``bucket`` (a label), ``low``, ``high``, ``open``; business ages are
    computed for all tickets at once when ``calendar`` is a ``BusinessCalendar``."""
    return _metric("ageing", events, as_of, edges, calendar)


def durations(
    events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents,
    period: Period,
    metrics: Sequence[str] = DURATION_METRICS,
    *,
    calendar: Any = None,
) -> pd.DataFrame:
    """:func:`ticketcore.backlog.durations` for each metric: rows ``metric``, ``business``, ``count``, ``mean``,
    ``median``, ``p90``."""
    _require()
    import pandas as pd

    prepared = _prepared(events)
    kpis = _kpis(prepared)
    frames = [_frame(kpis.durations(prepared, period, metric, calendar)) for metric in metrics]
    return (
        pd.concat(frames, ignore_index=True) if frames else _frame(kpis.durations(prepared, period, "", None))
    )


def touches(
    events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents,
    period: Period,
    *,
    zero_as_one_touch: bool = True,
) -> pd.DataFrame:
    """:func:`ticketcore.backlog.touches`: one row of counts and rates."""
    return _metric("touches", events, period, zero_as_one_touch)


def reopens(
    events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents, period: Period
) -> pd.DataFrame:
    """:func:`ticketcore.backlog.reopens`: one row ``solved``, ``reopened``, ``reopens``, ``rate``."""
    return _metric("reopens", events, period)


def csat(
    events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents,
    period: Period,
    *,
    good_from: tuple[int, int] = (4, 5),
) -> pd.DataFrame:
    """:func:`ticketcore.backlog.csat`: one row ``rated``, ``good``, ``rate``."""
    return _metric("csat", events, period, good_from)


def volumes(
    events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents,
    period: Period,
    *,
    by: str = "channel",
) -> pd.DataFrame:
    """:func:`ticketcore.backlog.volumes`: one row per value of ``by`` with the tickets ``created``."""
    return _metric("volumes", events, period, by)


def self_service_share(
    events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents,
    period: Period,
    *,
    channels: Iterable[str] = ("self_service",),
) -> pd.DataFrame:
    """:func:`ticketcore.backlog.self_service_share`: one row ``total``, ``matching``, ``share``."""
    return _metric("self_service_share", events, period, channels)


def agents(
    events: pd.DataFrame | PreparedEvents | dd.DataFrame | PartitionedEvents, period: Period
) -> pd.DataFrame:
    """:func:`ticketcore.backlog.agents`: one row per agent with ``open``, ``solved``, ``replies``."""
    return _metric("agents", events, period)


def sla_cycles_to_frame(reports: Iterable[SLAReport]) -> pd.DataFrame:
    """Every cycle of every metric of SLA reports (``policy.evaluate(events, now=…)``) as one row: ``ticket_id``,
    ``policy``, ``evaluated_at``, ``metric``, ``index``, ``priority``, ``target``, ``state``, ``started_at``,
    ``stopped_at``, ``due_at``, ``breach_at``, ``elapsed``, ``remaining``, ``ever_breached``."""
    _require()
    from ticketcore._frames.sla import cycles_to_frame

    return cycles_to_frame(reports)


def sla_achievement(
    cycles: pd.DataFrame | dd.DataFrame | Iterable[SLAReport],
    period: Period | None = None,
    *,
    by_priority: bool = False,
) -> pd.DataFrame:
    """:func:`ticketcore.backlog.sla_achievement` over SLA reports or a :func:`sla_cycles_to_frame` frame (pandas or
    Dask, each cycle a row: a Dask frame needs no shuffle): rows ``metric`` (``priority`` when ``by_priority``),
    ``achieved``, ``breached``, ``rate``."""
    if _is_dask(cycles):
        _require_dask()
        from ticketcore._frames import partitioned

        return _frame(partitioned.sla_achievement(cast("dd.DataFrame", cycles), period, by_priority))
    _require()
    import pandas as pd

    from ticketcore._frames.sla import achievement, cycles_to_frame

    frame = cycles if isinstance(cycles, pd.DataFrame) else cycles_to_frame(cycles)
    return _frame(achievement(frame, period, by_priority))


# --- business time over columns ------------------------------------------------------------------------------------


def _micros(values: pd.Series, name: str) -> Any:
    import pandas as pd

    from ticketcore.errors import NaiveDatetimeError

    series = pd.Series(values)
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        series = pd.to_datetime(series)
        if not isinstance(series.dtype, pd.DatetimeTZDtype):
            raise NaiveDatetimeError(name, series.iloc[0] if len(series) else None)
    index = pd.DatetimeIndex(series).tz_convert("UTC").as_unit("us")
    return index.asi8, index.isna(), series.index


def business_elapsed(calendar: Any, starts: pd.Series, ends: pd.Series) -> pd.Series:
    """``calendar.elapsed(start, end)`` for each pair of two aligned Series of aware datetimes, computed at once
    (numpy ``searchsorted`` over the calendar's cumulative open segments); ``NaT`` in, ``NaT`` out.

    Two Dask Series (with the same partitions, e.g. two columns of one frame) give a lazy Dask Series, computed
    partition by partition."""
    if _is_dask(starts) or _is_dask(ends):
        _require_dask()
        from ticketcore._frames import partitioned

        return partitioned.business_elapsed(business_elapsed, calendar, starts, ends)
    _require()
    import numpy as np
    import pandas as pd

    from ticketcore._frames.calendar import elapsed_us

    a, a_missing, index = _micros(starts, "starts")
    b, b_missing, _ = _micros(ends, "ends")
    if len(a) != len(b):
        raise ValueError(f"got {len(a)} starts but {len(b)} ends; give one end per start")
    missing = a_missing | b_missing
    result = np.zeros(len(a), dtype=np.int64)
    result[~missing] = elapsed_us(calendar, a[~missing], b[~missing])
    values = pd.to_timedelta(result, unit="us").as_unit("us")
    return pd.Series(values, index=index).where(~missing)


def business_add(calendar: Any, starts: pd.Series, durations: pd.Series | timedelta) -> pd.Series:
    """``calendar.add(start, duration)`` for each start (and one duration, or a Series of them), in the calendar's
    zone; ``NaT`` in, ``NaT`` out. Dask Series give a lazy Dask Series."""
    if _is_dask(starts) or _is_dask(durations):
        _require_dask()
        from ticketcore._frames import partitioned

        return partitioned.business_add(business_add, calendar, starts, durations)
    _require()
    import numpy as np
    import pandas as pd

    from ticketcore._frames.calendar import add_us

    a, missing, index = _micros(starts, "starts")
    if isinstance(durations, timedelta):
        d = np.full(len(a), durations // timedelta(microseconds=1), dtype=np.int64)
    else:
        spans = pd.Series(pd.to_timedelta(durations))
        if len(spans) != len(a):
            raise ValueError(f"got {len(a)} starts but {len(spans)} durations; give one duration per start")
        missing = missing | spans.isna().to_numpy()
        d = (
            spans.dt.as_unit("us")
            .fillna(pd.Timedelta(0))
            .to_numpy()
            .astype("timedelta64[us]")
            .astype(np.int64)
        )
    result = np.zeros(len(a), dtype=np.int64)
    result[~missing] = add_us(calendar, a[~missing], d[~missing])
    instants = pd.to_datetime(result, unit="us", utc=True).tz_convert(calendar.tz).as_unit("us")
    return pd.Series(instants, index=index).where(~missing)
