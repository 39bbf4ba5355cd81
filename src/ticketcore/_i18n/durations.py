"""Durations in words: exact splitting into day/hour/minute/second parts, then babel's units and list patterns.

Private to :mod:`ticketcore.i18n`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, get_args

from babel import Locale
from babel.lists import format_list
from babel.units import format_unit

from ticketcore._time import delta_micros

__all__ = ["UNITS", "Length", "Unit", "render", "spell", "split"]

Unit = Literal["day", "hour", "minute", "second"]
Length = Literal["long", "short", "narrow"]

UNITS: tuple[Unit, ...] = get_args(Unit)
"""The units a duration is spelled in, largest first."""

_MICROS: dict[str, int] = {
    "day": 86_400_000_000,
    "hour": 3_600_000_000,
    "minute": 60_000_000,
    "second": 1_000_000,
}
_LIST_STYLE = {"long": "standard", "short": "unit-short", "narrow": "unit-narrow"}


def _check(granularity: str, largest: str, max_units: int, length: str) -> None:
    for name, value in (("granularity", granularity), ("largest", largest)):
        if value not in _MICROS:
            raise ValueError(f"{name} {value!r} is not a unit; valid units: {', '.join(UNITS)}")
    if _MICROS[largest] < _MICROS[granularity]:
        raise ValueError(f"largest unit {largest!r} is smaller than granularity {granularity!r}; swap them")
    if isinstance(max_units, bool) or not isinstance(max_units, int) or max_units < 1:
        raise ValueError(f"max_units must be a whole number of 1 or more, got {max_units!r}")
    if length not in _LIST_STYLE:
        raise ValueError(f"length {length!r} is not valid; valid lengths: long, short, narrow")


def _round(micros: int, step: int) -> int:
    # Half up, in integers: 2 h 29 min 30 s at minute precision is 2 h 30 min.
    return (micros + step // 2) // step * step


def split(duration: timedelta, granularity: Unit, largest: Unit, max_units: int) -> list[tuple[Unit, int]]:
    """The non-zero parts of ``|duration|`` to show, largest first; empty when it rounds to zero."""
    units = UNITS[UNITS.index(largest) : UNITS.index(granularity) + 1]
    total = abs(delta_micros(duration))
    top = next((i for i, unit in enumerate(units) if total >= _MICROS[unit]), len(units) - 1)
    smallest = units[min(top + max_units - 1, len(units) - 1)]
    # Units nest exactly, so a rounding that carries (59 min 50 s → 1 h) lands on a whole larger unit.
    total = _round(total, _MICROS[smallest])
    parts: list[tuple[Unit, int]] = []
    for unit in units:
        count, total = divmod(total, _MICROS[unit])
        if count:
            parts.append((unit, count))
    return parts


def _unit(count: int, unit: Unit, locale: Locale, length: Length) -> str:
    text = format_unit(count, f"duration-{unit}", length=length, locale=locale)
    if f"duration-{unit}" in text and length != "short":
        # Some locales lack narrow unit data (babel then prints the unit's id): fall back to the short form.
        text = format_unit(count, f"duration-{unit}", length="short", locale=locale)
    return text


def render(parts: list[tuple[Unit, int]], locale: Locale, length: Length, granularity: Unit) -> str:
    """``parts`` joined by the locale's list pattern; no parts reads as zero of ``granularity``."""
    words = [_unit(count, unit, locale, length) for unit, count in parts] or [
        _unit(0, granularity, locale, length)
    ]
    try:
        return format_list(words, style=_LIST_STYLE[length], locale=locale)  # type: ignore[arg-type]
    except KeyError:
        # babel's list data for some locales lacks the unit styles' patterns; the standard style always exists.
        return format_list(words, style="standard", locale=locale)


def spell(
    duration: timedelta, locale: Locale, *, granularity: Unit, largest: Unit, max_units: int, length: Length
) -> tuple[str, bool]:
    """(``duration`` in words, whether it rounded to zero)."""
    _check(granularity, largest, max_units, length)
    parts = split(duration, granularity, largest, max_units)
    return render(parts, locale, length, granularity), not parts
