"""Configuration, events and records to and from plain data, through one cattrs converter.

``load(Type, data)`` builds any ticketcore value (an event, a ticket, a workflow, a calendar, a policy …) from
JSON-ready data; ``dump(value)`` gives the same form back. Datetimes are ISO 8601 strings with an offset (naive ones are
refused), dates ISO 8601, durations ISO 8601 (``"PT8H"``; loading also accepts ``"8h"``, ``"1d 4h"``, ``"90m"`` and
whole seconds), events are tagged with their ``type``. Loading is strict: unknown fields, a string where a number is
expected and a number where a string is expected are refused. Every refusal is a :class:`ConfigError` (or
:class:`InvalidEvent` for events and tickets) whose ``path`` names the bad field. Loading never evaluates code.

>>> from ticketcore.model import Category
>>> load(Category, "on_hold")
<Category.ON_HOLD: 'on_hold'>
>>> load(timedelta, "1d 4h")
datetime.timedelta(days=1, seconds=14400)
>>> dump(timedelta(hours=8, minutes=30))
'PT8H30M'
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any, TypeVar, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import cattrs
import cattrs.cols
import cattrs.gen
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ForbiddenExtraKeysError,
    IterableValidationNote,
)
from cattrs.strategies import configure_union_passthrough

from ticketcore._codec import automation as _codec_automation
from ticketcore._codec import calendar as _codec_calendar
from ticketcore._codec import lifecycle as _codec_lifecycle
from ticketcore._codec import priority as _codec_priority
from ticketcore._codec import routing as _codec_routing
from ticketcore._codec import schema as _codec_schema
from ticketcore._codec import sla as _codec_sla
from ticketcore.errors import ConfigError, InvalidEvent, NaiveDatetimeError
from ticketcore.model import EVENT_TYPES, Event, Ticket

__all__ = [
    "SCHEMA_NAMES",
    "check",
    "dump",
    "dump_duration",
    "json_schema",
    "load",
    "load_duration",
    "make_converter",
]

T = TypeVar("T")

SCHEMA_NAMES: tuple[str, ...] = tuple(_codec_schema.SCHEMAS)
"""The names :func:`json_schema` (and ``ticketcore schema``) takes, one per configuration type."""

_ISO_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)(?:\.(?P<fraction>\d{1,6}))?S)?)?"
)
_COMPACT_DURATION = re.compile(
    r"(?:(?P<weeks>\d+)\s*w)?\s*(?:(?P<days>\d+)\s*d)?\s*(?:(?P<hours>\d+)\s*h)?\s*"
    r"(?:(?P<minutes>\d+)\s*m(?:in)?)?\s*(?:(?P<seconds>\d+)(?:\.(?P<fraction>\d{1,6}))?\s*s)?"
)


def load_duration(text: str) -> timedelta:
    """A duration from ISO 8601 (``"PT8H30M"``, ``"P2D"``) or compact form (``"8h30m"``, ``"1d 4h"``, ``"45s"``).

    Exact to the microsecond; raises :class:`ConfigError` for anything else.
    """
    if not isinstance(text, str):
        raise ConfigError(
            f"expected a duration as a string ('PT8H', '8h'), got {type(text).__name__} {text!r}"
        )
    stripped = text.strip()
    negative = stripped.startswith("-")
    body = stripped[1:] if negative else stripped
    match = _ISO_DURATION.fullmatch(body.upper()) if body[:1].upper() == "P" else None
    if match is None and body and body[:1].upper() != "P":
        match = _COMPACT_DURATION.fullmatch(body.lower())
    if match is None or not any(match.groupdict().values()):
        raise ConfigError(
            f"{text!r} is not a duration; write ISO 8601 ('PT8H', 'P1DT4H') or compact form ('8h', '1d 4h', '90m')"
        )
    parts = {k: int(v) for k, v in match.groupdict().items() if v and k != "fraction"}
    fraction = match.group("fraction") or ""
    micros = int(fraction.ljust(6, "0")) if fraction else 0
    value = _bounded(text, lambda: timedelta(microseconds=micros, **parts))
    return -value if negative else value


_MAX_DURATION = timedelta(days=36_525)
"""The longest duration configuration may hold (100 years): longer ones would leave the datetime range."""


def _bounded(shown: object, build: Callable[[], timedelta]) -> timedelta:
    try:
        value = build()
    except OverflowError:
        value = timedelta.max
    if abs(value) > _MAX_DURATION:
        raise ConfigError(
            f"{shown!r} is longer than the longest supported duration, 100 years ({dump_duration(_MAX_DURATION)})"
        )
    return value


def dump_duration(value: timedelta) -> str:
    """``value`` as an ISO 8601 duration (``"PT8H30M"``, ``"P3DT0.000001S"``), exact to the microsecond."""
    if not isinstance(value, timedelta):
        raise ConfigError(f"expected a timedelta, got {type(value).__name__} {value!r}")
    if value < timedelta(0):
        return "-" + dump_duration(-value)
    days, seconds, micros = value.days, value.seconds, value.microseconds
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if secs or micros:
        clock += f"{secs}.{micros:06d}".rstrip("0").rstrip(".") + "S"
    if clock:
        text += "T" + clock
    return text if text != "P" else "PT0S"


def _structure_datetime(value: object, _: type) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ConfigError(
                f"{value!r} is not an ISO 8601 datetime; write e.g. '2025-03-03T09:00:00+01:00'"
            ) from None
    else:
        raise ConfigError(f"expected an ISO 8601 datetime string, got {type(value).__name__} {value!r}")
    if parsed.tzinfo is None:
        raise ConfigError(f"{value!r} has no UTC offset; add one, e.g. '+00:00' or 'Z'")
    return parsed


def _structure_date(value: object, _: type) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"{value!r} is not an ISO 8601 date; write YYYY-MM-DD")


def _structure_timedelta(value: object, _: type) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return _bounded(value, lambda: timedelta(seconds=value))
    if isinstance(value, str):
        return load_duration(value)
    raise ConfigError(
        f"expected a duration ('PT8H', '8h' or whole seconds), got {type(value).__name__} {value!r}"
    )


def _structure_zone(value: object, _: type) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise ConfigError(f"{value!r} is not an IANA time zone; write e.g. 'Europe/Rome' or 'UTC'")


def _strict(kind: type, label: str) -> Callable[[object, type], Any]:
    def structure(value: object, _: type) -> Any:
        if isinstance(value, kind) and not (kind is not bool and isinstance(value, bool)):
            return value
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"expected {label}, got {type(value).__name__} {value!r}")

    return structure


def _structure_enum(value: object, cls: type[enum.Enum]) -> enum.Enum:
    try:
        return cls(value)
    except ValueError:
        raise ConfigError.invalid_choice(value, cls) from None


def _set_order(value: Any) -> tuple[bool, str, Any]:
    """Sets dump as sorted lists; ``None`` first, then values grouped by type so mixed sets still sort."""
    return (value is not None, type(value).__name__, value if value is not None else 0)


def _enum_value(member: enum.Enum) -> Any:
    return member.value


def _not_text(value: object, hint: str) -> object:
    if isinstance(value, str | bytes | Mapping):
        raise ConfigError(f"expected a list {hint}, got {type(value).__name__} {value!r}")
    return value


def _is_collection(type_: Any) -> bool:
    origin = get_origin(type_)
    if origin is tuple:
        args = get_args(type_)
        return len(args) == 2 and args[1] is Ellipsis
    return cattrs.cols.is_sequence(type_) or cattrs.cols.is_any_set(type_)


def _collection_factory(type_: Any, converter: cattrs.Converter) -> Callable[[object, Any], Any]:
    args = get_args(type_)
    item = args[0] if args else Any
    as_list = cattrs.cols.list_structure_factory(list[item], converter)  # type: ignore[valid-type]
    origin = get_origin(type_) or type_
    if cattrs.cols.is_any_set(type_):
        build: Callable[[list[Any]], Any] = frozenset if origin in (frozenset,) else set
        if origin not in (frozenset, set):
            build = frozenset
    elif origin is tuple:
        build = tuple
    else:
        build = list

    def structure(value: object, _: Any) -> Any:
        return build(as_list(_not_text(value, f"of {getattr(item, '__name__', item)}"), list[item]))  # type: ignore[valid-type]

    return structure


def _event_structurer(converter: cattrs.Converter) -> Callable[[object, type], Event]:
    """Dispatch on the ``type`` tag; a concrete event class also accepts (and checks) its own tag."""
    concrete = {cls: cattrs.gen.make_dict_structure_fn(cls, converter) for cls in EVENT_TYPES.values()}

    def structure(value: object, wanted: type) -> Event:
        if not isinstance(value, Mapping):
            raise InvalidEvent(
                f"expected an event as a mapping with a 'type', got {type(value).__name__} {value!r}"
            )
        tag = value.get("type", getattr(wanted, "type", None) if wanted is not Event else None)
        cls = EVENT_TYPES.get(tag) if isinstance(tag, str) else None
        if cls is None or not issubclass(cls, wanted):
            options = ", ".join(sorted(EVENT_TYPES)) if wanted is Event else repr(getattr(wanted, "type", ""))
            raise InvalidEvent(f"unknown event type {tag!r}; valid types: {options}", path="type")
        return concrete[cls]({k: v for k, v in value.items() if k != "type"}, cls)

    return structure


def make_converter() -> cattrs.Converter:
    """A new cattrs converter that knows every ticketcore type. ``load``/``dump`` use one shared instance."""
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(date, _structure_date)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook(timedelta, _structure_timedelta)
    converter.register_unstructure_hook(timedelta, dump_duration)
    converter.register_structure_hook(ZoneInfo, _structure_zone)
    converter.register_unstructure_hook(ZoneInfo, lambda zone: zone.key)
    for kind, label in ((str, "a string"), (int, "an integer"), (float, "a number"), (bool, "true or false")):
        converter.register_structure_hook(kind, _strict(kind, label))
    # StrEnum and IntEnum come before str and int in their members' MRO, so these win over the strict hooks above.
    for base in (enum.Enum, enum.StrEnum, enum.IntEnum):
        converter.register_structure_hook(base, _structure_enum)
    converter.register_structure_hook_factory(_is_collection, _collection_factory)
    converter.register_unstructure_hook_func(
        cattrs.cols.is_any_set,
        lambda values: sorted((converter.unstructure(v) for v in values), key=_set_order),
    )
    for base in (enum.Enum, enum.StrEnum, enum.IntEnum):
        converter.register_unstructure_hook(base, _enum_value)
    configure_union_passthrough(Union[str, int, float, bool, None], converter)  # noqa: UP007 (cattrs matches the typing.Union object, not an X | Y union)

    for cls in EVENT_TYPES.values():
        converter.register_unstructure_hook(cls, _event_unstructurer(converter, cls))
    converter.register_structure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, Event), _event_structurer(converter)
    )
    converter.register_unstructure_hook(Event, lambda event: converter.unstructure(event, type(event)))

    for area in (
        _codec_calendar,
        _codec_lifecycle,
        _codec_priority,
        _codec_sla,
        _codec_routing,
        _codec_automation,
    ):
        area.register(converter)
    return converter


def _event_unstructurer(converter: cattrs.Converter, cls: type[Event]) -> Callable[[Event], dict[str, Any]]:
    base = cattrs.gen.make_dict_unstructure_fn(cls, converter)

    def unstructure(event: Event) -> dict[str, Any]:
        return {"type": cls.type, **base(event)}

    return unstructure


@functools.cache
def _converter() -> cattrs.Converter:
    return make_converter()


def dump(value: object) -> Any:
    """``value`` (any ticketcore value, or a list/dict of them) as JSON-ready data."""
    return _converter().unstructure(value)


def load(type_: type[T], data: object) -> T:
    """Build a ``type_`` from JSON-ready ``data``.

    Raises :class:`ConfigError` naming the path of the first bad field (the message counts the others), or
    :class:`InvalidEvent` when ``type_`` is an event or a ticket.
    """
    value, problems = _structure(type_, data)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        if _is_history_type(type_):
            raise InvalidEvent(first.problem + more, path=first.path) from None
        raise ConfigError(first.problem + more, first.path) from None
    return value  # type: ignore[return-value]


def check(type_: type[Any], data: object) -> list[ConfigError]:
    """Every problem of ``data`` as a ``type_`` (an empty list when it loads), each with the path of its field."""
    return _structure(type_, data)[1]


def json_schema(name_or_type: str | Any) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a configuration type, for editors to complete and check TOML and JSON.

    ``name_or_type`` is one of :data:`SCHEMA_NAMES` (``ticketcore schema NAME`` prints the same): ``workflow``,
    ``calendar``, ``sla-policies``, ``priorities``, ``routing``, ``agents``, ``automations``, or the type itself
    (``SLAPolicySet``, or a class a configuration holds, such as ``SLAPolicy``); ``config`` is a whole file of the ``ticketcore`` command, whose sections name their calendars.
    The schema describes the data form :func:`load` reads: unknown keys, wrong types, unknown enum values and
    malformed durations are refused; what only the type's own checks find (an incomplete priority matrix, a
    workflow with unreachable statuses) is left to :func:`check` and ``ticketcore check``.

    >>> schema = json_schema("sla-policies")
    >>> schema["$schema"], schema["required"]
    ('https://json-schema.org/draft/2020-12/schema', ['policies'])
    """
    names = _codec_schema.SCHEMAS
    if isinstance(name_or_type, str):
        if name_or_type not in names:
            raise ConfigError(f"no schema named {name_or_type!r}; valid names: {', '.join(names)}")
        return _codec_schema.schema_of(names[name_or_type], name_or_type)
    for name, type_ in names.items():
        if type_ == name_or_type:
            return _codec_schema.schema_of(type_, name)
    # A class a configuration holds (``SLAPolicy``, ``Agent``) has a schema of its own, for files of just one.
    if isinstance(name_or_type, type) and any(
        name_or_type.__name__ in _codec_schema.schema_of(type_, name).get("$defs", {})
        for name, type_ in names.items()
    ):
        return _codec_schema.schema_of(name_or_type, name_or_type.__name__)
    raise ConfigError(
        f"{name_or_type!r} is not a configuration type or a class one holds; give one of {', '.join(names)} or "
        "its type"
    )


