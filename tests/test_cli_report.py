"""``ticketcore check`` and ``ticketcore report`` over imported stores and event files, and import fuzzing."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections import Counter
from importlib import resources
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.cli import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


EVENTS = """\
ticket_id,seq,at,type,actor_id,actor_role,requester,channel,region,priority,to_status,agent,body
R-1,1,2025-03-07T17:30:00+01:00,opened,cy,requester,cy,email,EU,3,,,
R-1,2,2025-03-10T09:20:00+01:00,replied,ada,agent,,,,,,,Which client?
R-1,3,2025-03-10T09:21:00+01:00,assigned,ada,agent,,,,,,ada,
R-2,1,2025-03-10T10:00:00-04:00,opened,bo,requester,bo,chat,US,1,,,
R-2,2,2025-03-10T12:00:00-04:00,replied,sam,agent,,,,,,,Looking
R-2,3,2025-03-10T12:05:00-04:00,assigned,sam,agent,,,,,,sam,
R-2,4,2025-03-10T18:30:00-04:00,status_changed,sam,agent,,,,,solved,,
R-3,1,2025-03-11T08:00:00+00:00,opened,di,requester,di,phone,,,,,
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rows_of(out: str, section: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(out)[section]["rows"]
    return rows


# check


BAD_CONFIG = """\
[calendars.rome]
tz = "Europe/Rome"
hours = { mon = ["09:00-13:00", "14:00-25:00"] }

[priorities]
rules = [{ name = "vip", when = { segment = ["vip"] }, raise_by = 1, floor = 2 }]

[[policies]]
name = "eu"
calendar = "roma"
metrics = { first_respons = { default = "1h" } }

[[policies]]
name = "default"
calendar = "rome"
metrics = { resolution = { default = "soon" } }

[[agents]]
id = "giulia"
languages = ["it", "xx"]
shift = "rome"

[routing]
strategy = "fastest"

[extras]
x = 1
"""


def test_check_prints_each_error_with_its_path(tmp_path: Path) -> None:
    code, out, _ = run("check", str(write(tmp_path / "desk.toml", BAD_CONFIG)))
    assert code == EXIT_REFUSED
    lines = out.splitlines()
    for path, words in (
        ("extras", "unknown section 'extras'"),
        ("calendars.rome.hours.mon[1]", "'25:00' is not a time of day"),
        ("priorities.rules[0].floor", "give exactly one"),
        ("policies[0].calendar", "no calendar named 'roma'"),
        ("policies[0].metrics.first_respons", "not a built-in metric"),
        ("policies[1].metrics.resolution.default", "'soon' is not a duration"),
        ("agents[0].languages[1]", "'xx' names no known language"),
        ("routing.strategy", "'fastest' is not a valid Strategy"),
    ):
        assert any(line.startswith(f"{path}: ") and words in line for line in lines), path
    # The bad calendar is reported where it is defined, not again where the policy and the agent name it.
    assert sum("'25:00'" in line for line in lines) == 1
    assert lines[-1] == f"8 error(s) in {tmp_path / 'desk.toml'}"


def test_check_accepts_the_bundled_sample_and_json(tmp_path: Path) -> None:
    sample = resources.files("ticketcore").joinpath("samples/demo.json").read_text(encoding="utf-8")
    code, out, _ = run("check", str(write(tmp_path / "demo.json", sample)))
    assert code == EXIT_OK
    assert out.strip().endswith("ok (priorities, calendars, policies, agents, routing, automations, sample)")


def test_check_refuses_what_is_not_configuration(tmp_path: Path) -> None:
    code, _, err = run("check", str(write(tmp_path / "x.json", "[1, 2]")))
    assert code == EXIT_REFUSED
    assert "must hold a mapping of sections" in err
    code, _, err = run("check", str(write(tmp_path / "x.toml", "calendars = [")))
    assert code == EXIT_REFUSED
    assert "is not valid TOML" in err
    code, out, _ = run("check", str(write(tmp_path / "empty.json", "{}")))
    assert code == EXIT_REFUSED
    assert "no sections" in out
    assert run("check", str(tmp_path / "missing.toml"))[0] == EXIT_USAGE
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"calendars": {"città": {}}}'.encode("latin-1"))
    code, _, err = run("check", str(latin))
    assert code == EXIT_REFUSED
    assert "is not UTF-8 text" in err


