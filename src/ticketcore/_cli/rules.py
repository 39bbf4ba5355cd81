"""What a loaded rule set can only check against the rest of a configuration file: the statuses, groups, agents,
calendars and SLA metrics it names, and the placeholders of its templates."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ticketcore.automation import TEMPLATE_NAMES, Action, ActionType, AutomationSet, Condition, Operator
from ticketcore.errors import ConfigError
from ticketcore.lifecycle import Workflow
from ticketcore.routing import Agent, Router
from ticketcore.sla import SLAPolicySet

__all__ = ["Known", "cross_references"]

_COMPARED = frozenset(
    {Operator.IS, Operator.IS_NOT, Operator.IN, Operator.NOT_IN, Operator.CHANGED_TO, Operator.CHANGED_FROM}
)


class Known:
    """The names the other sections of the file define; ``None`` where the file has no such section."""

    def __init__(
        self,
        workflow: Workflow | None,
        agents: Sequence[Agent] | None,
        routing: Router | None,
        policies: SLAPolicySet | None,
    ) -> None:
        self.statuses = None if workflow is None else [status.name for status in workflow.statuses]
        self.actions = (
            None if workflow is None else list(dict.fromkeys(t.action for t in workflow.transitions))
        )
        self.agents = None if agents is None else [agent.id for agent in agents]
        groups: set[str] | None = None
        if agents is not None or routing is not None:
            groups = {group for agent in agents or () for group in agent.groups}
            if routing is not None:
                requirements = [rule.then for rule in routing.rules] + [routing.fallback]
                groups |= {r.group for r in requirements if r.group is not None}
        self.groups = None if groups is None else sorted(groups)
        self.metrics = (
            None
            if policies is None
            else sorted({name for policy in policies.policies for name in policy.metrics})
        )


def _values(value: object) -> tuple[object, ...]:
    return value if isinstance(value, tuple) else (value,)


def _unknown(kind: str, value: object, known: Sequence[str], where: str, path: str) -> ConfigError:
    names = ", ".join(map(repr, known)) or "none"
    return ConfigError(f"{kind} {value!r} is not defined in {where}; defined: {names}", path)


def _names(field: str, known: Known) -> tuple[str, list[str] | None, str] | None:
    """What kind of name ``field`` holds, the names the file defines for it, and where they are defined."""
    if field == "status":
        return "status", known.statuses, "'workflow'"
    if field == "action":
        return "workflow action", known.actions, "'workflow'"
    if field == "group":
        return "group", known.groups, "'agents' or 'routing'"
    if field == "assignee":
        return "agent", known.agents, "'agents'"
    return None


# 'set_status' names the workflow's action (a transition) that moves the ticket, not the status it reaches.
_ACTION_FIELDS = {
    ActionType.SET_STATUS: "action",
    ActionType.SET_GROUP: "group",
    ActionType.ASSIGN: "assignee",
}


def _condition(condition: Condition, known: Known, path: str) -> Iterator[ConfigError]:
    if condition.field.startswith("sla.") and known.metrics is not None:
        metric = condition.field.split(".")[1]
        if metric not in known.metrics:
            yield _unknown("SLA metric", metric, known.metrics, "'policies'", f"{path}.field")
    names = _names(condition.field, known)
    if names is None or condition.operator not in _COMPARED:
        return
    kind, defined, where = names
    if defined is None:
        return
    for value in _values(condition.value):
        if value not in defined:
            yield _unknown(kind, value, defined, where, f"{path}.value")


def _action(action: Action, known: Known, path: str) -> Iterator[ConfigError]:
    field = _ACTION_FIELDS.get(action.type)
    names = None if field is None else _names(field, known)
    if names is not None and names[1] is not None and action.value not in names[1]:
        yield _unknown(names[0], action.value, names[1], names[2], f"{path}.value")
    for name in action.placeholders:
        parts = name.split(".")
        if name in TEMPLATE_NAMES:
            continue
        if len(parts) == 3 and parts[0] == "sla" and parts[2] == "due":
            if known.metrics is None or parts[1] in known.metrics:
                continue
            yield _unknown("SLA metric", parts[1], known.metrics, "'policies'", f"{path}.text")
            continue
        choices = ", ".join(sorted(TEMPLATE_NAMES)) + ", sla.<metric>.due"
        yield ConfigError(
            f"the template names {{{name}}}, which is not a placeholder; use {choices}", f"{path}.text"
        )


def cross_references(automations: AutomationSet, known: Known) -> list[ConfigError]:
    """Every name ``automations`` uses that the file's other sections do not define, with its path."""
    errors: list[ConfigError] = []
    for index, rule in enumerate(automations.rules):
        for part in ("all", "any"):
            for number, condition in enumerate(getattr(rule.conditions, part)):
                path = f"rules[{index}].conditions.{part}[{number}]"
                errors.extend(_condition(condition, known, path))
        for number, action in enumerate(rule.actions):
            errors.extend(_action(action, known, f"rules[{index}].actions[{number}]"))
    for index, macro in enumerate(automations.macros):
        for number, action in enumerate(macro.actions):
            errors.extend(_action(action, known, f"macros[{index}].actions[{number}]"))
    return errors
