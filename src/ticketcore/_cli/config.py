"""Configuration files for the command line: JSON or TOML, one section per kind of configuration (private to cli).

A file holds any of these top-level sections (and, for editors, the address of its JSON Schema under ``"$schema"``:
``ticketcore schema config`` prints it); each is the data form ``ticketcore.codec`` loads::

    workflow    a Workflow                  (default: ticketcore.default_workflow())
    priorities  a PriorityPolicy
    calendars   {name: BusinessCalendar}
    policies    [SLAPolicy, ...]            an SLAPolicySet's policies, first match wins
    agents      [Agent, ...]
    routing     a Router                    (strategy, rules, channel_weights, fallback)
    automations an AutomationSet            (rules, macros, max_passes, default_locale)
    sample      the bundled demo's generator settings (seed, tickets, start, weeks, as_of)

Wherever a calendar is expected (a policy's or a metric's ``calendar``, an agent's ``shift``, a rule's business
hours) a string names one of ``calendars``, so each calendar is written once. The statuses, groups, agents, SLA
metrics and template placeholders the automations name are checked against the file's other sections, when it has
them.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from ticketcore import codec
from ticketcore._cli.rules import Known, cross_references
from ticketcore.automation import AutomationSet
from ticketcore.errors import ConfigError
from ticketcore.lifecycle import Workflow, default_workflow
from ticketcore.priority import PriorityPolicy
from ticketcore.routing import Agent, Router
from ticketcore.sla import BusinessCalendar, SLAPolicySet

__all__ = ["SECTIONS", "Config", "SampleSettings", "bundled_data", "check_data", "load_config", "read_data"]

SECTIONS = ("workflow", "priorities", "calendars", "policies", "agents", "routing", "automations", "sample")
"""The top-level keys a configuration file may have."""


@attrs.frozen
class SampleSettings:
    """How the demo generates its tickets: ``tickets`` over ``weeks`` from ``start``, reported ``as_of``."""

    seed: int
    tickets: int
    start: date
    weeks: int
    as_of: datetime


@attrs.frozen
class Config:
    """Every section of a configuration, loaded (absent sections are ``None``, the workflow is the default)."""

    workflow: Workflow = attrs.field(factory=default_workflow)
    priorities: PriorityPolicy | None = None
    calendars: dict[str, BusinessCalendar] = attrs.field(factory=dict)
    policies: SLAPolicySet | None = None
    agents: tuple[Agent, ...] = ()
    routing: Router | None = None
    automations: AutomationSet | None = None
    sample: SampleSettings | None = None


def read_data(path: str | Path) -> dict[str, Any]:
    """The mapping in a ``.json`` or ``.toml`` file (TOML for ``.toml``, JSON otherwise)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read {str(file)!r}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{str(file)!r} is not UTF-8 text") from None
    try:
        data = tomllib.loads(text) if file.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        kind = "TOML" if file.suffix.lower() == ".toml" else "JSON"
        raise ConfigError(f"{str(file)!r} is not valid {kind}: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{str(file)!r} must hold a mapping of sections ({', '.join(SECTIONS)})")
    return data


