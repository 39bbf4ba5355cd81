"""cattrs hooks for automation rule sets (an edge module: only codec.py imports it).

A template may be one text (``text = "Hello {requester}"``) or one per locale (``text = {en = "…", it = "…"}``);
dumps leave out fields at their defaults, so a dumped rule reads like the one written by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ticketcore.automation import Action, AutomationSet, Condition, Conditions, Macro, Rule, Schedule
from ticketcore.errors import ConfigError


def _value(value: object, _: Any) -> Any:
    # A condition's or action's value is plain data: a scalar or a list of scalars, nothing else.
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if not isinstance(item, str | int | float | bool):
                raise ConfigError(
                    f"expected a string or number, got {type(item).__name__} {item!r}", f"[{index}]"
                )
        return tuple(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ConfigError(
        f"expected a string, number, true/false or a list of them, got {type(value).__name__} {value!r}"
    )


def _text(value: object, _: Any) -> dict[str, str]:
    if isinstance(value, str):
        return {"": value}
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return dict(value)
    raise ConfigError(f"expected a text, or a table of texts by locale, got {type(value).__name__} {value!r}")


def _dump_text(texts: dict[str, str]) -> object:
    return texts[""] if set(texts) == {""} else dict(texts)


def register(converter: cattrs.Converter) -> None:
    """Teach ``converter`` to (un)structure rule sets, rules, conditions, actions and macros."""
    converter.register_structure_hook(
        Condition, make_dict_structure_fn(Condition, converter, value=override(struct_hook=_value))
    )
    converter.register_structure_hook(
        Action,
        make_dict_structure_fn(
            Action, converter, value=override(struct_hook=_value), text=override(struct_hook=_text)
        ),
    )
    converter.register_unstructure_hook(
        Action,
        make_dict_unstructure_fn(
            Action, converter, _cattrs_omit_if_default=True, text=override(unstruct_hook=_dump_text)
        ),
    )
    for cls in (Condition, Conditions, Schedule, Rule, Macro, AutomationSet):
        converter.register_unstructure_hook(
            cls, make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True)
        )
