"""``ticketcore check`` of rule files: an ``automations`` section, its errors with their paths, and the names it
shares with the other sections of the same file."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from ticketcore.cli import EXIT_OK, EXIT_REFUSED, main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def check(tmp_path: Path, text: str) -> tuple[int, list[str]]:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run("check", str(path))
    assert err == ""
    return code, out.splitlines()


RULES = """\
[[automations.rules]]
id = "vip"
conditions.all = [{ field = "tags", operator = "includes", value = "vip" }]
actions = [{ type = "set_priority", value = 1 }, { type = "set_group", value = "tier2" }]

[[automations.rules]]
id = "pending_reminder"
schedule = { after = "48h", since = "status_since" }
conditions.all = [{ field = "status", operator = "is", value = "pending" }]
actions = [{ type = "reply", text = { en = "Hi {requester}, any news?", it = "Ciao {requester}, novità?" } }]

[[automations.macros]]
id = "refund"
actions = [{ type = "reply", text = "Refund for {ticket.id} is on its way." }, { type = "set_status", value = "solve" }]
"""


def test_a_rule_file_alone_is_checked_and_accepted(tmp_path: Path) -> None:
    code, lines = check(tmp_path, RULES)
    assert code == EXIT_OK
    assert lines == [f"{tmp_path / 'rules.toml'}: ok (automations)"]


def test_a_bad_rule_is_printed_with_its_path_and_the_valid_choices(tmp_path: Path) -> None:
    bad = RULES.replace('operator = "includes"', 'operator = "contains"').replace(
        'type = "set_group"', 'type = "move_to"'
    )
    code, lines = check(tmp_path, bad)
    assert code == EXIT_REFUSED
    operator = next(
        line for line in lines if line.startswith("automations.rules[0].conditions.all[0].operator: ")
    )
    assert "'contains' is not a valid Operator" in operator
    assert "'includes'" in operator
    assert "'changed_to'" in operator
    action = next(line for line in lines if line.startswith("automations.rules[0].actions[1].type: "))
    assert "'move_to'" in action
    assert "'set_group'" in action
    assert lines[-1] == f"2 error(s) in {tmp_path / 'rules.toml'}"


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        ("[automations]\nrules = 3\n", "automations.rules", "expected"),
        ("automations = [1]\n", "automations", "expected a mapping"),
        ("[automations]\nmax_passes = 0\n", "automations.max_passes", "at least 1"),
        (
            '[[automations.rules]]\nid = "x"\nactions = []\n',
            "automations.rules[0].actions",
            "no actions",
        ),
    ],
)
def test_malformed_automations_are_refused_with_their_path(
    tmp_path: Path, text: str, path: str, words: str
) -> None:
    code, lines = check(tmp_path, text)
    assert code == EXIT_REFUSED
    assert any(line.startswith(f"{path}: ") and words in line for line in lines), lines


DESK = """\
[calendars.rome]
tz = "Europe/Rome"
hours = { mon = ["09:00-18:00"], tue = ["09:00-18:00"] }

[workflow]
initial = "new"
statuses = [
  { name = "new", category = "new" },
  { name = "open", category = "open" },
  { name = "waiting", category = "pending" },
  { name = "solved", category = "solved" },
  { name = "closed", category = "closed" },
]
transitions = [
  { action = "take", sources = ["new"], target = "open" },
  { action = "wait", sources = ["open"], target = "waiting" },
  { action = "solve", sources = ["open", "waiting"], target = "solved" },
  { action = "close", sources = ["solved"], target = "closed" },
]

[[policies]]
name = "standard"
calendar = "rome"
metrics.resolution = { default = "40h" }

[[agents]]
id = "ada"
groups = ["eu", "tier2"]

[routing]
rules = [{ name = "us", when = { regions = ["US"] }, then = { group = "us" } }]
"""

CROSS = """\
[[automations.rules]]
id = "escalate"
conditions.all = [
  { field = "status", operator = "in", value = ["open", "pending"] },
  { field = "sla.resolution.percent", operator = "greater_than", value = 75 },
  { field = "hours_since.status", operator = "greater_than", value = 8, calendar = "rome" },
]
conditions.any = [{ field = "group", operator = "is", value = "apac" }, { field = "group", operator = "is", value = "us" }]
actions = [
  { type = "set_status", value = "on_hold" },
  { type = "set_group", value = "tier3" },
  { type = "note", text = "Due {sla.resolution.due}; first reply was due {sla.first_response.due}" },
]

