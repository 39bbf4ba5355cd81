"""Notebook plots of backlog metrics (extras ``[plot]`` and ``[pandas]``; matplotlib is imported when needed).

Each function draws on the matplotlib ``Axes`` it is given, or on a new figure that uses no GUI backend (it never
switches the backend of your session), and returns the ``Axes``: ``ax.figure.savefig("backlog.png")`` saves it.
The numbers come from :mod:`ticketcore.dataframes`, so they are the same as the metrics'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from ticketcore.backlog import DEFAULT_AGE_EDGES
from ticketcore.errors import MissingExtra

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from ticketcore._frames.metrics import PreparedEvents
    from ticketcore.backlog import Period
    from ticketcore.sla import SLAReport

__all__ = ["ageing_histogram", "created_vs_solved", "sla_compliance"]


def _axes(ax: Axes | None, title: str) -> Axes:
    """``ax``, or the axes of a new figure drawn without a GUI backend, titled ``title``."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingExtra("ticketcore.plots", "plot", ["matplotlib"]) from None
    if ax is None:
        figure = Figure(figsize=(9, 4.5), layout="constrained")
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
    ax.set_title(title)
    return ax


def created_vs_solved(
    events: pd.DataFrame | PreparedEvents,
    start: date,
    end: date,
    *,
    tz: str | tzinfo,
    freq: str = "week",
    ax: Axes | None = None,
) -> Axes:
    """Tickets created and solved per ``freq`` as bars, and the backlog at the end of each period as a line."""
    from ticketcore import dataframes

    prepared = dataframes.prepare(events)  # first: without pandas this says which extra to install
    target = _axes(ax, f"Created vs solved per {freq}, and backlog")
    import pandas as pd

    from ticketcore._backlog.periods import zone

    flow = dataframes.flow(prepared, start, end, tz=tz, freq=freq)
    backlog = prepared.open_counts([int(v) for v in pd.DatetimeIndex(flow["end"]).as_unit("us").asi8])
    positions = list(range(len(flow)))
    labels = [stamp.tz_convert(zone(tz)).strftime("%Y-%m-%d") for stamp in flow["start"]]
    target.bar([p - 0.2 for p in positions], flow["created"], width=0.4, label="created")
    target.bar([p + 0.2 for p in positions], flow["solved"], width=0.4, label="solved")
    target.plot(positions, backlog, color="black", marker="o", label="backlog at period end")
    target.set_xticks(positions, labels, rotation=45, ha="right")
    target.set_ylabel("tickets")
    target.legend()
    return target


def ageing_histogram(
    events: pd.DataFrame | PreparedEvents,
    as_of: datetime,
    *,
    edges: Sequence[timedelta] = DEFAULT_AGE_EDGES,
    calendar: Any = None,
    ax: Axes | None = None,
) -> Axes:
    """Open tickets at ``as_of`` by age bucket, in calendar time or in business time on ``calendar``."""
    from ticketcore import dataframes

    buckets = dataframes.ageing(events, as_of, edges=edges, calendar=calendar)
    kind = "business" if calendar is not None else "calendar"
    target = _axes(ax, f"Open tickets by age ({kind} time) at {as_of.isoformat(timespec='minutes')}")
    target.bar(list(buckets["bucket"]), buckets["open"])
    target.set_xlabel("age")
    target.set_ylabel("open tickets")
    return target


def sla_compliance(
    cycles: pd.DataFrame | Iterable[SLAReport], period: Period | None = None, *, ax: Axes | None = None
) -> Axes:
    """SLA achievement rate (%) by priority, one bar per metric, from SLA reports or an SLA cycles frame."""
    from ticketcore import dataframes

    rates = dataframes.sla_achievement(cycles, period, by_priority=True)
    target = _axes(ax, "SLA achievement by priority")
    import pandas as pd

    priorities = sorted(int(p) for p in rates["priority"].dropna().unique())
    labels = [f"P{p}" for p in priorities] + (["none"] if rates["priority"].isna().any() else [])
    metrics = list(dict.fromkeys(rates["metric"]))
    width = 0.8 / max(len(metrics), 1)
    for i, metric in enumerate(metrics):
        rows = rates[rates["metric"] == metric]
        by_label = {
            ("none" if pd.isna(p) else f"P{p}"): float(r) * 100
            for p, r in zip(rows["priority"], rows["rate"], strict=True)
        }
        heights = [by_label.get(label, 0.0) for label in labels]
        positions = [j + (i - (len(metrics) - 1) / 2) * width for j in range(len(labels))]
        target.bar(positions, heights, width=width, label=metric)
    target.set_xticks(list(range(len(labels))), labels)
    target.set_ylim(0, 100)
    target.set_ylabel("achieved (%)")
    if metrics:
        target.legend()
    return target
