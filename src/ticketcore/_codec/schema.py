"""JSON Schemas (draft 2020-12) of the configuration types, from their attrs fields and the converter's hooks.

Private to ``ticketcore.codec``. The schemas describe what :func:`ticketcore.codec.load` accepts: field names as the
converter reads them (``timers`` for a workflow's ``timer_rules``, no ``guards``), every unknown key refused, the
required fields those without a default, enums by their values. What a hook gives its own data form (durations,
calendars, SLA triggers, matrix modes, rule values) is written once, in ``_HOOKED`` and ``_FIELDS``. A schema checks the
shape only: what validators check across fields (a complete, monotone matrix; a workflow's reachable statuses) is
left to ``ticketcore check``.
"""

from __future__ import annotations

import enum
import inspect
import json
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, Union, get_args, get_origin
from zoneinfo import ZoneInfo

import attrs

from ticketcore.automation import Action, AutomationSet, Condition
from ticketcore.errors import ConfigError
from ticketcore.lifecycle import Workflow
from ticketcore.priority import PriorityMatrix, PriorityPolicy, WeightedPriorityMatrix
from ticketcore.routing import Agent, Router
from ticketcore.sla import BusinessCalendar, SLAPolicy, SLAPolicySet, Trigger

__all__ = ["DIALECT", "SCHEMAS", "schema_of"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"

Schema = dict[str, Any]

# What load_duration reads: ISO 8601 ("PT8H", "P1DT4H") or compact ("8h30m", "1d 4h"), either signed, any case.
_DIGITS = r"(?=[^0-9]*[0-9])"
_ISO = r"[Pp]([0-9]+[Ww])?([0-9]+[Dd])?([Tt]([0-9]+[Hh])?([0-9]+[Mm])?([0-9]+(\.[0-9]{1,6})?[Ss])?)?"
_COMPACT = (
    r"([0-9]+\s*[Ww])?\s*([0-9]+\s*[Dd])?\s*([0-9]+\s*[Hh])?\s*([0-9]+\s*[Mm]([Ii][Nn])?)?\s*"
    r"([0-9]+(\.[0-9]{1,6})?\s*[Ss])?"
)
_LONGEST = 36_525 * 86_400  # seconds in 100 years, the longest duration configuration may hold
_DURATION: Schema = {
    "description": "A duration: ISO 8601 ('PT8H', 'P1DT4H'), compact ('8h', '1d 4h', '90m') or whole seconds.",
    "anyOf": [
        {"type": "string", "pattern": rf"^\s*-?{_DIGITS}({_ISO}|{_COMPACT})\s*$"},
        {"type": "integer", "minimum": -_LONGEST, "maximum": _LONGEST},
    ],
}
_DATE: Schema = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "An ISO date."}
_DATETIME: Schema = {
    "type": "string",
    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})$",
    "description": "An ISO 8601 datetime with a UTC offset, e.g. '2025-03-03T09:00:00+01:00'.",
}
_ZONE: Schema = {"type": "string", "minLength": 1, "description": "An IANA time zone, e.g. 'Europe/Rome'."}
_WINDOW: Schema = {
    "type": "string",
    "description": "A window of local time, e.g. '09:00-13:00' or '22:00-06:00'.",
}
_WINDOWS: Schema = {"anyOf": [_WINDOW, {"type": "array", "items": _WINDOW}]}
_SCALAR: Schema = {"type": ["string", "number", "boolean", "null"]}
_VALUE: Schema = {
    "description": "A string, number, true/false, or a list of strings and numbers.",
    "anyOf": [_SCALAR, {"type": "array", "items": {"type": ["string", "number", "boolean"]}}],
}


