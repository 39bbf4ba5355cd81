"""SLA evaluation against the second-by-second oracle, and the properties every evaluation must have."""

from __future__ import annotations

import functools
import gc
import pickle
import platform
import random
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import AGENT, REQUESTER, SYSTEM
from sla_oracle import METRICS, Oracle, OracleCycle, OraclePolicy, OracleTargets
from ticketcore import codec
from ticketcore.model import (
    Assigned,
    Category,
    Event,
    NoteAdded,
    Opened,
    PriorityChanged,
    Replied,
    StatusChanged,
)
from ticketcore.sla import (
    CATALOGUE,
    BusinessCalendar,
    MetricTargets,
    SLAPolicy,
    SLAReport,
    compliance,
    upcoming,
)

BASE = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STATUSES = [
    ("new", Category.NEW),
    ("open", Category.OPEN),
    ("pending", Category.PENDING),
    ("on_hold", Category.ON_HOLD),
    ("awaiting_vendor", Category.OPEN),
    ("awaiting_info", Category.PENDING),
    ("solved", Category.SOLVED),
    ("closed", Category.CLOSED),
]


def _pattern(seed: int) -> tuple[tuple[int, int], ...]:
    """Open windows (in minutes of the day), the same every day: whole days, or short windows every quarter hour
    or every hour, so that no closed gap is long and the oracle's walks stay short."""
    if seed == 0:
        return ((0, 1440),)
    rng = random.Random(seed)
    block = 15 if seed % 2 else 60
    windows = []
    for start in range(0, 1440, block):
        a = rng.randint(0, block // 3)
        b = rng.randint(a + block // 5, block - 1)
        windows.append((start + a, start + b))
    return tuple(windows)


PATTERNS = [_pattern(seed) for seed in range(7)]


def day_windows() -> st.SearchStrategy[tuple[tuple[int, int], ...]]:
    """A calendar from a small pool: building a calendar's interval table costs a few tenths of a second."""
    return st.sampled_from(PATTERNS)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@functools.cache
def calendar_of(windows: tuple[tuple[int, int], ...]) -> BusinessCalendar:
    day = [f"{_hhmm(a)}-{_hhmm(b)}" for a, b in windows]
    return BusinessCalendar(tz="UTC", hours=dict.fromkeys(WEEKDAYS, day))


@functools.cache
def membership(windows: tuple[tuple[int, int], ...]) -> bytearray:
    """One flag per second of a (UTC) day: the oracle's own reading of the windows, not the calendar's."""
    flags = bytearray(86_400)
    for a, b in windows:
        flags[a * 60 : b * 60] = b"\x01" * ((b - a) * 60)
    return flags


def open_at_from(flags: bytearray):  # type: ignore[no-untyped-def]
    def open_at(at: datetime) -> bool:
        return bool(flags[at.hour * 3600 + at.minute * 60 + at.second])

    return open_at


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    start = BASE + timedelta(seconds=draw(st.integers(0, 86_400 * 2)))
    opener = draw(st.sampled_from([REQUESTER, REQUESTER, AGENT]))
    priority = draw(st.sampled_from([None, 1, 2, 3, 4]))
    events: list[Event] = [
        Opened(
            ticket_id="T", seq=1, at=start, actor=opener, requester="cy", priority=priority, channel="email"
        )
    ]
    at = start
    status, category = "new", Category.NEW
    for seq in range(2, draw(st.integers(1, 12)) + 1):
        at += timedelta(seconds=draw(st.sampled_from([0, 0, 1, 30, 60, 90, 120, 180, 300])))
        kind = draw(
            st.sampled_from(
                [
                    "agent",
                    "agent",
                    "requester",
                    "requester",
                    "private",
                    "note",
                    "status",
                    "status",
                    "status",
                    "priority",
                    "assign",
                    "system_status",
                ]
            )
        )
        head = {"ticket_id": "T", "seq": seq, "at": at}
        if kind == "agent":
            events.append(Replied(**head, actor=AGENT))
        elif kind == "requester":
            events.append(Replied(**head, actor=REQUESTER))
        elif kind == "private":
            events.append(Replied(**head, actor=AGENT, public=False))
        elif kind == "note":
            events.append(NoteAdded(**head, actor=AGENT))
        elif kind in ("status", "system_status"):
            to_status, to_category = draw(st.sampled_from(STATUSES))
            flag = draw(st.sampled_from([None, None, True, False]))
            actor = AGENT if kind == "status" else SYSTEM
            events.append(
                StatusChanged(
                    **head,
                    actor=actor,
                    from_status=status,
                    from_category=category,
                    to_status=to_status,
                    to_category=to_category,
                    pauses_sla=flag,
                )
            )
            status, category = to_status, to_category
        elif kind == "priority":
            new = draw(st.integers(1, 4))
            events.append(
                PriorityChanged(
                    **head,
                    actor=draw(st.sampled_from([AGENT, SYSTEM])),
                    from_priority=priority,
                    to_priority=new,
                )
            )
            priority = new
        else:
            events.append(Assigned(**head, actor=draw(st.sampled_from([AGENT, SYSTEM])), agent="ada"))
    return events


@st.composite
def policies(draw: st.DrawFn) -> tuple[SLAPolicy, OraclePolicy, tuple[tuple[int, int], ...]]:
    windows = draw(day_windows())
    metrics = draw(st.lists(st.sampled_from(METRICS), min_size=1, max_size=7, unique=True))
    seconds = st.integers(1, 900).map(lambda s: timedelta(seconds=s))
    oracle_targets = {}
    for name in metrics:
        by_priority = draw(st.dictionaries(st.integers(1, 4), seconds, max_size=3))
        oracle_targets[name] = OracleTargets(by_priority, draw(seconds))
    mode = draw(st.sampled_from(["recompute", "restart", "carry_elapsed"]))
    warnings = tuple(sorted(draw(st.sets(st.sampled_from([1, 25, 50, 75, 90, 100, 150]), max_size=4))))
    pause_statuses = draw(st.sampled_from([frozenset(), frozenset({"awaiting_vendor"})]))
    honor = draw(st.booleans())
    policy = SLAPolicy(
        "p",
        {name: MetricTargets(t.by_priority, t.default) for name, t in oracle_targets.items()},
        calendar=calendar_of(windows),
        pause_statuses=pause_statuses,
        honor_pause_flags=honor,
        warnings=warnings,
        on_priority_change=mode,
    )
    oracle = OraclePolicy(
        oracle_targets, mode=mode, warnings=warnings, pause_statuses=pause_statuses, honor_flags=honor
    )
    return policy, oracle, windows


def as_oracle(report: SLAReport) -> dict[str, list[OracleCycle]]:
    return {
        metric.metric: [
            OracleCycle(
                state=c.state.value,
                priority=c.priority,
                target=c.target,
                started_at=c.started_at,
                stopped_at=c.stopped_at,
                due_at=c.due_at,
                breach_at=c.breach_at,
                elapsed=c.elapsed,
                ever_breached=c.ever_breached,
                paused=[(p.start, p.end) for p in c.paused],
                warnings=[(w.percent, w.at, w.reached) for w in c.warnings],
                carried=c.carried,
            )
            for c in metric.cycles
        ]
        for metric in report.metrics
    }


@given(policies(), histories(), st.integers(0, 4000))
def test_evaluate_agrees_with_the_second_by_second_oracle(
    drawn: tuple[SLAPolicy, OraclePolicy, tuple[tuple[int, int], ...]], events: list[Event], after: int
) -> None:
    policy, oracle_policy, windows = drawn
    now = events[-1].at + timedelta(seconds=after)
    expected = Oracle(oracle_policy, open_at_from(membership(windows))).evaluate(events, now)
    assert as_oracle(policy.evaluate(events, now=now)) == expected


@given(policies(), histories(), st.data())
def test_evaluating_at_now_equals_evaluating_the_history_cut_at_now(
    drawn: tuple[SLAPolicy, OraclePolicy, tuple[tuple[int, int], ...]],
    events: list[Event],
    data: st.DataObject,
) -> None:
    policy = drawn[0]
    span = int((events[-1].at - events[0].at).total_seconds())
    now = events[0].at + timedelta(seconds=data.draw(st.integers(0, span + 600)))
    cut = [event for event in events if event.at <= now]
    assert policy.evaluate(events, now=now) == policy.evaluate(cut, now=now)


@given(policies(), histories(), st.integers(0, 4000))
def test_replaying_gives_the_same_report_and_reports_round_trip_through_the_codec(
    drawn: tuple[SLAPolicy, OraclePolicy, tuple[tuple[int, int], ...]], events: list[Event], after: int
) -> None:
    policy = drawn[0]
    now = events[-1].at + timedelta(seconds=after)
    report = policy.evaluate(events, now=now)
    replayed = codec.load(list[Event], codec.dump(events))
    assert policy.evaluate(replayed, now=now) == report
    assert codec.load(SLAReport, codec.dump(report)) == report
    assert codec.load(SLAPolicy, codec.dump(policy)) == policy


@given(policies(), histories(), st.integers(0, 4000))
def test_an_evaluated_report_behaves_as_one_built_from_its_values(
    drawn: tuple[SLAPolicy, OraclePolicy, tuple[tuple[int, int], ...]], events: list[Event], after: int
) -> None:
    # An evaluation hands its metrics over packed and builds the values when first read: every way of reading a
    # report must give what the report built from those values gives, whether or not they were read before.
    policy = drawn[0]
    now = events[-1].at + timedelta(seconds=after)

    def fresh() -> SLAReport:
        return policy.evaluate(events, now=now)

    read = fresh()
    built = SLAReport(read.ticket_id, read.policy, read.evaluated_at, read.priority, read.metrics, read.match)
    assert read.metrics is read.metrics
    assert fresh() == built
    assert built == fresh()
    assert hash(fresh()) == hash(built)
    assert repr(fresh()) == repr(built)
    assert fresh().ever_breached == built.ever_breached == any(m.ever_breached for m in built.metrics)
    assert pickle.loads(pickle.dumps(fresh())) == built
    assert codec.dump(fresh()) == codec.dump(built)
    assert attrs.evolve(fresh(), policy="other") == attrs.evolve(built, policy="other")
    assert compliance([fresh(), read]) == compliance([built, built])
    horizon = timedelta(seconds=4000)
    assert upcoming([fresh()], now=now, within=horizon) == upcoming([built], now=now, within=horizon)
    match fresh():
        case SLAReport(ticket_id, _, _, _, metrics):
            assert (ticket_id, metrics) == (built.ticket_id, built.metrics)


@pytest.mark.skipif(
    platform.python_implementation() != "CPython", reason="counts CPython's collector's objects"
)
def test_a_kept_report_gives_the_garbage_collector_two_objects_to_walk() -> None:
    # Why reports are packed: a batch job keeps every report, and each object the collector tracks is walked by
    # every full collection. Untracking the plain tuples takes a collection per level of nesting.
    policy = SLAPolicy("p", {name: MetricTargets(default=timedelta(hours=1)) for name in CATALOGUE})
    opened_at = datetime(2025, 3, 3, 9, tzinfo=UTC)
    events = [Opened(ticket_id="T-1", seq=1, at=opened_at, actor=REQUESTER, requester="cy")]
    report = policy.evaluate(events, now=datetime(2025, 3, 4, tzinfo=UTC))
    for _ in range(3):
        gc.collect()
    shared = {id(report.match)}
    tracked, todo, seen = 0, [report], set(shared)
    while todo:
        item = todo.pop()
        if id(item) in seen or not gc.is_tracked(item) or isinstance(item, type):
            continue
        seen.add(id(item))
        tracked += 1
        todo.extend(gc.get_referents(item))
    assert tracked == 2  # the report and its packed metrics
    assert report.metric("resolution").current is not None


def _without_pauses(events: list[Event]) -> list[Event]:
    """The same history with every status change turned into one that does not pause."""
    return [
        attrs.evolve(e, to_status="open", to_category=Category.OPEN, pauses_sla=False)
        if isinstance(e, StatusChanged) and e.to_category not in (Category.SOLVED, Category.CLOSED)
        else e
        for e in events
    ]


@given(policies(), histories(), st.integers(0, 4000))
def test_pausing_never_shortens_a_due_date(
    drawn: tuple[SLAPolicy, OraclePolicy, tuple[tuple[int, int], ...]], events: list[Event], after: int
) -> None:
    policy = attrs.evolve(drawn[0], on_priority_change="recompute")
    now = events[-1].at + timedelta(seconds=after)
    paused = policy.evaluate(events, now=now)
    unpaused = policy.evaluate(_without_pauses(events), now=now)
    for name in ("resolution", "agent_work", "requester_wait"):
        if name not in policy.metrics:
            continue
        with_pauses, without = paused.metric(name).cycles, unpaused.metric(name).cycles
        if not (with_pauses and without):
            continue
        assert with_pauses[0].elapsed <= without[0].elapsed
        if with_pauses[0].active and with_pauses[0].due_at and without[0].active and without[0].due_at:
            assert with_pauses[0].due_at >= without[0].due_at
            assert with_pauses[0].breach_at >= without[0].breach_at  # type: ignore[operator]


@given(policies(), policies(), histories(), st.integers(0, 4000))
def test_changing_the_policy_needs_nothing_but_the_events(
    first: tuple[SLAPolicy, OraclePolicy, tuple[tuple[int, int], ...]],
    second: tuple[SLAPolicy, OraclePolicy, tuple[tuple[int, int], ...]],
    events: list[Event],
    after: int,
) -> None:
    now = events[-1].at + timedelta(seconds=after)
    first[0].evaluate(events, now=now)
    expected = Oracle(second[1], open_at_from(membership(second[2]))).evaluate(events, now)
    assert as_oracle(second[0].evaluate(events, now=now)) == expected


def test_every_builtin_metric_is_covered_by_the_oracle() -> None:
    assert set(METRICS) == set(CATALOGUE)


@given(day_windows(), st.integers(0, 7 * 86_400 - 1))
def test_the_oracles_reading_of_each_calendar_agrees_with_is_open(
    windows: tuple[tuple[int, int], ...], second: int
) -> None:
    at = BASE + timedelta(seconds=second)
    assert calendar_of(windows).is_open(at) is bool(membership(windows)[second % 86_400])
