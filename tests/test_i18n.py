"""Localized labels: every built-in name in every language, custom translations, and locale fallback."""

from __future__ import annotations

import enum
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

import ticketcore
from ticketcore import (
    Actor,
    Category,
    ConfigError,
    Opened,
    Replied,
    Role,
    Status,
    StatusChanged,
    Ticket,
)
from ticketcore._i18n.messages import MESSAGES
from ticketcore.codec import dump, load
from ticketcore.i18n import Glossary, format_deadline, format_duration, format_remaining, label
from ticketcore.priority import Impact, Priority, PriorityMatrix, Urgency
from ticketcore.routing import Presence, ReasonKind, Strategy
from ticketcore.sla import CATALOGUE, ClockState, SLAPolicy

LANGUAGES = ("en", "it", "hr", "de", "fr", "es", "pt")
METRICS = (
    "first_response",
    "next_response",
    "periodic_update",
    "resolution",
    "requester_wait",
    "agent_work",
    "acknowledge",
)
STATES = ("running", "paused", "achieved", "breached", "cancelled")
LOCALE_DIR = Path(ticketcore.__file__).parent / "locale"


def _po(language: str) -> dict[tuple[str | None, str], str]:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "ticketcore.po").open("rb") as source:
        return {(m.context, str(m.id)): str(m.string) for m in read_po(source) if m.id}


CATALOGS = {language: _po(language) for language in LANGUAGES}


def _english(context: str, name: str) -> str:
    """The English text of a built-in name, read from the English catalog (the oracle is the .po, not the code)."""
    english = {
        "admin": "Administrator",
        "on_hold": "On hold",
        "first_response": "First response",
        "requester_wait": "Requester wait time",
        "agent_work": "Agent work time",
        "acknowledge": "Acknowledgement",
        "next_response": "Next response",
        "periodic_update": "Periodic update",
    }.get(name, name.capitalize())
    assert (context, english) in CATALOGS["en"], (context, english)
    return english


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_category_and_role_in_every_language(language: str) -> None:
    catalog = CATALOGS[language]
    for category in Category:
        assert label(category, language) == catalog[("category", _english("category", category.value))]
    for role in Role:
        assert label(role, language) == catalog[("role", _english("role", role.value))]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sla_metric_and_state_in_every_language(language: str) -> None:
    catalog = CATALOGS[language]
    for metric in METRICS:
        assert (
            label(metric, language, kind="sla_metric")
            == catalog[("sla_metric", _english("sla_metric", metric))]
        )
    for state in STATES:
        assert (
            label(state, language, kind="sla_state") == catalog[("sla_state", _english("sla_state", state))]
        )


@pytest.mark.parametrize(
    ("thing", "kind", "italian", "croatian"),
    [
        (Category.PENDING, None, "In sospeso", "Na čekanju"),
        (Status("on_hold", Category.ON_HOLD), None, "In attesa", "Zadržan"),
        ("solved", None, "Risolto", "Riješen"),
        ("in_progress", "status", "In lavorazione", "U obradi"),
        ("wait_for_customer", "action", "Attendi il cliente", "Čekaj korisnika"),
        ("reopen", "action", "Riapri", "Ponovno otvori"),
        (1, None, "P1 Critica", "P1 Kritičan"),
        (5, "priority", "P5 Pianificazione", "P5 Planiranje"),
        (1, "impact", "1 - Alto", "1 - Visok"),
        (2, "urgency", "2 - Media", "2 - Srednja"),
        ("breached", "sla_state", "Violato", "Prekoračeno"),
        ("first_response", "sla_metric", "Prima risposta", "Prvi odgovor"),
        ("at_capacity", "routing_reason", "Capacità esaurita", "Popunjen kapacitet"),
        ("backlog_ratio", "backlog", "Rapporto di arretrato", "Omjer zaostatka"),
        ("zero_touch", "backlog", "Risolti senza risposta", "Riješeni bez odgovora"),
        ("auto_close", "timer", "Chiusura automatica", "Automatsko zatvaranje"),
        ("away", "presence", "Assente", "Odsutan"),
        ("warning", "sla_alert", "Avviso", "Upozorenje"),
        ("round_robin", "routing_strategy", "A rotazione", "Kružno"),
        ("top_breaches", "report", "Violazioni principali", "Najveća prekoračenja"),
        ("never_assigned", "report", "Non ancora assegnati", "Još nedodijeljeni"),
    ],
)
def test_labels_in_italian_and_croatian(thing: object, kind: str | None, italian: str, croatian: str) -> None:
    assert label(thing, "it", kind=kind) == italian
    assert label(thing, "hr", kind=kind) == croatian


