"""Backlog and KPI metrics: each checked against a plain loop over the histories, plus edge cases and refusals."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import AGENT, T0
from helpers import REQUESTER as CY
from ticketcore import (
    Actor,
    Assigned,
    Category,
    ConfigError,
    Event,
    HistoryNeeded,
    NaiveDatetimeError,
    Opened,
    Rated,
    Replied,
    Role,
    StatusChanged,
    Ticket,
    Unassigned,
)
from ticketcore import backlog as bl
from ticketcore.codec import dump, load
from ticketcore.testing.strategies import many_histories

BOB = Actor("bob", Role.AGENT)
CATEGORY = {
    "new": Category.NEW,
    "open": Category.OPEN,
    "pending": Category.PENDING,
    "solved": Category.SOLVED,
    "closed": Category.CLOSED,
}

# --- hand-written histories ---------------------------------------------------------------------------------------


class Story:
    """A builder for one ticket's events with times in hours after T0."""

    def __init__(
        self, tid: str, hours: float = 0, *, channel: str = "email", priority: int | None = 3
    ) -> None:
        self.tid = tid
        self.status = "new"
        self.events: list[Event] = [
            Opened(
                ticket_id=tid,
                seq=1,
                at=T0 + timedelta(hours=hours),
                actor=CY,
                requester="cy",
                channel=channel,
                priority=priority,
                group="support",
            )
        ]

    def _head(self, hours: float, actor: Actor = AGENT) -> dict[str, object]:
        return {
            "ticket_id": self.tid,
            "seq": len(self.events) + 1,
            "at": T0 + timedelta(hours=hours),
            "actor": actor,
        }

    def move(self, hours: float, to: str, actor: Actor = AGENT) -> Story:
        self.events.append(
            StatusChanged(
                **self._head(hours, actor),  # type: ignore[arg-type]
                from_status=self.status,
                from_category=CATEGORY[self.status],
                to_status=to,
                to_category=CATEGORY[to],
            )
        )
        self.status = to
        return self

    def reply(self, hours: float, actor: Actor = AGENT, public: bool = True) -> Story:
        self.events.append(Replied(**self._head(hours, actor), public=public))  # type: ignore[arg-type]
        return self

    def assign(self, hours: float, agent: str) -> Story:
        self.events.append(Assigned(**self._head(hours), agent=agent))  # type: ignore[arg-type]
        return self

    def unassign(self, hours: float) -> Story:
        self.events.append(Unassigned(**self._head(hours)))  # type: ignore[arg-type]
        return self

    def rate(self, hours: float, score: int, scale: int = 5) -> Story:
        self.events.append(Rated(**self._head(hours, CY), score=score, scale=scale))  # type: ignore[arg-type]
        return self


def desk() -> list[list[Event]]:
    """Four tickets: solved in one touch, reopened and solved again, still open, closed without a solve."""
    return [
        Story("A").assign(1, "ada").reply(2).move(3, "solved").rate(4, 5).events,
        Story("B", 1, channel="chat")
        .assign(2, "bob")
        .reply(3, BOB)
        .move(4, "solved", BOB)
        .move(30, "open", CY)
        .reply(31, BOB)
        .move(50, "solved", BOB)
        .rate(51, 2)
        .events,
        Story("C", 2, channel="self_service", priority=1).assign(3, "ada").move(4, "pending").events,
        Story("D", 3, channel="chat").move(5, "closed").events,
    ]


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_backlog_at_instants_excludes_events_at_the_instant() -> None:
    histories = desk()
    assert bl.backlog(histories, at(0)).open == 0  # A is opened at T0 itself: not yet seen
    assert bl.backlog(histories, at(3.5)).open == 3  # A solved at 3; B, C, D open
    assert bl.backlog(histories, at(40)).open == 2  # B reopened at 30, C pending
    assert bl.backlog(histories, at(60)).open == 1


def test_backlog_breakdowns() -> None:
    histories = desk()
    by_assignee = bl.backlog(histories, at(40), by="assignee")
    assert [(g.key, g.count) for g in by_assignee.groups] == [("ada", 1), ("bob", 1)]
    by_status = bl.backlog(histories, at(40), by="status")
    assert [(g.key, g.count) for g in by_status.groups] == [("open", 1), ("pending", 1)]
    by_priority = bl.backlog(histories, at(3.5), by="priority")
    assert [(g.key, g.count) for g in by_priority.groups] == [(1, 1), (3, 2)]
    unassigned = bl.backlog(histories, at(3.5), by="assignee")
    assert unassigned.groups[-1] == bl.GroupCount(None, 1)  # D: nobody; None sorts last


