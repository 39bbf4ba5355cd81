"""The bundled demo help desk: a seeded ticket generator played through a ``HelpDesk`` (private to cli).

Every ticket is a little script — open, first answer, maybe a wait for the customer, a hold, a solve, a reopen, a
rating — whose steps are timed from a seeded ``random.Random``. The steps of all tickets are played in time order
against one ``HelpDesk`` whose clock is set to each step's instant, so routing sees the loads of that moment and
timers (auto-close, reminders) fire at every midnight. The configuration's automations run too: triggers on every
step, time-based rules with the timers, and agents solve some billing tickets with the ``refund`` macro. Nothing reads
the system clock: the same settings give the same store, event for event.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs

from ticketcore._cli.config import Config, SampleSettings
from ticketcore.desk import HelpDesk
from ticketcore.errors import ConfigError, InvalidTransition
from ticketcore.model import Actor, Role, Ticket
from ticketcore.repositories import TicketStore
from ticketcore.sla import BusinessCalendar

__all__ = ["run_demo"]

_REGIONS = {
    "EU": ("rome", "eu", ("it", "it", "de", "fr", "es", "en")),
    "US": ("new_york", "us", ("en",) * 4 + ("es",)),
}
_CHANNELS = ("email",) * 9 + ("chat",) * 5 + ("web",) * 4 + ("phone",) * 2
_TOPICS = ("billing", "technical", "technical", "account")
_LEVELS = (1, 2, 2, 3, 3, 3)
_LEAD = Actor("lead", Role.SUPERVISOR)
_REFUND = "refund"


@attrs.frozen
class _Opening:
    requester: str
    channel: str
    topic: str
    impact: int
    urgency: int
    segment: str
    region: str
    group: str
    language: str
    tags: tuple[str, ...]


@attrs.frozen
class _Step:
    at: datetime
    ticket: int
    order: int
    kind: str
    arg: int = 0


def _script(
    rng: random.Random, n: int, opened: datetime, chat: bool, working: Callable[[datetime], datetime]
) -> Iterator[_Step]:
    """The steps of ticket ``n`` after its opening, each at an instant when its agents work."""
    t = working(opened + timedelta(minutes=rng.randint(1, 12) if chat else rng.randint(10, 60 * 20)))
    order = 1
    if rng.random() < 0.03:
        yield _Step(t, n, order, "cancel")
        return
    yield _Step(t, n, order, "answer")
    order += 1
    if rng.random() < 0.3:
        yield _Step(t + timedelta(minutes=1), n, order, "wait")
        t = t + timedelta(hours=rng.randint(1, 60))
        yield _Step(t, n, order + 1, "requester_reply")
        t = working(t + timedelta(minutes=rng.randint(5, 300)))
        yield _Step(t, n, order + 2, "answer")
        order += 3
    if rng.random() < 0.05:
        yield _Step(t + timedelta(minutes=2), n, order, "hold")
        t = working(t + timedelta(hours=rng.randint(4, 48)))
        yield _Step(t, n, order + 1, "resume")
        order += 2
    t = working(t + timedelta(minutes=rng.randint(10, 60 * 36)))
    yield _Step(t, n, order, "solve")
    if rng.random() < 0.08:
        t = t + timedelta(hours=rng.randint(2, 60))
        yield _Step(t, n, order + 1, "requester_reply")
        t = working(t + timedelta(hours=rng.randint(1, 20)))
        yield _Step(t, n, order + 2, "solve")
        order += 2
    if rng.random() < 0.4:
        score = rng.choice((5, 5, 5, 4, 4, 3, 2, 1))
        yield _Step(t + timedelta(hours=rng.randint(1, 30)), n, order + 1, "rate", score)


def _shift(calendar: BusinessCalendar) -> Callable[[datetime], datetime]:
    return lambda at: at if calendar.is_open(at) else calendar.next_open(at)


def _openings(
    rng: random.Random, settings: SampleSettings, calendars: dict[str, BusinessCalendar]
) -> Iterator[tuple[datetime, _Opening, Callable[[datetime], datetime]]]:
    days = settings.weeks * 7
    for _ in range(settings.tickets):
        region = "EU" if rng.random() < 0.6 else "US"
        calendar_name, group, languages = _REGIONS[region]
        calendar = calendars[calendar_name]
        zone = calendar.tz if isinstance(calendar.tz, ZoneInfo) else ZoneInfo(str(calendar.tz))
        day = settings.start + timedelta(days=rng.randrange(days))
        while day.weekday() >= 5 and rng.random() < 0.85:  # a few tickets arrive at weekends
            day += timedelta(days=1)
        local = datetime.combine(day, time(rng.randint(7, 19), rng.randrange(60)), tzinfo=zone)
        vip = rng.random() < 0.12
        channel = rng.choice(_CHANNELS)
        attributes = _Opening(
            requester=f"vip-{rng.randrange(12)}" if vip else f"cust-{rng.randrange(180)}",
            channel=channel,
            topic=rng.choice(_TOPICS),
            impact=rng.choice(_LEVELS),
            urgency=rng.choice(_LEVELS),
            segment="vip" if vip else "standard",
            region=region,
            group="vip" if vip else group,
            language=rng.choice(languages),
            tags=("outage",) if rng.random() < 0.03 else (),
        )
        yield local.astimezone(UTC), attributes, _always if vip else _shift(calendar)


def _always(at: datetime) -> datetime:
    """The VIP desk works around the clock."""
    return at


def _fallback_agent(config: Config, ticket: Ticket) -> str:
    group = "vip" if ticket.segment == "vip" else _REGIONS.get(ticket.region or "EU", _REGIONS["EU"])[1]
    members = sorted(agent.id for agent in config.agents if group in agent.groups)
    if not members:
        raise ConfigError(f"the sample needs an agent in group {group!r}", "agents")
    return members[int(ticket.id.removeprefix("T-")) % len(members)]


def run_demo(store: TicketStore, config: Config) -> None:
    """Generate the sample tickets into ``store`` through a ``HelpDesk`` configured from ``config``."""
    settings = config.sample
    if settings is None or config.policies is None or config.routing is None:
        raise ConfigError("the demo configuration needs 'sample', 'policies' and 'routing' sections")
    now = [datetime.combine(settings.start, time(0), tzinfo=UTC)]
    desk = HelpDesk(
        store,
        clock=lambda: now[0],
        workflow=config.workflow,
        priorities=config.priorities,
        sla=config.policies,
        router=config.routing,
        agents=lambda: config.agents,
        automations=config.automations,
    )
    rng = random.Random(settings.seed)
    steps: list[_Step] = []
    openings: dict[int, _Opening] = {}
    for n, (at, attributes, working) in enumerate(_openings(rng, settings, config.calendars), start=1):
        openings[n] = attributes
        steps.append(_Step(at, n, 0, "open"))
        steps.extend(_script(rng, n, at, attributes.channel == "chat", working))
    steps.sort(key=lambda step: (step.at, step.ticket, step.order))
    midnight = now[0] + timedelta(days=1)
    for step in steps:
        if step.at >= settings.as_of:
            continue  # the future of the report's instant: tickets still open, clocks still running
        while midnight <= step.at:
            desk.run_timers(now=midnight)
            midnight += timedelta(days=1)
        now[0] = step.at
        # A step may no longer apply (a requester writing to a ticket a timer has closed): the desk refuses it.
        with contextlib.suppress(InvalidTransition):
            _play(desk, config, step, openings)
    desk.run_timers(now=settings.as_of)


def _refunds(config: Config, ticket: Ticket) -> bool:
    """One billing ticket in four is solved with the refund macro, when the configuration has it."""
    macros = () if config.automations is None else config.automations.macros
    chosen = ticket.topic == "billing" and int(ticket.id.removeprefix("T-")) % 4 == 0
    return chosen and any(macro.id == _REFUND for macro in macros)


def _play(desk: HelpDesk, config: Config, step: _Step, openings: dict[int, _Opening]) -> None:
    ticket_id = f"T-{step.ticket}"
    if step.kind == "open":
        a = openings[step.ticket]
        desk.open(
            ticket_id=ticket_id,
            subject=f"{a.topic} question",
            requester=a.requester,
            channel=a.channel,
            topic=a.topic,
            impact=a.impact,
            urgency=a.urgency,
            segment=a.segment,
            region=a.region,
            group=a.group,
            language=a.language,
            tags=a.tags,
        )
        return
    ticket = desk.get(ticket_id)
    if step.kind in ("requester_reply", "rate"):
        requester = Actor(ticket.requester, Role.REQUESTER)
        if step.kind == "rate":
            desk.rate(ticket_id, requester, step.arg)
        else:
            desk.reply(ticket_id, requester, "Any news?")
        return
    if ticket.assignee is None:
        decision = desk.route(ticket_id)
        if decision.agent_id is None:
            desk.assign(ticket_id, _LEAD, agent=_fallback_agent(config, ticket))
        ticket = desk.get(ticket_id)
    agent = Actor(ticket.assignee or "lead", Role.AGENT)
    if step.kind == "answer":
        if ticket.status == "new":
            desk.act(ticket_id, "accept", agent)
        elif ticket.category.value in ("pending", "on_hold"):
            desk.act(ticket_id, "resume", agent)
        desk.reply(ticket_id, agent, "Thanks, we are on it.")
    elif step.kind == "solve" and _refunds(config, ticket):
        desk.apply_macro(ticket_id, _REFUND, agent)
    else:
        action = {
            "wait": "wait_for_customer",
            "hold": "hold",
            "resume": "resume",
            "solve": "solve",
            "cancel": "cancel",
        }[step.kind]
        desk.act(ticket_id, action, agent)