class _ForeignReasonKind(enum.StrEnum):
    OFF_SHIFT = "off_shift"


_ForeignReasonKind.__name__ = "ReasonKind"


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (list(Category), "category"),
        (list(Role), "role"),
        (list(ReasonKind), "routing_reason"),
        (list(Presence), "presence"),
        (list(Strategy), "routing_strategy"),
        (list(ClockState), "sla_state"),
        (list(CATALOGUE), "sla_metric"),
    ],
)
def test_every_name_of_the_core_has_a_message(values: list[enum.Enum | str], kind: str) -> None:
    """A name added to the core without a catalog entry fails here, rather than showing in English."""
    for value in values:
        name = str(value.value) if isinstance(value, enum.Enum) else value
        english = MESSAGES[kind].get(name)
        assert english is not None, f"add {kind} {name!r} to _i18n/messages.py and the catalogs"
        for language in LANGUAGES:
            assert label(value, language, kind=kind) == CATALOGS[language][(kind, english)]


def test_things_from_other_modules_are_recognised_by_their_class() -> None:
    assert label(ReasonKind.OFF_SHIFT, "it") == "Fuori turno"
    assert label(Presence.AWAY, "hr") == "Odsutan"
    assert label(Strategy.ROUND_ROBIN, "it") == "A rotazione"

    # The same class name outside ticketcore is not ours.
    foreign = _ForeignReasonKind.OFF_SHIFT
    assert type(foreign).__name__ == "ReasonKind"
    with pytest.raises(TypeError, match="pass kind="):
        label(foreign, "it")
    assert label(foreign, "it", kind="routing_reason") == "Fuori turno"

    class Other(enum.Enum):
        X = "x"

    with pytest.raises(TypeError, match="pass kind="):
        label(Other.X, "it")
    assert label(Other.X, "it", kind="status") == "X"


def test_priority_impact_and_urgency_values() -> None:
    matrix = PriorityMatrix.itil()
    assert label(matrix.priority(1, 2), "hr") == "P2 Visok"
    assert label(Priority.PLANNING, "it") == "P5 Pianificazione"
    assert label(Impact.HIGH, "it") == "1 - Alto"
    assert label(Urgency.HIGH, "it") == "1 - Alta"
    assert label(Urgency.LOW, "hr") == "3 - Niska"
    assert label(Priority(2, "Urgent"), "hr") == "P2 Urgent"
    assert label(Priority(2, "Urgent"), "hr", translations={"hr": "Hitno"}) == "P2 Hitno"


def test_labels_are_consistent_across_threads() -> None:
    """Catalogs load lazily and are cached per locale; concurrent first uses must agree."""
    tags = [
        tag for tag in ("hr", "it_CH", "de_AT", "fr_BE", "es_AR", "pt_PT", "en_GB", "nl") for _ in range(8)
    ]

    def render(tag: str) -> tuple[str, str]:
        return tag, label(Category.ON_HOLD, tag) + "/" + label("breached", tag, kind="sla_state")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = set(pool.map(render, tags))
    assert results == {render(tag) for tag in set(tags)}
    assert ("hr", "Zadržan/Prekoračeno") in results
    assert ("it_CH", "In attesa/Violato") in results