def test_backlog_ratio_and_infinite_ratio() -> None:
    histories = desk()
    ratio = bl.backlog_ratio(histories, at(60), window=timedelta(weeks=1))
    assert (ratio.open, ratio.solved) == (1, 4)  # A, B twice, D
    assert ratio.weeks == pytest.approx(0.25)
    assert ratio.solved_per_week == 4.0
    assert "0.25 weeks" in ratio.describe()
    dry = bl.backlog_ratio(histories, at(24 * 40))
    assert dry.solved == 0
    assert dry.open == 1
    assert dry.is_infinite
    assert dry.weeks == math.inf
    assert dry.describe().startswith("infinite: 1 tickets open and none solved in the 28 days")
    assert bl.backlog_ratio([], at(1)).weeks == 0.0


def test_durations_first_response_and_resolutions() -> None:
    period = bl.Period(T0, at(100))
    histories = desk()
    response = bl.durations(histories, period, "first_response")
    assert response.count == 2
    assert (response.mean, response.median, response.p90) == (
        timedelta(hours=2),
        timedelta(hours=2),
        timedelta(hours=2),
    )
    first = bl.durations(histories, period, "first_resolution")
    assert sorted([first.count]) == [3]
    assert first.median == timedelta(hours=3)
    full = bl.durations(histories, period, "full_resolution")
    assert full.count == 3
    assert full.p90 == timedelta(hours=49)  # B: opened at 1, last solved at 50
    assert full.mean == (timedelta(hours=3) + timedelta(hours=49) + timedelta(hours=2)) / 3


def test_touches_reopens_csat_volumes_and_agents() -> None:
    period = bl.Period(T0, at(100))
    histories = desk()
    touch = bl.touches(histories, period)
    assert (touch.solved, touch.zero_touch, touch.one_touch, touch.two_touch, touch.multi_touch) == (
        3,
        1,
        2,
        1,
        0,
    )
    assert touch.one_touch_rate == pytest.approx(2 / 3)
    strict = bl.touches(histories, period, zero_as_one_touch=False)
    assert strict.one_touch == 1
    again = bl.reopens(histories, period)
    assert (again.solved, again.reopened, again.reopens) == (3, 1, 1)
    assert again.rate == pytest.approx(1 / 3)
    sat = bl.csat(histories, period)
    assert (sat.rated, sat.good, sat.rate) == (2, 1, 0.5)
    channels = bl.volumes(histories, period)
    assert [(g.key, g.count) for g in channels.groups] == [("chat", 2), ("email", 1), ("self_service", 1)]
    share = bl.self_service_share(histories, period)
    assert (share.total, share.matching, share.share) == (4, 1, 0.25)
    report = bl.agents(histories, period)
    assert report.agents == (bl.AgentActivity("ada", 1, 1, 1), bl.AgentActivity("bob", 0, 2, 2))


def test_flow_counts_solved_regardless_of_creation() -> None:
    histories = desk()
    daily = bl.flow(histories, date(2025, 3, 3), date(2025, 3, 5), tz="UTC", freq="day")
    assert [(p.created, p.solved, p.reopened) for p in daily.points] == [(4, 3, 0), (0, 0, 1), (0, 1, 0)]
    weekly = bl.flow(histories, date(2025, 3, 5), date(2025, 3, 5), tz="Europe/Rome", freq="week")
    assert weekly.points[0].start == datetime(2025, 3, 3, tzinfo=ZoneInfo("Europe/Rome"))
    monthly = bl.flow(histories, date(2025, 2, 20), date(2025, 3, 31), tz="UTC", freq="month")
    assert [p.start.month for p in monthly.points] == [2, 3]
    assert sum(p.created for p in monthly.points) == 4


