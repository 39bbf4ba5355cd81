"""The values an evaluation hands out stay plain values: shared matches, reasons, UTC instants (public names only)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import AGENT, REQUESTER
from ticketcore.codec import dump, load
from ticketcore.errors import ConfigError
from ticketcore.model import Category, Event, Opened, Replied, StatusChanged
from ticketcore.sla import CycleReport, PolicyConditions, PolicyMatch, SLAPolicySet

ROME = ZoneInfo("Europe/Rome")
SET = {
    "policies": [
        {
            "name": "eu",
            "when": {"region": ["EU"], "channel": ["email", "web"]},
            "calendar": {"tz": "Europe/Rome", "hours": {"mon": ["09:00-18:00"], "tue": ["09:00-18:00"]}},
            "metrics": {"first_response": {"default": "2h"}, "resolution": {"default": "8h"}},
        },
        {"name": "default", "metrics": {"first_response": {"default": "4h"}}},
    ]
}


def history(ticket: str, region: str | None, start: datetime) -> list[Event]:
    """Opened Monday morning, an agent asks a question (pending), the requester answers, the agent replies."""
    moves = [
        ("new", Category.NEW, "pending", Category.PENDING),
        ("pending", Category.PENDING, "open", Category.OPEN),
    ]
    events: list[Event] = [
        Opened(
            ticket_id=ticket, seq=1, at=start, actor=REQUESTER, requester="cy", channel="email", region=region
        )
    ]
    events.append(Replied(ticket_id=ticket, seq=2, at=start + timedelta(minutes=30), actor=AGENT))
    for offset, (before, before_category, after, after_category) in zip((40, 300), moves, strict=True):
        events.append(
            StatusChanged(
                ticket_id=ticket,
                seq=len(events) + 1,
                at=start + timedelta(minutes=offset),
                actor=AGENT if after == "pending" else REQUESTER,
                from_status=before,
                from_category=before_category,
                to_status=after,
                to_category=after_category,
            )
        )
    return events


def test_equal_matches_across_tickets_and_the_set_is_unchanged_by_evaluating() -> None:
    policies = load(SLAPolicySet, SET)
    monday = datetime(2025, 3, 3, 9, 15, tzinfo=ROME)
    now = monday + timedelta(days=1)
    first = policies.evaluate(history("T-1", "EU", monday), now=now)
    second = policies.evaluate(history("T-2", "EU", monday + timedelta(hours=1)), now=now)
    other = policies.evaluate(history("T-3", None, monday), now=now)

    expected = PolicyMatch(
        "eu", 0, ("channel 'email' is one of ['email', 'web']", "region 'EU' is one of ['EU']")
    )
    assert first.match == second.match == expected
    assert other.match == PolicyMatch("default", 1, ("no conditions: matches every ticket",))
    assert policies.select(history("T-4", "EU", monday), now=now) == (policies.policies[0], expected)
    # Evaluating leaves the set an equal value: it dumps as before and survives evolve and a round trip.
    assert load(SLAPolicySet, dump(policies)) == policies == load(SLAPolicySet, SET)
    assert attrs.evolve(policies) == policies


def test_an_unknown_key_names_only_the_fields_a_user_can_write() -> None:
    with pytest.raises(ConfigError) as raised:
        load(SLAPolicySet, {"policies": [{"name": "a", "metrics": {}, "when": {"chanel": ["chat"]}}]})
    assert raised.value.path == "policies[0].when"
    assert raised.value.problem.endswith(
        "valid fields: channel, priority, segment, region, country, language, group, tags, any_tags, fields"
    )
    with pytest.raises(ConfigError) as raised:
        load(SLAPolicySet, {"policies": [{"name": "a", "metrics": {}}], "polices": []})
    assert raised.value.problem.endswith("valid fields: policies")


def test_report_instants_are_utc_whatever_zone_the_events_were_written_in() -> None:
    policies = load(SLAPolicySet, SET)
    monday = datetime(2025, 3, 3, 9, 15, tzinfo=ROME)
    report = policies.evaluate(history("T-1", "EU", monday), now=monday + timedelta(days=1))
    resolution = report.metric("resolution").cycles[0]
    assert resolution.started_at == monday
    assert [(p.start, p.end) for p in resolution.paused] == [
        (monday + timedelta(minutes=40), monday + timedelta(minutes=300))
    ]
    instants = [resolution.started_at, resolution.due_at, resolution.breach_at, report.evaluated_at]
    instants += [p.start for p in resolution.paused] + [w.at for w in resolution.warnings]
    assert all(value is not None and value.tzinfo is UTC for value in instants)
    assert resolution.elapsed + resolution.remaining == resolution.target == timedelta(hours=8)


def reference_reasons(
    conditions: PolicyConditions, attributes: Mapping[str, object]
) -> tuple[str, ...] | None:
    """The reasons written out plainly, one condition at a time."""
    reasons: list[str] = []
    for name in ("channel", "priority", "segment", "region", "country", "language", "group"):
        accepted: frozenset[object] = getattr(conditions, name)
        if accepted:
            value = attributes.get(name)
            if value not in accepted:
                return None
            reasons.append(f"{name} {value!r} is one of {sorted(accepted, key=repr)!r}")
    tags: frozenset[str] = attributes.get("tags", frozenset())  # type: ignore[assignment]
    if conditions.tags:
        if not conditions.tags <= tags:
            return None
        reasons.append(f"tags include all of {sorted(conditions.tags)!r}")
    if conditions.any_tags:
        if not conditions.any_tags & tags:
            return None
        reasons.append(f"tags include {sorted(conditions.any_tags & tags)!r}")
    fields: Mapping[str, object] = attributes.get("fields", {})  # type: ignore[assignment]
    for key, options in sorted(conditions.fields.items()):
        if fields.get(key) not in options:
            return None
        reasons.append(f"field {key!r} = {fields.get(key)!r} is one of {sorted(options, key=repr)!r}")
    return tuple(reasons) or ("no conditions: matches every ticket",)


WORDS = st.sampled_from(["a", "b", "c"])
SOME = st.frozensets(WORDS, max_size=2)


@given(
    st.builds(
        PolicyConditions,
        channel=SOME,
        priority=st.frozensets(st.integers(1, 3), max_size=2),
        region=SOME,
        group=SOME,
        tags=SOME,
        any_tags=SOME,
        fields=st.dictionaries(
            WORDS, st.frozensets(st.one_of(st.none(), st.integers(0, 2), WORDS), max_size=2)
        ),
    ),
    st.fixed_dictionaries(
        {
            "channel": st.one_of(st.none(), WORDS),
            "priority": st.one_of(st.none(), st.integers(1, 3)),
            "region": st.one_of(st.none(), WORDS),
            "group": st.one_of(st.none(), WORDS),
            "tags": SOME,
            "fields": st.dictionaries(WORDS, st.one_of(st.integers(0, 2), WORDS)),
        }
    ),
)
def test_explain_gives_the_reasons_written_out_plainly(
    conditions: PolicyConditions, attributes: dict[str, object]
) -> None:
    assert conditions.explain(attributes) == reference_reasons(conditions, attributes)


def test_report_values_round_trip_and_are_frozen() -> None:
    policies = load(SLAPolicySet, SET)
    monday = datetime(2025, 3, 3, 9, 15, tzinfo=ROME)
    report = policies.evaluate(history("T-1", "EU", monday), now=monday + timedelta(days=1))
    cycles = [cycle for metric in report.metrics for cycle in metric.cycles]
    assert cycles
    for cycle in cycles:
        assert load(CycleReport, dump(cycle)) == cycle
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            cycle.elapsed = timedelta(0)  # type: ignore[misc]
    # The history pauses, so paused intervals take part in the round trip.
    assert report.metric("resolution").cycles[0].paused
    assert load(type(report), dump(report)) == report


def test_each_policy_set_shares_its_own_matches() -> None:
    monday = datetime(2025, 3, 3, 9, 15, tzinfo=ROME)
    now = monday + timedelta(days=1)
    one, two = load(SLAPolicySet, SET), load(SLAPolicySet, SET)
    first = one.evaluate(history("T-1", "EU", monday), now=now)
    again = one.evaluate(history("T-2", "EU", monday), now=now)
    other_set = two.evaluate(history("T-3", "EU", monday), now=now)
    assert first.match is again.match  # one shared value within a set
    assert other_set.match == first.match
    assert other_set.match is not first.match  # no cache crosses sets
    assert one == two
    assert dump(one) == dump(two) == dump(load(SLAPolicySet, SET))
