"""The JSON Schemas of the configuration types describe what ``codec.load`` reads: the docs' every configuration
validates, what the converter refuses the schema refuses, and ``ticketcore schema`` prints them."""

from __future__ import annotations

import contextlib
import copy
import doctest
import functools
import io
import json
import re
import tomllib
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketcore import codec
from ticketcore._cli.config import SECTIONS, check_data
from ticketcore._codec.schema import SCHEMAS, schema_of
from ticketcore.cli import EXIT_OK, EXIT_USAGE, main
from ticketcore.errors import ConfigError
from ticketcore.sla import MetricTargets, SLAPolicy, SLAPolicySet
from ticketcore.testing.strategies import json_like

ROOT = Path(__file__).resolve().parents[1]
NAMES = {type_: name for name, type_ in SCHEMAS.items()}


def _problems(name: str, data: Any) -> list[ConfigError]:
    """What ``ticketcore check`` (for a whole file) or ``codec.check`` (for one type) finds wrong with ``data``."""
    if name == "config":
        return check_data(data) if isinstance(data, dict) else [ConfigError("not a mapping")]
    return codec.check(SCHEMAS[name], data)


def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(codec.json_schema(name))


VALIDATORS = {name: _validator(name) for name in codec.SCHEMA_NAMES}


def _as_json(data: Any) -> Any:
    """``data`` as JSON holds it: TOML's dates and times as the ISO strings an editor's TOML-to-JSON view gives."""
    if isinstance(data, dict):
        return {str(key): _as_json(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_as_json(item) for item in data]
    if isinstance(data, datetime | date | time):
        return data.isoformat()
    return data


@contextlib.contextmanager
def _loaded() -> Iterator[list[tuple[str, Any]]]:
    """Every configuration ``codec.load`` / ``codec.check`` accepts meanwhile, with its schema name."""
    seen: list[tuple[str, Any]] = []
    original = codec._structure

    def spy(type_: Any, data: object) -> Any:
        result = original(type_, data)
        try:
            name = NAMES.get(type_)
        except TypeError:  # an unhashable type argument
            name = None
        if name is not None and not result[1]:
            seen.append((name, copy.deepcopy(data)))
        return result

    codec._structure = spy
    try:
        yield seen
    finally:
        codec._structure = original


FENCE = re.compile(r"^```(toml|json)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _config_files() -> list[tuple[str, dict[str, Any]]]:
    """The configuration files of the docs: fenced TOML/JSON blocks and the shipped and documented samples."""
    files: list[tuple[str, dict[str, Any]]] = []
    for page in sorted((ROOT / "docs").rglob("*.md")):
        for number, match in enumerate(FENCE.finditer(page.read_text(encoding="utf-8"))):
            kind, text = match.groups()
            data = tomllib.loads(text) if kind == "toml" else json.loads(text)
            files.append((f"{page.relative_to(ROOT)} block {number}", data))
    for folder in (ROOT / "docs" / "samples", ROOT / "src" / "ticketcore" / "samples"):
        for path in sorted(folder.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and set(data) - {"$schema"} <= set(SECTIONS):
                files.append((str(path.relative_to(ROOT)), data))
    return files


@functools.cache
def _documented() -> list[tuple[str, Any]]:
    with _loaded() as seen:
        for page in sorted((ROOT / "docs").rglob("*.md")):
            flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
            with contextlib.redirect_stderr(io.StringIO()):
                doctest.testfile(str(page), module_relative=False, optionflags=flags, report=False)
        for where, data in _config_files():
            assert not check_data(data), f"{where} does not check"
            seen.append(("config", data))
    return seen


def test_every_fenced_configuration_is_a_configuration_file() -> None:
    # A TOML/JSON block in the docs is a file of the ticketcore command: its sections all known.
    files = _config_files()
    assert any("src/ticketcore/samples/demo.json" in where for where, _ in files)
    for where, data in files:
        assert data, where
        assert set(data) - {"$schema"} <= set(SECTIONS), where


def test_every_documented_configuration_validates_against_its_schema() -> None:
    seen = _documented()
    assert {name for name, _ in seen} == set(codec.SCHEMA_NAMES), "a schema without a documented example"
    for name, data in seen:
        errors = [error.message for error in VALIDATORS[name].iter_errors(_as_json(data))]
        assert not errors, (name, data, errors)
        # Its dump is a configuration too (dumps leave defaults out, and write sets as sorted lists).
        if name != "config":
            assert VALIDATORS[name].is_valid(codec.dump(codec.load(SCHEMAS[name], data)))


@pytest.mark.parametrize("name", codec.SCHEMA_NAMES)
def test_every_schema_is_valid_under_the_draft_2020_12_metaschema(name: str) -> None:
    schema = codec.json_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["description"]
    assert json.loads(json.dumps(schema)) == schema


def test_the_schema_of_a_type_is_the_schema_of_its_name() -> None:
    assert codec.json_schema(SLAPolicySet) == codec.json_schema("sla-policies")


def test_a_class_a_configuration_holds_has_a_schema_of_its_own() -> None:
    policy = SLAPolicy("std", {"resolution": MetricTargets(default=timedelta(hours=8))})
    schema = codec.json_schema(SLAPolicy)
    assert schema["title"] == "SLAPolicy"
    jsonschema.Draft202012Validator(schema).validate(codec.dump(policy))
    assert not jsonschema.Draft202012Validator(schema).is_valid({"name": "std"})


@pytest.mark.parametrize("wrong", ["sla", "", 3, dict, None])
def test_an_unknown_name_or_type_is_refused_with_the_choices(wrong: Any) -> None:
    with pytest.raises(ConfigError, match="sla-policies"):
        codec.json_schema(wrong)


def _workflow() -> dict[str, Any]:
    from ticketcore.lifecycle import default_workflow

    data: dict[str, Any] = codec.dump(default_workflow())
    return data


RULE = {
    "id": "r",
    "conditions": {"all": [{"field": "status", "operator": "is", "value": "new"}]},
    "actions": [{"type": "add_tags", "value": ["x"]}],
}
DEMO = json.loads((ROOT / "src" / "ticketcore" / "samples" / "demo.json").read_text(encoding="utf-8"))
VALID: dict[str, Any] = {
    "config": {"$schema": "./config.schema.json", **DEMO},
    "workflow": _workflow(),
    "calendar": {"tz": "Europe/Rome", "hours": {"mon": ["09:00-18:00"]}, "holidays": {"country": "IT"}},
    "sla-policies": {"policies": [{"name": "p", "metrics": {"first_response": {"default": "4h"}}}]},
    "priorities": {"rules": [{"name": "vip", "when": {"segment": ["vip"]}, "raise_by": 1}]},
    "routing": {"strategy": "least_loaded", "rules": [{"name": "vip", "then": {"group": "vip"}}]},
    "agents": [{"id": "ada", "skills": {"billing": 3}, "presence": "online"}],
    "automations": {"rules": [RULE]},
}


def _with(name: str, change: Any) -> Any:
    data = copy.deepcopy(VALID[name])
    replaced = change(data)
    return data if replaced is None else replaced


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(data: Any) -> None:
        for step in path[:-1]:
            data = data[step]
        data[path[-1]] = value

    return change


def _drop(path: tuple[Any, ...]) -> Any:
    def change(data: Any) -> None:
        for step in path[:-1]:
            data = data[step]
        del data[path[-1]]

    return change


REFUSED: list[tuple[str, str, Any]] = [
    ("config", "unknown section", _set(("colour",), "red")),
    ("config", "schema address not a string", _set(("$schema",), 3)),
    ("config", "bad calendar", _set(("calendars", "rome", "tz"), 3)),
    ("config", "sample without seed", _drop(("sample", "seed"))),
    ("config", "policies not a list", _set(("policies",), {"name": "p"})),
    ("config", "bad agent", _set(("agents", 0, "presence"), "asleep")),
    ("workflow", "unknown key", _set(("colour",), "red")),
    ("workflow", "bad enum", _set(("statuses", 0, "category"), "sleeping")),
    ("workflow", "wrong type", _set(("statuses", 0, "pauses_sla"), "no")),
    ("workflow", "missing statuses", _drop(("statuses",))),
    ("workflow", "guards are code", _set(("guards",), {})),
    ("workflow", "bad timer duration", _set(("rules",), {"timers": [{"name": "t", "after": "soon"}]})),
    ("calendar", "unknown key", _set(("timezone",), "UTC")),
    ("calendar", "missing tz", _drop(("tz",))),
    ("calendar", "wrong type", _set(("tz",), 1)),
    ("calendar", "window not a string", _set(("hours", "mon"), [9])),
    ("calendar", "bad date", _set(("holidays",), ["25-12-2025"])),
    ("calendar", "closure without end", _set(("closures",), [{"start": "2025-01-01T00:00:00+00:00"}])),
    ("sla-policies", "unknown key", _set(("policies", 0, "colour"), "red")),
    ("sla-policies", "missing metrics", _drop(("policies", 0, "metrics"))),
    (
        "sla-policies",
        "bad duration",
        _set(("policies", 0, "metrics", "first_response", "default"), "4 hours"),
    ),
    (
        "sla-policies",
        "bad priority key",
        _set(("policies", 0, "metrics", "first_response", "targets"), {"P1": "1h"}),
    ),
    ("sla-policies", "bad enum", _set(("policies", 0, "on_priority_change"), "sometimes")),
    ("sla-policies", "wrong type", _set(("policies", 0, "warnings"), "50")),
    ("priorities", "unknown key", _set(("matrix",), {"mode": "lookup", "levels": 3, "table": [], "x": 1})),
    ("priorities", "bad mode", _set(("matrix",), {"mode": "fuzzy"})),
    ("priorities", "missing weights", _set(("matrix",), {"mode": "weighted", "thresholds": [1]})),
    ("priorities", "wrong type", _set(("rules",), [{"name": "r", "raise_by": "1"}])),
    ("routing", "bad enum", _set(("strategy",), "random")),
    ("routing", "unknown key", _set(("rules", 0, "if"), {})),
    ("routing", "missing name", _drop(("rules", 0, "name"))),
    ("routing", "bad duration", _set(("fallback",), {"relax": [{"after": "later"}]})),
    ("agents", "missing id", _drop((0, "id"))),
    ("agents", "bad enum", _set((0, "presence"), "asleep")),
    ("agents", "wrong type", _set((0, "skills", "billing"), "3")),
    ("agents", "not a list", lambda data: data[0]),
    ("automations", "unknown key", _set(("rules", 0, "when"), {})),
    ("automations", "bad operator", _set(("rules", 0, "conditions", "all", 0, "operator"), "like")),
    ("automations", "bad action", _set(("rules", 0, "actions", 0, "type"), "explode")),
    ("automations", "nested value", _set(("rules", 0, "actions", 0, "value"), {"a": 1})),
    ("automations", "missing id", _drop(("rules", 0, "id"))),
    ("automations", "bad duration", _set(("rules", 0, "schedule"), {"after": "P"})),
]


@pytest.mark.parametrize("name", codec.SCHEMA_NAMES)
def test_the_valid_bases_load_and_validate(name: str) -> None:
    assert not _problems(name, VALID[name])
    assert not list(VALIDATORS[name].iter_errors(VALID[name]))


def test_every_schema_has_refusals() -> None:
    assert {name for name, _, _ in REFUSED} == set(codec.SCHEMA_NAMES)


@pytest.mark.parametrize(
    ("name", "label", "change"), REFUSED, ids=[f"{n}-{label}" for n, label, _ in REFUSED]
)
def test_the_schema_refuses_what_load_refuses(name: str, label: str, change: Any) -> None:
    data = _with(name, change)
    assert _problems(name, data)
    assert not VALIDATORS[name].is_valid(data), label


def _paths(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*path, index))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_what_load_accepts_the_schema_accepts(data: st.DataObject) -> None:
    # Random edits of valid configurations (the bases above and every documented one): one value replaced, one key added or dropped. Whatever loads must
    # validate (an editor never flags a configuration that works); whatever the schema refuses must not load.
    bases = [*VALID.items(), *((name, _as_json(config)) for name, config in _documented())]
    name, base = data.draw(st.sampled_from(bases))
    config = copy.deepcopy(base)
    path = data.draw(st.sampled_from(list(_paths(config))[1:]))
    edit = data.draw(st.sampled_from(["replace", "drop", "add"]))
    parent = config
    for step in path[:-1]:
        parent = parent[step]
    if edit == "replace":
        parent[path[-1]] = data.draw(json_like())
    elif edit == "drop":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[data.draw(st.text(max_size=8))] = data.draw(json_like())
    loads = not _problems(name, config)
    valid = VALIDATORS[name].is_valid(config)
    assert valid or not loads, (config, [e.message for e in VALIDATORS[name].iter_errors(config)])


@pytest.mark.parametrize(
    ("text", "loads"),
    [
        ("PT8H", True),
        ("p1dt4h", True),
        ("8h30m", True),
        ("1d 4h", True),
        ("90 min", True),
        ("-2h", True),
        ("45.5s", True),
        ("P", False),
        ("PT", False),
        ("", False),
        ("8 hours", False),
        ("h", False),
    ],
)
def test_the_duration_pattern_reads_what_load_duration_reads(text: str, loads: bool) -> None:
    schema = codec.json_schema("routing")
    duration = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/Duration"})
    try:
        codec.load_duration(text)
    except ConfigError:
        assert not loads
    else:
        assert loads
    assert duration.is_valid(text) is loads


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_schema_without_a_name_lists_the_names() -> None:
    code, out, _ = _run("schema")
    assert code == EXIT_OK
    assert [line.split()[0] for line in out.splitlines()] == list(codec.SCHEMA_NAMES)


def test_schema_prints_the_schema_as_json() -> None:
    code, out, _ = _run("schema", "sla-policies")
    assert code == EXIT_OK
    assert json.loads(out) == codec.json_schema("sla-policies")


def test_schema_with_an_unknown_name_is_a_usage_error_listing_the_names() -> None:
    code, _, err = _run("schema", "sla")
    assert code == EXIT_USAGE
    assert "invalid choice: 'sla'" in err
    assert all(repr(name) in err for name in codec.SCHEMA_NAMES)


@attrs.frozen
class _Undocumented:
    when: complex


def test_a_type_the_generator_does_not_know_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="complex"):
        schema_of(_Undocumented, "undocumented")


def test_two_classes_of_one_name_get_two_definitions() -> None:
    from ticketcore.automation import Conditions as RuleConditions
    from ticketcore.priority import Conditions as PriorityConditions

    schema = schema_of(dict[str, list[PriorityConditions | RuleConditions] | RuleConditions], "both")
    inner, outer = schema["additionalProperties"]["anyOf"]
    first, second = (option["$ref"].split("/")[-1] for option in inner["items"]["anyOf"])
    assert outer["$ref"].endswith(second)
    assert "segment" in schema["$defs"][first]["properties"]
    assert "any" in schema["$defs"][second]["properties"]


def test_the_config_schema_has_the_sections_and_the_sample_settings_of_the_command() -> None:
    from ticketcore._cli.config import SampleSettings

    schema = codec.json_schema("config")
    assert set(schema["properties"]) == {"$schema", *SECTIONS}
    sample = schema["properties"]["sample"]
    names = [field.name for field in attrs.fields(SampleSettings)]
    assert list(sample["properties"]) == names
    assert sample["required"] == names