def test_growth_trend_flags_steady_growth_however_small() -> None:
    histories = [Story(f"G{i}", 24 * 7 * i + 1).events for i in range(5)]
    trend = bl.growth_trend(histories, at(24 * 7 * 5), weeks=6)
    assert [p.open for p in trend.points] == [0, 0, 1, 2, 3, 4, 5]
    assert trend.growing_weeks == 5
    assert trend.steady
    flat = bl.growth_trend(desk(), at(24 * 7 * 3), weeks=2)
    assert flat.growing_weeks == 0
    assert not flat.steady


def test_ageing_calendar_and_business_time() -> None:
    histories = desk()
    buckets = bl.ageing(histories, at(24 * 4))
    assert [b.count for b in buckets.buckets] == [0, 0, 1, 0, 0]  # C is 94 h old
    assert buckets.buckets[-1].high is None

    class HalfTime:
        def elapsed(self, start: datetime, end: datetime) -> timedelta:
            return (end - start) / 2

    half = bl.ageing(histories, at(24 * 4), calendar=HalfTime())
    assert half.business
    assert [b.count for b in half.buckets] == [0, 1, 0, 0, 0]
    custom = bl.ageing(histories, at(24 * 4), edges=[timedelta(0), timedelta(hours=90)])
    assert [b.count for b in custom.buckets] == [0, 1]


def test_empty_input_gives_zeroes_not_errors() -> None:
    period = bl.Period(T0, at(1))
    assert bl.backlog([], T0).open == 0
    assert bl.durations([], period, "first_response") == bl.DurationStats(
        "first_response", period, False, 0, None, None, None
    )
    assert bl.touches([], period).one_touch_rate is None
    assert bl.reopens([], period).rate is None
    assert bl.csat([], period).rate is None
    assert bl.self_service_share([], period).share is None
    assert bl.agents([], period).agents == ()
    assert bl.backlog_series([], date(2025, 1, 1), date(2025, 1, 2), tz="UTC").points[1].open == 0


def test_snapshots_answer_state_after_their_last_event_and_refuse_the_rest() -> None:
    histories = desk()
    snapshots = [Ticket.from_events(events) for events in histories]
    assert bl.backlog(snapshots, at(60)) == bl.backlog(histories, at(60))
    assert bl.ageing(snapshots, at(60)) == bl.ageing(histories, at(60))
    with pytest.raises(HistoryNeeded, match=r"ticket 'A'.*pass the ticket's events"):
        bl.backlog(snapshots, at(3.5))
    with pytest.raises(HistoryNeeded, match="counts events"):
        bl.touches(snapshots, bl.Period(T0, at(100)))


def test_refusals_name_the_bad_value() -> None:
    with pytest.raises(ConfigError, match="cannot break down by 'colour'; valid dimensions: status") as info:
        bl.backlog([], T0, by="colour")
    assert info.value.path == "by"
    with pytest.raises(ConfigError, match="must increase") as info:
        bl.ageing([], T0, edges=[timedelta(0), timedelta(days=2), timedelta(days=1)])
    assert info.value.path == "edges[2]"
    with pytest.raises(ConfigError, match="start at timedelta"):
        bl.ageing([], T0, edges=[timedelta(days=1)])
    with pytest.raises(ConfigError, match="unknown duration metric 'fcr'"):
        bl.durations([], bl.Period(T0, at(1)), "fcr")
    with pytest.raises(ConfigError, match="unknown frequency 'year'"):
        bl.flow([], date(2025, 1, 1), date(2025, 1, 2), tz="UTC", freq="year")
    with pytest.raises(ConfigError, match="'Mars/Olympus' is not an IANA time zone"):
        bl.flow([], date(2025, 1, 1), date(2025, 1, 2), tz="Mars/Olympus")
    with pytest.raises(ConfigError, match="must end after it starts"):
        bl.Period(T0, T0)
    with pytest.raises(ConfigError, match="positive duration"):
        bl.backlog_ratio([], T0, window=timedelta(0))
    with pytest.raises(ConfigError, match="good_from"):
        bl.csat([], bl.Period(T0, at(1)), good_from=(6, 5))
    with pytest.raises(NaiveDatetimeError, match="as_of must be timezone-aware"):
        bl.backlog([], datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="ticket 'A' appears twice"):
        bl.backlog([desk()[0], desk()[0]], T0)


