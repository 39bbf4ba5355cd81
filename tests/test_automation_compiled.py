"""The trigger engine's speed-ups agree with the plain reading of the rules: compiled conditions with the condition
interpreter, the tag index with checking every rule's required tags, and the filters that skip the rules that cannot
hold on an update (and a whole replay with them) with checking every rule."""

from __future__ import annotations

from datetime import timedelta

import attrs
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from helpers import T0
from ticketcore._automation.conditions import Facts, failed_condition, update_facts
from ticketcore._automation.engine import Triggers
from ticketcore.automation import (
    UPDATE_FIELDS,
    Action,
    AutomationSet,
    Condition,
    Conditions,
    Rule,
    Schedule,
    Simulation,
)
from ticketcore.errors import ConfigError
from ticketcore.model import (
    Actor,
    Event,
    NoteAdded,
    Opened,
    Replied,
    Role,
    TagsChanged,
    Ticket,
    TimerFired,
)

TAGS = ("vip", "outage", "billing")
VALUES: dict[str, list[object]] = {
    "status": ["new", "open", "pending"],
    "category": ["new", "open", "pending"],
    "channel": ["email", "chat"],
    "segment": ["vip", "standard", None],
    "priority": [1, 2, 3, None],
    "tier": [1, 2, 3],
    "group": ["eu", "us", None],
    "fields.plan": ["gold", "free", 3, None],
    "tags": list(TAGS),
    **{name: [True, False] for name in sorted(UPDATE_FIELDS)},
}
OPERATORS = [
    "is",
    "is_not",
    "in",
    "not_in",
    "includes",
    "less_than",
    "greater_than",
    "present",
    "changed",
    "changed_to",
    "changed_from",
]


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    field = draw(st.sampled_from(sorted(VALUES)))
    operator = draw(st.sampled_from(OPERATORS))
    options = VALUES[field]
    value: object
    if operator in ("in", "not_in"):
        value = draw(st.lists(st.sampled_from(options), max_size=3))
    elif operator == "present":
        value = draw(st.booleans())
    elif operator in ("less_than", "greater_than"):
        value = draw(st.integers(0, 4))
    elif operator == "includes" and field == "tags":
        value = draw(st.sampled_from(TAGS) | st.lists(st.sampled_from(TAGS), min_size=1, max_size=2))
    else:
        value = draw(st.sampled_from(options))
    try:
        return Condition(field, operator, value)
    except ConfigError:
        assume(False)
        raise


@st.composite
def tickets(draw: st.DrawFn) -> Ticket:
    status = draw(st.sampled_from(["new", "open", "pending"]))
    ticket = Ticket.from_events(
        [
            Opened(
                ticket_id="T-1",
                seq=1,
                at=T0,
                actor=Actor("cy", Role.REQUESTER),
                requester="cy",
                channel=draw(st.sampled_from(["email", "chat"])),
                segment=draw(st.sampled_from(["vip", "standard", None])),
                priority=draw(st.sampled_from([1, 2, 3, None])),
                group=draw(st.sampled_from(["eu", "us", None])),
                tags=draw(st.frozensets(st.sampled_from(TAGS))),
                fields=draw(
                    st.dictionaries(st.sampled_from(["plan", "tier"]), st.sampled_from(["gold", 2, 3]))
                ),
            )
        ]
    )
    return attrs.evolve(ticket, status=status)


ACTORS = [Actor("cy", Role.REQUESTER), Actor("ada", Role.AGENT), Actor("automation:r", Role.SYSTEM)]


@st.composite
def updates(draw: st.DrawFn) -> list[Event]:
    """A few events of any kind the ``update.*`` fields read (their seq and order do not matter to them)."""
    events: list[Event] = []
    for kind, actor in draw(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(ACTORS)), max_size=3)):
        head = {"ticket_id": "T-1", "seq": len(events) + 1, "at": T0, "actor": actor}
        if kind == 0:
            events.append(Opened(**head, requester="cy"))  # type: ignore[arg-type]
        elif kind == 1:
            events.append(NoteAdded(**head))  # type: ignore[arg-type]
        else:
            events.append(Replied(**head, public=kind == 2))  # type: ignore[arg-type]
    return events


def _update_value(name: str, events: list[Event]) -> bool:
    """The obvious reading of each ``update.*`` field, one field at a time."""
    if name == "update.created":
        return any(isinstance(e, Opened) for e in events)
    if name == "update.note_added":
        return any(isinstance(e, NoteAdded) or (isinstance(e, Replied) and not e.public) for e in events)
    public = [e for e in events if isinstance(e, Replied) and e.public]
    if name == "update.requester_replied":
        return any(e.actor.role is Role.REQUESTER for e in public)
    return any(e.actor.role.is_staff for e in public)


@given(updates())
def test_the_update_facts_are_read_in_one_pass(events: list[Event]) -> None:
    assert update_facts(events) == {name for name in UPDATE_FIELDS if _update_value(name, events)}


