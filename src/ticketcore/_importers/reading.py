"""Reading export files as rows, streaming, with every decoding problem named by its line."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path

import attrs

from ticketcore.errors import BadInput

from .diff import Row


@attrs.define
class CsvRows:
    """A CSV file's header and its rows as ``(line, cells)``, read lazily; ``bom`` is True when the file had one."""

    header: tuple[str, ...]
    rows: Iterator[Row]
    bom: bool = False


def _lines(path: Path, bom: bool) -> Iterator[str]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if number == 1 and bom:
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise BadInput(
                    f"byte {error.start + 1} of the line is not UTF-8 ({raw[error.start : error.end]!r}); "
                    "save the file as UTF-8",
                    line=number,
                ) from None


def read_csv(path: Path) -> CsvRows:
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

    return CsvRows(header=header, rows=rows(), bom=bom)
