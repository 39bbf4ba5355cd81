"""The ``ticketcore`` command line: demo, import, report and check, run through ``ticketcore.cli.main``."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from ticketcore import codec, default_workflow
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.cli import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, main
from ticketcore.errors import TicketNotFound

SECTIONS = (
    "summary",
    "sla_compliance",
    "backlog",
    "trend",
    "flow",
    "ageing",
    "response_times",
    "breakdown",
    "top_breaches",
    "routing",
    "agents",
    "automations",
)
TITLES = (
    "Summary",
    "SLA compliance",
    "Backlog",
    "Ageing",
    "Response and resolution times",
    "Top breaches",
    "Routing outcomes",
    "Tickets per agent",
    "What the automations did",
)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@cache
def demo(*options: str) -> tuple[int, str, str]:
    """The demo's output; cached because every call plays the same few hundred tickets."""
    return run("demo", *options)


# demo


def test_demo_prints_every_report_section() -> None:
    code, out, _ = demo()
    assert code == EXIT_OK
    for title in TITLES:
        assert f"\n{title}\n" in f"\n{out}", title
    assert "P1 Critical" in out
    assert "vip_chat" in out  # the VIP chat policy shows up among the worst breaches
    assert "Routed at opening" in out


@cache
def demo_json(directory: Path) -> str:
    """The demo's JSON report, its help desk kept in ``directory/demo.db``."""
    code, out, err = run("demo", "--db", str(directory / "demo.db"), "--format", "json")
    assert code == EXIT_OK
    assert "ticketcore report --db" in err
    return out


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


def test_demo_json_has_every_section_with_machine_values(kept: Path) -> None:
    out = demo_json(kept)
    report = json.loads(out)
    assert tuple(report) == SECTIONS
    summary = {row["item"]: row["value"] for row in report["summary"]["rows"]}
    assert summary["as_of"] == "2025-12-22T12:00:00+00:00"
    assert 250 <= summary["tickets"] <= 400
    rates = [row["rate"] for row in report["sla_compliance"]["rows"]]
    assert all(rate is None or 0 <= rate <= 1 for rate in rates)
    assert {row["metric"] for row in report["sla_compliance"]["rows"]} == {"first_response", "resolution"}
    assert len(report["top_breaches"]["rows"]) == 10
    assert all(row["overdue"].startswith("P") for row in report["top_breaches"]["rows"])  # ISO 8601 durations
    outcomes = {row["outcome"]: row["tickets"] for row in report["routing"]["rows"]}
    assert (
        outcomes["routed_at_opening"]
        + outcomes["routed_later"]
        + outcomes["assigned_by_staff"]
        + outcomes["never_assigned"]
        == summary["tickets"]
    )


def test_the_demo_runs_its_rules_and_its_report_says_what_fired(kept: Path) -> None:
    report = json.loads(demo_json(kept))
    automations = {row["rule"]: row for row in report["automations"]["rows"]}
    # The bundled sample's rules: a trigger, two time-based rules (the macro is applied by agents, as themselves).
    assert set(automations) == {"vip_escalation", "pending_reminder", "close_solved"}
    for row in automations.values():
        assert 1 <= row["tickets"] <= row["fired"]
        assert row["sample"].startswith("T-")
    # Each rule fires at most once per ticket here: the escalation, as its tier condition says; the others by timer.
    assert all(row["fired"] == row["tickets"] for row in automations.values())
    summary = {row["item"]: row["value"] for row in report["summary"]["rows"]}
    assert automations["close_solved"]["fired"] <= summary["timers_fired"]
    store = SQLiteStore(kept / "demo.db")
    try:
        events = [event for _, event in store.stream()]
        sample = automations["vip_escalation"]["sample"]
        ticket = store.get(sample)
        assert ticket.segment == "vip" or "outage" in ticket.tags
        assert "escalated" in ticket.tags
        assert ticket.fields["tier"] == 2
        by_rules = {event.actor.id for event in events if event.actor.id.startswith("automation:")}
        assert by_rules == {f"automation:{rule}" for rule in automations}
        reminders = [e for e in events if e.type == "replied" and e.actor.id == "automation:pending_reminder"]
        assert len(reminders) == automations["pending_reminder"]["fired"]
        # The macro's reply is the agent's, in the requester's language where the macro has it.
        refunds = [e for e in events if e.type == "replied" and "refund" in str(getattr(e, "body", ""))]
        assert refunds
        assert all(not e.actor.id.startswith("automation:") for e in refunds)
        assert all("refund" in store.get(e.ticket_id).tags for e in refunds)
    finally:
        store.close()