[[automations.rules]]
id = "remind"
conditions.all = [{ field = "sla.first_response.state", operator = "is", value = "breached" }]
actions = [{ type = "notify", recipient = "group_lead", text = "{ticket.id} for {requestor}" }]

[[automations.macros]]
id = "hand_over"
actions = [{ type = "assign", value = "bob" }, { type = "assign", value = "ada" }]
"""


def test_names_the_other_sections_do_not_define_are_errors_with_their_path(tmp_path: Path) -> None:
    code, lines = check(tmp_path, DESK + CROSS)
    assert code == EXIT_REFUSED
    expected = [
        ("automations.rules[0].conditions.all[0].value", "status 'pending' is not defined in 'workflow'"),
        ("automations.rules[0].conditions.any[0].value", "group 'apac' is not defined"),
        (
            "automations.rules[0].actions[0].value",
            "workflow action 'on_hold' is not defined in 'workflow'; defined: 'take', 'wait', 'solve', 'close'",
        ),
        ("automations.rules[0].actions[1].value", "group 'tier3'"),
        ("automations.rules[0].actions[2].text", "SLA metric 'first_response' is not defined in 'policies'"),
        ("automations.rules[1].conditions.all[0].field", "SLA metric 'first_response'"),
        ("automations.rules[1].actions[0].text", "{requestor}, which is not a placeholder"),
        ("automations.macros[0].actions[0].value", "agent 'bob' is not defined in 'agents'; defined: 'ada'"),
    ]
    for path, words in expected:
        assert any(line.startswith(f"{path}: ") and words in line for line in lines), (path, lines)
    # The valid choices are listed: the workflow's statuses, the groups of the agents and of the router.
    assert "'new', 'open', 'waiting', 'solved', 'closed'" in lines[0]
    assert "defined: 'eu', 'tier2', 'us'" in lines[1]
    assert lines[-1] == f"{len(expected)} error(s) in {tmp_path / 'rules.toml'}"


def test_a_calendar_the_file_does_not_define_is_an_error(tmp_path: Path) -> None:
    code, lines = check(tmp_path, DESK + CROSS.replace('calendar = "rome"', 'calendar = "milan"'))
    assert code == EXIT_REFUSED
    assert lines[0].startswith(
        "automations.rules[0].conditions.all[2].calendar: no calendar is named 'milan'"
    )
    assert "'rome'" in lines[0]


def test_names_are_only_checked_against_sections_the_file_has(tmp_path: Path) -> None:
    # Without a workflow, agents, routing or policies in the file, any status, group, agent or metric may be meant.
    code, lines = check(
        tmp_path, "[calendars.rome]\ntz = 'Europe/Rome'\nhours = { mon = ['09:00-18:00'] }\n" + CROSS
    )
    assert code == EXIT_REFUSED
    assert [line.split(": ")[0] for line in lines[:-1]] == ["automations.rules[1].actions[0].text"]


def test_a_consistent_desk_with_rules_is_accepted(tmp_path: Path) -> None:
    fixed = (
        CROSS.replace('["open", "pending"]', '["open", "waiting"]')
        .replace('"on_hold"', '"wait"')
        .replace('"tier3"', '"tier2"')
        .replace('"apac"', '"eu"')
        .replace("first_response", "resolution")
        .replace("requestor", "requester")
        .replace('"bob"', '"ada"')
    )
    code, lines = check(tmp_path, DESK + fixed)
    assert code == EXIT_OK, lines
    assert lines[0].endswith("ok (workflow, calendars, policies, agents, routing, automations)")


def test_a_bad_calendar_is_reported_once_where_it_is_defined(tmp_path: Path) -> None:
    broken = DESK.replace('mon = ["09:00-18:00"]', 'mon = ["09:00-25:00"]')
    code, lines = check(tmp_path, broken + CROSS.replace("first_response", "resolution"))
    assert code == EXIT_REFUSED
    assert sum("25:00" in line for line in lines) == 1
    assert not any("calendars.rome" not in line and "milan" in line for line in lines)


def test_a_rule_set_built_in_code_refuses_what_is_not_a_list() -> None:
    from ticketcore.automation import AutomationSet
    from ticketcore.errors import ConfigError

    with pytest.raises(ConfigError, match="expected a list of rules, got int 3"):
        AutomationSet(rules=3)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="expected a list of macros"):
        AutomationSet(macros="refund")  # type: ignore[arg-type]