def bundled_data() -> dict[str, Any]:
    """The bundled sample configuration (``ticketcore/samples/demo.json``) as data."""
    text = resources.files("ticketcore").joinpath("samples/demo.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


_MISSING = object()


def _calendar_ref(
    value: object, calendars: Mapping[str, object], path: str, errors: list[ConfigError]
) -> object:
    """The calendar ``value`` names, or ``_MISSING`` (the field is left out) when it names none or a bad one."""
    if not isinstance(value, str):
        return value
    if value not in calendars:
        names = ", ".join(repr(n) for n in calendars) or "none are defined"
        errors.append(ConfigError(f"no calendar named {value!r} in 'calendars'; defined: {names}", path))
        return _MISSING
    calendar = calendars[value]
    # A bad calendar is reported once, under 'calendars', not again wherever it is named.
    return _MISSING if codec.check(BusinessCalendar, calendar) else calendar


def _put(data: Mapping[str, Any], key: str, value: object) -> dict[str, Any]:
    result = dict(data)
    if value is _MISSING:
        result.pop(key, None)
    else:
        result[key] = value
    return result


def _resolve(data: Mapping[str, Any], errors: list[ConfigError]) -> dict[str, Any]:
    """``data`` with calendar names replaced by the calendars they name (unknown names go to ``errors``)."""
    resolved = dict(data)
    raw_calendars = data.get("calendars", {})
    calendars = raw_calendars if isinstance(raw_calendars, Mapping) else {}
    policies = data.get("policies")
    if isinstance(policies, list):
        out = []
        for index, policy in enumerate(policies):
            if isinstance(policy, Mapping):
                fixed = dict(policy)
                if "calendar" in fixed:
                    path = f"policies[{index}].calendar"
                    fixed = _put(fixed, "calendar", _calendar_ref(fixed["calendar"], calendars, path, errors))
                metrics = fixed.get("metrics")
                if isinstance(metrics, Mapping):
                    fixed["metrics"] = {
                        name: _metric(targets, calendars, f"policies[{index}].metrics.{name}", errors)
                        for name, targets in metrics.items()
                    }
                out.append(fixed)
            else:
                out.append(policy)
        resolved["policies"] = out
    agents = data.get("agents")
    if isinstance(agents, list):
        resolved["agents"] = [
            _put(agent, "shift", _calendar_ref(agent["shift"], calendars, f"agents[{i}].shift", errors))
            if isinstance(agent, Mapping) and "shift" in agent
            else agent
            for i, agent in enumerate(agents)
        ]
    automations = data.get("automations")
    if isinstance(automations, Mapping) and "calendars" not in automations:
        # A bad calendar is reported under 'calendars'; in its place the rules see one that is always open.
        always = codec.dump(BusinessCalendar.always())
        resolved["automations"] = {
            **automations,
            "calendars": {
                name: always if codec.check(BusinessCalendar, calendar) else calendar
                for name, calendar in calendars.items()
            },
        }
    return resolved


def _metric(targets: object, calendars: Mapping[str, object], path: str, errors: list[ConfigError]) -> object:
    if isinstance(targets, Mapping) and "calendar" in targets:
        reference = _calendar_ref(targets["calendar"], calendars, f"{path}.calendar", errors)
        return _put(targets, "calendar", reference)
    return targets


_TYPES: dict[str, Any] = {
    "workflow": Workflow,
    "priorities": PriorityPolicy,
    "calendars": dict[str, BusinessCalendar],
    "agents": list[Agent],
    "routing": Router,
    "automations": AutomationSet,
    "sample": SampleSettings,
}


def _shape(key: str, value: object) -> ConfigError | None:
    """A section that is not even a list (``policies``, ``agents``) or a mapping (the others)."""
    if key in ("policies", "agents"):
        if not isinstance(value, list):
            return ConfigError(f"expected a list, got {type(value).__name__} {value!r}", key)
    elif not isinstance(value, Mapping):
        return ConfigError(f"expected a mapping, got {type(value).__name__} {value!r}", key)
    return None


def check_data(data: Mapping[str, Any]) -> list[ConfigError]:
    """Every problem of a configuration mapping, each with the path of its field (empty when it loads)."""
    errors: list[ConfigError] = []
    for key in data:
        if key not in SECTIONS and key != "$schema":
            errors.append(
                ConfigError(f"unknown section {key!r}; valid sections: {', '.join(SECTIONS)}", str(key))
            )
    if not errors and not set(data) - {"$schema"}:
        errors.append(ConfigError(f"the file has no sections; give any of: {', '.join(SECTIONS)}"))
    if not isinstance(data.get("$schema", ""), str):
        shown = data["$schema"]
        errors.append(
            ConfigError(
                f"expected the address of a JSON Schema file, got {type(shown).__name__} {shown!r}", "$schema"
            )
        )
    shapes = {key: _shape(key, data[key]) for key in SECTIONS if key in data}
    errors.extend(error for error in shapes.values() if error is not None)
    resolved = _resolve({key: data[key] for key, error in shapes.items() if error is None}, errors)
    for key, kind in _TYPES.items():
        if key in resolved:
            errors.extend(error.within(key) for error in codec.check(kind, resolved[key]))
    if "policies" in resolved:
        # The policies list is an SLAPolicySet's "policies" field, so its paths already start with "policies".
        errors.extend(codec.check(SLAPolicySet, {"policies": resolved["policies"]}))
    if "automations" in resolved and not _failed(errors, "automations"):
        errors.extend(_references(resolved, errors))
    # Report in the order of the file's sections (a stable sort keeps each section's own order).
    order = {str(key): index for index, key in enumerate(data)}
    errors.sort(key=lambda error: order.get(re.split(r"[.\[]", error.path, maxsplit=1)[0], -1))
    return errors


def _failed(errors: list[ConfigError], section: str) -> bool:
    return any(re.split(r"[.\[]", error.path, maxsplit=1)[0] == section for error in errors)


def _references(resolved: Mapping[str, Any], errors: list[ConfigError]) -> list[ConfigError]:
    """The automations' names that the file's other sections (those that load) do not define."""

    def section(key: str, kind: Any) -> Any:
        return None if key not in resolved or _failed(errors, key) else codec.load(kind, resolved[key])

    policies = None if _failed(errors, "policies") else resolved.get("policies")
    known = Known(
        workflow=section("workflow", Workflow),
        agents=section("agents", list[Agent]),
        routing=section("routing", Router),
        policies=None if policies is None else codec.load(SLAPolicySet, {"policies": policies}),
    )
    automations = codec.load(AutomationSet, resolved["automations"])
    return [error.within("automations") for error in cross_references(automations, known)]


def load_config(data: Mapping[str, Any]) -> Config:
    """A :class:`Config` from a configuration mapping; raises the first :class:`ConfigError` with its path."""
    errors = check_data(data)
    if errors:
        raise errors[0]
    resolved = _resolve(data, [])
    values: dict[str, Any] = {
        key: codec.load(kind, resolved[key]) for key, kind in _TYPES.items() if key in resolved
    }
    if "agents" in values:
        values["agents"] = tuple(values["agents"])
    if "policies" in resolved:
        values["policies"] = codec.load(SLAPolicySet, {"policies": resolved["policies"]})
    return Config(**values)
