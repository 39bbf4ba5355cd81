"""What each action does to a ticket: the events it produces, the notifications it asks for, the refusals."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypedDict

import attrs

from ticketcore._automation.conditions import tier_of
from ticketcore._automation.model import PLACEHOLDER, Action, ActionType
from ticketcore.errors import InvalidTransition
from ticketcore.lifecycle import Workflow
from ticketcore.model import (
    FIELD_ATTRIBUTES,
    Actor,
    Assigned,
    Event,
    FieldChanged,
    NoteAdded,
    PriorityChanged,
    Replied,
    Role,
    TagsChanged,
    Ticket,
    Unassigned,
)
from ticketcore.sla import SLAReport

__all__ = ["Notification", "Refusal", "Tools", "automation_actor", "perform", "placeholders", "render"]

RouteFn = Callable[[Ticket, datetime], str | None]
FormatFn = Callable[[datetime, str], str]


@functools.lru_cache(maxsize=4096)
def automation_actor(rule: str) -> Actor:
    """The actor of every event rule ``rule`` produces: the system, as ``automation:<rule>``."""
    # Cached: actors are frozen values, and a simulation asks for the same few thousands of times.
    return Actor(f"automation:{rule}", Role.SYSTEM)


@attrs.frozen
class Notification:
    """A message the application should deliver: the library sends nothing itself."""

    rule: str
    ticket_id: str
    recipient: str
    text: str
    locale: str
    at: datetime


@attrs.frozen
class Refusal:
    """An action a rule could not take (a workflow transition refused, no agent to route to) and why."""

    rule: str
    ticket_id: str
    action: ActionType
    reason: str


def _iso(at: datetime, locale: str) -> str:
    return at.isoformat()


@attrs.frozen
class Tools:
    """What actions need from outside the rule: the workflow, a router, the SLA report, a date formatter."""

    workflow: Workflow
    route: RouteFn | None = None
    sla: SLAReport | None = None
    format_datetime: FormatFn = _iso
    default_locale: str = "en"


def placeholders(ticket: Ticket, tools: Tools, locale: str) -> dict[str, str]:
    """The values a template may name: ``{ticket.id}``, ``{requester}``, ``{sla.<metric>.due}`` …"""
    values = {
        "ticket.id": ticket.id,
        "ticket.subject": ticket.subject,
        "ticket.status": ticket.status,
        "ticket.priority": "" if ticket.priority is None else str(ticket.priority),
        "ticket.group": ticket.group or "",
        "ticket.assignee": ticket.assignee or "",
        "ticket.tier": str(tier_of(ticket)),
        "requester": ticket.requester,
        "assignee": ticket.assignee or "",
        "group": ticket.group or "",
    }
    if tools.sla is not None:
        for metric in tools.sla.metrics:
            cycle = metric.current
            if cycle is not None and cycle.due_at is not None:
                values[f"sla.{metric.metric}.due"] = tools.format_datetime(cycle.due_at, locale)
    return values


def pick_locale(texts: Mapping[str, str], ticket: Ticket, default: str) -> str:
    """The locale of ``texts`` to use for ``ticket``: its language, that language's base, the default, any."""
    wanted = ticket.language or default
    for candidate in (wanted, wanted.split("-")[0], default, ""):
        if candidate in texts:
            return candidate
    return next(iter(texts))


