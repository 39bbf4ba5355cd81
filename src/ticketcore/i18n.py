"""Localized labels, durations, deadlines and dates: the words agents and requesters read, in their own language.

An edge module (the core never imports it). The locale is always an argument — a tag such as ``"hr"``, ``"it_CH"``
or ``"pt-BR"``, or a :class:`babel.Locale` — and nothing here reads or sets process-wide state: no
``gettext.install``, no environment variables. A locale without a shipped catalog falls back along babel's parent
chain (``it_CH`` → ``it``) and then to English; a tag babel cannot parse at all is read as English. Neither raises.

Labels come from the gettext catalogs shipped in ``ticketcore/locale`` (compiled to ``.mo`` when the package is
built), loaded per locale with :class:`gettext.GNUTranslations` and cached. Custom statuses, actions and priorities
carry their own translations: pass ``translations={"it": "In attesa del fornitore"}`` to one :func:`label` call, or
keep a :class:`Glossary` in configuration (``codec.load(Glossary, data)``) and pass ``glossary=``.

>>> label(Category.ON_HOLD, "it")
'In attesa'
>>> format_duration(timedelta(hours=2, minutes=30), "it")
'2 ore e 30 minuti'
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Literal

import attrs
import babel.dates
from babel import Locale

from ticketcore._calendar import Elapsed
from ticketcore._i18n.catalogs import (
    SHIPPED_LOCALES,
    available_locales,
    chain,
    parse_locale,
    translations_for,
)
from ticketcore._i18n.durations import UNITS, Length, Unit, spell
from ticketcore._i18n.messages import KINDS, MESSAGES, PHRASES
from ticketcore._time import require_aware, utc
from ticketcore.errors import ConfigError
from ticketcore.model import Category, Role, Status
from ticketcore.priority import DEFAULT_PRIORITY_NAMES, Impact, Priority, Urgency
from ticketcore.routing import Presence, ReasonKind, Strategy
from ticketcore.sla import ClockState

__all__ = [
    "KINDS",
    "SHIPPED_LOCALES",
    "UNITS",
    "Glossary",
    "Length",
    "LocaleLike",
    "Unit",
    "available_locales",
    "format_datetime",
    "format_deadline",
    "format_duration",
    "format_remaining",
    "label",
]

LocaleLike = str | Locale
"""A locale tag (``"hr"``, ``"it_CH"``, ``"pt-BR"``) or a :class:`babel.Locale`."""

_DEFAULT_LEVEL_NAMES = tuple(level.name for level in (Impact.HIGH, Impact.MEDIUM, Impact.LOW))
_KIND_BY_TYPE: dict[type, str] = {
    Priority: "priority",
    Impact: "impact",
    Urgency: "urgency",
    ReasonKind: "routing_reason",
    ClockState: "sla_state",
    Presence: "presence",
    Strategy: "routing_strategy",
}


def _to_entries(value: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    entries: dict[str, dict[str, str]] = {}
    for name, texts in value.items():
        if isinstance(texts, str):
            raise ConfigError(
                f"expected a mapping of locale to text, got the string {texts!r}; write {{'en': {texts!r}}}",
                str(name),
            )
        entries[str(name)] = {str(tag).replace("-", "_"): str(text) for tag, text in texts.items()}
    return entries


def _entries() -> Mapping[str, Mapping[str, str]]:
    return {}


@attrs.frozen
class Glossary:
    """Translations of the names an application configures (custom statuses, actions, priorities …).

    Each field maps a name (a status name, an action, a timer, a priority's configured name or code ``"P4"``, an
    impact or urgency level's name or number, an SLA metric) to ``{locale: text}``. Locale tags follow the same
    fallback chain as the catalogs (``it_CH`` → ``it`` → ``en``). Load it from configuration with
    ``ticketcore.codec.load(Glossary, data)``.

    >>> g = Glossary(status={"awaiting_vendor": {"it": "In attesa del fornitore", "hr": "Čeka dobavljača"}})
    >>> label("awaiting_vendor", "hr", glossary=g)
    'Čeka dobavljača'
    """

    status: Mapping[str, Mapping[str, str]] = attrs.field(factory=_entries, converter=_to_entries, hash=False)
    action: Mapping[str, Mapping[str, str]] = attrs.field(factory=_entries, converter=_to_entries, hash=False)
    timer: Mapping[str, Mapping[str, str]] = attrs.field(factory=_entries, converter=_to_entries, hash=False)
    priority: Mapping[str, Mapping[str, str]] = attrs.field(
        factory=_entries, converter=_to_entries, hash=False
    )
    impact: Mapping[str, Mapping[str, str]] = attrs.field(factory=_entries, converter=_to_entries, hash=False)
    urgency: Mapping[str, Mapping[str, str]] = attrs.field(
        factory=_entries, converter=_to_entries, hash=False
    )
    sla_metric: Mapping[str, Mapping[str, str]] = attrs.field(
        factory=_entries, converter=_to_entries, hash=False
    )

    def lookup(self, kind: str, name: str) -> Mapping[str, str] | None:
        """The ``{locale: text}`` entry for ``name`` of ``kind``, if the glossary has one."""
        table: Mapping[str, Mapping[str, str]] | None = (
            getattr(self, kind, None) if kind in _GLOSSARY_KINDS else None
        )
        return None if table is None else table.get(name)


_GLOSSARY_KINDS = frozenset(a.name for a in attrs.fields(Glossary))


def _resolve(thing: object, kind: str | None) -> tuple[str, str, int | None]:
    """(kind, name, level) for ``thing``; ``level`` is set for priorities and impact/urgency levels."""
    if isinstance(thing, Category):
        return kind or "category", thing.value, None
    if isinstance(thing, Role):
        return kind or "role", thing.value, None
    if isinstance(thing, Status):
        return kind or "status", thing.name, None
    if isinstance(thing, bool):
        raise TypeError(
            f"cannot label the boolean {thing!r}; pass a status, priority, category, role or name"
        )
    if isinstance(thing, int):
        if kind not in (None, "priority", "impact", "urgency"):
            raise TypeError(f"an integer ({thing!r}) is a priority, impact or urgency level, not a {kind!r}")
        level_kind = kind or "priority"
        names = DEFAULT_PRIORITY_NAMES if level_kind == "priority" else _DEFAULT_LEVEL_NAMES
        return level_kind, names[thing - 1] if 1 <= thing <= len(names) else "", thing
    guessed = next((name for cls, name in _KIND_BY_TYPE.items() if isinstance(thing, cls)), None)
    level = getattr(thing, "level", None)
    if guessed in ("priority", "impact", "urgency") and isinstance(level, int):
        return kind or guessed, str(getattr(thing, "name", "")), level
    if isinstance(thing, enum.Enum):
        if kind is None and guessed is None:
            raise TypeError(
                f"cannot tell what kind of name {thing!r} is; pass kind= with one of: {', '.join(KINDS)}"
            )
        return kind or str(guessed), str(thing.value), None
    if isinstance(thing, str):
        return kind or "status", thing, None
    raise TypeError(
        f"cannot label {thing!r} ({type(thing).__name__}); pass a Category, Role, Status, priority, enum or name"
    )


def _humanize(name: str) -> str:
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else name


def _from_mapping(texts: Mapping[str, str], tags: tuple[str, ...]) -> str | None:
    normal = {str(tag).replace("-", "_"): text for tag, text in texts.items()}
    for tag in tags:
        if tag in normal:
            return normal[tag]
    return None


def label(
    thing: object,
    locale: LocaleLike,
    *,
    kind: str | None = None,
    translations: Mapping[str, str] | None = None,
    glossary: Glossary | None = None,
) -> str:
    """The name of ``thing`` in ``locale``.

    ``thing`` is a :class:`~ticketcore.model.Category`, :class:`~ticketcore.model.Role`,
    :class:`~ticketcore.model.Status`, a priority (a ``Priority`` or its level as an ``int``), an ``Impact`` or
    ``Urgency``, an SLA state or routing reason enum, or a plain name. A plain name is read as a status unless
    ``kind`` says otherwise: one of :data:`KINDS` (``"action"``, ``"sla_metric"``, ``"sla_state"``,
    ``"routing_reason"``, ``"backlog"``, ``"report"`` …).

    The text is taken from, in order: ``translations`` (``{locale: text}`` for this one thing), the ``glossary``,
    the shipped catalogs, and finally the English name (a custom status ``"awaiting_vendor"`` reads
    ``"Awaiting vendor"``). Priorities read with their code (``"P1 Critica"``); impact and urgency levels with their
    number (``"1 - Alto"``).

    >>> label(Status("on_hold", Category.ON_HOLD), "hr"), label("first_response", "it", kind="sla_metric")
    ('Zadržan', 'Prima risposta')
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    resolved_kind, name, level = _resolve(thing, kind)
    tags = chain(parse_locale(locale))
    text = _from_mapping(translations, tags) if translations else None
    if text is None and glossary is not None:
        entry = glossary.lookup(resolved_kind, name)
        if entry is None and level is not None:
            entry = glossary.lookup(resolved_kind, f"P{level}" if resolved_kind == "priority" else str(level))
        text = None if entry is None else _from_mapping(entry, tags)
    if text is None:
        english = MESSAGES[resolved_kind].get(name)
        if english is not None:
            text = translations_for(tags).pgettext(resolved_kind, english)
        else:
            text = name if level is not None else _humanize(name)
    if level is None:
        return text
    if resolved_kind == "priority":
        return f"P{level} {text}" if text else f"P{level}"
    return f"{level} - {text}" if text else str(level)


def format_duration(
    duration: timedelta,
    locale: LocaleLike,
    *,
    granularity: Unit = "minute",
    largest: Unit = "day",
    max_units: int = 2,
    length: Length = "long",
) -> str:
    """``duration`` in words: ``"2 ore e 30 minuti"``, ``"1 dan i 4 sata"``, ``"45 minutes"``.

    At most ``max_units`` adjacent units are shown, from the largest non-zero one (never larger than ``largest``)
    down to ``granularity``; the amount is rounded half up at the smallest unit shown, exactly (integer
    microseconds). Units are ``day``, ``hour``, ``minute`` and ``second``; ``length`` is ``long``, ``short``
    (``"2 h i 30 min"``) or ``narrow``. The sign is dropped: :func:`format_deadline` says whether time is left or
    overdue. Use ``largest="hour"`` for business time, where a "day" of 24 hours would mislead.
    """
    if not isinstance(duration, timedelta):
        raise TypeError(f"duration must be a timedelta, got {type(duration).__name__} {duration!r}")
    return spell(
        duration,
        parse_locale(locale),
        granularity=granularity,
        largest=largest,
        max_units=max_units,
        length=length,
    )[0]


def _zone(tz: str | tzinfo) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(
            f"unknown time zone {tz!r}; use an IANA name such as 'Europe/Rome' or 'UTC'", "tz"
        ) from None


def format_datetime(
    at: datetime,
    locale: LocaleLike,
    tz: str | tzinfo,
    *,
    format: Literal["full", "long", "medium", "short"] | str = "medium",
) -> str:
    """The instant ``at`` as the reader in ``tz`` reads it, in ``locale``'s words (babel's ``format_datetime``).

    ``at`` must be timezone-aware; ``tz`` is an IANA name or a ``tzinfo``. ``format`` is ``full``, ``long``,
    ``medium``, ``short`` or a CLDR pattern.
    """
    instant = require_aware(at, "at")
    return babel.dates.format_datetime(instant, format=format, tzinfo=_zone(tz), locale=parse_locale(locale))


def _relative(
    amount: timedelta,
    overdue: bool,
    loc: Locale,
    *,
    granularity: Unit,
    largest: Unit,
    max_units: int,
    length: Length,
) -> str:
    words, zero = spell(
        amount, loc, granularity=granularity, largest=largest, max_units=max_units, length=length
    )
    translator = translations_for(chain(loc))
    if zero:
        return translator.pgettext("deadline", PHRASES["now"])
    phrase = translator.pgettext("deadline", PHRASES["overdue" if overdue else "future"])
    return phrase.replace("{duration}", words)


def format_remaining(
    remaining: timedelta,
    locale: LocaleLike,
    *,
    granularity: Unit = "minute",
    largest: Unit = "day",
    max_units: int = 2,
    length: Length = "long",
) -> str:
    """Signed time left in words: ``"tra 3 ore"``; negative is overdue, ``"scaduto da 20 minuti"``.

    For amounts already measured, such as the ``remaining`` of an SLA cycle report (business time, negative once
    overdue): pass ``largest="hour"`` for business time. An amount that rounds to zero reads as due now. The
    options are those of :func:`format_duration`.
    """
    if not isinstance(remaining, timedelta):
        raise TypeError(f"remaining must be a timedelta, got {type(remaining).__name__} {remaining!r}")
    return _relative(
        remaining,
        remaining < timedelta(0),
        parse_locale(locale),
        granularity=granularity,
        largest=largest,
        max_units=max_units,
        length=length,
    )


def format_deadline(
    due: datetime,
    now: datetime,
    locale: LocaleLike,
    tz: str | tzinfo | None = None,
    *,
    calendar: Elapsed | None = None,
    granularity: Unit = "minute",
    largest: Unit | None = None,
    max_units: int = 2,
    length: Length = "long",
    show_due: bool = False,
) -> str:
    """How far ``due`` is from ``now``: ``"tra 3 ore"``, ``"scaduto da 20 minuti"``, ``"due now"``.

    With a ``calendar`` (anything with ``elapsed(start, end)``, such as a ``BusinessCalendar``) the amount left or
    overdue is business time, and a deadline whose overdue time is all outside business hours is still "due now"
    (nothing counts against it yet). An amount that rounds to zero at ``granularity`` reads as due now. With
    ``show_due=True`` the due instant follows in the reader's zone ``tz``: ``"tra 3 ore (3 mar 2025, 12:00:00)"``.
    The other options are those of :func:`format_duration`; ``largest`` defaults to ``"hour"`` with a calendar
    and ``"day"`` without.
    """
    due_utc, now_utc = utc(due, "due"), utc(now, "now")
    if show_due and tz is None:
        raise ValueError("show_due=True needs the reader's time zone: pass tz, e.g. tz='Europe/Zagreb'")
    loc = parse_locale(locale)
    overdue = now_utc > due_utc
    start, end = (due_utc, now_utc) if overdue else (now_utc, due_utc)
    amount = calendar.elapsed(start, end) if calendar is not None else end - start
    text = _relative(
        amount,
        overdue,
        loc,
        granularity=granularity,
        largest=largest or ("hour" if calendar is not None else "day"),
        max_units=max_units,
        length=length,
    )
    if show_due and tz is not None:
        when = babel.dates.format_datetime(due_utc, format="medium", tzinfo=_zone(tz), locale=loc)
        pattern = translations_for(chain(loc)).pgettext("deadline", PHRASES["due_at"])
        text = pattern.replace("{relative}", text).replace("{when}", when)
    return text
