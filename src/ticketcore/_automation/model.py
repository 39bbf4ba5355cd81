"""Rules, conditions and actions as frozen values that load from plain data (no code is ever evaluated)."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from ticketcore.errors import ConfigError
from ticketcore.lifecycle import Anchor, Workflow, default_workflow
from ticketcore.model import Ticket

if TYPE_CHECKING:
    from ticketcore._automation.conditions import Check

__all__ = [
    "PLACEHOLDER",
    "TEMPLATE_NAMES",
    "TICKET_FIELDS",
    "UPDATE_FIELDS",
    "Action",
    "ActionType",
    "Condition",
    "Conditions",
    "Macro",
    "Operator",
    "Rule",
    "Schedule",
]


class Operator(enum.StrEnum):
    """How a condition compares a field with its value."""

    IS = "is"
    IS_NOT = "is_not"
    IN = "in"
    NOT_IN = "not_in"
    INCLUDES = "includes"
    LESS_THAN = "less_than"
    GREATER_THAN = "greater_than"
    CHANGED = "changed"
    CHANGED_TO = "changed_to"
    CHANGED_FROM = "changed_from"
    PRESENT = "present"


TICKET_FIELDS: frozenset[str] = frozenset(
    {
        "status",
        "category",
        "priority",
        "channel",
        "group",
        "assignee",
        "tier",
        "tags",
        "segment",
        "region",
        "country",
        "language",
        "requester",
        "topic",
    }
)
"""Ticket attributes a condition may name (custom fields are ``fields.<name>``)."""

UPDATE_FIELDS: frozenset[str] = frozenset(
    {"update.created", "update.requester_replied", "update.agent_replied", "update.note_added"}
)
"""Facts about the update being processed (true or false)."""

ELAPSED_FIELDS: dict[str, str] = {
    "hours_since.created": "created_at",
    "hours_since.updated": "updated_at",
    "hours_since.status": "status_since",
    "hours_since.requester_reply": "last_requester_reply_at",
    "hours_since.agent_reply": "last_agent_reply_at",
    "hours_since.solved": "solved_at",
}
"""Elapsed-time fields and the ticket instant each counts from (calendar hours, or business hours on a calendar)."""

_SLA_FIELD = re.compile(r"sla\.(?P<metric>[a-z_][a-z0-9_]*)\.(?P<part>state|percent|hours_to_breach)")
_CUSTOM_FIELD = re.compile(r"fields\.(?P<name>.+)")

_CHANGE_OPERATORS = frozenset({Operator.CHANGED, Operator.CHANGED_TO, Operator.CHANGED_FROM})
_LIST_OPERATORS = frozenset({Operator.IN, Operator.NOT_IN})
_NUMBER_OPERATORS = frozenset({Operator.LESS_THAN, Operator.GREATER_THAN})


@functools.cache
def field_kind(name: str) -> str:
    """``ticket``, ``custom``, ``update``, ``elapsed`` or ``sla``; a ConfigError lists the valid fields otherwise."""
    if name in TICKET_FIELDS:
        return "ticket"
    if _CUSTOM_FIELD.fullmatch(name):
        return "custom"
    if name in UPDATE_FIELDS:
        return "update"
    if name in ELAPSED_FIELDS:
        return "elapsed"
    if _SLA_FIELD.fullmatch(name):
        return "sla"
    valid = ", ".join(sorted(TICKET_FIELDS | UPDATE_FIELDS | set(ELAPSED_FIELDS)))
    raise ConfigError(
        f"{name!r} is not a condition field; valid fields: {valid}, fields.<custom field>, "
        "sla.<metric>.state, sla.<metric>.percent, sla.<metric>.hours_to_breach",
        "field",
    )


def sla_field(name: str) -> tuple[str, str]:
    """The metric and part (``state``, ``percent``, ``hours_to_breach``) of an ``sla.*`` field."""
    match = _SLA_FIELD.fullmatch(name)
    assert match is not None
    return match["metric"], match["part"]


def _to_operator(value: Operator | str) -> Operator:
    try:
        return Operator(value)
    except ValueError:
        raise ConfigError.invalid_choice(value, Operator, "operator") from None


def _to_value(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(value)
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@attrs.frozen
class Condition:
    """``field`` compared with ``value`` by ``operator``; ``calendar`` names the set's calendar for business hours.

    >>> Condition("tags", "includes", "vip").operator
    <Operator.INCLUDES: 'includes'>
    """

    field: str
    operator: Operator = attrs.field(converter=_to_operator)
    value: Any = attrs.field(default=None, converter=_to_value)
    calendar: str | None = None

    def __attrs_post_init__(self) -> None:
        kind = field_kind(self.field)
        operator, value = self.operator, self.value
        if operator in _CHANGE_OPERATORS and kind not in ("ticket", "custom"):
            raise ConfigError(
                f"{operator.value!r} compares a ticket field before and after the update; {self.field!r} is "
                "not one: use 'is', 'less_than' or 'greater_than'",
                "operator",
            )
        if operator in _LIST_OPERATORS and not isinstance(value, tuple):
            raise ConfigError(
                f"{operator.value!r} needs a list of values, got {value!r}; write [{value!r}]", "value"
            )
        if operator in _NUMBER_OPERATORS and not _is_number(value):
            raise ConfigError(f"{operator.value!r} needs a number, got {value!r}", "value")
        if operator is Operator.PRESENT and not isinstance(value, bool):
            raise ConfigError(f"'present' needs true or false, got {value!r}", "value")
        if kind == "elapsed" and operator not in _NUMBER_OPERATORS:
            raise ConfigError(
                f"{self.field!r} is a number of hours: use 'less_than' or 'greater_than'", "operator"
            )
        if self.calendar is not None and kind != "elapsed":
            raise ConfigError(
                f"only hours_since.* fields count on a calendar, not {self.field!r}", "calendar"
            )


def _conditions(values: Iterable[Condition]) -> tuple[Condition, ...]:
    if isinstance(values, str | Mapping):
        raise ConfigError(f"expected a list of conditions, got {values!r}")
    return tuple(values)


@attrs.frozen
class Conditions:
    """Every condition of ``all`` holds and, when ``any`` is not empty, at least one of ``any``."""

    all: tuple[Condition, ...] = attrs.field(default=(), converter=_conditions)
    any: tuple[Condition, ...] = attrs.field(default=(), converter=_conditions)


PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
"""A ``{name}`` in a template."""

TEMPLATE_NAMES: frozenset[str] = frozenset(
    {
        "ticket.id",
        "ticket.subject",
        "ticket.status",
        "ticket.priority",
        "ticket.group",
        "ticket.assignee",
        "ticket.tier",
        "requester",
        "assignee",
        "group",
    }
)
"""The names a template may write in braces, besides ``sla.<metric>.due``."""


class ActionType(enum.StrEnum):
    """What an action does."""

    SET_STATUS = "set_status"
    SET_PRIORITY = "set_priority"
    RAISE_PRIORITY = "raise_priority"
    ADD_TAGS = "add_tags"
    REMOVE_TAGS = "remove_tags"
    SET_GROUP = "set_group"
    ASSIGN = "assign"
    ROUTE = "route"
    UNASSIGN = "unassign"
    ESCALATE = "escalate"
    SET_FIELD = "set_field"
    NOTE = "note"
    REPLY = "reply"
    NOTIFY = "notify"


def _to_action_type(value: ActionType | str) -> ActionType:
    try:
        return ActionType(value)
    except ValueError:
        raise ConfigError.invalid_choice(value, ActionType, "type") from None


def _texts(value: Mapping[str, str] | str) -> dict[str, str]:
    if isinstance(value, str):
        return {"": value}
    return dict(value)


_NEEDS_TEXT = frozenset({ActionType.NOTE, ActionType.REPLY, ActionType.NOTIFY})
_NEEDS_NAME = frozenset({ActionType.SET_STATUS, ActionType.SET_GROUP, ActionType.ASSIGN})
_NEEDS_NAMES = frozenset({ActionType.ADD_TAGS, ActionType.REMOVE_TAGS})
_NO_VALUE = frozenset({ActionType.ROUTE, ActionType.UNASSIGN, *_NEEDS_TEXT})


def _check_action(action: Action) -> None:
    kind, value = action.type, action.value
    if kind in _NEEDS_NAME and not isinstance(value, str):
        raise ConfigError(f"{kind.value!r} needs a name as its value, got {value!r}", "value")
    if kind in _NEEDS_NAMES and not (
        isinstance(value, tuple) and value and all(isinstance(v, str) for v in value)
    ):
        raise ConfigError(f"{kind.value!r} needs a list of tags as its value, got {value!r}", "value")
    if kind is ActionType.SET_PRIORITY and not (
        isinstance(value, int) and not isinstance(value, bool) and value >= 1
    ):
        raise ConfigError(f"'set_priority' needs a priority level (1, 2, …), got {value!r}", "value")
    if kind in (ActionType.RAISE_PRIORITY, ActionType.ESCALATE) and not (
        value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 1)
    ):
        raise ConfigError(
            f"{kind.value!r} takes a number of levels (1 when left out), got {value!r}", "value"
        )
    if kind is ActionType.SET_FIELD and not action.field:
        raise ConfigError("'set_field' needs the field's name in 'field'", "field")
    if kind is ActionType.SET_FIELD and isinstance(value, tuple):
        raise ConfigError(f"a custom field holds one value, not the list {value!r}", "value")
    if kind in _NEEDS_TEXT and not action.text:
        raise ConfigError(f"{kind.value!r} needs a template in 'text' (one text, or one per locale)", "text")
    if kind is ActionType.NOTIFY and not action.recipient:
        raise ConfigError(
            "'notify' needs a 'recipient' (e.g. 'group_lead', 'assignee' or an address)", "recipient"
        )
    if kind in _NO_VALUE and value is not None:
        raise ConfigError(f"{kind.value!r} takes no value, got {value!r}", "value")


@attrs.frozen
class Action:
    """One thing a rule does. ``value`` depends on ``type``; ``text`` is a template (or one per locale);
    ``recipient`` is for ``notify``; ``field`` for ``set_field``.

    >>> Action("add_tags", ["escalated"]).value
    ('escalated',)
    """

    type: ActionType = attrs.field(converter=_to_action_type)
    value: Any = attrs.field(default=None, converter=_to_value)
    text: dict[str, str] = attrs.field(factory=dict, converter=_texts)
    recipient: str | None = None
    field: str | None = None

    def __attrs_post_init__(self) -> None:
        _check_action(self)

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The ``{names}`` its templates use, each once, in the order they first appear."""
        found = (match[1] for text in self.text.values() for match in PLACEHOLDER.finditer(text))
        return tuple(dict.fromkeys(found))


