"""HelpDesk runs triggers on every command (in the command's own append) and time-based rules with the timers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import T0, Clock
from ticketcore import codec
from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.automation import AutomationSet, Notification
from ticketcore.desk import HelpDesk
from ticketcore.errors import AutomationLoop, ConfigError
from ticketcore.model import Actor, PriorityChanged, Replied, Role, TimerFired
from ticketcore.sla import MetricTargets, SLAPolicy

ADA = Actor("ada", Role.AGENT)
RULES = codec.load(
    AutomationSet,
    {
        "rules": [
            {
                "id": "vip",
                "conditions": {"all": [{"field": "segment", "operator": "is", "value": "vip"}]},
                "actions": [{"type": "set_priority", "value": 1}, {"type": "set_group", "value": "tier2"}],
            },
            {
                "id": "sla_75",
                "conditions": {
                    "all": [{"field": "sla.resolution.percent", "operator": "greater_than", "value": 75}]
                },
                "actions": [
                    {
                        "type": "notify",
                        "recipient": "group_lead",
                        "text": "{ticket.id} due {sla.resolution.due}",
                    }
                ],
            },
            {
                "id": "pending_reminder",
                "schedule": {"after": "48h"},
                "conditions": {"all": [{"field": "status", "operator": "is", "value": "pending"}]},
                "actions": [{"type": "reply", "text": "Any news, {requester}?"}],
            },
        ],
        "macros": [{"id": "refund", "actions": [{"type": "reply", "text": "Refunded ({ticket.id})"}]}],
    },
)
POLICY = SLAPolicy("std", {"resolution": MetricTargets(default=timedelta(hours=8))})


def desk(store: MemoryStore | SQLiteStore, clock: Clock, sent: list[Notification] | None = None) -> HelpDesk:
    return HelpDesk(
        store, clock=clock, sla=POLICY, automations=RULES, notifications=None if sent is None else sent.append
    )


def test_triggers_go_into_the_commands_own_append_and_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    clock = Clock()
    sent: list[Notification] = []
    first = desk(SQLiteStore(path, tenant="acme"), clock, sent)
    opening = first.open(requester="cy", subject="VPN", segment="vip")
    assert [e.seq for e in opening.events] == [1, 2, 3]
    change = opening.events[1]
    assert isinstance(change, PriorityChanged)
    assert change.actor.id == "automation:vip"
    assert opening.ticket.priority == 1
    assert opening.ticket.group == "tier2"
    first.act("T-1", "accept", ADA)
    first.assign("T-1", ADA, agent="ada")
    clock.now = T0 + timedelta(hours=1)
    first.act("T-1", "wait_for_customer", ADA)
    assert sent == []
    first.store.close()  # type: ignore[attr-defined]

    clock.now = T0 + timedelta(hours=50)
    second = desk(SQLiteStore(path, tenant="acme"), clock, sent)
    fired = second.run_timers()
    again = desk(SQLiteStore(path, tenant="acme"), clock, sent).run_timers()
    assert again == []
    markers = [
        e
        for e in second.events("T-1")
        if isinstance(e, TimerFired) and e.timer == "automation:pending_reminder"
    ]
    assert len(markers) == 1
    replies = [e for e in fired if isinstance(e, Replied)]
    assert [r.body for r in replies] == ["Any news, cy?"]
    # The reminder is the system speaking, not the requester: the ticket stays pending.
    assert second.get("T-1").status == "pending"

    second.act("T-1", "resume", ADA)
    ticket = second.apply_macro("T-1", "refund", ADA)
    last = second.events("T-1")[-1]
    assert isinstance(last, Replied)
    assert last.body == "Refunded (T-1)"
    assert last.actor == ADA
    assert ticket.version == last.seq


def test_sla_notifications_are_handed_to_the_application() -> None:
    clock = Clock()
    sent: list[Notification] = []
    help_desk = desk(MemoryStore("acme"), clock, sent)
    help_desk.open(requester="cy", subject="printer")
    clock.now = T0 + timedelta(hours=7)
    help_desk.note("T-1", ADA, "looking")
    (notification,) = sent
    assert notification.recipient == "group_lead"
    assert notification.ticket_id == "T-1"
    assert notification.text.startswith("T-1 due ")
    assert "5:00" in notification.text  # 17:00 UTC, written by i18n in the ticket's locale


def test_a_failing_listener_does_not_withhold_the_triggers_notifications() -> None:
    clock = Clock()
    sent: list[Notification] = []
    help_desk = desk(MemoryStore("acme"), clock, sent)
    help_desk.open(requester="cy", subject="printer")

    def failing(ticket: object, events: object) -> None:
        raise RuntimeError("the listener's own failure")

    help_desk.subscribe(failing)
    clock.now = T0 + timedelta(hours=7)
    with pytest.raises(RuntimeError, match="the listener's own failure"):
        help_desk.note("T-1", ADA, "looking")
    assert [n.recipient for n in sent] == ["group_lead"]  # owed, as the note and its trigger are stored
    assert help_desk.get("T-1").version == 2


def test_a_looping_rule_set_refuses_the_command_and_stores_nothing() -> None:
    looping = codec.load(
        AutomationSet,
        {
            "rules": [
                {
                    "id": "ping",
                    "conditions": {"all": [{"field": "tags", "operator": "includes", "value": "a"}]},
                    "actions": [
                        {"type": "remove_tags", "value": ["a"]},
                        {"type": "add_tags", "value": ["b"]},
                    ],
                },
                {
                    "id": "pong",
                    "conditions": {"all": [{"field": "tags", "operator": "includes", "value": "b"}]},
                    "actions": [
                        {"type": "remove_tags", "value": ["b"]},
                        {"type": "add_tags", "value": ["a"]},
                    ],
                },
            ]
        },
    )
    store = MemoryStore("acme")
    help_desk = HelpDesk(store, clock=Clock(), automations=looping)
    help_desk.open(requester="cy")
    with pytest.raises(AutomationLoop, match="'ping', 'pong'"):
        help_desk.tag("T-1", ADA, add=["a"])
    assert len(help_desk.events("T-1")) == 1


def test_apply_macro_needs_automations_and_a_known_macro() -> None:
    plain = HelpDesk(MemoryStore("acme"), clock=Clock())
    plain.open(requester="cy")
    with pytest.raises(ConfigError, match="automations"):
        plain.apply_macro("T-1", "refund", ADA)
    with_rules = HelpDesk(MemoryStore("acme"), clock=Clock(), automations=RULES)
    with_rules.open(requester="cy")
    with pytest.raises(ConfigError, match="'refund'"):
        with_rules.apply_macro("T-1", "nope", ADA)


def test_a_router_answers_the_route_action() -> None:
    from ticketcore.routing import Agent, Router

    rules = codec.load(AutomationSet, {"rules": [{"id": "r", "actions": [{"type": "route"}]}]})
    store = MemoryStore("acme")
    help_desk = HelpDesk(
        store,
        clock=Clock(),
        automations=rules,
        router=Router(),
        agents=lambda: [Agent("bo", capacity={"email": 5})],
    )
    opening = help_desk.open(requester="cy", agent="x")
    assert opening.ticket.assignee == "bo"


@given(st.lists(st.integers(0, 200), min_size=1, max_size=6), st.booleans())
@settings(max_examples=25, deadline=None)
def test_firing_is_idempotent_across_runs_and_restarts(hours: list[int], restart: bool) -> None:
    store = MemoryStore("acme")
    clock = Clock()
    desk(store, clock).open(requester="cy")
    help_desk = desk(store, clock)
    help_desk.act("T-1", "wait_for_customer", ADA)
    for hour in sorted(hours):
        clock.now = T0 + timedelta(hours=hour)
        (desk(store, clock) if restart else help_desk).run_timers()
        help_desk.run_timers()
    fired = [(e.timer, e.due_at) for e in store.events("T-1") if isinstance(e, TimerFired)]
    assert len(fired) == len(set(fired))
    reminders = [f for f in fired if f[0] == "automation:pending_reminder"]
    assert len(reminders) == (1 if max(hours) >= 48 else 0)
    assert help_desk.run_timers() == []


LIVE_CONDITIONS = st.sampled_from(
    [
        {"field": "tags", "operator": "includes", "value": "p"},
        {"field": "tags", "operator": "changed_to", "value": "q"},
        {"field": "tags", "operator": "includes", "value": "r"},
        {"field": "update.agent_replied", "operator": "is", "value": True},
        {"field": "update.created", "operator": "is", "value": True},
        {"field": "priority", "operator": "is", "value": 2},
    ]
)
LIVE_ACTIONS = st.sampled_from(
    [
        {"type": "add_tags", "value": ["r"]},
        {"type": "add_tags", "value": ["s"]},
        {"type": "set_priority", "value": 2},
        {"type": "note", "text": "rule on {ticket.id}"},
    ]
)
COMMANDS = st.lists(st.sampled_from(["note", "reply", "add_p", "add_q", "remove_p", "remove_q"]), max_size=6)


def _command(help_desk: HelpDesk, command: str) -> None:
    if command == "note":
        help_desk.note("T-1", ADA, "working")
    elif command == "reply":
        help_desk.reply("T-1", ADA, "hello")
    elif command.startswith("add_"):
        help_desk.tag("T-1", ADA, add=[command[-1]])
    else:
        help_desk.tag("T-1", ADA, remove=[command[-1]])


@given(
    st.lists(
        st.tuples(st.lists(LIVE_CONDITIONS, max_size=2), st.lists(LIVE_ACTIONS, min_size=1, max_size=2)),
        max_size=4,
    ),
    COMMANDS,
)
@settings(max_examples=40, deadline=None)
def test_simulate_equals_running_the_same_rules_live(
    specs: list[tuple[list[dict[str, object]], list[dict[str, object]]]], commands: list[str]
) -> None:
    rules = codec.load(
        AutomationSet,
        {
            "rules": [
                {"id": f"r{i}", "conditions": {"all": c}, "actions": a} for i, (c, a) in enumerate(specs)
            ]
        },
    )
    histories = []
    for automations in (None, rules):
        clock = Clock()
        help_desk = HelpDesk(MemoryStore("acme"), clock=clock, automations=automations)
        help_desk.open(requester="cy", tags=["p"])
        for step, command in enumerate(commands, start=1):
            clock.now = T0 + timedelta(minutes=step)
            _command(help_desk, command)
        histories.append(help_desk.events("T-1"))
    without, live = histories
    simulation = rules.simulate([without], until=T0 + timedelta(days=1))
    assert list(simulation.histories["T-1"]) == live
    assert sum(len(f.events) for f in simulation.firings) == len(live) - len(without)