def test_the_automations_section_in_every_format(kept: Path) -> None:
    rows = {row["rule"]: row for row in json.loads(demo_json(kept))["automations"]["rows"]}
    code, out, _ = report_on_demo(kept, "--format", "csv")
    assert code == EXIT_OK
    cells = [r for r in csv.DictReader(io.StringIO(out)) if r["section"] == "automations"]
    assert {r["value"] for r in cells if r["column"] == "rule"} == set(rows)
    assert {r["column"] for r in cells} == {"rule", "fired", "tickets", "sample"}
    code, out, _ = report_on_demo(kept)
    table = out.split("What the automations did\n", 1)[1]
    header, _rule, *lines = table.splitlines()[1:]
    assert header.split() == ["Rule", "Times", "fired", "Tickets", "Sample"]
    for rule, row in rows.items():
        line = next(line for line in lines if line.startswith(rule + " "))
        assert line.split()[1:] == [str(row["fired"]), str(row["tickets"]), row["sample"]]
    code, out, _ = report_on_demo(kept, "--locale", "it")
    assert "Cosa hanno fatto le automazioni" in out
    assert "Attivazioni" in out


def report_on_demo(kept: Path, *options: str) -> tuple[int, str, str]:
    """``ticketcore report`` over the demo's store: the same report code as ``demo``, without replaying the sample."""
    demo_json(kept)
    return run("report", "--db", str(kept / "demo.db"), "--as-of", "2025-12-22T12:00:00+00:00", *options)


def test_csv_format_parses_into_one_row_per_cell(kept: Path) -> None:
    code, out, _ = report_on_demo(kept, "--format", "csv")
    assert code == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {row["section"] for row in rows} == set(SECTIONS)
    by_cell = {(r["section"], r["row"], r["column"]): r["value"] for r in rows}
    assert by_cell[("summary", "1", "value")] == "2025-12-22T12:00:00+00:00"


def test_italian_labels_and_durations(kept: Path) -> None:
    code, out, _ = report_on_demo(kept, "--locale", "it", "--by", "region")
    assert code == EXIT_OK
    for word in (
        "Riepilogo",
        "Conformità SLA",
        "Prima risposta",
        "Violazioni principali",
        "Arretrato",
        "Regione",
    ):
        assert word in out, word
    assert "P1 Critica" in out
    assert "EU" in out
    assert "US" in out
    assert "Summary" not in out
    assert " h e " in out  # durations in Italian: "1 g e 7 h", "22 h e 52 min"


def test_report_over_the_demo_store_gives_the_demo_report(kept: Path) -> None:
    db = kept / "demo.db"
    out = demo_json(kept)
    again = run("report", "--db", str(db), "--as-of", "2025-12-22T12:00:00+00:00", "--format", "json")
    assert again[0] == EXIT_OK
    assert json.loads(again[1]) == json.loads(out)
    assert run("demo", "--db", str(db))[0] == EXIT_USAGE  # never mixes a second demo into a store


def test_python_m_ticketcore_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ticketcore", "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == demo()[1].strip()  # deterministic: the same report in another process
    assert done.stderr == ""  # no progress output when stderr is not a terminal


# import

MALFORMED = """\
ticket_id,seq,at,type,actor_id,actor_role,requester,subject,channel,to_status,agent,body
T-1,1,2025-03-03T09:00:00+01:00,opened,cy,requester,cy,VPN down,email,,,
T-1,2,2025-03-03T09:10:00+01:00,assigned,ada,agent,,,,,ada,
T-1,3,2025-03-03T09:12:00+01:00,replied,ada,agent,,,,,,Which client?
T-1,4,2025-03-03T11:00:00+01:00,status_changed,ada,agent,,,,solved,,
T-2,1,2025-03-04T10:00:00+01:00,opened,bo,requester,bo,Invoice,email,,,
T-2,2,2025-03-04T10:05:00,replied,ada,agent,,,,,,naive time
T-2,3,2025-03-04T11:00:00+01:00,status_changed,ada,agent,,,,solved,,
T-3,1,2025-03-05T10:00:00+01:00,opened,di,requester,di,Login,chat,,,
T-3,2,2025-03-05T10:01:00+01:00,teleported,ada,agent,,,,,,
T-4,1,2025-03-05T12:00:00+01:00,opened,ed,requester,ed,Printer,web,,,
T-4,2,2025-03-05T12:30:00+01:00,status_changed,ada,wizard,,,,open,,
T-5,1,2025-03-06T12:00:00+01:00,opened,fa,requester,fa,Password,phone,,,
T-5,3,2025-03-06T12:05:00+01:00,replied,ada,agent,,,,,,gap in seq
T-6,1,2025-03-06T13:00:00+01:00,opened,gu,requester,gu,Billing,email,,,
T-6,x,2025-03-06T13:05:00+01:00,replied,ada,agent,,,,,,bad seq
"""


