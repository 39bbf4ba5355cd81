"""Workflow configuration: validation errors with paths, codec round trips, guard registry, fuzzing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import AGENT
from test_lifecycle_support import History
from ticketcore.codec import dump, load
from ticketcore.errors import ConfigError, GuardRefused
from ticketcore.lifecycle import (
    Anchor,
    Category,
    Status,
    SystemRules,
    Timer,
    Transition,
    Workflow,
    default_workflow,
    itil_incident_workflow,
    known_guards,
    register_guard,
    unregister_guard,
)
from ticketcore.model import Actor, Ticket


def small() -> dict[str, Any]:
    """A valid custom workflow as configuration data."""
    return {
        "statuses": [
            {"name": "new", "category": "new", "default_for_new": True},
            {"name": "working", "category": "open"},
            {"name": "waiting", "category": "pending"},
            {"name": "done", "category": "solved"},
            {"name": "closed", "category": "closed"},
        ],
        "transitions": [
            {"action": "take", "sources": ["new"], "target": "working"},
            {"action": "ask", "sources": ["working"], "target": "waiting"},
            {"action": "finish", "sources": ["working", "waiting"], "target": "done"},
            {"action": "close", "sources": ["done"], "target": "closed", "roles": ["supervisor", "system"]},
        ],
        "timers": [
            {
                "name": "auto_close",
                "after": "P2D",
                "category": "solved",
                "since": "solved_at",
                "action": "close",
            }
        ],
    }


def test_a_workflow_loads_from_data_and_dumps_back() -> None:
    workflow = load(Workflow, small())
    assert workflow.initial_status.name == "new"
    assert workflow.timer_rules[0] == Timer(
        "auto_close", timedelta(days=2), category=Category.SOLVED, since=Anchor.SOLVED, action="close"
    )
    data = dump(workflow)
    assert data["timers"][0]["after"] == "P2D"
    assert "guards" not in data
    assert load(Workflow, json.loads(json.dumps(data))) == workflow


@pytest.mark.parametrize("make", [default_workflow, itil_incident_workflow])
def test_presets_round_trip(make: Callable[[], Workflow]) -> None:
    workflow = make()
    assert load(Workflow, json.loads(json.dumps(dump(workflow)))) == workflow


def _edit(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = small()
    change(data)
    return data


def _set(path: list[str | int], value: object) -> Callable[[dict[str, Any]], object]:
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return change


CASES: list[tuple[str, Callable[[dict[str, Any]], object], str, str]] = [
    ("no statuses", _set(["statuses"], []), "statuses", "needs statuses"),
    (
        "duplicate status",
        lambda d: d["statuses"].append({"name": "working", "category": "open"}),
        "statuses[5].name",
        "duplicate status name 'working' (also statuses[1])",
    ),
    ("no closed status", lambda d: d["statuses"].pop(4), "statuses", "no status in the 'closed' category"),
    (
        "unknown category",
        _set(["statuses", 1, "category"], "busy"),
        "statuses[1].category",
        "'busy' is not a valid",
    ),
    (
        "two initials",
        _set(["statuses", 1, "default_for_new"], True),
        "statuses[1].default_for_new",
        "exactly one status is the initial one",
    ),
    ("no initial", _set(["statuses", 0, "default_for_new"], False), "initial", "no initial status"),
    (
        "unknown initial",
        lambda d: (d["statuses"][0].update(default_for_new=False), d.update(initial="start")),
        "initial",
        "unknown status 'start'",
    ),
    ("initial disagrees", _set(["initial"], "working"), "initial", "marked default_for_new"),
    (
        "solved initial",
        lambda d: (d["statuses"][0].update(default_for_new=False), d.update(initial="done")),
        "initial",
        "starts unsolved",
    ),
    (
        "follow-up not open",
        _set(["statuses", 2, "default_for_follow_up"], True),
        "statuses[2].default_for_follow_up",
        "'open' status",
    ),
    (
        "two follow-ups",
        lambda d: (
            d["statuses"][1].update(default_for_follow_up=True),
            d["statuses"].append({"name": "x", "category": "open", "default_for_follow_up": True}),
        ),
        "statuses[5].default_for_follow_up",
        "mark one",
    ),
    (
        "unknown target",
        _set(["transitions", 3, "target"], "archived"),
        "transitions[3].target",
        "unknown status 'archived'",
    ),
    (
        "unknown source",
        _set(["transitions", 1, "sources"], ["working", "limbo"]),
        "transitions[1].sources[1]",
        "unknown status 'limbo'",
    ),
    (
        "exit from closed",
        _set(["transitions", 2, "sources"], ["working", "closed"]),
        "transitions[2].sources[1]",
        "'closed' status",
    ),
    (
        "back to new",
        _set(["transitions", 1, "target"], "new"),
        "transitions[1].target",
        "nothing returns to 'new'",
    ),
    (
        "duplicate action",
        lambda d: d["transitions"].append({"action": "ask", "sources": ["working"], "target": "done"}),
        "transitions[4].sources[0]",
        "already defined by transitions[1]",
    ),
    ("no sources", _set(["transitions", 0, "sources"], []), "transitions[0].sources", "no source statuses"),
    (
        "sources as a string",
        _set(["transitions", 0, "sources"], "new"),
        "transitions[0].sources",
        "expected a list",
    ),
    ("no roles", _set(["transitions", 0, "roles"], []), "transitions[0].roles", "nobody may take"),
    (
        "unknown role",
        _set(["transitions", 0, "roles"], ["agent", "boss"]),
        "transitions[0].roles[1]",
        "'boss' is not a valid Role",
    ),
    (
        "unknown guard",
        _set(["transitions", 2, "guards"], ["has_assignee", "vip_only"]),
        "transitions[2].guards[1]",
        "unknown guard 'vip_only'; known guards: has_assignee, requester_confirmed",
    ),
    ("reserved action", _set(["transitions", 0, "action"], "requester_reply"), "transitions[0]", "reserved"),
    ("empty action", _set(["transitions", 0, "action"], " "), "transitions[0].action", "non-empty"),
    (
        "unreachable",
        lambda d: d["statuses"].append({"name": "limbo", "category": "open"}),
        "statuses[5]",
        "status 'limbo' is unreachable from the initial status 'new'",
    ),
    (
        "trap",
        lambda d: (
            d["statuses"].append({"name": "trap", "category": "open"}),
            d["transitions"].append({"action": "park", "sources": ["working"], "target": "trap"}),
        ),
        "statuses[5]",
        "status 'trap' cannot reach a 'closed' status",
    ),
    ("unknown field", _set(["statuses", 0, "colour"], "red"), "statuses[0]", "unknown field(s) 'colour'"),
    (
        "timer duplicate",
        lambda d: d["timers"].append(dict(d["timers"][0])),
        "timers[1].name",
        "duplicate timer",
    ),
    ("timer zero", _set(["timers", 0, "after"], "PT0S"), "timers[0].after", "positive duration"),
    ("timer bad duration", _set(["timers", 0, "after"], "soon"), "timers[0].after", "is not a duration"),
    (
        "timer both",
        _set(["timers", 0, "status"], "done"),
        "timers[0]",
        "exactly one of 'status' or 'category'",
    ),
    (
        "timer unknown status",
        lambda d: (d["timers"][0].pop("category"), d["timers"][0].update(status="x")),
        "timers[0].status",
        "unknown status 'x'",
    ),
    (
        "timer empty category",
        _set(["timers", 0, "category"], "on_hold"),
        "timers[0].category",
        "no status is in the 'on_hold' category",
    ),
    (
        "timer on closed",
        lambda d: d["timers"].append({"name": "n", "after": "1h", "category": "closed"}),
        "timers[1]",
        "closed tickets never change",
    ),
    (
        "timer action missing",
        _set(["timers", 0, "action"], "ask"),
        "timers[0].action",
        "no transition offers from 'done'",
    ),
    (
        "timer bad anchor",
        _set(["timers", 0, "since"], "lunch"),
        "timers[0].since",
        "'lunch' is not a valid Anchor",
    ),
    (
        "reply without open",
        lambda d: d["statuses"][1].update(category="on_hold"),
        "rules.reply_reopens",
        "there is none",
    ),
    (
        "reply from new",
        _set(["rules"], {"reply_reopens_from": ["new", "solved"]}),
        "rules.reply_reopens_from",
        "'new'",
    ),
    (
        "reply from closed",
        _set(["rules"], {"reply_reopens_from": ["closed"]}),
        "rules.reply_reopens_from",
        "closed tickets are immutable unless closed_immutable is false",
    ),
]


@pytest.mark.parametrize(
    ("change", "path", "text"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_each_validation_error_names_its_path(
    change: Callable[[dict[str, Any]], object], path: str, text: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(Workflow, _edit(change))
    assert caught.value.path == path, str(caught.value)
    assert text in caught.value.problem


def test_the_same_checks_run_when_built_in_code() -> None:
    statuses = [
        Status("new", Category.NEW, default_for_new=True),
        Status("open", Category.OPEN),
        Status("closed", Category.CLOSED),
    ]
    with pytest.raises(ConfigError) as caught:
        Workflow(statuses, [Transition("close", ["new"], "closed"), Transition("undo", ["closed"], "new")])
    assert caught.value.path == "transitions[1].target"
    assert "transitions[1].target:" in str(caught.value)
    with pytest.raises(ConfigError, match="write \\['new'\\]"):
        Transition("close", "new", "closed")


def test_closed_exits_and_returns_to_new_are_allowed_when_their_rules_are_off() -> None:
    rules = SystemRules(
        closed_immutable=False, never_back_to_new=False, reply_reopens_from=frozenset({"closed"})
    )
    workflow = Workflow(
        [
            Status("new", Category.NEW, default_for_new=True),
            Status("open", Category.OPEN),
            Status("closed", Category.CLOSED),
        ],
        [
            Transition("go", ["new"], "open"),
            Transition("close", ["open"], "closed"),
            Transition("redo", ["closed"], "new"),
        ],
        rules=rules,
    )
    history = History(workflow)
    history.act("go")
    history.act("close")
    assert history.workflow.allowed(history.ticket, AGENT) == ["redo"]
    assert len(history.reply()) == 2, "Freshdesk-style: a reply reopens even a closed ticket"
    assert history.ticket.status == "open"
    assert load(Workflow, dump(workflow)) == workflow


def test_guards_registered_in_code_are_usable_from_configuration() -> None:
    def vip_only(ticket: Ticket, actor: Actor) -> str | None:
        return None if ticket.segment == "vip" else f"segment {ticket.segment!r} is not 'vip'"

    data = _edit(_set(["transitions", 0, "guards"], ["vip_only"]))
    register_guard("vip_only", vip_only)
    try:
        assert "vip_only" in known_guards()
        workflow = load(Workflow, data)
        with pytest.raises(ConfigError, match="already registered"):
            register_guard("vip_only", vip_only)
        register_guard("vip_only", vip_only, replace=True)
    finally:
        unregister_guard("vip_only")
    assert "vip_only" not in known_guards()
    history = History(workflow)
    with pytest.raises(GuardRefused) as caught:
        history.act("take")
    assert caught.value.guard == "vip_only"
    assert "segment None is not 'vip'" in str(caught.value)
    with pytest.raises(ConfigError, match="unknown guard 'vip_only'"):
        load(Workflow, data)


def test_workflow_local_guards_are_code_only_and_not_dumped() -> None:
    parts = load(Workflow, small())
    transitions = (Transition("take", ["new"], "working", guards=["never"]), *parts.transitions[1:])
    workflow = Workflow(
        parts.statuses, transitions, timers=parts.timer_rules, guards={"never": lambda t, a: "no"}
    )
    assert workflow.allowed(History(workflow).ticket, AGENT) == []
    assert "guards" not in dump(workflow)
    with pytest.raises(ConfigError, match="unknown guard 'never'"):
        load(Workflow, dump(workflow))


def test_local_guards_must_be_callable() -> None:
    default = default_workflow()
    with pytest.raises(ConfigError, match="guard 'vip' must be a callable"):
        Workflow(default.statuses, default.transitions, guards={"vip": "segment == 'vip'"})  # type: ignore[dict-item]


def test_built_in_guards_cannot_be_replaced() -> None:
    with pytest.raises(ConfigError, match="built-in"):
        register_guard("has_assignee", lambda t, a: None, replace=True)
    with pytest.raises(ConfigError, match="built-in"):
        unregister_guard("requester_confirmed")
    with pytest.raises(ConfigError, match="no guard named 'nope'"):
        unregister_guard("nope")


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.text(max_size=6)
    | st.sampled_from(["new", "open", "P1D"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
KEYS = [
    "statuses",
    "transitions",
    "timers",
    "rules",
    "initial",
    "name",
    "category",
    "action",
    "sources",
    "target",
    "roles",
    "guards",
    "after",
    "since",
    "status",
    "default_for_new",
    "reply_reopens_from",
]


@given(JSON)
def test_loading_arbitrary_data_raises_only_config_error(data: object) -> None:
    try:
        load(Workflow, data)
    except ConfigError:
        pass


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(_paths(value, (*prefix, i)))
    return found


@given(st.data())
def test_mutated_valid_configuration_raises_only_config_error(data: st.DataObject) -> None:
    config = copy.deepcopy(dump(default_workflow()))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(config)
        path = data.draw(st.sampled_from(paths))
        parent: Any = config
        for step in path[:-1]:
            parent = parent[step]
        replacement = data.draw(
            JSON | st.sampled_from(KEYS) | st.sampled_from(["closed", "solved", "pending"])
        )
        if isinstance(parent, list) and data.draw(st.booleans()):
            parent.pop(path[-1])
        else:
            parent[path[-1]] = replacement
        if isinstance(parent, dict) and data.draw(st.booleans()):
            parent[data.draw(st.sampled_from(KEYS))] = replacement
    try:
        workflow = load(Workflow, config)
    except ConfigError:
        return
    assert load(Workflow, dump(workflow)) == workflow