def test_misuse_is_refused_with_the_options() -> None:
    with pytest.raises(ValueError, match="unknown kind 'colour'; valid kinds: category, role, status"):
        label("open", "it", kind="colour")
    with pytest.raises(TypeError, match="boolean"):
        label(True, "it")
    with pytest.raises(TypeError, match="cannot label"):
        label(3.5, "it")
    with pytest.raises(TypeError, match="locale must be a tag"):
        label("open", 42)  # type: ignore[arg-type]


def test_custom_names_read_in_english_words_without_translations() -> None:
    assert label("awaiting_vendor_quote", "hr") == "Awaiting vendor quote"
    assert label(Status("waiting_on_parts", Category.ON_HOLD), "it") == "Waiting on parts"
    assert label(9, "it") == "P9"


def test_translations_argument_follows_the_locale_chain() -> None:
    texts = {"it": "In attesa del preventivo", "hr": "Čeka ponudu", "en": "Awaiting quote"}
    assert label("awaiting_quote", "it_CH", translations=texts) == "In attesa del preventivo"
    assert label("awaiting_quote", "hr-HR", translations=texts) == "Čeka ponudu"
    assert label("awaiting_quote", "de", translations=texts) == "Awaiting quote"
    assert label("awaiting_quote", "de", translations={"it": "x"}) == "Awaiting quote"
    # A translation given for a built-in name wins over the catalog.
    assert label("open", "it", translations={"it": "Da lavorare"}) == "Da lavorare"


def test_glossary_from_configuration() -> None:
    data = {
        "status": {"awaiting_vendor": {"it": "In attesa del fornitore", "hr": "Čeka dobavljača"}},
        "priority": {"Urgent": {"it": "Urgente", "hr": "Hitno"}, "P4": {"it": "Quando possibile"}},
        "action": {"escalate": {"it": "Inoltra al secondo livello", "pt-BR": "Escalar"}},
        "timer": {"vendor_chase": {"hr": "Požurivanje dobavljača"}},
    }
    glossary = load(Glossary, data)
    assert load(Glossary, dump(glossary)) == glossary
    assert hash(glossary) == hash(load(Glossary, dump(glossary)))
    assert label("vendor_chase", "hr", kind="timer", glossary=glossary) == "Požurivanje dobavljača"
    assert label(Status("awaiting_vendor", Category.ON_HOLD), "hr", glossary=glossary) == "Čeka dobavljača"
    assert label("escalate", "pt_BR", kind="action", glossary=glossary) == "Escalar"
    assert label("escalate", "pt", kind="action", glossary=glossary) == "Escalate"
    assert label(4, "it", glossary=glossary) == "P4 Quando possibile"
    assert label(4, "hr", glossary=glossary) == "P4 Nizak"

    assert label(Priority(1, "Urgent"), "hr", glossary=glossary) == "P1 Hitno"
    assert label(Priority(2, "High"), "it", glossary=glossary) == "P2 Alta"
    assert label(Priority(3, ""), "it", glossary=glossary) == "P3"


def test_glossary_refuses_a_bare_string_with_its_path() -> None:
    with pytest.raises(ConfigError, match=r"awaiting_vendor.*write \{'en': 'x'\}"):
        Glossary(status={"awaiting_vendor": "x"})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    "tag", ["xx", "", "  ", "klingon", "zz_ZZ", "it_XX", "en_US.UTF-8", "C", "root", "und"]
)
def test_unknown_locales_fall_back_without_crashing(tag: str) -> None:
    text = label(Category.OPEN, tag)
    assert text in {"Open", "Aperto"}
    assert format_duration(timedelta(minutes=5), tag) in {"5 minutes", "5 minuti"}


def test_regional_locales_use_their_language() -> None:
    assert label(Category.SOLVED, "it_CH") == "Risolto"
    assert label(Category.SOLVED, "pt-BR") == "Resolvido"
    assert label(Category.SOLVED, "es_MX") == "Resuelto"  # babel's chain: es_MX → es_419 → es
    assert label(Category.SOLVED, "fr_CA") == "Résolu"
    assert label(Category.SOLVED, Locale("hr", "BA")) == "Riješen"
    assert label(Category.SOLVED, "ja") == "Solved"