# report


def test_report_over_an_imported_store(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    assert run("import", str(write(tmp_path / "events.csv", EVENTS)), "--db", str(db))[0] == EXIT_OK
    code, out, _ = run("report", "--db", str(db), "--as-of", "2025-03-11T12:00:00+00:00", "--format", "json")
    assert code == EXIT_OK
    summary = {row["item"]: row["value"] for row in rows_of(out, "summary")}
    assert summary["tickets"] == 3
    assert summary["events"] == 8
    backlog = {row["item"]: row["value"] for row in rows_of(out, "backlog")}
    assert backlog["open"] == 2
    assert backlog["solved"] == 1
    # R-1 (EU email, bundled 'eu_email' policy, Rome hours): Friday 17:30 → Monday 09:20 is 50 business minutes.
    first = {(r["metric"], r["priority"]): r for r in rows_of(out, "sla_compliance")}
    assert first[("first_response", 3)]["achieved"] == 1
    # R-2 (US chat, P1): answered after 2 h against a 10 min chat target.
    assert first[("first_response", 1)]["breached"] == 1
    breaches = rows_of(out, "top_breaches")
    assert breaches[0]["ticket"] == "R-2"
    outcomes = {row["outcome"]: row["tickets"] for row in rows_of(out, "routing")}
    assert outcomes["assigned_by_staff"] == 2
    assert outcomes["never_assigned"] == 1


def test_report_by_priority_with_policies_and_calendars_from_toml(tmp_path: Path) -> None:
    events = write(tmp_path / "events.csv", EVENTS)
    calendars = write(
        tmp_path / "calendars.toml",
        '[calendars.office]\ntz = "UTC"\nhours = { mon = ["08:00-09:00"], tue = ["08:00-09:00"] }\n',
    )
    policies = write(
        tmp_path / "policies.toml",
        '[[policies]]\nname = "strict"\ncalendar = "office"\n'
        'metrics = { first_response = { default = "30m" } }\n',
    )
    code, out, err = run(
        "report",
        "--events",
        str(events),
        "--calendar",
        str(calendars),
        "--policies",
        str(policies),
        "--by",
        "priority",
        "--as-of",
        "2025-03-12T00:00:00Z",
        "--format",
        "json",
    )
    assert code == EXIT_OK, err
    assert {row["policy"] for row in rows_of(out, "top_breaches")} == {"strict"}
    assert {row["metric"] for row in rows_of(out, "sla_compliance")} == {"first_response"}
    assert [row["priority"] for row in rows_of(out, "breakdown")] == ["-", "P1", "P3"]


def test_report_defaults_to_just_after_the_last_event_and_reads_csv(tmp_path: Path) -> None:
    events = write(tmp_path / "events.csv", EVENTS)
    code, out, _ = run("report", "--events", str(events), "--format", "csv")
    assert code == EXIT_OK
    cells = {(r["section"], r["row"], r["column"]): r["value"] for r in csv.DictReader(io.StringIO(out))}
    assert cells[("summary", "1", "value")] == "2025-03-11T08:01:00+00:00"


def test_report_on_an_events_file_with_bad_rows_says_so_and_exits_1(tmp_path: Path) -> None:
    events = write(tmp_path / "events.csv", EVENTS + "R-4,1,yesterday,opened,ed,requester,ed,web,,,,,\n")
    code, out, err = run("report", "--events", str(events), "--format", "json")
    assert code == EXIT_REFUSED
    assert "line 10: ticket R-4" in err
    assert rows_of(out, "summary")[2]["value"] == 3


def test_report_usage_errors(tmp_path: Path) -> None:
    events = str(write(tmp_path / "events.csv", EVENTS))
    assert run("report", "--events", events, "--as-of", "tomorrow")[0] == EXIT_USAGE
    assert run("report", "--events", events, "--as-of", "2025-03-12T00:00:00")[0] == EXIT_USAGE
    assert run("report", "--db", str(tmp_path / "none.db"))[0] == EXIT_USAGE
    assert run("report", "--events", events, "--db", "x.db")[0] == EXIT_USAGE
    assert run("report", "--events", events, "--by", "colour")[0] == EXIT_USAGE
    for locale in ("xx", "", "a b"):
        code, _, err = run("report", "--events", events, "--locale", locale)
        assert code == EXIT_USAGE
        assert "unknown locale" in err
    assert run("report", "--events", events, "--locale", "pt-BR")[0] == EXIT_OK
    bad = write(
        tmp_path / "p.json", '{"policies": [{"name": "x", "metrics": {"first_response": {"default": "?"}}}]}'
    )
    code, _, err = run("report", "--events", events, "--policies", str(bad))
    assert code == EXIT_REFUSED
    assert "policies[0].metrics.first_response.default" in err


# only our errors, never a crash

COLUMNS = (
    "ticket_id",
    "seq",
    "at",
    "type",
    "actor_id",
    "actor_role",
    "to_status",
    "priority",
    "tags",
    "fields",
)
cells = st.one_of(
    st.sampled_from(["", "T-1", "T-2", "1", "2", "x", "opened", "replied", "status_changed", "agent", "requester",
                     "solved", "2025-03-03T09:00:00Z", "2025-03-03T09:00:00", "{}", "{\"a\": 1}", "a;b"]),
    st.text(max_size=6),
)  # fmt: skip


# Each example creates a SQLite file: fewer examples than the profile's, to keep the file fast.
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(st.lists(cells, min_size=len(COLUMNS), max_size=len(COLUMNS)), max_size=6))
def test_import_of_any_csv_refuses_or_imports_whole_tickets(tmp_path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    source = write(tmp_path / "fuzz.csv", buffer.getvalue())
    db = tmp_path / "fuzz.db"
    db.unlink(missing_ok=True)
    code, out, _ = run("import", str(source), "--db", str(db))
    assert code in (EXIT_OK, EXIT_REFUSED)
    imported = int(out.split()[1])
    refused = sum(1 for line in out.splitlines() if line.startswith("  line "))
    assert imported + refused == len(rows)
    assert (code == EXIT_OK) == (refused == 0)
    store = SQLiteStore(db)
    try:
        stored = Counter(event.ticket_id for _, event in store.stream())
    finally:
        store.close()
    refused_tickets = {
        line.split()[3].rstrip(":")
        for line in out.splitlines()
        if line.startswith("  line ") and " ticket " in line
    }
    assert not refused_tickets & set(stored)  # never half a ticket
    assert sum(stored.values()) == imported


SAMPLE = json.loads(resources.files("ticketcore").joinpath("samples/demo.json").read_text(encoding="utf-8"))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 30),
    st.text(max_size=8),
    st.sampled_from(["rome", "09:00-13:00", "1h", "Europe/Rome", "IT", "vip", "email"]),
)
keys = st.sampled_from(
    ["name", "calendar", "metrics", "hours", "tz", "when", "rules", "id", "shift", "default", "x"]
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=12,
)


@st.composite
def configs(draw: st.DrawFn) -> dict[str, object]:
    """The bundled sample with sections left out and others replaced by random data."""
    config = {key: value for key, value in SAMPLE.items() if draw(st.booleans())}
    sections = [
        "workflow",
        "priorities",
        "calendars",
        "policies",
        "agents",
        "routing",
        "automations",
        "sample",
        "other",
    ]
    for key in draw(st.lists(st.sampled_from(sections), max_size=3)):
        config[key] = draw(values)
    return config


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(config=configs())
def test_check_of_any_configuration_lists_errors_with_paths_and_never_crashes(
    tmp_path: Path, config: dict[str, object]
) -> None:
    code, out, err = run("check", str(write(tmp_path / "config.json", json.dumps(config))))
    assert err == ""
    lines = out.splitlines()
    if code == EXIT_OK:
        assert lines[-1].endswith(")")
        assert len(lines) == 1
    else:
        assert code == EXIT_REFUSED
        assert lines[-1].startswith(f"{len(lines) - 1} error(s) in ")
        assert all(": " in line for line in lines[:-1])