def test_results_dump_and_load_back_equal() -> None:
    histories = desk()
    period = bl.Period(T0, at(100))
    results: list[object] = [
        bl.backlog(histories, at(40), by="priority"),
        bl.backlog(histories, at(40), by="assignee"),
        bl.backlog_series(histories, date(2025, 3, 3), date(2025, 3, 6), tz="Europe/Rome"),
        bl.backlog_ratio(histories, at(24 * 30)),
        bl.growth_trend(histories, at(100)),
        bl.flow(histories, date(2025, 3, 3), date(2025, 3, 9), tz="UTC", freq="day"),
        bl.ageing(histories, at(100)),
        bl.durations(histories, period, "full_resolution"),
        bl.touches(histories, period),
        bl.reopens(histories, period),
        bl.csat(histories, period),
        bl.volumes(histories, period, by="group"),
        bl.self_service_share(histories, period),
        bl.agents(histories, period),
    ]
    for result in results:
        assert load(type(result), dump(result)) == result


# --- oracles: plain loops over the events ------------------------------------------------------------------------


def fold_before(events: list[Event], instant: datetime) -> Ticket | None:
    prefix = [e for e in events if e.at < instant]
    return Ticket.from_events(prefix) if prefix else None


def moves(events: list[Event]) -> list[tuple[Event, Category, Category]]:
    """Each status change with the category before and after it, tracked by hand."""
    first = events[0]
    assert isinstance(first, Opened)
    category = first.category
    found: list[tuple[Event, Category, Category]] = []
    for event in events[1:]:
        if isinstance(event, StatusChanged):
            found.append((event, category, event.to_category))
            category = event.to_category
    return found


def done(category: Category) -> bool:
    return category in (Category.SOLVED, Category.CLOSED)


def resolutions(events: list[Event]) -> list[Event]:
    return [e for e, before, after in moves(events) if not done(before) and done(after)]


def reopen_events(events: list[Event]) -> list[Event]:
    return [e for e, before, after in moves(events) if done(before) and not done(after)]


def oracle_open(histories: list[list[Event]], instant: datetime) -> int:
    count = 0
    for events in histories:
        ticket = fold_before(events, instant)
        count += ticket is not None and ticket.category not in (Category.SOLVED, Category.CLOSED)
    return count


def solved_in(events: list[Event], start: datetime, end: datetime) -> Event | None:
    ticket = fold_before(events, end)
    if ticket is None or not done(ticket.category):
        return None
    last = [e for e in resolutions(events) if e.at < end][-1]
    return last if last.at >= start else None


START = datetime(2024, 1, 1, tzinfo=UTC)
instants = st.integers(0, 400 * 86_400).map(lambda s: START + timedelta(seconds=s))
periods = st.tuples(instants, st.integers(1, 60 * 86_400)).map(
    lambda p: bl.Period(p[0], p[0] + timedelta(seconds=p[1]))
)
dims = st.sampled_from(bl.DIMENSIONS)
desks = many_histories(max_tickets=5, max_events=12)


def check_backlog(histories: list[list[Event]], instant: datetime, by: str) -> None:
    result = bl.backlog(histories, instant, by=by)
    assert result.open == oracle_open(histories, instant)
    expected: Counter[object] = Counter()
    for events in histories:
        ticket = fold_before(events, instant)
        if ticket is not None and ticket.category not in (Category.SOLVED, Category.CLOSED):
            expected[str(ticket.category) if by == "category" else getattr(ticket, by)] += 1
    assert {g.key: g.count for g in result.groups} == dict(expected)


def check_ratio(histories: list[list[Event]], instant: datetime, weeks: int) -> None:
    window = timedelta(weeks=weeks)
    ratio = bl.backlog_ratio(histories, instant, window=window)
    open_now = oracle_open(histories, instant)
    solved = sum(instant - window <= e.at < instant for events in histories for e in resolutions(events))
    assert (ratio.open, ratio.solved) == (open_now, solved)
    if open_now == 0:
        assert ratio.weeks == 0.0
    elif solved == 0:
        assert ratio.is_infinite
    else:
        assert ratio.weeks == float(Fraction(open_now * weeks, solved))


def check_trend(histories: list[list[Event]], instant: datetime, weeks: int, steady_after: int) -> None:
    trend = bl.growth_trend(histories, instant, weeks=weeks, steady_after=steady_after)
    counts = [oracle_open(histories, instant - timedelta(weeks=k)) for k in range(weeks, -1, -1)]
    assert [p.open for p in trend.points] == counts
    streak = 0
    while streak < weeks and counts[-1 - streak] > counts[-2 - streak]:
        streak += 1
    assert trend.growing_weeks == streak
    assert trend.steady == (streak >= steady_after)