@given(
    st.lists(conditions(), max_size=3),
    st.lists(conditions(), max_size=2),
    tickets(),
    st.none() | tickets(),
    updates(),
)
@settings(max_examples=300, deadline=None)
def test_compiled_conditions_agree_with_the_interpreter(
    all_: list[Condition], any_: list[Condition], ticket: Ticket, before: Ticket | None, update: list[Event]
) -> None:
    rules = Rule("r", Conditions(all=all_, any=any_), [Action("note", text="n")])
    facts = Facts(ticket, before, update, T0)
    assert rules.check(facts) == failed_condition(rules.conditions, facts)
    # A rule whose conditions hold is never filtered out as impossible on this update.
    if rules.check(facts) is None:
        had = frozenset() if before is None else before.tags
        assert Triggers([rules]).possible(ticket.tags, ticket.tags - had, update_facts(update)) == [rules]


@given(
    st.lists(st.lists(st.sampled_from(TAGS), max_size=2), max_size=8),
    st.frozensets(st.sampled_from(TAGS)),
)
@settings(max_examples=100, deadline=None)
def test_the_tag_index_finds_exactly_the_rules_whose_tags_the_ticket_has(
    needs: list[list[str]], tags: frozenset[str]
) -> None:
    rules = [
        Rule(
            f"r{index}",
            Conditions(all=[Condition("tags", "includes", tag) for tag in wanted]),
            [Action("note", text="n")],
        )
        for index, wanted in enumerate(needs)
    ]
    assert Triggers(rules).candidates(tags) == [rule for rule in rules if rule.needs_tags <= tags]


def test_a_rule_set_says_whether_it_reads_the_sla() -> None:
    from ticketcore.automation import AutomationSet, Macro, pending_reminder, sla_warning, vip_escalation

    assert not AutomationSet(rules=[pending_reminder(), vip_escalation()]).reads_sla
    assert AutomationSet(rules=[vip_escalation(), sla_warning("resolution", 75)]).reads_sla
    due = Macro("due", [Action("reply", text={"en": "Due {sla.resolution.due}"})])
    assert AutomationSet(macros=[due]).reads_sla
    assert not AutomationSet(macros=[Macro("hi", [Action("reply", text="Hi {requester}")])]).reads_sla


def test_a_rule_set_pickles_with_its_compiled_rules() -> None:
    import pickle

    from ticketcore.automation import AutomationSet, pending_reminder, vip_escalation

    rules = AutomationSet(rules=[vip_escalation(), pending_reminder()])
    again = pickle.loads(pickle.dumps(rules))
    assert again == rules
    facts = Facts(
        Ticket.from_events(
            [
                Opened(
                    ticket_id="T-1",
                    seq=1,
                    at=T0,
                    actor=Actor("cy", Role.REQUESTER),
                    requester="cy",
                    segment="vip",
                )
            ]
        ),
        None,
        (),
        T0,
    )
    assert [rule.check(facts) for rule in again.rules] == [rule.check(facts) for rule in rules.rules]
    assert again.triggers == rules.triggers


SIMULATED_CONDITIONS = st.sampled_from(
    [
        Condition("tags", "includes", "vip"),
        Condition("tags", "changed_to", "outage"),
        Condition("tags", "changed_to", ["vip", "billing"]),
        Condition("tags", "changed_from", "billing"),
        Condition("tags", "changed", "vip"),
        Condition("tags", "includes", "auto"),
        Condition("update.requester_replied", "is", True),
        Condition("update.agent_replied", "is", True),
        Condition("update.note_added", "is", True),
        Condition("update.created", "is", False),
        Condition("priority", "is", 2),
    ]
)
SIMULATED_ACTIONS = st.sampled_from(
    [
        Action("add_tags", ["auto"]),
        Action("add_tags", ["outage"]),
        Action("remove_tags", ["vip"]),
        Action("set_priority", 2),
        Action("note", text="on {ticket.id}"),
        Action("reply", text="hello"),
        Action("set_group", "g9"),
    ]
)


