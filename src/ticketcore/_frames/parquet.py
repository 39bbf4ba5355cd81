"""Events DataFrames as Parquet files and back (private to ``dataframes``; imports pyarrow).

Every column of ``EVENT_COLUMNS`` is written, always with the same Arrow type, so that files (and the parts of a
Dask dataset) written from different frames read back as one: ``str`` and ``category`` columns as ``string``, ``int``
as ``int64``, ``bool`` as ``bool``, ``datetime`` as ``timestamp[us, UTC]``, ``strings`` as ``list<string>``, and the
JSON columns (``fields``, ``value``, ``previous``) as JSON text, decoded again on reading.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ticketcore._frames.columns import EVENT_COLUMNS
from ticketcore._frames.schema import _KINDS
from ticketcore.errors import ConfigError

__all__ = ["SCHEMA", "decoded", "empty", "encoded", "read", "read_dask", "write", "write_dask"]

_TYPES = {
    "str": pa.string(),
    "category": pa.string(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "datetime": pa.timestamp("us", tz="UTC"),
    "strings": pa.list_(pa.string()),
    "json": pa.string(),
    "value": pa.string(),
}
SCHEMA = pa.schema([(name, _TYPES[_KINDS[name]]) for name in EVENT_COLUMNS])
_JSON = [name for name in EVENT_COLUMNS if _KINDS[name] in ("json", "value")]
_LISTS = [name for name in EVENT_COLUMNS if _KINDS[name] == "strings"]


def _empty(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _names(value: object) -> list[str] | None:
    """A tag set as a sorted list; a string holds names separated by ';' (as ``EVENT_COLUMNS`` says)."""
    if _empty(value):
        return None
    if isinstance(value, str):
        return sorted({part.strip() for part in value.split(";") if part.strip()})
    return sorted(str(part) for part in value)  # type: ignore[attr-defined]


def _text(value: object) -> str | None:
    if _empty(value):
        return None
    return json.dumps(value.item() if hasattr(value, "item") else value, sort_keys=True)


def _read(value: object) -> object:
    return None if value is None or value is pd.NA or isinstance(value, float) else json.loads(str(value))


def encoded(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every event column, in order, each cell ready for :data:`SCHEMA`."""
    extra = [name for name in frame.columns if name not in EVENT_COLUMNS]
    if extra:
        raise ConfigError(
            f"{extra[0]!r} is not an event column; valid columns: {', '.join(EVENT_COLUMNS)}", "columns"
        )
    data = frame.reset_index(drop=True)
    for name in EVENT_COLUMNS:
        if name not in data.columns:
            data[name] = pd.Series([None] * len(data), dtype=object)  # all empty, of no pandas dtype
    data = data[list(EVENT_COLUMNS)]
    for name in _JSON:
        data[name] = pd.Series([_text(v) for v in data[name].astype(object)], dtype=object)
    for name in _LISTS:
        data[name] = pd.Series([_names(v) for v in data[name].astype(object)], dtype=object)
    return data


def decoded(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame read with :data:`SCHEMA` as :func:`events_to_frame` makes it: JSON decoded, lists as tuples."""
    data = frame.reset_index(drop=True)
    for name in _JSON:
        data[name] = pd.Series([_read(v) for v in data[name].astype(object)], dtype=object)
    for name in _LISTS:
        data[name] = pd.Series(
            [None if v is None or isinstance(v, float) else tuple(v) for v in data[name].astype(object)],
            dtype=object,
        )
    for name in EVENT_COLUMNS:
        if _KINDS[name] == "int":
            data[name] = data[name].astype("Int64")
        elif _KINDS[name] == "bool":
            data[name] = data[name].astype("boolean")
    return data


def write(frame: pd.DataFrame, path: str | Path) -> None:
    encoded(frame).to_parquet(path, engine="pyarrow", index=False, schema=SCHEMA)


def read(path: str | Path) -> pd.DataFrame:
    return decoded(pd.read_parquet(path, engine="pyarrow", schema=SCHEMA))


def empty() -> pd.DataFrame:
    """The frame :func:`read` gives for a file without rows: the meta of a Dask read."""
    return decoded(SCHEMA.empty_table().to_pandas())


def read_dask(path: str | Path) -> Any:
    import dask.dataframe as dd

    frame = dd.read_parquet(path, engine="pyarrow", schema=SCHEMA, index=False)
    return frame.map_partitions(decoded, meta=empty())


def write_dask(frame: Any, path: str | Path) -> None:
    from dask.dataframe.utils import make_meta

    frame.map_partitions(encoded, meta=encoded(make_meta(frame))).to_parquet(
        path, engine="pyarrow", write_index=False, schema=SCHEMA
    )
