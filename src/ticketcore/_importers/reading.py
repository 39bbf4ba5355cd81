"""Reading export files as rows, with every decoding problem named by its line.

CSV streams row by row. JSON (a document, or JSON Lines with one record per line) is read whole, since a document's
columns are only known once every record has been seen; a record's nested values are flattened by the format's
``cells`` function.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from ticketcore.errors import BadInput

from .diff import Row


@attrs.define
class ExportRows:
    """An export's header and its rows as ``(line, cells)``, read lazily; ``bom`` is True when the file had one.

    For JSON, ``line`` is the record's line in JSON Lines, or its position (from 1) in a JSON document.
    """

    header: tuple[str, ...]
    rows: Iterator[Row]
    bom: bool = False


def _lines(path: Path, bom: bool) -> Iterator[str]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            raw = line[len(codecs.BOM_UTF8) :] if number == 1 and bom else line
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise BadInput(
                    f"byte {error.start + 1} of the line is not UTF-8 ({raw[error.start : error.end]!r}); "
                    "save the file as UTF-8",
                    line=number,
                ) from None


def read_csv(path: Path) -> ExportRows:
    """The rows of a UTF-8 CSV file (a leading byte-order mark is dropped and noted); the header names the cells."""
    with path.open("rb") as handle:
        bom = handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    reader = csv.reader(_lines(path, bom))
    try:
        header = tuple(c.strip() for c in next(reader))
    except StopIteration:
        raise BadInput("the file is empty; expected a header row", line=1) from None
    except csv.Error as error:
        raise BadInput(f"not CSV: {error}", line=1) from None
    if len(set(header)) != len(header):
        twice = sorted({c for c in header if header.count(c) > 1})
        raise BadInput(f"the header repeats column(s) {', '.join(map(repr, twice))}", line=1)

    def rows() -> Iterator[Row]:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise BadInput(f"not CSV: {error}", line=reader.line_num) from None
            if not cells:
                continue
            if len(cells) != len(header):
                raise BadInput(
                    f"the row has {len(cells)} cells but the header {len(header)}; is it the declared format?",
                    line=reader.line_num,
                )
            yield reader.line_num, dict(zip(header, cells, strict=True))

    return ExportRows(header=header, rows=rows(), bom=bom)


Cells = Callable[[Mapping[str, Any]], dict[str, str]]
"""How a format flattens one JSON record into named text cells."""


def read_json(path: Path, cells: Cells, *, keys: tuple[str, ...]) -> ExportRows:
    """The records of a JSON export, each flattened by ``cells``.

    The file is a document holding the list of records under one of ``keys`` (or one record under a key without
    its final ``s``: ``{"ticket": {...}}``), a bare list of records, or JSON Lines with one record per line.
    """
    raw = path.read_bytes()
    bom = raw.startswith(codecs.BOM_UTF8)
    try:
        text = raw[len(codecs.BOM_UTF8) if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise BadInput("the file is not UTF-8; save it as UTF-8", line=line) from None
    records = _records(text, keys)
    rows = [(number, cells(record)) for number, record in records]
    header: dict[str, None] = {}
    for _, named in rows:
        header.update(dict.fromkeys(named))
    return ExportRows(header=tuple(header), rows=iter(rows), bom=bom)


def _records(text: str, keys: tuple[str, ...]) -> list[tuple[int, Mapping[str, Any]]]:
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
        for key in keys:
            if isinstance(document.get(key), list):
                document = document[key]
                break
            if isinstance(document.get(key.removesuffix("s")), dict):
                document = [document[key.removesuffix("s")]]
                break
    if not isinstance(document, list):
        named = " or ".join(repr(key) for key in keys)
        raise BadInput(f"expected a list of records, or an object with a {named} list", line=1)
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