@given(st.text(max_size=20))
def test_arbitrary_locale_strings_give_a_string(tag: str) -> None:
    now = datetime(2025, 3, 3, 9, tzinfo=UTC)
    assert isinstance(label(Category.OPEN, tag), str)
    assert isinstance(label("breached", tag, kind="sla_state"), str)
    assert isinstance(format_duration(timedelta(hours=2, minutes=30), tag), str)
    assert isinstance(format_deadline(now + timedelta(hours=3), now, tag, "Europe/Rome", show_due=True), str)


@given(st.from_regex(r"\A[a-z]{2,3}([-_][A-Z][a-z]{3})?([-_][A-Z]{2})?\Z"))
def test_locale_like_tags_read_their_language_or_english(tag: str) -> None:
    language = tag[:2] if tag[:2] in LANGUAGES and tag[2:3] in ("", "-", "_") else None
    expected = {CATALOGS[lang][("category", "Open")] for lang in LANGUAGES if lang in ("en", language)}
    assert label(Category.OPEN, tag) in expected


def test_done_when_status_priority_and_sla_state_in_croatian_and_italian() -> None:
    """A ticket's status, priority and SLA state, rendered in Croatian and Italian with public names only."""
    zagreb = ZoneInfo("Europe/Zagreb")
    office = {day: ["09:00-13:00", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    policy = load(
        SLAPolicy,
        {
            "name": "eu",
            "calendar": {"tz": "Europe/Zagreb", "hours": office},
            "metrics": {
                "first_response": {"default": "1h"},
                "resolution": {"targets": {"2": "4h"}, "default": "2d"},
            },
        },
    )
    opened = datetime(2025, 3, 3, 9, tzinfo=zagreb)
    requester, agent = Actor("mara", Role.REQUESTER), Actor("ivo", Role.AGENT)
    events = [
        Opened(
            ticket_id="T-7", seq=1, at=opened, actor=requester, requester="mara", subject="VPN", priority=2
        ),
        Replied(ticket_id="T-7", seq=2, at=opened + timedelta(minutes=20), actor=agent),
        StatusChanged(
            ticket_id="T-7",
            seq=3,
            at=opened + timedelta(minutes=25),
            actor=agent,
            from_status="new",
            from_category=Category.NEW,
            to_status="open",
            to_category=Category.OPEN,
            action="accept",
        ),
    ]
    now = datetime(2025, 3, 3, 14, 20, tzinfo=zagreb)  # 4 h 20 min of business time (lunch does not count)
    ticket = Ticket.from_events(events)
    report = policy.evaluate(events, now=now)
    resolution = report.metric("resolution").current
    assert resolution is not None
    assert resolution.due_at is not None

    def card(locale: str) -> list[str]:
        assert resolution is not None
        assert resolution.due_at is not None
        return [
            label(ticket.status, locale),
            label(ticket.priority, locale),
            *(
                f"{label(m.metric, locale, kind='sla_metric')}: {label(m.state, locale)}"
                for m in report.metrics
            ),
            format_remaining(resolution.remaining, locale, largest="hour"),
            format_deadline(
                resolution.due_at, now, locale, "Europe/Zagreb", calendar=policy.calendar, show_due=True
            ),
        ]

    assert card("hr") == [
        "Otvoren",
        "P2 Visok",
        "Prvi odgovor: Ispunjeno",
        "Rješavanje: Prekoračeno",
        "20 minuta nakon roka",
        "20 minuta nakon roka (3. ožu 2025. 13:00:00)",
    ]
    assert card("it") == [
        "Aperto",
        "P2 Alta",
        "Prima risposta: Rispettato",
        "Risoluzione: Violato",
        "scaduto da 20 minuti",
        "scaduto da 20 minuti (3 mar 2025, 13:00:00)",
    ]
