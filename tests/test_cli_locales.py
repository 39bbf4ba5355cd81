"""The command line's report in every shipped language: titles, headers, items and metrics all come from the catalogs.

The oracle is the ``.po`` files, read with babel: the English report says which catalog message stands at each place
of the table, and every other language must show that message's translation there, never the English text.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import ticketcore
from ticketcore.cli import EXIT_OK, main
from ticketcore.i18n import SHIPPED_LOCALES

LOCALE_DIR = Path(ticketcore.__file__).parent / "locale"
AS_OF = "2025-12-22T12:00:00+00:00"
# The kinds of words the report shows: its own, backlog metrics, SLA metrics and SLA states.
REPORT_CONTEXTS = ("report", "backlog", "sla_metric", "sla_state")

Table = tuple[str, tuple[str, ...], tuple[tuple[str, ...], ...]]
"""A rendered section: its title, its column headers and its rows of cells."""


def _catalog(language: str) -> dict[tuple[str, str], str]:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "ticketcore.po").open("rb") as source:
        return {(str(m.context), str(m.id)): str(m.string) for m in read_po(source) if m.id}


CATALOGS = {language: _catalog(language) for language in SHIPPED_LOCALES}


def _translations(english: str, language: str) -> set[str]:
    """What ``english`` may read as in ``language``: its translation under each report context that has it."""
    return {
        CATALOGS[language][(context, english)]
        for context in REPORT_CONTEXTS
        if (context, english) in CATALOGS[language]
    }


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _tables(out: str) -> list[Table]:
    """The table output cut into sections; the dashed rule under the headers gives each column's span."""
    tables = []
    for block in out.strip("\n").split("\n\n"):
        title, rule, header, dashes, *body = block.split("\n")
        assert rule == "=" * len(title), block
        spans, start = [], 0
        for run_ in dashes.split("  "):
            spans.append((start, start + len(run_)))
            start += len(run_) + 2

        def cells(line: str, spans: list[tuple[int, int]] = spans) -> tuple[str, ...]:
            return tuple(line[low:high].strip() for low, high in spans)

        rows = () if body == ["(-)"] else tuple(cells(line) for line in body)
        tables.append((title, cells(header), rows))
    return tables


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo help desk kept in a store, and the demo's own output, in Croatian."""
    db = tmp_path_factory.mktemp("demo_locales") / "demo.db"
    code, out, _ = run("demo", "--db", str(db), "--locale", "hr")
    assert code == EXIT_OK
    return db, out


def report(db: Path, language: str) -> list[Table]:
    code, out, _ = run("report", "--db", str(db), "--as-of", AS_OF, "--locale", language)
    assert code == EXIT_OK
    return _tables(out)


def test_croatian_demo_prints_croatian_titles(store: tuple[Path, str]) -> None:
    _, out = store
    titles = [title for title, _headers, _rows in _tables(out)]
    assert titles == [
        "Sažetak",
        "Usklađenost sa SLA-om",
        "Zaostatak",
        "Zaostatak po tjednima",
        "Stvoreni i riješeni po tjednu",
        "Starost",
        "Vremena odgovora i rješavanja",
        "Raščlamba",
        "Najveća prekoračenja",
        "Ishodi usmjeravanja",
        "Zahtjevi po agentu",
        "Što su automatizacije učinile",
    ]
    for words in (
        "Stavka",
        "Vrijednost",
        "Stanje na dan",
        "Usmjereni pri otvaranju",
        "Kašnjenje",
        "Stalan rast",
    ):
        assert words in out, words
    for english in (
        "Summary",
        "Top breaches",
        "Routing outcomes",
        "Tickets per agent",
        "As of",
        "Overdue by",
    ):
        assert english not in out, english


def test_english_report_words_are_all_catalog_messages(store: tuple[Path, str]) -> None:
    """Every title, header and item of the English report is a shipped message, not a name spelled out."""
    db, _ = store
    for title, headers, rows in report(db, "en"):
        assert _translations(title, "en") == {title}
        for header in headers:
            assert _translations(header, "en") == {header}, (title, header)
        if title in ("Summary", "Backlog", "Routing outcomes"):
            for row in rows:
                assert _translations(row[0], "en") == {row[0]}, (title, row[0])


@pytest.mark.parametrize("language", [tag for tag in SHIPPED_LOCALES if tag != "en"])
def test_no_report_word_falls_back_to_english(store: tuple[Path, str], language: str) -> None:
    db, _ = store
    english, translated = report(db, "en"), report(db, language)
    assert len(translated) == len(english)
    checked = 0
    for (title, headers, rows), (their_title, their_headers, their_rows) in zip(
        english, translated, strict=True
    ):
        assert their_title in _translations(title, language), (language, title, their_title)
        assert len(their_headers) == len(headers)
        for header, theirs in zip(headers, their_headers, strict=True):
            assert theirs in _translations(header, language), (language, title, header, theirs)
        assert len(their_rows) == len(rows)
        for row, their_row in zip(rows, their_rows, strict=True):
            for cell, theirs in zip(row, their_row, strict=True):
                # Data (agents, channels, policies, numbers) is no message; every message cell is translated.
                if _translations(cell, "en"):
                    assert theirs in _translations(cell, language), (language, title, cell, theirs)
                    checked += 1
        checked += 1 + len(headers)
    assert checked > 60