def _object(properties: Mapping[str, Schema], required: tuple[str, ...] = (), **more: Any) -> Schema:
    schema: Schema = {"type": "object", "properties": dict(properties), "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return {**schema, **more}


def _calendar(builder: _Builder) -> Schema:
    holidays = _object(
        {
            "country": {"type": ["string", "null"]},
            "subdivision": {"type": ["string", "null"]},
            "dates": {"type": "array", "items": _DATE},
        }
    )
    calendars = {"type": "array", "items": builder.ref(BusinessCalendar)}
    return _object(
        {
            "tz": _ZONE,
            "hours": {
                "type": "object",
                "additionalProperties": _WINDOWS,
                "description": "Weekday (mon … sun) to windows.",
            },
            "holidays": {"anyOf": [holidays, {"type": "array", "items": _DATE}]},
            "special_days": {"type": "object", "propertyNames": _DATE, "additionalProperties": _WINDOWS},
            "closures": {
                "type": "array",
                "items": _object({"start": _DATETIME, "end": _DATETIME}, ("start", "end")),
            },
            "recurring_closures": {
                "type": "array",
                "items": _object(
                    {"rule": {"type": "string"}, "start": _DATE, "hours": _WINDOWS}, ("rule", "start")
                ),
            },
            "any_of": calendars,
            "all_of": calendars,
        },
        ("tz",),
        title="BusinessCalendar",
        description="Business hours in a time zone, with holidays, special days and closures.",
    )


class ConfigFile:
    """The file ``ticketcore check`` reads: every section, calendars named where a calendar is expected."""


def _trigger(builder: _Builder) -> Schema:
    kind = {"type": "string", "description": "The trigger's kind alone, e.g. 'agent_reply'."}
    return {"anyOf": [kind, builder.fields(Trigger)], "title": "Trigger"}


# The demo generator's settings in a ``ticketcore`` configuration file (the command's own section).
_SAMPLE: Schema = _object(
    {
        "seed": {"type": "integer"},
        "tickets": {"type": "integer"},
        "start": _DATE,
        "weeks": {"type": "integer"},
        "as_of": _DATETIME,
    },
    ("seed", "tickets", "start", "weeks", "as_of"),
    title="SampleSettings",
    description="How the demo generates its tickets.",
)
_NAME = {"type": "string", "description": "The name of a calendar in the file's 'calendars'."}


def _config(builder: _Builder) -> Schema:
    builder.calendar_names = True
    return _object(
        {
            "$schema": {"type": "string", "description": "This schema's address, for editors."},
            "workflow": builder.ref(Workflow),
            "priorities": builder.ref(PriorityPolicy),
            "calendars": {"type": "object", "additionalProperties": builder.ref(BusinessCalendar)},
            "policies": {"type": "array", "items": builder.ref(SLAPolicy)},
            "agents": {"type": "array", "items": builder.ref(Agent)},
            "routing": builder.ref(Router),
            "automations": builder.ref(AutomationSet),
            "sample": _SAMPLE,
        },
        title="ticketcore configuration file",
        description="A configuration file of the ticketcore command: any of its sections; calendars by name.",
    )


# Types whose hook reads a data form of its own: their name in $defs, and their schema given the builder.
_HOOKED: dict[Any, tuple[str, Callable[[_Builder], Schema]]] = {
    timedelta: ("Duration", lambda _: _DURATION),
    datetime: ("DateTime", lambda _: _DATETIME),
    date: ("Date", lambda _: _DATE),
    ZoneInfo: ("TimeZone", lambda _: _ZONE),
    BusinessCalendar: ("BusinessCalendar", _calendar),
    ConfigFile: ("ConfigFile", _config),
    Trigger: ("Trigger", _trigger),
}

# Fields the converter leaves out (None), renames, or reads with a hook of their own: (key in data, schema or None
# for the schema of the field's type).
_FIELDS: dict[tuple[type, str], tuple[str, Schema | None] | None] = {
    (Workflow, "guards"): None,
    (Workflow, "timer_rules"): ("timers", None),
    (Condition, "value"): ("value", _VALUE),
    (Action, "value"): ("value", _VALUE),
    (Action, "text"): (
        "text",
        {
            "anyOf": [{"type": "string"}, {"type": "object", "additionalProperties": {"type": "string"}}],
            "description": "A template, or one per locale ({en = '…', it = '…'}).",
        },
    ),
}

# Classes whose data form carries a tag the converter reads and drops: (key, value, required).
_TAGS: dict[type, tuple[str, str, bool]] = {
    PriorityMatrix: ("mode", "lookup", False),
    WeightedPriorityMatrix: ("mode", "weighted", True),
}

SCHEMAS: dict[str, Any] = {
    "config": ConfigFile,
    "workflow": Workflow,
    "calendar": BusinessCalendar,
    "sla-policies": SLAPolicySet,
    "priorities": PriorityPolicy,
    "routing": Router,
    "agents": list[Agent],
    "automations": AutomationSet,
}
"""The configuration types by their schema name (``ticketcore schema NAME``)."""


def _summary(cls: type) -> str | None:
    """The first paragraph of ``cls``'s own docstring, on one line."""
    doc = cls.__dict__.get("__doc__")
    return " ".join(inspect.cleandoc(doc).split("\n\n", 1)[0].split()) if doc else None


class _Builder:
    """One document's ``$defs``, filled as the types are met, each class once (recursive types included)."""

    def __init__(self) -> None:
        self.defs: dict[str, Schema] = {}
        self._owners: dict[str, Any] = {}
        self.calendar_names = False  # in a ticketcore configuration file, a calendar may be named

    def ref(self, type_: Any) -> Schema:
        """A reference to ``type_``'s entry in ``$defs``, made on first use."""
        hooked = _HOOKED.get(type_)
        key = hooked[0] if hooked else type_.__name__
        if self._owners.setdefault(key, type_) is not type_:  # two areas' classes of one name (Conditions)
            key = f"{type_.__module__}.{type_.__qualname__}"
            self._owners[key] = type_
        if key not in self.defs:
            self.defs[key] = {}  # a placeholder, so that recursive types (calendars of calendars) terminate
            self.defs[key] = hooked[1](self) if hooked else self.fields(type_)
        return {"$ref": f"#/$defs/{key}"}

    def fields(self, cls: type) -> Schema:
        """The object schema of the attrs class ``cls``, field by field as the converter reads them."""
        hints = typing.get_type_hints(cls)
        properties: dict[str, Schema] = {}
        required: list[str] = []
        tag = _TAGS.get(cls)
        if tag is not None:
            properties[tag[0]] = {"const": tag[1]}
            if tag[2]:
                required.append(tag[0])
        for field in attrs.fields(cls):
            if not field.init:
                continue
            special = _FIELDS.get((cls, field.name), (field.name, None))
            if special is None:
                continue
            name: str = special[0]
            schema: Schema | None = special[1]
            properties[name] = schema if schema is not None else self.type(hints[field.name])
            if field.default is attrs.NOTHING:
                required.append(name)
        document = _object(properties, tuple(required), title=cls.__name__)
        summary = _summary(cls)
        if summary:
            document["description"] = summary
        return document

    def type(self, type_: Any) -> Schema:
        """The schema of a type hint."""
        origin, args = get_origin(type_), get_args(type_)
        if type_ is BusinessCalendar and self.calendar_names:
            return {"anyOf": [_NAME, self.ref(type_)]}
        if type_ in _HOOKED or attrs.has(type_):
            return self.ref(type_)
        if type_ is str:
            return {"type": "string"}
        if type_ is bool:
            return {"type": "boolean"}
        if type_ is int:
            return {"type": "integer"}
        if type_ is float:
            return {"type": "number"}
        if type_ is type(None):
            return {"type": "null"}
        if isinstance(type_, type) and issubclass(type_, enum.Enum):
            return {"enum": [member.value for member in type_]}
        if origin in (Union, types.UnionType):
            return {"anyOf": [self.type(arg) for arg in args]}
        if origin in (tuple, list, frozenset, set) and (origin is not tuple or args[1:] == (Ellipsis,)):
            return {"type": "array", "items": self.type(args[0])}
        if origin is dict:
            key, value = args
            schema: Schema = {"type": "object", "additionalProperties": self.type(value)}
            if key is int:
                # A priority level: an integer in Python, a digit string as a JSON object key.
                schema["propertyNames"] = {"pattern": r"^\s*[0-9]+\s*$"}
            return schema
        raise ConfigError(f"no JSON Schema for {type_!r}: it is not a configuration type")


def schema_of(type_: Any, title: str) -> Schema:
    """The JSON Schema document of ``type_``: its own schema at the top, a ``$defs`` entry per class it holds."""
    builder = _Builder()
    root = builder.type(type_)
    document: Schema = {"$schema": DIALECT, "title": title}
    key = root.get("$ref", "").removeprefix("#/$defs/")
    if key:
        body = builder.defs[key]
        if root["$ref"] not in json.dumps(builder.defs):
            del builder.defs[key]  # referred to from the top only: the document is its schema
        document.update({name: value for name, value in body.items() if name != "title"})
    else:
        item = builder.defs.get(root.get("items", {}).get("$ref", "").removeprefix("#/$defs/"))
        if item is not None:
            document["description"] = f"A list of {item['title']} entries."
        document.update(root)
    document["$defs"] = dict(sorted(builder.defs.items()))
    return document