def _actions(values: Iterable[Action]) -> tuple[Action, ...]:
    if isinstance(values, str | Mapping):
        raise ConfigError(f"expected a list of actions, got {values!r}")
    return tuple(values)


def _to_anchor(value: Anchor | str) -> Anchor:
    try:
        return Anchor(value)
    except ValueError:
        raise ConfigError.invalid_choice(value, Anchor, "since") from None


@attrs.frozen
class Schedule:
    """When a time-based rule is due: ``after`` the ``since`` anchor (business time on ``calendar`` when named)."""

    after: timedelta
    since: Anchor = attrs.field(default=Anchor.STATUS, converter=_to_anchor)
    calendar: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.after <= timedelta(0):
            raise ConfigError(f"a schedule needs a positive 'after', got {self.after}", "after")


@attrs.frozen
class Rule:
    """A trigger (checked on every update) or, with a ``schedule``, a time-based automation.

    ``stop`` ends the processing of later rules in the pass when this one fires.
    """

    id: str
    conditions: Conditions = attrs.field(factory=Conditions)
    actions: tuple[Action, ...] = attrs.field(default=(), converter=_actions)
    stop: bool = False
    schedule: Schedule | None = None
    title: str = ""
    _needs: frozenset[str] = attrs.field(init=False, eq=False, hash=False, repr=False)
    """Tags the ticket must have for ``conditions.all`` to hold: a cheap first filter for the trigger engine."""
    _needs_added: frozenset[str] = attrs.field(init=False, eq=False, hash=False, repr=False)
    """Of those, the tags the update must have added (``changed_to``): the ticket had none of them before it."""
    _needs_update: frozenset[str] = attrs.field(init=False, eq=False, hash=False, repr=False)
    """The ``update.*`` fields that must hold (``is true``) for ``conditions.all`` to hold."""
    # Typed loosely: the loaders read these annotations at run time, where the facts' type is not importable.
    _check: Callable[[Any], str | None] = attrs.field(init=False, eq=False, hash=False, repr=False)
    """The conditions compiled once into one function of the facts (see ``conditions.compile_conditions``)."""

    def __attrs_post_init__(self) -> None:
        # Imported here: conditions are evaluated over these values, not the other way round.
        from ticketcore._automation.conditions import compile_conditions

        object.__setattr__(self, "_check", compile_conditions(self.conditions))
        tags = [c for c in self.conditions.all if c.field == "tags" and isinstance(c.value, str)]
        needs = {c.value for c in tags if c.operator in (Operator.INCLUDES, Operator.CHANGED_TO)}
        object.__setattr__(self, "_needs", frozenset(needs))
        added = {c.value for c in tags if c.operator is Operator.CHANGED_TO}
        object.__setattr__(self, "_needs_added", frozenset(added))
        update = {
            c.field
            for c in self.conditions.all
            if c.field in UPDATE_FIELDS and c.operator is Operator.IS and c.value is True
        }
        object.__setattr__(self, "_needs_update", frozenset(update))
        if not self.id or not re.fullmatch(r"[A-Za-z0-9_.\-]+", self.id):
            raise ConfigError(f"a rule id is letters, digits, '_', '-' or '.', got {self.id!r}", "id")
        if not self.actions:
            raise ConfigError(f"rule {self.id!r} has no actions; give at least one", "actions")

    @property
    def needs_tags(self) -> frozenset[str]:
        """Tags without which this rule's ``all`` conditions cannot hold."""
        return self._needs

    @property
    def needs_added_tags(self) -> frozenset[str]:
        """Of :attr:`needs_tags`, those the update must add (``changed_to``): the ticket had none of them before."""
        return self._needs_added

    @property
    def needs_update(self) -> frozenset[str]:
        """The ``update.*`` fields without which this rule's ``all`` conditions cannot hold (``is true`` ones)."""
        return self._needs_update

    def __reduce__(self) -> tuple[type[Rule], tuple[object, ...]]:
        # Pickled as its fields: the compiled conditions are closures, built again when it is unpickled.
        return Rule, (self.id, self.conditions, self.actions, self.stop, self.schedule, self.title)

    @property
    def check(self) -> Check:
        """The compiled conditions: ``check(facts)`` is ``None`` when they hold, otherwise the one that failed."""
        return self._check

    @property
    def time_based(self) -> bool:
        """True for a rule with a schedule (run by the timers, not on updates)."""
        return self.schedule is not None


@attrs.frozen
class Macro:
    """A named bundle of actions an agent applies by hand (a canned response and its side effects)."""

    id: str
    actions: tuple[Action, ...] = attrs.field(converter=_actions)
    title: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.actions:
            raise ConfigError(f"macro {self.id!r} has no actions; give at least one", "actions")

    def preview(
        self, ticket: Ticket, *, at: datetime | None = None, workflow: Workflow | None = None
    ) -> Ticket:
        """The ticket as it would be after this macro (at ``at``, its last update by default); nothing is stored.

        Status changes go through ``workflow`` (the default workflow when not given); a refused one is left out.
        """
        # Imported here: the actions are built on these values, not the other way round.
        from ticketcore._automation.actions import Tools
        from ticketcore._automation.engine import apply_actions

        when = ticket.updated_at if at is None else max(at, ticket.updated_at)
        tools = Tools(workflow if workflow is not None else default_workflow())
        return apply_actions(self.actions, ticket, f"macro.{self.id}", tools, when)[0]
