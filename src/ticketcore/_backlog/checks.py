"""Argument checks shared by ``ticketcore.backlog`` and its DataFrame twin, so both refuse alike (private)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from ticketcore.errors import ConfigError

__all__ = [
    "DIMENSIONS",
    "DURATION_METRICS",
    "check_dimension",
    "check_edges",
    "check_good_from",
    "check_metric",
    "check_weeks",
    "check_window",
]

DIMENSIONS = ("status", "category", "priority", "channel", "group", "region", "assignee")
"""The ticket attributes a backlog or volume can be broken down by."""

DURATION_METRICS = ("first_response", "first_resolution", "full_resolution")
"""The duration metrics ``backlog.durations`` measures."""


def check_dimension(by: str) -> str:
    """``by`` if it is one of :data:`DIMENSIONS`."""
    if by not in DIMENSIONS:
        raise ConfigError(f"cannot break down by {by!r}; valid dimensions: {', '.join(DIMENSIONS)}", "by")
    return by


def check_metric(metric: str) -> str:
    """``metric`` if it is one of :data:`DURATION_METRICS`."""
    if metric not in DURATION_METRICS:
        raise ConfigError(
            f"unknown duration metric {metric!r}; valid metrics: {', '.join(DURATION_METRICS)}", "metric"
        )
    return metric


def check_window(window: timedelta) -> timedelta:
    """``window`` if it is a positive duration."""
    if window <= timedelta(0):
        raise ConfigError(
            f"the window must be a positive duration, got {window!r}; e.g. timedelta(weeks=4)", "window"
        )
    return window


def check_weeks(weeks: int, steady_after: int) -> None:
    """Refuse a trend shorter than a week or a steadiness threshold below one week."""
    if weeks < 1 or steady_after < 1:
        raise ConfigError(
            f"weeks and steady_after must be at least 1, got {weeks!r} and {steady_after!r}", "weeks"
        )


def check_edges(edges: Sequence[timedelta]) -> tuple[timedelta, ...]:
    """Ageing edges that start at zero and increase."""
    values = tuple(edges)
    if not values or values[0] != timedelta(0):
        raise ConfigError(f"ageing edges must start at timedelta(0), got {values!r}", "edges[0]")
    for i in range(1, len(values)):
        if values[i] <= values[i - 1]:
            raise ConfigError(
                f"ageing edges must increase; {values[i]!r} does not come after {values[i - 1]!r}",
                f"edges[{i}]",
            )
    return values


def check_good_from(good_from: tuple[int, int]) -> tuple[int, int]:
    """A CSAT threshold ``(points, out_of)`` with ``0 < points <= out_of``."""
    num, den = good_from
    if not 0 < num <= den:
        raise ConfigError(
            f"good_from must be (points, out_of) with 0 < points <= out_of, got {good_from!r}", "good_from"
        )
    return num, den