def test_import_of_a_malformed_file_reports_each_bad_row_and_imports_nothing_of_their_tickets(
    tmp_path: Path,
) -> None:
    """Done when: importing a malformed file reports each bad row and imports nothing of the tickets they belong to."""
    source = tmp_path / "export.csv"
    source.write_text(MALFORMED, encoding="utf-8")
    db = tmp_path / "desk.db"
    code, out, _ = run("import", str(source), "--db", str(db))
    assert code == EXIT_REFUSED
    assert "imported 4 rows (1 tickets)" in out
    lines = out.splitlines()

    def said(line: int, words: str) -> bool:
        return any(text.strip().startswith(f"line {line}:") and words in text for text in lines)

    assert said(7, "no UTC offset")
    assert said(10, "unknown event type 'teleported'")
    assert said(12, "'wizard' is not a valid Role")
    assert said(14, "expected seq 2")
    assert said(16, "seq must be a whole number")
    for innocent, culprit in ((6, 7), (8, 7), (9, 10), (11, 12), (13, 14), (15, 16)):
        assert said(innocent, f"ticket refused: line {culprit} is bad")
    store = SQLiteStore(db)
    try:
        assert [e.ticket_id for _, e in store.stream()] == ["T-1"] * 4
        for refused in ("T-2", "T-3", "T-4", "T-5", "T-6"):
            with pytest.raises(TicketNotFound):
                store.get(refused)
        assert store.get("T-1").status == "solved"
    finally:
        store.close()


