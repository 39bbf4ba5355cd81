"""Drawing a workflow as a Mermaid state diagram."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ticketcore._lifecycle.defs import SystemRules, Transition
from ticketcore.model import Category, Status

__all__ = ["mermaid"]

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Words Mermaid's state-diagram grammar reserves; a status with such a name gets an alias.
_KEYWORDS = frozenset(
    {"state", "note", "direction", "end", "class", "classDef", "style", "as", "left", "right", "of"}
)
_STYLES = {
    Category.NEW: "fill:#e3f2fd,stroke:#1565c0",
    Category.OPEN: "fill:#fff3e0,stroke:#ef6c00",
    Category.PENDING: "fill:#ede7f6,stroke:#5e35b1",
    Category.ON_HOLD: "fill:#fce4ec,stroke:#ad1457",
    Category.SOLVED: "fill:#e8f5e9,stroke:#2e7d32",
    Category.CLOSED: "fill:#eeeeee,stroke:#616161",
}


def _ids(statuses: Sequence[Status]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for i, status in enumerate(statuses):
        plain = _IDENTIFIER.fullmatch(status.name) and status.name not in _KEYWORDS
        ids[status.name] = status.name if plain else f"s{i}"
    return ids


def _label(text: str) -> str:
    # Mermaid ends a label at a newline and treats ':' and ';' specially; keep labels on one safe line.
    return re.sub(r"[\n\r:;#]", " ", text).strip()


def mermaid(
    statuses: Sequence[Status],
    transitions: Sequence[Transition],
    initial: Status,
    follow_up: Status | None,
    rules: SystemRules,
) -> str:
    """``stateDiagram-v2`` text: one arrow per (source, target) pair labelled with its actions (the reply rule's
    moves labelled ``requester reply``), and each status styled by its category."""
    ids = _ids(statuses)
    lines = ["stateDiagram-v2"]
    for status in statuses:
        if ids[status.name] != status.name:
            lines.append(f'    state "{_label(status.name)}" as {ids[status.name]}')
    lines.append(f"    [*] --> {ids[initial.name]}")
    labels: dict[tuple[str, str], list[str]] = {}
    for transition in transitions:
        for source in transition.sources:
            labels.setdefault((source, transition.target), []).append(transition.action)
    if rules.reply_reopens and follow_up is not None:
        for status in statuses:
            if status.category in rules.reply_reopens_from and status.name != follow_up.name:
                labels.setdefault((status.name, follow_up.name), []).append("requester reply")
    for (source, target), actions in labels.items():
        lines.append(f"    {ids[source]} --> {ids[target]} : {_label(' / '.join(actions))}")
    for status in statuses:
        if status.category is Category.CLOSED:
            lines.append(f"    {ids[status.name]} --> [*]")
    for category in Category:
        if any(status.category is category for status in statuses):
            lines.append(f"    classDef cat_{category.value} {_STYLES[category]}")
    for category in Category:
        members = [ids[status.name] for status in statuses if status.category is category]
        if members:
            lines.append(f"    class {','.join(members)} cat_{category.value}")
    return "\n".join(lines) + "\n"
