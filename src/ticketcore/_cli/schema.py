"""``ticketcore schema``: the JSON Schemas of the configuration types, printed for editors (private to cli)."""

from __future__ import annotations

import json
from typing import TextIO

from ticketcore import codec
from ticketcore.codec import SCHEMA_NAMES

__all__ = ["SCHEMA_NAMES", "print_schema"]


def print_schema(name: str | None, out: TextIO) -> None:
    """The schema called ``name`` as indented JSON on ``out``; without a name, each name and what it describes."""
    if name is None:
        for known in SCHEMA_NAMES:
            print(f"{known:<13} {codec.json_schema(known).get('description', '')}", file=out)
        return
    print(json.dumps(codec.json_schema(name), indent=2, ensure_ascii=False), file=out)
