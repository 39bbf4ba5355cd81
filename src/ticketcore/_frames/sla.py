"""SLA cycles as a DataFrame and achievement rates over it (private to ``ticketcore.dataframes``)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ticketcore._backlog.sla import SLAAchievement, SLARate
from ticketcore._backlog.values import Period
from ticketcore._sla.rows import CYCLE_COLUMNS, cycle_rows
from ticketcore.sla import SLAReport

__all__ = ["CYCLE_COLUMNS", "achievement", "cycles_to_frame"]

_INSTANTS = ("evaluated_at", "started_at", "stopped_at", "due_at", "breach_at")
_DURATIONS = ("target", "elapsed", "remaining")


def cycles_to_frame(reports: Iterable[SLAReport]) -> pd.DataFrame:
    frame = pd.DataFrame(cycle_rows(reports), columns=list(CYCLE_COLUMNS), dtype=object)
    for name in _INSTANTS:
        frame[name] = pd.to_datetime(frame[name], utc=True).dt.as_unit("us")
    for name in _DURATIONS:
        frame[name] = pd.to_timedelta(frame[name]).dt.as_unit("us")
    frame["index"] = frame["index"].astype("int64")
    frame["priority"] = frame["priority"].astype("Int64")
    frame["ever_breached"] = frame["ever_breached"].astype(bool)
    return frame


def achievement(cycles: pd.DataFrame, period: Period | None, by_priority: bool) -> SLAAchievement:
    breached = cycles["ever_breached"].to_numpy(dtype=bool)
    achieved = (
        (cycles["state"] == "achieved").to_numpy() & cycles["stopped_at"].notna().to_numpy() & ~breached
    )
    decided = cycles["stopped_at"].where(~breached, cycles["breach_at"].fillna(cycles["evaluated_at"]))
    keep = breached | achieved
    if period is not None:
        keep &= ((decided >= pd.Timestamp(period.start)) & (decided < pd.Timestamp(period.end))).to_numpy()
    metric = cycles["metric"].to_numpy(dtype=object)[keep]
    if by_priority:
        priority = cycles["priority"].to_numpy(dtype=object, na_value=None)[keep]
    else:
        priority = np.full(int(keep.sum()), None, dtype=object)
    table = pd.DataFrame(
        {"metric": metric, "priority": pd.array(priority, dtype="Int64"), "breached": breached[keep]}
    )
    grouped = table.groupby(["metric", "priority"], dropna=False, sort=False)["breached"].agg(
        ["sum", "count"]
    )
    counts: dict[tuple[str, int | None], list[int]] = {}
    for (key_metric, key_priority), row in grouped.iterrows():
        key = (str(key_metric), None if pd.isna(key_priority) else int(key_priority))
        counts[key] = [int(row["count"] - row["sum"]), int(row["sum"])]
    order = sorted(counts, key=lambda k: (k[0], k[1] is None, k[1] or 0))
    return SLAAchievement(period, by_priority, tuple(SLARate(m, p, *counts[m, p]) for m, p in order))