@st.composite
def simulated_rules(draw: st.DrawFn) -> AutomationSet:
    specs = draw(
        st.lists(
            st.tuples(
                st.lists(SIMULATED_CONDITIONS, max_size=3),
                st.lists(SIMULATED_ACTIONS, min_size=1, max_size=2),
                st.booleans(),
            ),
            max_size=5,
        )
    )
    rules = [Rule(f"r{i}", Conditions(all=c), a, stop=stop) for i, (c, a, stop) in enumerate(specs)]
    return AutomationSet(rules=rules, max_passes=draw(st.integers(1, 4)))


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    """A stored history: opened, then replies, notes and tag changes, some sharing an instant (one command)."""
    ticket_id = f"T-{draw(st.integers(1, 3))}"
    at = T0
    events: list[Event] = [
        Opened(
            ticket_id=ticket_id,
            seq=1,
            at=at,
            actor=ACTORS[0],
            requester="cy",
            tags=draw(st.frozensets(st.sampled_from(TAGS))),
            priority=draw(st.sampled_from([1, 2, 3, None])),
        )
    ]
    for kind, actor, tag, later in draw(
        st.lists(
            st.tuples(st.integers(0, 4), st.sampled_from(ACTORS[:2]), st.sampled_from(TAGS), st.booleans())
        )
    ):
        at += timedelta(minutes=10) if later else timedelta(0)
        head = {"ticket_id": ticket_id, "seq": len(events) + 1, "at": at, "actor": actor}
        if kind == 0:
            events.append(Replied(**head, body="x"))  # type: ignore[arg-type]
        elif kind == 1:
            events.append(NoteAdded(**head, body="n"))  # type: ignore[arg-type]
        elif kind == 2:
            events.append(Replied(**head, public=False))  # type: ignore[arg-type]
        elif kind == 3:
            events.append(TagsChanged(**head, added=[tag]))  # type: ignore[arg-type]
        else:
            events.append(TagsChanged(**head, removed=[tag]))  # type: ignore[arg-type]
    return events


def _plain(automations: AutomationSet) -> AutomationSet:
    """The same rule set checking every trigger on every update: no index, no filter."""
    plain = attrs.evolve(automations)
    object.__setattr__(plain, "_triggers", Triggers(automations.triggers, index=False))
    return plain


def _seen(simulation: Simulation) -> tuple[object, ...]:
    # AutomationLoop errors compare by identity: compare what they say.
    loops = tuple((ticket, loop.rules, loop.passes, str(loop)) for ticket, loop in simulation.loops)
    return simulation.firings, dict(simulation.histories), loops, simulation.events_replayed


@given(simulated_rules(), st.lists(histories(), max_size=3))
@settings(max_examples=150, deadline=None)
def test_simulate_with_the_filters_equals_checking_every_rule(
    automations: AutomationSet, stored: list[list[Event]]
) -> None:
    until = T0 + timedelta(days=1)
    fast = automations.simulate(stored, until=until)
    assert _seen(fast) == _seen(_plain(automations).simulate(stored, until=until))


TIMED_RULES = st.sampled_from(
    [
        Rule(
            "quiet", actions=[Action("note", text="still there?")], schedule=Schedule(timedelta(minutes=25))
        ),
        Rule(
            "tag_later",
            Conditions(all=[Condition("tags", "includes", "vip")]),
            [Action("add_tags", ["auto"])],
            schedule=Schedule(timedelta(minutes=15), since="created_at"),
        ),
    ]
)


@given(
    simulated_rules(),
    st.lists(TIMED_RULES, max_size=2, unique_by=lambda rule: rule.id),
    st.lists(histories(), max_size=3),
)
@settings(max_examples=150, deadline=None)
def test_a_simulated_history_is_the_stored_events_with_each_firing_in_its_place(
    triggers: AutomationSet, timed: list[Rule], stored: list[list[Event]]
) -> None:
    automations = AutomationSet(rules=[*triggers.rules, *timed], max_passes=triggers.max_passes)
    until = T0 + timedelta(hours=2)
    stored = list({events[0].ticket_id: events for events in stored}.values())
    simulation = automations.simulate(stored, until=until)
    assert len(simulation.histories) == len(stored)
    assert repr(simulation.histories) == repr(dict(simulation.histories))
    timed_ids = {rule.id for rule in timed}
    for events in stored:
        ticket_id = events[0].ticket_id
        history = simulation.histories[ticket_id]
        assert simulation.histories[ticket_id] is history  # built once
        Ticket.from_events(history)  # numbered 1, 2, … and in time order
        # The oracle: a time-based rule fires at its due instant, before a stored command at that instant, or, if
        # its conditions held only later, right after the command that made them hold, as a trigger fires; all in
        # firing order. The stored events end at ``until`` or at the command the rules loop on.
        loop = ticket_id in dict(simulation.loops)
        kept = [event for event in history if not event.actor.id.startswith("automation:")]
        replayed = events[: len(kept)] if loop else [event for event in events if event.at <= until]
        placed: list[tuple[object, ...]] = [
            (event.at, 1, index, event) for index, event in enumerate(replayed)
        ]
        for index, firing in enumerate(f for f in simulation.firings if f.ticket_id == ticket_id):
            on_time = firing.rule in timed_ids and all(
                event.due_at == firing.at for event in firing.events if isinstance(event, TimerFired)
            )
            order = 0 if on_time else 2
            placed += [(firing.at, order, index, n, event) for n, event in enumerate(firing.events)]
        expected = [entry[-1] for entry in sorted(placed, key=lambda entry: entry[:-1])]
        assert [attrs.evolve(event, seq=1) for event in history] == [
            attrs.evolve(event, seq=1)
            for event in expected  # type: ignore[attr-defined]
        ]
