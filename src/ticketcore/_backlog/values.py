"""The result values of ``ticketcore.backlog``: frozen attrs classes the codec dumps (private; re-exported there)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs

from ticketcore._time import utc
from ticketcore.errors import ConfigError

__all__ = [
    "AgeBucket",
    "Ageing",
    "AgentActivity",
    "AgentReport",
    "Backlog",
    "BacklogPoint",
    "BacklogRatio",
    "BacklogSeries",
    "Csat",
    "DurationStats",
    "Flow",
    "FlowPoint",
    "GroupCount",
    "GrowthTrend",
    "Period",
    "Reopens",
    "Share",
    "TouchResolution",
    "TrendPoint",
    "Volumes",
    "groups_of",
]

Key = str | int | None
"""The value of a breakdown dimension: a status, channel, group, region or assignee name, a priority, or none."""


def _start(value: datetime) -> datetime:
    return utc(value, "period start")


def _end(value: datetime) -> datetime:
    return utc(value, "period end")


def groups_of(counts: Mapping[Key, int]) -> tuple[GroupCount, ...]:
    """Counts as :class:`GroupCount` values ordered by key (strings, numbers), ``None`` last."""
    # Keys of one dimension share a type, except where events set odd values (a region of 3): group types first.
    ordered = sorted(
        counts.items(),
        key=lambda item: (item[0] is None, type(item[0]).__name__, 0 if item[0] is None else item[0]),
    )
    return tuple(GroupCount(key, count) for key, count in ordered)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@attrs.frozen
class Period:
    """The half-open span ``[start, end)`` a metric counts events in; both ends aware, kept in UTC.

    >>> from datetime import datetime, UTC
    >>> Period(datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)).end.isoformat()
    '2025-04-01T00:00:00+00:00'
    """

    start: datetime = attrs.field(converter=_start)
    end: datetime = attrs.field(converter=_end)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ConfigError(
                f"a period must end after it starts; got start {self.start.isoformat()} and end "
                f"{self.end.isoformat()}",
                "end",
            )

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


@attrs.frozen
class GroupCount:
    """How many tickets have ``key`` in a breakdown (``None``: the dimension is unset on them)."""

    key: Key
    count: int


@attrs.frozen
class Backlog:
    """Unsolved tickets just before ``as_of``; ``groups`` breaks ``open`` down by the dimension ``by``."""

    as_of: datetime
    open: int
    by: str | None = None
    groups: tuple[GroupCount, ...] = ()


@attrs.frozen
class BacklogPoint:
    """The backlog at the daily instant ``at`` of the local date ``day``."""

    day: date
    at: datetime
    open: int


@attrs.frozen
class BacklogSeries:
    """The backlog once a day, at the same local time in ``tz``."""

    tz: ZoneInfo
    points: tuple[BacklogPoint, ...]


@attrs.frozen
class BacklogRatio:
    """Weeks of backlog: ``open`` tickets ÷ the tickets ``solved`` per week over the trailing ``window``.

    ``weeks`` is ``math.inf`` when nothing was solved in the window but tickets are open (:attr:`is_infinite`), and
    ``0.0`` when nothing is open.
    """

    as_of: datetime
    window: timedelta
    open: int
    solved: int
    weeks: float

    @property
    def solved_per_week(self) -> float:
        """The average number of resolutions per week over the window."""
        return self.solved / (self.window / timedelta(weeks=1))

    @property
    def is_infinite(self) -> bool:
        """True when tickets are open and nothing was solved in the window: the backlog would never clear."""
        return math.isinf(self.weeks)

    def describe(self) -> str:
        """The ratio in words, saying plainly when it is infinite."""
        if self.is_infinite:
            return (
                f"infinite: {self.open} tickets open and none solved in the {self.window.days} days before "
                f"{self.as_of.isoformat()}"
            )
        return f"{self.weeks:.2f} weeks of backlog ({self.open} open, {self.solved_per_week:.2f} solved per week)"


@attrs.frozen
class TrendPoint:
    """The backlog at one weekly instant of a trend."""

    at: datetime
    open: int


@attrs.frozen
class GrowthTrend:
    """The backlog week by week up to ``as_of``; ``growing_weeks`` counts the latest consecutive weeks it grew.

    ``steady`` flags a backlog that grew for at least the configured number of weeks in a row, however little.
    """

    as_of: datetime
    points: tuple[TrendPoint, ...]
    growing_weeks: int
    steady: bool


@attrs.frozen
class FlowPoint:
    """Tickets created, solved and reopened in ``[start, end)`` (solved regardless of when they were created)."""

    start: datetime
    end: datetime
    created: int
    solved: int
    reopened: int


@attrs.frozen
class Flow:
    """Inflow and outflow per ``freq`` (``day``, ``week`` or ``month``) of local time in ``tz``."""

    freq: str
    tz: ZoneInfo
    points: tuple[FlowPoint, ...]


@attrs.frozen
class AgeBucket:
    """Open tickets whose age is in ``[low, high)`` (``high`` is ``None`` for the last, unbounded bucket)."""

    low: timedelta
    high: timedelta | None
    count: int


@attrs.frozen
class Ageing:
    """Open tickets at ``as_of`` by age since creation, in calendar time or in ``business`` time."""

    as_of: datetime
    business: bool
    buckets: tuple[AgeBucket, ...]


@attrs.frozen
class DurationStats:
    """Count, mean, median and 90th percentile (nearest rank) of one duration metric over a period.

    The statistics are ``None`` when ``count`` is 0. Means and medians of an even count round to the microsecond.
    """

    metric: str
    period: Period
    business: bool
    count: int
    mean: timedelta | None
    median: timedelta | None
    p90: timedelta | None


@attrs.frozen
class TouchResolution:
    """Tickets solved in the period by the number of public agent replies before their resolution.

    ``one_touch`` counts tickets with at most one reply when zero-reply tickets count as one-touch (Zendesk), and
    exactly one otherwise; ``zero_touch`` always reports the zero-reply tickets on their own.
    """

    period: Period
    solved: int
    zero_touch: int
    one_touch: int
    two_touch: int
    multi_touch: int

    @property
    def one_touch_rate(self) -> float | None:
        """One-touch tickets ÷ tickets solved (``None`` when nothing was solved)."""
        return _rate(self.one_touch, self.solved)

    @property
    def two_touch_rate(self) -> float | None:
        """Two-touch tickets ÷ tickets solved."""
        return _rate(self.two_touch, self.solved)

    @property
    def multi_touch_rate(self) -> float | None:
        """Tickets with three or more replies ÷ tickets solved."""
        return _rate(self.multi_touch, self.solved)


@attrs.frozen
class Reopens:
    """Of the tickets ``solved`` in the period (at least one resolution in it), how many were ``reopened`` at least
    once before its end; and the ``reopens`` in it."""

    period: Period
    solved: int
    reopened: int
    reopens: int

    @property
    def rate(self) -> float | None:
        """Reopened ÷ solved (``None`` when nothing was solved)."""
        return _rate(self.reopened, self.solved)


@attrs.frozen
class Csat:
    """Customer satisfaction: ``good`` ratings ÷ ``rated`` tickets (each ticket's last rating in the period)."""

    period: Period
    rated: int
    good: int

    @property
    def rate(self) -> float | None:
        """Good ÷ rated (``None`` when nothing was rated)."""
        return _rate(self.good, self.rated)


@attrs.frozen
class Volumes:
    """Tickets created in the period, broken down by the dimension ``by`` as it was at creation."""

    period: Period
    by: str
    total: int
    groups: tuple[GroupCount, ...]


@attrs.frozen
class Share:
    """``matching`` tickets out of ``total`` created in the period (e.g. through a self-service channel)."""

    period: Period
    total: int
    matching: int

    @property
    def share(self) -> float | None:
        """Matching ÷ total (``None`` when nothing was created)."""
        return _rate(self.matching, self.total)


@attrs.frozen
class AgentActivity:
    """One agent over a period: ``open`` tickets assigned at its end (load), resolutions, public replies."""

    agent: str
    open: int
    solved: int
    replies: int


@attrs.frozen
class AgentReport:
    """Load and throughput of every agent seen in the period, by agent id."""

    period: Period
    agents: tuple[AgentActivity, ...]
