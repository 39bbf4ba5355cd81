"""cattrs hooks for the configuration types of the sla area (an edge module: only codec.py imports it)."""

from __future__ import annotations

import cattrs


def register(converter: cattrs.Converter) -> None:
    """Teach ``converter`` to (un)structure this area's configuration types (none need special hooks yet)."""
