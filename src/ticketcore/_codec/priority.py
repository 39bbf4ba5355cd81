"""cattrs hooks for the configuration types of the priority area (an edge module: only codec.py imports it).

A matrix anywhere in a configuration is either kind: ``{"mode": "weighted", ...}`` loads a
:class:`~ticketcore.priority.WeightedPriorityMatrix`, anything else (``"mode": "lookup"`` or no mode) a
:class:`~ticketcore.priority.PriorityMatrix`. Dumps leave out fields at their defaults, so they read like the
configuration a person would write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import cattrs
import cattrs.gen

from ticketcore.errors import ConfigError
from ticketcore.priority import (
    AffectedThresholds,
    AnyPriorityMatrix,
    Conditions,
    PriorityMatrix,
    PriorityPolicy,
    PriorityRule,
    WeightedPriorityMatrix,
)

_MODES = {"lookup": PriorityMatrix, "weighted": WeightedPriorityMatrix}


def _mode_of(value: object) -> str:
    if not isinstance(value, Mapping):
        raise ConfigError(f"expected a matrix as a mapping of fields, got {type(value).__name__} {value!r}")
    mode = value.get("mode", "lookup")
    if mode not in _MODES:
        raise ConfigError(f"{mode!r} is not a matrix mode; valid modes: 'lookup', 'weighted'", "mode")
    return str(mode)


def _matrix_structurer(
    converter: cattrs.Converter, cls: type[PriorityMatrix | WeightedPriorityMatrix]
) -> Callable[[object, Any], Any]:
    base = cattrs.gen.make_dict_structure_fn(cls, converter)
    own = next(mode for mode, kind in _MODES.items() if kind is cls)

    def structure(value: object, _: Any) -> Any:
        mode = _mode_of(value)
        if mode != own:
            raise ConfigError(
                f"{mode!r} is not the mode of a {cls.__name__}; write {own!r} or leave it out", "mode"
            )
        assert isinstance(value, Mapping)
        return base({k: v for k, v in value.items() if k != "mode"}, cls)

    return structure


def register(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the priority configuration: matrix modes, and dumps without default fields."""
    structurers = {cls: _matrix_structurer(converter, cls) for cls in _MODES.values()}
    for cls, structure in structurers.items():
        converter.register_structure_hook(cls, structure)

    def structure_any(value: object, _: Any) -> Any:
        return structurers[_MODES[_mode_of(value)]](value, None)

    converter.register_structure_hook_func(lambda t: t == AnyPriorityMatrix, structure_any)

    for cls in (PriorityMatrix, Conditions, PriorityRule, AffectedThresholds, PriorityPolicy):
        converter.register_unstructure_hook(
            cls, cattrs.gen.make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True)
        )
    weighted = cattrs.gen.make_dict_unstructure_fn(
        WeightedPriorityMatrix, converter, _cattrs_omit_if_default=True
    )
    converter.register_unstructure_hook(
        WeightedPriorityMatrix, lambda matrix: {"mode": "weighted", **weighted(matrix)}
    )
