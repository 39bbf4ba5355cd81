"""cattrs hooks for the configuration types of the lifecycle area (an edge module: only codec.py imports it).

A workflow's ``guards`` mapping holds code, so it is neither loaded nor dumped: configuration names guards, and
those names are resolved against the registered guards when the workflow is built. Its timers live in the
``timer_rules`` attribute (``Workflow.timers()`` is the method that evaluates them) and are ``"timers"`` in data,
in error paths too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cattrs
import cattrs.gen
from cattrs.errors import AttributeValidationNote, ClassValidationError

from ticketcore.lifecycle import Workflow

_ATTRIBUTE, _KEY = "timer_rules", "timers"


def _rename_notes(error: ClassValidationError) -> None:
    for sub in error.exceptions:
        notes = getattr(sub, "__notes__", None)
        if not notes:
            continue
        for i, note in enumerate(notes):
            if isinstance(note, AttributeValidationNote) and note.name == _ATTRIBUTE:
                notes[i] = AttributeValidationNote(note.replace(_ATTRIBUTE, _KEY), _KEY, note.type)


def register(converter: cattrs.Converter) -> None:
    """Teach ``converter`` to (un)structure a :class:`~ticketcore.lifecycle.Workflow` without its code-only guards."""
    omit = cattrs.gen.override(omit=True)
    rename = cattrs.gen.override(rename=_KEY)
    base = cattrs.gen.make_dict_structure_fn(Workflow, converter, guards=omit, timer_rules=rename)

    def structure(data: Mapping[str, Any], cls: type[Workflow]) -> Workflow:
        try:
            return base(data, cls)
        except ClassValidationError as error:
            _rename_notes(error)
            raise

    converter.register_structure_hook(Workflow, structure)
    converter.register_unstructure_hook(
        Workflow, cattrs.gen.make_dict_unstructure_fn(Workflow, converter, guards=omit, timer_rules=rename)
    )
