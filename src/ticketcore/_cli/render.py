"""Render report sections as a text table, JSON or CSV (private to cli).

The text table is for people: titles, column headers, priorities, metrics, durations and numbers are localised with
``ticketcore.i18n`` (and babel). JSON and CSV are for machines: keys stay the stable English identifiers, durations
are ISO 8601 (``PT2H30M``), instants ISO 8601 in UTC and rates plain fractions.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import babel.numbers

from ticketcore._cli.report import Cell, Section
from ticketcore.codec import dump_duration
from ticketcore.i18n import format_datetime, format_duration, label

__all__ = ["FORMATS", "csv_cell", "render", "text"]

FORMATS = ("table", "json", "csv")
"""The output formats of reports."""

# Report keys that name a backlog metric or an SLA state read as those kinds do, so the report agrees with every
# other place that shows them; every other key (titles, items, columns, outcomes) is of the ``report`` kind.
_KIND = {
    "sla_compliance": "backlog",
    "backlog": "backlog",
    "backlog_ratio": "backlog",
    "ageing": "backlog",
    "open": "backlog",
    "created": "backlog",
    "solved": "backlog",
    "reopened": "backlog",
    "median": "backlog",
    "p90": "backlog",
    "week": "backlog",
    "priority": "backlog",
    "channel": "backlog",
    "group": "backlog",
    "region": "backlog",
    "achieved": "sla_state",
    "breached": "sla_state",
    "running": "sla_state",
}


def text(key: str, locale: str) -> str:
    """The localised word for a report key (a section, a column or an item), from the shipped catalogs."""
    return label(key, locale, kind=_KIND.get(key, "report"))


def _number(value: float, locale: str) -> str:
    return babel.numbers.format_decimal(value, format="#,##0.##", locale=locale)


def _cell(section: str, column: str, value: Cell, locale: str) -> str:
    if value is None:
        return "-" if column != "to" else "∞"
    if isinstance(value, timedelta):
        return format_duration(value, locale, length="short") if value else "0"
    if isinstance(value, datetime):
        return format_datetime(value, locale, "UTC", format="yyyy-MM-dd HH:mm")
    if column == "priority" and isinstance(value, int):
        return label(value, locale)
    if column == "rate" and isinstance(value, float):
        return babel.numbers.format_percent(value, format="#,##0.0%", locale=locale)
    if isinstance(value, float):
        return _number(value, locale)
    if isinstance(value, str):
        if column == "metric":
            kind = "sla_metric" if section in ("sla_compliance", "top_breaches") else "backlog"
            return label(value, locale, kind=kind)
        if column in ("item", "outcome") or value in ("yes", "no"):
            return text(value, locale)
    return str(value)


def _table(section: Section, locale: str) -> str:
    headers = [text(column, locale) for column in section.columns]
    body = [
        [_cell(section.key, c, v, locale) for c, v in zip(section.columns, row, strict=True)]
        for row in section.rows
    ]
    widths = [max(len(cells[i]) for cells in [headers, *body]) for i in range(len(headers))]
    numeric = [
        # Numbers are right-aligned; a missing value ("-") does not make a column of numbers text.
        all(row[i] is None or _is_number(row[i]) for row in section.rows)
        and any(_is_number(row[i]) for row in section.rows)
        and section.columns[i] != "priority"  # shown as a label, "P1 Critical"
        for i in range(len(headers))
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    title = text(section.key, locale)
    out = [title, "=" * len(title), line(headers), line(["-" * w for w in widths])]
    out.extend(line(cells) for cells in body)
    if not section.rows:
        out.append("(-)")
    return "\n".join(out)


def _is_number(value: Cell) -> bool:
    return isinstance(value, int | float | timedelta) and not isinstance(value, bool)


def _plain(value: Cell) -> object:
    if isinstance(value, timedelta):
        return dump_duration(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet will not run: text starting like a formula gets a leading ``'`` (as OWASP
    recommends against CSV injection). Only text is touched: numbers (``-5``), durations and instants are ours and
    stay as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def render(sections: Sequence[Section], fmt: str, locale: str = "en") -> str:
    """``sections`` as ``table`` (localised text), ``json`` (an object of sections) or ``csv`` (one row per cell)."""
    if fmt == "json":
        data = {
            s.key: {
                "title": text(s.key, locale),
                "rows": [{c: _plain(v) for c, v in zip(s.columns, row, strict=True)} for row in s.rows],
            }
            for s in sections
        }
        return json.dumps(data, indent=2, ensure_ascii=False)
    if fmt == "csv":
        buffer = io.StringIO()
        # CRLF as RFC 4180 writes it: with it, the csv module also quotes a cell holding a lone carriage return.
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["section", "row", "column", "value"])
        for s in sections:
            for index, row in enumerate(s.rows, start=1):
                for column, value in zip(s.columns, row, strict=True):
                    plain = (
                        ""
                        if value is None
                        else _plain(value)
                        if not isinstance(value, str)
                        else csv_cell(value)
                    )
                    writer.writerow([csv_cell(s.key), index, csv_cell(column), plain])
        return buffer.getvalue().removesuffix("\r\n")
    return "\n\n".join(_table(s, locale) for s in sections)
