"""cattrs hooks for the configuration types of the routing area (an edge module: only codec.py imports it).

Language tags are checked here, with babel, because the core may not import it: a tag must have a shape the core
understands (:func:`ticketcore.routing.normalize_language`) *and* name a language, script and region babel knows.
Deprecated codes become their current ones (``iw`` → ``he``), so configuration compares the way tickets will.
Dumps leave out fields that have their default value, so a dumped rule reads like the one written by hand.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ticketcore.errors import ConfigError
from ticketcore.routing import (
    Agent,
    AgentLoad,
    Match,
    Presence,
    Relaxation,
    Requirements,
    Router,
    RoutingRule,
    Strategy,
    normalize_language,
)

_UNDETERMINED = frozenset({"und", "mul", "mis", "zxx"})


@functools.cache
def _known() -> tuple[frozenset[str], frozenset[str]]:
    from babel import Locale

    english = Locale("en")
    # "ZZ" is CLDR's "unknown region": a placeholder, not a place.
    return frozenset(english.scripts), frozenset(english.territories) - {"ZZ"}


def checked_language(value: object) -> str:
    """``value`` as a normalised language tag that babel knows; :class:`ConfigError` otherwise."""
    from babel import Locale, UnknownLocaleError

    if not isinstance(value, str):
        raise ConfigError(
            f"expected a language tag such as 'it' or 'it-CH', got {type(value).__name__} {value!r}"
        )
    tag = normalize_language(value)
    language, *rest = tag.split("-")
    try:
        if language in _UNDETERMINED:
            raise UnknownLocaleError(language)
        canonical = Locale.parse(language).language
    except (UnknownLocaleError, ValueError):
        raise ConfigError(
            f"{value!r} names no known language ({language!r}); write an ISO 639 code such as 'it', 'en' or 'de', "
            "optionally with a region ('it-CH')"
        ) from None
    scripts, regions = _known()
    for part in rest:
        if len(part) == 4 and part.isalpha() and part not in scripts:
            raise ConfigError(
                f"{value!r} has an unknown script {part!r}; write an ISO 15924 code such as 'Latn'"
            )
        if (part.isupper() or part.isdigit()) and part not in regions:
            raise ConfigError(
                f"{value!r} has an unknown region {part!r}; write an ISO 3166 code such as 'IT' or 'CH'"
            )
    return "-".join([canonical, *rest])


def _language_set(value: object, _: Any) -> frozenset[str]:
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        raise ConfigError(f"expected a list of language tags, got {type(value).__name__} {value!r}")
    out: set[str] = set()
    for index, tag in enumerate(value):
        try:
            out.add(checked_language(tag))
        except ConfigError as error:
            raise error.within(index) from None
    return frozenset(out)


def _optional_language(value: object, _: Any) -> str | None:
    return None if value is None else checked_language(value)


def _omitting(cls: type[Any], converter: cattrs.Converter) -> Callable[[Any], dict[str, Any]]:
    return make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True)


def register(converter: cattrs.Converter) -> None:
    """Teach ``converter`` to (un)structure agents, loads, rules, requirements and routers."""
    converter.register_structure_hook(
        Agent, make_dict_structure_fn(Agent, converter, languages=override(struct_hook=_language_set))
    )
    converter.register_structure_hook(
        Match, make_dict_structure_fn(Match, converter, languages=override(struct_hook=_language_set))
    )
    converter.register_structure_hook(
        Requirements,
        make_dict_structure_fn(Requirements, converter, language=override(struct_hook=_optional_language)),
    )
    for enum_type in (Presence, Strategy):
        # Dumps give plain strings, not StrEnum members, so JSON/TOML writers and equality with literals both work.
        converter.register_unstructure_hook(enum_type, lambda member: member.value)
    for cls in (Agent, AgentLoad, Match, Relaxation, Requirements, RoutingRule, Router):
        converter.register_unstructure_hook(cls, _omitting(cls, converter))
