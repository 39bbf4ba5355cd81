"""Plots draw the metrics' own numbers, never switch the session's backend, and say which extra they need."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from typing import cast

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from test_backlog import at, desk
from ticketcore import MissingExtra, plots
from ticketcore import backlog as bl
from ticketcore import dataframes as dfs
from ticketcore.sla import BusinessCalendar


def test_created_vs_solved_draws_the_flow_and_the_backlog(tmp_path: Path) -> None:
    backend = matplotlib.get_backend()
    frame = dfs.events_to_frame(desk())
    ax = plots.created_vs_solved(frame, date(2025, 3, 3), date(2025, 3, 6), tz="UTC", freq="day")
    flow = bl.flow(desk(), date(2025, 3, 3), date(2025, 3, 6), tz="UTC", freq="day")
    heights = [cast(Rectangle, patch).get_height() for patch in ax.patches]
    assert heights == [p.created for p in flow.points] + [p.solved for p in flow.points]
    (line,) = ax.get_lines()
    assert [int(v) for v in np.asarray(line.get_ydata())] == [
        bl.backlog(desk(), p.end).open for p in flow.points
    ]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "2025-03-03",
        "2025-03-04",
        "2025-03-05",
        "2025-03-06",
    ]
    figure = ax.figure
    assert isinstance(figure, Figure)
    figure.savefig(tmp_path / "flow.png")
    assert (tmp_path / "flow.png").stat().st_size > 0
    assert matplotlib.get_backend() == backend


def test_ageing_histogram_draws_the_buckets_on_a_given_axes() -> None:
    office = BusinessCalendar(
        tz="UTC", hours={d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    )
    ax = Figure().add_subplot()
    edges = [timedelta(0), timedelta(hours=8), timedelta(hours=24)]
    drawn = plots.ageing_histogram(dfs.events_to_frame(desk()), at(100), edges=edges, calendar=office, ax=ax)
    assert drawn is ax
    expected = bl.ageing(desk(), at(100), edges=edges, calendar=office)
    assert [cast(Rectangle, p).get_height() for p in ax.patches] == [b.count for b in expected.buckets]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0–8h", "8h–24h", "24h+"]
    assert "business time" in ax.get_title()


def test_missing_matplotlib_raises_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m.startswith("matplotlib")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtra, match=r"install it with: pip install 'ticketcore\[plot\]'"):
        plots.ageing_histogram(dfs.events_to_frame(desk()), at(100))


def test_plots_without_pandas_name_the_pandas_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingExtra, match=r"pip install 'ticketcore\[pandas\]'"):
        plots.created_vs_solved(None, date(2025, 3, 3), date(2025, 3, 6), tz="UTC")
    with pytest.raises(MissingExtra, match=r"pip install 'ticketcore\[pandas\]'"):
        dfs.durations(None, bl.Period(at(0), at(1)))