def test_import_twice_refuses_the_tickets_already_stored(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text(
        MALFORMED.splitlines(keepends=True)[0] + "".join(MALFORMED.splitlines(keepends=True)[1:5])
    )
    db = tmp_path / "desk.db"
    assert run("import", str(source), "--db", str(db))[0] == EXIT_OK
    code, out, _ = run("import", str(source), "--db", str(db))
    assert code == EXIT_REFUSED
    assert "imported 0 rows" in out
    assert "line 2: ticket T-1" in out


def test_import_json_lines_with_a_column_map_and_codec_rows(tmp_path: Path) -> None:
    rows = [
        {
            "id": "A-1",
            "at": "2025-03-03T09:00:00Z",
            "kind": "opened",
            "actor_id": "cy",
            "actor_role": "requester",
            "requester": "cy",
            "channel": "chat",
            "tags": "vpn;urgent",
            "priority": "2",
        },
        {
            "id": "A-1",
            "at": "2025-03-03T09:03:00Z",
            "kind": "replied",
            "actor_id": "ada",
            "actor_role": "agent",
            "body": "Hello",
        },
        {
            "id": "A-1",
            "at": "2025-03-03T09:20:00Z",
            "kind": "status_changed",
            "actor_id": "ada",
            "actor_role": "agent",
            "to_status": "awaiting_parts",
            "to_category": "on_hold",
        },
    ]
    codec_row = {"type": "opened", "ticket_id": "A-2", "seq": 1, "at": "2025-03-03T10:00:00+00:00",
                 "actor": {"id": "bo", "role": "requester"}, "requester": "bo"}  # fmt: skip
    source = tmp_path / "events.jsonl"
    source.write_text(
        "\n".join(json.dumps(r) for r in rows) + "\n" + json.dumps({"ticket_id": "A-2", **codec_row}) + "\n"
        "\n"
        "[1, 2]\n",
        encoding="utf-8",
    )
    db = tmp_path / "desk.db"
    code, out, _ = run("import", str(source), "--db", str(db), "--map", "id=ticket_id", "--map", "kind=type")
    assert code == EXIT_REFUSED
    assert "imported 4 rows (2 tickets)" in out
    assert "line 6: expected a JSON object, got list" in out
    store = SQLiteStore(db)
    try:
        ticket = store.get("A-1")
        assert (ticket.status, ticket.category.value, ticket.version) == ("awaiting_parts", "on_hold", 3)
        assert ticket.tags == frozenset({"vpn", "urgent"})
        assert ticket.priority == 2
    finally:
        store.close()


def test_import_works_without_pandas(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text(MALFORMED, encoding="utf-8")
    script = (
        "import sys; sys.modules['pandas'] = None; sys.modules['numpy'] = None\n"
        "from ticketcore.cli import main\n"
        f"sys.exit(main(['import', {str(source)!r}, '--db', {str(tmp_path / 'x.db')!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == EXIT_REFUSED, done.stderr
    assert "imported 4 rows (1 tickets)" in done.stdout


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_goes_to_stderr_only_on_a_terminal(tmp_path: Path) -> None:
    rows = ["ticket_id,at,type,actor_id,actor_role,requester"]
    rows += [f"P-{n},2025-03-03T09:00:00Z,opened,c{n},requester,c{n}" for n in range(250)]
    source = tmp_path / "many.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    terminal, out = Terminal(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(terminal):
        assert main(["import", str(source), "--db", str(tmp_path / "a.db")]) == EXIT_OK
    assert "\rimporting many.csv: 200" in terminal.getvalue()
    assert "imported 250 rows (250 tickets)" in out.getvalue()
    code, _, err = run("import", str(source), "--db", str(tmp_path / "b.db"))
    assert code == EXIT_OK
    assert err == ""


def test_import_usage_errors(tmp_path: Path) -> None:
    assert run("import", str(tmp_path / "missing.csv"), "--db", str(tmp_path / "x.db"))[0] == EXIT_USAGE
    odd = tmp_path / "events.xlsx"
    odd.write_text("x")
    code, _, err = run("import", str(odd), "--db", str(tmp_path / "x.db"))
    assert code == EXIT_USAGE
    assert "--format csv" in err
    extra = tmp_path / "extra.csv"
    extra.write_text("ticket_id,at,type,actor_id,actor_role,colour\n")
    code, _, err = run("import", str(extra), "--db", str(tmp_path / "x.db"))
    assert code == EXIT_REFUSED
    assert "unknown column 'colour'" in err
    assert "--map colour=" in err
    assert run("import", str(extra), "--map", "nonsense")[0] == EXIT_USAGE
    latin = tmp_path / "latin.csv"
    latin.write_bytes("ticket_id,at,type,actor_id,actor_role,subject\nT-1,,,,,città\n".encode("latin-1"))
    code, _, err = run("import", str(latin), "--db", str(tmp_path / "x.db"))
    assert code == EXIT_USAGE
    assert "is not UTF-8 text" in err
    assert run("import")[0] == EXIT_USAGE
    assert run("frobnicate")[0] == EXIT_USAGE


def test_import_takes_custom_statuses_from_a_workflow_config(tmp_path: Path) -> None:
    workflow = codec.dump(default_workflow())
    workflow["statuses"].append({"name": "escalated", "category": "open"})
    workflow["transitions"] += [
        {"action": "escalate", "sources": ["open"], "target": "escalated"},
        {"action": "finish", "sources": ["escalated"], "target": "solved"},
    ]
    config = tmp_path / "workflow.json"
    config.write_text(json.dumps({"workflow": workflow}), encoding="utf-8")
    source = tmp_path / "events.csv"
    source.write_text(
        "ticket_id,at,type,actor_id,actor_role,requester,to_status\n"
        "E-1,2025-03-03T09:00:00Z,opened,cy,requester,cy,\n"
        "E-1,2025-03-03T09:05:00Z,status_changed,ada,agent,,escalated\n",
        encoding="utf-8",
    )
    code, out, _ = run("import", str(source), "--db", str(tmp_path / "a.db"))
    assert code == EXIT_REFUSED
    assert "line 3: ticket E-1: status 'escalated' is not in the workflow" in out
    code, out, _ = run("import", str(source), "--db", str(tmp_path / "b.db"), "--config", str(config))
    assert code == EXIT_OK, out
    store = SQLiteStore(tmp_path / "b.db")
    try:
        ticket = store.get("E-1")
        assert (ticket.status, ticket.category.value, ticket.version) == ("escalated", "open", 2)
    finally:
        store.close()
