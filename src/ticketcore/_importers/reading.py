"""Reading export files as rows, with every decoding problem named by its line.

CSV streams row by row. JSON (a document, or JSON Lines with one record per line) is read whole, since a document's
columns are only known once every record has been seen; a record's nested values are flattened by the format's
``cells`` function.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Callable, Generator, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ticketcore.errors import BadInput

Row = tuple[int, Mapping[str, str | None]]
"""A row of an export: its line, and its cells by column."""


@attrs.define
class ExportRows:
    """An export's header and its rows as ``(line, cells)``, read lazily; ``bom`` is True when the file had one.

    For JSON, ``line`` is the record's line in JSON Lines, or its position (from 1) in a JSON document.
    """

    header: tuple[str, ...]
    rows: Generator[Row, None, None]
    bom: bool = False
    sparse: bool = False
    """True when a record may leave a column out (JSON): then only the ticket and time columns must be there."""
    note: str | None = None
    """What the rows stand for, when they are not the file's own rows (states rebuilt from a change log)."""

    def close(self) -> None:
        """Close the file, if the rows were not read to the end."""
        self.rows.close()


ROW_ERROR = "\x00row error"
"""The key under which a row that cannot be split into its cells carries the reason (no column has this name)."""

_CHUNK = 1 << 20


def check_utf8(path: Path) -> bool:
    """True when the file starts with a byte-order mark; :class:`BadInput` naming the line if it is not UTF-8.

    The whole file is checked before anything is imported, so that a bad byte near the end stores nothing, in
    bounded memory.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as handle:
        bom = handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
        handle.seek(len(codecs.BOM_UTF8) if bom else 0)
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line += chunk[: error.start].count(b"\n")
                raise BadInput(
                    f"{chunk[error.start : error.end]!r} is not UTF-8; save the file as UTF-8", line=line
                ) from None
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise BadInput("the file ends inside a character; save it as UTF-8", line=line) from None
    return bom


def read_csv(path: Path) -> ExportRows:
    """The rows of a UTF-8 CSV file (a leading byte-order mark is dropped and noted); the header names the cells.

    A row that does not split into the header's cells comes with the reason under :data:`ROW_ERROR`, so that its
    ticket is refused and the rest of the file is read.
    """
    bom = check_utf8(path)
    encoding = "utf-8-sig" if bom else "utf-8"
    with path.open(encoding=encoding, newline="") as handle:
        try:
            header = tuple(c.strip() for c in next(csv.reader(handle)))
        except StopIteration:
            raise BadInput("the file is empty; expected a header row", line=1) from None
        except csv.Error as error:
            raise BadInput(f"not CSV: {error}", line=1) from None
    if len(set(header)) != len(header):
        twice = sorted({c for c in header if header.count(c) > 1})
        raise BadInput(f"the header repeats column(s) {', '.join(map(repr, twice))}", line=1)

    def rows() -> Generator[Row, None, None]:
        # The file is opened when the rows are first asked for, so an import refused on its header leaves none open.
        with path.open(encoding=encoding, newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    yield reader.line_num, {ROW_ERROR: f"not CSV: {error}"}
                    continue
                if not cells:
                    continue
                named = dict(zip(header, cells, strict=False))
                if len(cells) != len(header):
                    named[ROW_ERROR] = (
                        f"the row has {len(cells)} cells but the header {len(header)}; is it the declared format?"
                    )
                yield reader.line_num, named

    return ExportRows(header=header, rows=rows(), bom=bom)


Cells = Callable[[Mapping[str, Any]], dict[str, str]]
"""How a format flattens one JSON record into named text cells."""


def read_json(path: Path, cells: Cells, *, keys: tuple[str, ...]) -> ExportRows:
    """The records of a JSON export, each flattened by ``cells``.

    The file is a document holding the list of records under one of ``keys`` (or one record under a key without
    its final ``s``: ``{"ticket": {...}}``), a bare list of records, or JSON Lines with one record per line.
    """
    bom = check_utf8(path)
    records = json_records(path.read_text(encoding="utf-8-sig"), keys)
    rows = [(number, cells(record)) for number, record in records]
    header: dict[str, None] = {}
    for _, named in rows:
        header.update(dict.fromkeys(named))
    return ExportRows(header=tuple(header), rows=each(rows), bom=bom, sparse=True)


Expand = Callable[[Mapping[str, Any]], list[dict[str, str]]]
"""How a change-log format turns one JSON record into the successive states it records, oldest first."""


def read_changelog(path: Path, expand: Expand, *, keys: tuple[str, ...]) -> ExportRows:
    """The states a change-log export records (each record expanded by ``expand``), numbered from 1 in file order:
    for such exports a row's ``line`` is its position among the states, the first state of the first record being 1.
    """
    bom = check_utf8(path)
    rows: list[Row] = []
    records = 0
    for number, record in json_records(path.read_text(encoding="utf-8-sig"), keys):
        try:
            states = expand(record)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise BadInput(f"the record is not in the declared format ({error!r})", line=number) from None
        rows.extend((len(rows) + 1, state) for state in states)
        records += 1
    header: dict[str, None] = {}
    for _, named in rows:
        header.update(dict.fromkeys(named))
    note = f"{records} records with their change logs, read as {len(rows)} states (the rows counted here)"
    return ExportRows(header=tuple(header), rows=each(rows), bom=bom, sparse=True, note=note)


def each(rows: Iterable[Row]) -> Generator[Row, None, None]:
    """Rows held in memory as the generator :class:`ExportRows` holds."""
    yield from rows


def json_records(text: str, keys: tuple[str, ...]) -> list[tuple[int, Mapping[str, Any]]]:
    """The records of a JSON document or of JSON Lines, each with its position (its line, for JSON Lines)."""
    if not text.strip():
        raise BadInput("the file is empty; expected JSON records", line=1)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as whole:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:
            raise BadInput(f"not JSON: {whole.msg}", line=whole.lineno) from None
        found = []
        for number, line in lines:
            try:
                found.append((number, json.loads(line)))
            except json.JSONDecodeError as error:
                raise BadInput(f"not JSON Lines: {error.msg}", line=number) from None
        return [(n, _record(value, n)) for n, value in found]
    if isinstance(document, dict):
        key = next((k for k in keys if k in document or k.removesuffix("s") in document), None)
        if key is None:
            document = [document]  # JSON Lines of a single record
        elif isinstance(document.get(key), list):
            document = document[key]
        elif isinstance(document.get(key.removesuffix("s")), dict):
            document = [document[key.removesuffix("s")]]
        else:
            raise BadInput(f"expected a list of records under {key!r}", line=1)
    if not isinstance(document, list):
        raise BadInput(f"expected a list of records, got {type(document).__name__}", line=1)
    return [(n, _record(value, n)) for n, value in enumerate(document, 1)]


def _record(value: object, number: int) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise BadInput(f"expected a JSON object for the record, got {type(value).__name__}", line=number)
    return value


def text(value: object) -> str:
    """A JSON scalar as a cell: ``null`` is empty, booleans are ``true``/``false``, nested values stay JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