def check_ageing(histories: list[list[Event]], instant: datetime) -> None:
    result = bl.ageing(histories, instant)
    expected = [0] * 5
    limits = [1, 3, 7, 30]
    for events in histories:
        ticket = fold_before(events, instant)
        if ticket is not None and not done(ticket.category):
            age_days = Fraction((instant - ticket.created_at) // timedelta(microseconds=1), 86_400_000_000)
            expected[sum(age_days >= limit for limit in limits)] += 1
    assert [b.count for b in result.buckets] == expected


@given(desks, instants, dims, st.integers(1, 5), st.integers(1, 3))
def test_state_metrics_match_folding_each_history(
    histories: list[list[Event]], instant: datetime, by: str, weeks: int, steady_after: int
) -> None:
    check_backlog(histories, instant, by)
    check_ratio(histories, instant, weeks)
    check_trend(histories, instant, weeks, steady_after)
    check_ageing(histories, instant)


@given(desks, instants, st.integers(0, 8), st.sampled_from(bl.FREQUENCIES))
def test_series_and_flow_match_counting(
    histories: list[list[Event]], first: datetime, days: int, freq: str
) -> None:
    rome = ZoneInfo("Europe/Rome")
    start = first.date()
    series = bl.backlog_series(histories, start, start + timedelta(days=days), tz=rome, at=time(17, 30))
    assert len(series.points) == days + 1
    for point in series.points:
        assert point.at == datetime.combine(point.day, time(17, 30), tzinfo=rome)
        assert point.open == oracle_open(histories, point.at)
    result = bl.flow(histories, start, start + timedelta(days=days), tz="America/New_York", freq=freq)
    assert result.points[0].start.date() <= start
    assert result.points[-1].end.date() > start + timedelta(days=days)
    for flow_point in result.points:
        assert flow_point.created == sum(flow_point.start <= h[0].at < flow_point.end for h in histories)
        assert flow_point.solved == sum(
            flow_point.start <= e.at < flow_point.end for h in histories for e in resolutions(h)
        )
        assert flow_point.reopened == sum(
            flow_point.start <= e.at < flow_point.end for h in histories for e in reopen_events(h)
        )


def check_identity(histories: list[list[Event]], period: bl.Period) -> None:
    """backlog(end) = backlog(start) + created (unsolved) - solved + reopened in between."""
    created = sum(period.start <= h[0].at < period.end and not done(h[0].category) for h in histories)  # type: ignore[attr-defined]
    solved = sum(e.at in period for events in histories for e in resolutions(events))
    reopened = sum(e.at in period for events in histories for e in reopen_events(events))
    assert (
        bl.backlog(histories, period.end).open
        == bl.backlog(histories, period.start).open + created - solved + reopened
    )


def oracle_stats(values: list[timedelta]) -> tuple[int, timedelta | None, timedelta | None, timedelta | None]:
    if not values:
        return 0, None, None, None
    micros = sorted(v // timedelta(microseconds=1) for v in values)
    n = len(micros)
    mean = round(Fraction(sum(micros), n))
    median = micros[n // 2] if n % 2 else round(Fraction(micros[n // 2 - 1] + micros[n // 2], 2))
    p90 = micros[math.ceil(Fraction(9 * n, 10)) - 1]
    return n, timedelta(microseconds=mean), timedelta(microseconds=median), timedelta(microseconds=p90)


def check_durations(histories: list[list[Event]], period: bl.Period, metric: str) -> None:
    values = []
    for events in histories:
        if metric == "first_response":
            ends = [e.at for e in events if isinstance(e, Replied) and e.public and e.actor.role.is_staff][:1]
        elif metric == "first_resolution":
            ends = [e.at for e in resolutions(events)][:1]
        else:
            last = solved_in(events, period.start, period.end)
            ends = [last.at] if last is not None else []
        values += [end - events[0].at for end in ends if end in period]
    result = bl.durations(histories, period, metric)
    assert (result.count, result.mean, result.median, result.p90) == oracle_stats(values)


def check_touches_reopens_csat(histories: list[list[Event]], period: bl.Period) -> None:
    replies_before: list[int] = []
    for events in histories:
        last = solved_in(events, period.start, period.end)
        if last is None:
            continue
        replies_before.append(
            sum(
                isinstance(e, Replied) and e.public and e.actor.role.is_staff and e.seq < last.seq
                for e in events
            )
        )
    touch = bl.touches(histories, period)
    assert touch.solved == len(replies_before)
    assert touch.one_touch == sum(n <= 1 for n in replies_before)
    assert touch.two_touch == replies_before.count(2)
    assert touch.multi_touch == sum(n >= 3 for n in replies_before)
    # reopens counts every ticket with a resolution in the period, even one open again at its end.
    solved = [events for events in histories if any(e.at in period for e in resolutions(events))]
    reopened = sum(any(e.at < period.end for e in reopen_events(events)) for events in solved)
    again = bl.reopens(histories, period)
    assert (again.solved, again.reopened) == (len(solved), reopened)
    assert again.reopens == sum(e.at in period for h in histories for e in reopen_events(h))
    rated = good = 0
    for events in histories:
        ratings = [e for e in events if isinstance(e, Rated) and e.at in period]
        if ratings:
            rated += 1
            good += ratings[-1].score >= 4
    assert bl.csat(histories, period) == bl.Csat(period, rated, good)


def check_volumes_and_agents(histories: list[list[Event]], period: bl.Period, by: str) -> None:
    created = [Ticket.from_events(h[:1]) for h in histories if h[0].at in period]
    expected = Counter(str(t.category) if by == "category" else getattr(t, by) for t in created)
    result = bl.volumes(histories, period, by=by)
    assert result.total == len(created)
    assert {g.key: g.count for g in result.groups} == dict(expected)
    share = bl.self_service_share(histories, period)
    assert share.matching == sum(t.channel == "self_service" for t in created)
    load: Counter[str] = Counter()
    solved: Counter[str] = Counter()
    replies: Counter[str] = Counter()
    for events in histories:
        ticket = fold_before(events, period.end)
        if ticket is not None and not done(ticket.category) and ticket.assignee:
            load[ticket.assignee] += 1
        for event in resolutions(events):
            owner = Ticket.from_events([e for e in events if e.seq <= event.seq]).assignee
            if event.at in period and owner is not None:
                solved[owner] += 1
        for event in events:
            if (
                isinstance(event, Replied)
                and event.public
                and event.actor.role.is_staff
                and event.at in period
            ):
                replies[event.actor.id] += 1
    names = sorted(set(load) | set(solved) | set(replies))
    assert bl.agents(histories, period).agents == tuple(
        bl.AgentActivity(n, load[n], solved[n], replies[n]) for n in names
    )


@given(desks, periods, dims)
def test_period_metrics_match_counting(histories: list[list[Event]], period: bl.Period, by: str) -> None:
    check_identity(histories, period)
    for metric in bl.DURATION_METRICS:
        check_durations(histories, period, metric)
    check_touches_reopens_csat(histories, period)
    check_volumes_and_agents(histories, period, by)


@given(desks, periods)
def test_folded_histories_give_the_same_answers(histories: list[list[Event]], period: bl.Period) -> None:
    folded = bl.fold(histories)
    assert bl.backlog(folded, period.end, by="group") == bl.backlog(histories, period.end, by="group")
    assert bl.durations(folded, period, "full_resolution") == bl.durations(
        histories, period, "full_resolution"
    )
    assert bl.agents(folded, period) == bl.agents(histories, period)
    assert bl.growth_trend(folded, period.end, weeks=2) == bl.growth_trend(histories, period.end, weeks=2)


def test_breakdowns_of_odd_values_sort_by_type_then_value() -> None:
    from ticketcore import FieldChanged

    odd = Story("R").events
    odd.append(FieldChanged(ticket_id="R", seq=2, at=at(1), actor=AGENT, field="region", value=3))
    plain = Story("P", 0.5).events
    empty = Story("Q", 0.5).events
    empty.append(FieldChanged(ticket_id="Q", seq=2, at=at(1), actor=AGENT, field="region", value=""))
    result = bl.backlog([odd, plain, empty], at(2), by="region")
    assert [(g.key, g.count) for g in result.groups] == [(3, 1), ("", 1), (None, 1)]