def _is_history_type(type_: object) -> bool:
    if get_origin(type_) in (list, tuple):
        return any(_is_history_type(arg) for arg in get_args(type_))
    return isinstance(type_, type) and issubclass(type_, Event | Ticket)


def _structure(type_: type[T], data: object) -> tuple[T | None, list[ConfigError]]:
    if attrs.has(type_) and not isinstance(data, Mapping | type_):
        problem = f"expected a mapping of fields for {type_.__name__}, got {type(data).__name__} {data!r}"
        return None, [ConfigError(problem)]
    try:
        return _converter().structure(data, type_), []
    except BaseValidationError as error:
        return None, [_leaf_error(leaf, path) for leaf, path in _leaves(error, [])]
    except Exception as error:
        return None, [_leaf_error(error, [])]


def _leaves(error: BaseException, path: list[str | int]) -> Iterator[tuple[BaseException, list[str | int]]]:
    if isinstance(error, BaseValidationError):
        for sub in error.exceptions:
            step: list[str | int] = []
            for note in getattr(sub, "__notes__", ()):
                if isinstance(note, AttributeValidationNote):
                    step = [note.name]
                elif isinstance(note, IterableValidationNote):
                    step = [note.index if isinstance(note.index, int) else str(note.index)]
            yield from _leaves(sub, path + step)
    else:
        yield error, path


def _join(path: list[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _leaf_error(error: BaseException, path: list[str | int]) -> ConfigError:
    prefix = _join(path)
    if isinstance(error, ConfigError | InvalidEvent):
        inner = error.path
        if inner and prefix:
            full = prefix + inner if inner.startswith("[") else f"{prefix}.{inner}"
        else:
            full = prefix or inner
        return ConfigError(error.problem, full)
    if isinstance(error, NaiveDatetimeError):
        return ConfigError(str(error), prefix)
    if isinstance(error, ForbiddenExtraKeysError):
        # Only what a user can write: fields set by __init__, under the name __init__ takes.
        fields = attrs.fields(error.cl) if attrs.has(error.cl) else ()
        valid = ", ".join(a.alias or a.name for a in fields if a.init)
        extra = ", ".join(sorted(map(repr, error.extra_fields)))
        return ConfigError(f"unknown field(s) {extra}; valid fields: {valid}", prefix)
    if isinstance(error, KeyError):
        return ConfigError("this required field is missing; add it", prefix)
    return ConfigError(str(error) or type(error).__name__, prefix)
