"""The ``ticketcore`` command: a sample help desk in one command, and imports, reports and config checks for scripts.

Commands (``ticketcore COMMAND --help`` for the options)::

    ticketcore demo   [--db FILE] [--format table|json|csv] [--locale it] [--by channel|priority|group|region]
    ticketcore import FILE [--db FILE] [--map SRC=DST ...] [--format csv|jsonl] [--config CFG]
    ticketcore import FILE --format servicenow|servicenow-audit|servicenow-history|zendesk|zendesk-audits|jira|
                                    freshdesk|freshdesk-activities
                      [--mapping M] [--report] [--quiet] [--db FILE]
    ticketcore replay --policies PROPOSED [--current CFG] [--calendar CFG] [--db FILE] [--as-of ISO]
    ticketcore report [--db FILE | --events FILE] [--config CFG] [--calendar CFG] [--policies CFG]
                      [--as-of ISO] [--by ...] [--format ...] [--locale ...]
    ticketcore check  CONFIG
    ticketcore schema [NAME]
    ticketcore doctor [--db FILE] [--quarantine | --restore]

Exit codes, for scripts: 0 when everything went through; 1 when rows were refused or a configuration has errors (the
output says which and where); 2 for usage errors (unknown options, unreadable files). ``python -m ticketcore`` is the
same command. Progress goes to stderr, and only when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from babel import Locale, UnknownLocaleError

from ticketcore._cli.config import SECTIONS, Config, bundled_data, check_data, load_config, read_data
from ticketcore._cli.demo import run_demo
from ticketcore._cli.doctor import run_doctor
from ticketcore._cli.importing import (
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    ImportResult,
    import_events,
    import_export,
    read_rows,
)
from ticketcore._cli.render import FORMATS, render
from ticketcore._cli.report import BY_DIMENSIONS, build_report
from ticketcore._cli.schema import SCHEMA_NAMES, print_schema
from ticketcore._version import __version__
from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.errors import ConfigError, TicketcoreError
from ticketcore.i18n import SHIPPED_LOCALES
from ticketcore.importers import DIMENSIONS, replay
from ticketcore.lifecycle import Workflow, default_workflow
from ticketcore.model import Event
from ticketcore.repositories import TicketStore
from ticketcore.sla import SLAPolicySet

__all__ = ["EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE", "main"]

EXIT_OK = 0
"""Everything was imported, reported or valid."""
EXIT_REFUSED = 1
"""Rows were refused (``import``, ``report --events``) or a configuration has errors (``check``, ``--policies``)."""
EXIT_USAGE = 2
"""The command line was wrong: an unknown option, a missing or unreadable file."""


class _UsageError(Exception):
    """A problem with the command line or its files (exit code 2)."""


class _Progress:
    """``label: n`` on one rewritten stderr line, only when stderr is a terminal (and not ``quiet``)."""

    def __init__(self, label: str, stream: TextIO, *, quiet: bool = False) -> None:
        self._label = label
        self._stream = stream
        self._on = not quiet and stream.isatty()

    def __call__(self, done: int, total: int | None = None) -> None:
        if self._on:
            of = f"/{total}" if total is not None else ""
            self._stream.write(f"\r{self._label}: {done}{of}")
            self._stream.flush()

    def close(self) -> None:
        if self._on:
            self._stream.write("\r\x1b[K")
            self._stream.flush()


def _histories(store: TicketStore) -> list[list[Event]]:
    tickets: dict[str, list[Event]] = {}
    for _, event in store.stream():
        tickets.setdefault(event.ticket_id, []).append(event)
    for events in tickets.values():
        events.sort(key=lambda event: event.seq)
    return list(tickets.values())


def _print_report(
    histories: Sequence[Sequence[Event]], policies: SLAPolicySet, as_of: datetime, args: argparse.Namespace
) -> None:
    progress = _Progress("evaluating SLAs", sys.stderr)
    sections = build_report(histories, policies, as_of=as_of, by=args.by, progress=progress)
    progress.close()
    print(render(sections, args.format, args.locale))


# demo


def _demo(args: argparse.Namespace) -> int:
    config = load_config(bundled_data())
    assert config.sample is not None  # the bundled sample has both
    assert config.policies is not None
    with tempfile.TemporaryDirectory(prefix="ticketcore-demo-") as scratch:
        path = Path(args.db) if args.db else Path(scratch) / "demo.db"
        if args.db and path.exists():
            raise _UsageError(f"{str(path)!r} already exists; give --db a new file for the demo help desk")
        store = SQLiteStore(path)
        try:
            run_demo(store, config)
            _print_report(_histories(store), config.policies, config.sample.as_of, args)
        finally:
            store.close()
    if args.db:
        print(
            f"\nThe demo help desk is in {str(path)!r}; report on it again with:\n"
            f"  ticketcore report --db {path} --as-of {config.sample.as_of.isoformat()}",
            file=sys.stderr,
        )
    return EXIT_OK


# import


def _format_of(path: Path, given: str | None) -> str:
    if given is not None:
        return given
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise _UsageError(
        f"cannot tell the format of {str(path)!r} from its suffix; pass --format csv or --format jsonl"
    )


def _pairs(values: Iterable[str]) -> dict[str, str]:
    pairs = {}
    for value in values:
        source, sep, target = value.partition("=")
        if not sep or not source or not target:
            raise _UsageError(f"--map takes SRC=DST (a file column and a schema column), got {value!r}")
        pairs[source] = target
    return pairs


def _load_file(
    path: Path, fmt: str | None, mapping: Mapping[str, str], store: TicketStore, workflow: Workflow
) -> ImportResult:
    if not path.is_file():
        raise _UsageError(f"no such file: {str(path)!r}")
    progress = _Progress(f"importing {path.name}", sys.stderr)
    try:
        return import_events(
            read_rows(path, _format_of(path, fmt), mapping), store, workflow, progress=progress
        )
    except UnicodeDecodeError:
        raise _UsageError(f"{str(path)!r} is not UTF-8 text") from None
    finally:
        progress.close()


def _print_refusals(result: ImportResult, out: TextIO) -> None:
    for refusal in result.refused:
        name = refusal.ticket_id
        # An id with control characters (a stray carriage return) is quoted, so each refusal stays on its line.
        ticket = "" if name is None else f"ticket {name}: " if name.isprintable() else f"ticket {name!r}: "
        print(f"  line {refusal.line}: {ticket}{refusal.reason}", file=out)


def _import(args: argparse.Namespace) -> int:
    source, mapping = Path(args.file), _pairs(args.map)
    if not source.is_file():
        raise _UsageError(f"no such file: {str(source)!r}")
    if args.format in EXPORT_FORMATS:
        overrides = _read(args.mapping) if args.mapping else {}
        workflow = load_config(_read(args.config)).workflow if args.config else None
        progress = _Progress(f"importing {source.name}", sys.stderr, quiet=args.quiet)
        try:
            report = import_export(
                source, args.format, overrides, db=args.db, workflow=workflow, progress=progress
            )
        finally:
            progress.close()
        if not args.quiet:
            print(report.render() if args.report else report.summary(args.db))
        return EXIT_REFUSED if report.tickets_refused else EXIT_OK
    _format_of(source, args.format)
    workflow = load_config(_read(args.config)).workflow if args.config else default_workflow()
    store = SQLiteStore(args.db)
    try:
        result = _load_file(source, args.format, mapping, store, workflow)
    finally:
        store.close()
    print(f"imported {result.rows} rows ({result.tickets} tickets) into {args.db}")
    if result.refused:
        tickets = len({r.ticket_id for r in result.refused})
        print(
            f"refused {len(result.refused)} rows ({tickets} tickets), nothing of those tickets was imported:"
        )
        _print_refusals(result, sys.stdout)
        return EXIT_REFUSED
    return EXIT_OK


# report


def _policies(args: argparse.Namespace) -> SLAPolicySet:
    """The policies of ``--policies`` (or ``--config``, or the bundled sample), calendars named by ``--calendar``."""
    data: dict[str, Any] = {}
    if args.config is None and args.policies is None:
        sample = bundled_data()
        data = {"calendars": sample["calendars"], "policies": sample["policies"]}
    for file in (args.config, args.calendar, args.policies):
        if file is not None:
            data.update(_read(file))
    if "policies" not in data:
        raise ConfigError("no 'policies' section in the configuration files; give one with --policies FILE")
    config: Config = load_config({k: data[k] for k in ("calendars", "policies") if k in data})
    assert config.policies is not None
    return config.policies


def _read(file: str) -> dict[str, Any]:
    if not Path(file).is_file():
        raise _UsageError(f"no such file: {file!r}")
    return read_data(file)


def _as_of(value: str | None, histories: Sequence[Sequence[Event]]) -> datetime:
    if value is not None:
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            raise _UsageError(
                f"--as-of {value!r} is not an ISO 8601 instant, e.g. 2025-12-22T12:00:00+00:00"
            ) from None
        if instant.tzinfo is None:
            raise _UsageError(f"--as-of {value!r} has no UTC offset; add one, e.g. {value}+00:00")
        return instant
    last = max((event.at for events in histories for event in events), default=None)
    if last is None:
        raise _UsageError("there are no tickets to report on; import some first, or pass --events FILE")
    # Just after the last event, on a whole minute: deterministic, and every event counts.
    return last.replace(second=0, microsecond=0) + timedelta(minutes=1)


def _report(args: argparse.Namespace) -> int:
    policies = _policies(args)
    status = EXIT_OK
    if args.events is not None:
        store: TicketStore = MemoryStore("report")
        workflow = load_config(_read(args.config)).workflow if args.config else default_workflow()
        result = _load_file(Path(args.events), None, _pairs(args.map), store, workflow)
        if result.refused:
            print(
                f"refused {len(result.refused)} rows of {args.events}; reporting on the rest:",
                file=sys.stderr,
            )
            _print_refusals(result, sys.stderr)
            status = EXIT_REFUSED
    else:
        if not Path(args.db).is_file():
            raise _UsageError(
                f"no such database: {args.db!r}; import events with: ticketcore import FILE --db {args.db}"
            )
        store = SQLiteStore(args.db)
    try:
        histories = _histories(store)
    finally:
        store.close()
    _print_report(histories, policies, _as_of(args.as_of, histories), args)
    return status


# replay


def _replay(args: argparse.Namespace) -> int:
    current = _policies(argparse.Namespace(config=None, calendar=args.calendar, policies=args.current))
    proposed = _policies(argparse.Namespace(config=None, calendar=args.calendar, policies=args.policies))
    if not Path(args.db).is_file():
        raise _UsageError(
            f"no such database: {args.db!r}; import history with: ticketcore import FILE --db {args.db}"
        )
    store = SQLiteStore(args.db)
    try:
        histories = _histories(store)
    finally:
        store.close()
    by = tuple(args.by) if args.by else DIMENSIONS
    result = replay(histories, current=current, proposed=proposed, as_of=_as_of(args.as_of, histories), by=by)
    print(result.render())
    return EXIT_OK


# doctor


def _doctor(args: argparse.Namespace) -> int:
    return run_doctor(args.db, move=args.quarantine, back=args.restore, out=sys.stdout)


# check


def _check(args: argparse.Namespace) -> int:
    data = _read(args.config)
    errors = check_data(data)
    for error in errors:
        print(f"{error.path or '(file)'}: {error.problem}")
    if errors:
        print(f"{len(errors)} error(s) in {args.config}")
        return EXIT_REFUSED
    print(f"{args.config}: ok ({', '.join(key for key in SECTIONS if key in data)})")
    return EXIT_OK


# schema


def _schema(args: argparse.Namespace) -> int:
    print_schema(args.name, sys.stdout)
    return EXIT_OK


# the parser


def _locale(value: str) -> str:
    """A locale tag babel knows (``it``, ``pt-BR``, ``de_CH``), written babel's way."""
    try:
        return str(Locale.parse(value.replace("-", "_")))
    except (ValueError, UnknownLocaleError):
        raise argparse.ArgumentTypeError(
            f"unknown locale {value!r}; use a tag such as {', '.join(SHIPPED_LOCALES)} (or pt-BR, de_CH)"
        ) from None


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table", help="table (default), json or csv")
    parser.add_argument(
        "--locale",
        type=_locale,
        default="en",
        help="language of the table: en (default), it, de, fr, es, pt, hr",
    )
    parser.add_argument("--by", choices=BY_DIMENSIONS, default="channel", help="the breakdown's dimension")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ticketcore",
        description="The core of a help desk: run the demo, import events, report, check configuration.",
        epilog="Exit codes: 0 ok; 1 rows refused or configuration errors; 2 usage errors.",
    )
    parser.add_argument("--version", action="version", version=f"ticketcore {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the bundled sample help desk and print its report")
    demo.add_argument(
        "--db", help="keep the demo help desk in this new SQLite file (default: a temporary file)"
    )
    _output_options(demo)
    demo.set_defaults(run=_demo)

    load = commands.add_parser("import", help="load ticket events from CSV or JSON Lines into a SQLite store")
    load.add_argument("file", help="the events file (columns: see docs/how-to/import-and-report.md)")
    load.add_argument("--db", default="ticketcore.db", help="the SQLite store (default: ticketcore.db)")
    load.add_argument("--map", action="append", default=[], metavar="SRC=DST", help="rename a file column")
    load.add_argument(
        "--format",
        choices=IMPORT_FORMATS + EXPORT_FORMATS,
        help="csv or jsonl for event rows (default: from the suffix); a help desk's export, diffed into events",
    )
    load.add_argument("--mapping", help="a TOML or JSON file overriding the export format's preset mapping")
    load.add_argument("--report", action="store_true", help="print the accounting of every row of an export")
    load.add_argument("--quiet", action="store_true", help="no progress and no summary; the exit code tells")
    load.add_argument(
        "--config", help="a configuration file whose 'workflow' gives the categories of custom statuses"
    )
    load.set_defaults(run=_import)

    report = commands.add_parser("report", help="the help-desk report over a store or an events file")
    source = report.add_mutually_exclusive_group()
    source.add_argument("--db", default="ticketcore.db", help="the SQLite store (default: ticketcore.db)")
    source.add_argument("--events", help="report on a CSV or JSON Lines events file instead of a store")
    report.add_argument(
        "--map", action="append", default=[], metavar="SRC=DST", help="rename a column of --events"
    )
    report.add_argument("--config", help="a configuration file (JSON or TOML) with calendars and policies")
    report.add_argument("--calendar", help="a file whose 'calendars' the policies name")
    report.add_argument("--policies", help="a file with the SLA 'policies' (default: the bundled sample's)")
    report.add_argument(
        "--as-of", help="report as of this ISO 8601 instant (default: just after the last event)"
    )
    _output_options(report)
    report.set_defaults(run=_report)

    again = commands.add_parser("replay", help="compare the stored histories' SLAs under proposed policies")
    again.add_argument("--policies", required=True, help="a file with the proposed SLA 'policies'")
    again.add_argument("--current", help="a file with the current 'policies' (default: the bundled sample's)")
    again.add_argument("--calendar", help="a file whose 'calendars' the policies name")
    again.add_argument("--db", default="ticketcore.db", help="the SQLite store (default: ticketcore.db)")
    again.add_argument(
        "--as-of", help="evaluate as of this ISO 8601 instant (default: just after the last event)"
    )
    again.add_argument(
        "--by",
        action="append",
        choices=DIMENSIONS,
        help="break down by this (repeatable; default: all three)",
    )
    again.set_defaults(run=_replay)

    doctor = commands.add_parser(
        "doctor", help="find the rows of a SQLite store that do not decode, and fix them"
    )
    doctor.add_argument("--db", default="ticketcore.db", help="the SQLite store (default: ticketcore.db)")
    action = doctor.add_mutually_exclusive_group()
    action.add_argument(
        "--quarantine", action="store_true", help="move the tickets with bad rows aside, whole"
    )
    action.add_argument("--restore", action="store_true", help="put the quarantined rows back")
    doctor.set_defaults(run=_doctor)

    check = commands.add_parser(
        "check", help="validate a configuration file and print each error with its path"
    )
    check.add_argument("config", help=f"a JSON or TOML file with any of: {', '.join(SECTIONS)}")
    check.set_defaults(run=_check)

    schema = commands.add_parser(
        "schema", help="print the JSON Schema of a configuration type, for editors (no NAME: list the names)"
    )
    schema.add_argument("name", nargs="?", choices=SCHEMA_NAMES, metavar="NAME", help=", ".join(SCHEMA_NAMES))
    schema.set_defaults(run=_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    try:
        args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exit_:  # argparse has printed the usage or the help
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except _UsageError as error:
        print(f"ticketcore {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as error:
        print(f"ticketcore {args.command}: configuration error: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except TicketcoreError as error:
        print(f"ticketcore {args.command}: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except BrokenPipeError:
        # The reader (``| head``) left: stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