def render(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` it knows replaced (an unknown one stays as written)."""
    return PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), template)


def _text(action: Action, ticket: Ticket, tools: Tools) -> tuple[str, str]:
    chosen = pick_locale(action.text, ticket, tools.default_locale)
    locale = chosen or ticket.language or tools.default_locale
    template = action.text[chosen]
    if "{" not in template:
        return template, locale  # nothing to fill in (every placeholder is in braces)
    return render(template, placeholders(ticket, tools, locale)), locale


Outcome = tuple[list[Event], list[Notification], list[Refusal]]


class _Head(TypedDict):
    ticket_id: str
    seq: int
    at: datetime
    actor: Actor


def _status(action: Action, ticket: Ticket, rule: str, tools: Tools, head: _Head) -> Outcome:
    try:
        events = tools.workflow.apply(
            ticket, action.value, actor=head["actor"], at=head["at"], reason=f"rule {rule!r}", system=True
        )
    except InvalidTransition as error:
        # Reported, never forced: the workflow stays the authority on status changes.
        return [], [], [Refusal(rule, ticket.id, action.type, str(error))]
    return events, [], []


@functools.lru_cache(maxsize=1024)
def _tag_set(tags: tuple[str, ...]) -> frozenset[str]:
    # One set per action, shared by the events it makes: a replay keeps hundreds of thousands of them.
    return frozenset(tags)


def _tags(action: Action, ticket: Ticket, rule: str, tools: Tools, head: _Head) -> Outcome:
    tags = _tag_set(action.value)
    if action.type is ActionType.ADD_TAGS:
        added = tags if tags.isdisjoint(ticket.tags) else tags - ticket.tags
        return ([TagsChanged(**head, added=added)] if added else []), [], []
    removed = tags & ticket.tags
    return ([TagsChanged(**head, removed=removed)] if removed else []), [], []


def _assignment(action: Action, ticket: Ticket, rule: str, tools: Tools, head: _Head) -> Outcome:
    kind, value = action.type, action.value
    if kind is ActionType.SET_GROUP:
        return ([Assigned(**head, group=value)] if ticket.group != value else []), [], []
    if kind is ActionType.UNASSIGN:
        return ([Unassigned(**head, reason=f"rule {rule!r}")] if ticket.assignee else []), [], []
    if kind is ActionType.ROUTE:
        value = None if tools.route is None else tools.route(ticket, head["at"])
        if value is None:
            why = "no router is configured" if tools.route is None else "the router found no eligible agent"
            return [], [], [Refusal(rule, ticket.id, kind, why)]
    return ([Assigned(**head, agent=value)] if ticket.assignee != value else []), [], []


def _field(action: Action, ticket: Ticket, rule: str, tools: Tools, head: _Head) -> Outcome:
    if action.type is ActionType.ESCALATE:
        tier = tier_of(ticket) + (action.value or 1)
        return [FieldChanged(**head, field="tier", value=tier, previous=ticket.fields.get("tier"))], [], []
    name = action.field
    assert name is not None
    previous = getattr(ticket, name) if name in FIELD_ATTRIBUTES else ticket.fields.get(name)
    if previous == action.value:
        return [], [], []
    return [FieldChanged(**head, field=name, value=action.value, previous=previous)], [], []


def _message(action: Action, ticket: Ticket, rule: str, tools: Tools, head: _Head) -> Outcome:
    text, locale = _text(action, ticket, tools)
    if action.type is ActionType.NOTE:
        return [NoteAdded(**head, body=text)], [], []
    if action.type is ActionType.REPLY:
        return [Replied(**head, public=True, body=text)], [], []
    assert action.recipient is not None
    return [], [Notification(rule, ticket.id, action.recipient, text, locale, head["at"])], []


def _priority_action(action: Action, ticket: Ticket, rule: str, tools: Tools, head: _Head) -> Outcome:
    return _priority(action, ticket, rule, head), [], []


_PERFORMERS: dict[ActionType, Callable[[Action, Ticket, str, Tools, _Head], Outcome]] = {
    ActionType.SET_STATUS: _status,
    ActionType.SET_PRIORITY: _priority_action,
    ActionType.RAISE_PRIORITY: _priority_action,
    ActionType.ADD_TAGS: _tags,
    ActionType.REMOVE_TAGS: _tags,
    ActionType.SET_GROUP: _assignment,
    ActionType.ASSIGN: _assignment,
    ActionType.ROUTE: _assignment,
    ActionType.UNASSIGN: _assignment,
    ActionType.ESCALATE: _field,
    ActionType.SET_FIELD: _field,
    ActionType.NOTE: _message,
    ActionType.REPLY: _message,
    ActionType.NOTIFY: _message,
}


def perform(action: Action, ticket: Ticket, rule: str, tools: Tools, at: datetime) -> Outcome:
    """What ``action`` of ``rule`` does to ``ticket`` at ``at`` (events continue the ticket's history)."""
    head = _Head(ticket_id=ticket.id, seq=ticket.version + 1, at=at, actor=automation_actor(rule))
    return _PERFORMERS[action.type](action, ticket, rule, tools, head)


def _priority(action: Action, ticket: Ticket, rule: str, head: _Head) -> list[Event]:
    if action.type is ActionType.SET_PRIORITY:
        target = int(action.value)
    elif ticket.priority is None:
        return []
    else:
        # Level 1 is the highest priority: raising by n moves n levels towards 1.
        target = max(1, ticket.priority - (action.value or 1))
    if target == ticket.priority:
        return []
    return [
        PriorityChanged(
            **head,
            from_priority=ticket.priority,
            to_priority=target,
            manual=False,
            rule=rule,
            reason=rule,
        )
    ]
