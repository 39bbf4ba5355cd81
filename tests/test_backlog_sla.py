"""SLA achievement rates from SLA reports: against sla.compliance and a plain loop, and through the DataFrame path."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import cast

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.patches import Rectangle

from helpers import T0
from test_backlog import Story, at
from ticketcore import Event, plots
from ticketcore import backlog as bl
from ticketcore import dataframes as dfs
from ticketcore.codec import dump, load
from ticketcore.sla import ClockState, SLAPolicySet, SLAReport, compliance
from ticketcore.testing.strategies import many_histories

POLICIES = load(
    SLAPolicySet,
    {
        "policies": [
            {
                "name": "chat",
                "when": {"channel": ["chat"]},
                "metrics": {"first_response": {"default": "10m"}, "resolution": {"default": "1d"}},
            },
            {
                "name": "default",
                "metrics": {
                    "first_response": {"targets": {"1": "1h", "2": "4h"}, "default": "1d"},
                    "next_response": {"default": "8h"},
                    "resolution": {"targets": {"1": "1d"}, "default": "3d"},
                },
            },
        ]
    },
)
START = datetime(2024, 1, 1, tzinfo=UTC)
instants = st.integers(0, 400 * 86_400).map(lambda s: START + timedelta(seconds=s))


def reports_of(histories: list[list[Event]], now: datetime) -> list[SLAReport]:
    return [POLICIES.evaluate(events, now=now) for events in histories if events[0].at < now]


def test_achievement_rates_of_a_small_desk() -> None:
    fast = Story("F", priority=1).reply(0.5).move(2, "solved").events  # replied in 30 min, solved in 2 h
    slow = Story("S", priority=1).reply(3).move(30, "solved").events  # replied in 3 h, solved after a day
    reports = reports_of([fast, slow], at(100))
    overall = bl.sla_achievement(reports)
    assert [(r.metric, r.achieved, r.breached, r.rate) for r in overall.rates] == [
        ("first_response", 1, 1, 0.5),
        ("resolution", 1, 1, 0.5),
    ]
    # S's first response breached at its breach_at (1 h); F's was achieved at 30 min, before the period.
    late = bl.sla_achievement(reports, bl.Period(at(0.9), at(100)), by_priority=True)
    assert [(r.metric, r.priority, r.achieved, r.breached) for r in late.rates] == [
        ("first_response", 1, 0, 1),
        ("resolution", 1, 1, 1),
    ]
    assert load(bl.SLAAchievement, dump(late)) == late
    assert bl.sla_achievement([]).rates == ()


@given(many_histories(max_tickets=4, max_events=12), instants, st.booleans())
def test_achievement_matches_compliance_and_a_plain_loop(
    histories: list[list[Event]], now: datetime, by_priority: bool
) -> None:
    reports = reports_of(histories, now)
    result = bl.sla_achievement(reports, by_priority=by_priority)
    expected: Counter[tuple[str, int | None, str]] = Counter()
    for row in compliance(reports):
        key = (row.metric, row.priority if by_priority else None)
        expected[(*key, "achieved")] += row.achieved
        expected[(*key, "breached")] += row.breached
    got = Counter({(r.metric, r.priority, "achieved"): r.achieved for r in result.rates})
    got.update({(r.metric, r.priority, "breached"): r.breached for r in result.rates})
    assert +got == +expected
    period = bl.Period(now - timedelta(days=20), now - timedelta(days=2))
    looped: Counter[tuple[str, int | None, bool]] = Counter()
    for report in reports:
        for metric in report.metrics:
            for cycle in metric.cycles:
                if cycle.ever_breached:
                    when = cycle.breach_at if cycle.breach_at is not None else report.evaluated_at
                    looped[(metric.metric, cycle.priority if by_priority else None, True)] += when in period
                elif cycle.state is ClockState.ACHIEVED:
                    assert cycle.stopped_at is not None
                    looped[(metric.metric, cycle.priority if by_priority else None, False)] += (
                        cycle.stopped_at in period
                    )
    windowed = bl.sla_achievement(reports, period, by_priority=by_priority)
    got_windowed = Counter({(r.metric, r.priority, False): r.achieved for r in windowed.rates})
    got_windowed.update({(r.metric, r.priority, True): r.breached for r in windowed.rates})
    assert +got_windowed == +looped
    frame = dfs.sla_cycles_to_frame(reports)
    for window in (None, period):
        expected_frame = dfs.to_frame(bl.sla_achievement(reports, window, by_priority=by_priority))
        pd.testing.assert_frame_equal(
            dfs.sla_achievement(frame, window, by_priority=by_priority), expected_frame
        )
        pd.testing.assert_frame_equal(
            dfs.sla_achievement(reports, window, by_priority=by_priority), expected_frame
        )


def test_sla_compliance_plot_draws_rates_by_priority() -> None:
    histories = [
        Story("A", priority=1).reply(0.5).move(2, "solved").events,
        Story("B", priority=1).reply(3).move(30, "solved").events,
        Story("C", priority=3).reply(2).move(5, "solved").events,
    ]
    ax = plots.sla_compliance(reports_of(histories, at(100)))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["P1", "P3"]
    assert [cast(Rectangle, p).get_height() for p in ax.patches] == [50.0, 100.0, 50.0, 100.0]
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == ["first_response", "resolution"]
    assert at(1) > T0
