"""Guards: named checks a transition must pass, kept in a registry so configuration refers to them by name only.

A guard is a plain callable ``check(ticket, actor) -> str | None``: ``None`` lets the transition through, a string
refuses it and says why. Configuration never carries code; it names guards, and the names are resolved against the
guards registered in code (the built-ins below, :func:`register_guard`, or a workflow's own ``guards=`` mapping).
"""

from __future__ import annotations

from collections.abc import Callable

from ticketcore.errors import ConfigError, WrongType
from ticketcore.model import Actor, Role, Ticket

__all__ = [
    "CONFIRMATION_FIELD",
    "GuardCheck",
    "has_assignee",
    "known_guards",
    "register_guard",
    "requester_confirmed",
    "resolve_guard",
    "unregister_guard",
]

GuardCheck = Callable[[Ticket, Actor], str | None]
"""A guard: ``check(ticket, actor)`` returns ``None`` to allow, or the reason for refusing."""

CONFIRMATION_FIELD = "requester_confirmed"
"""The custom field an agent sets to ``True`` to record that the requester confirmed the solution elsewhere."""


def _check(ticket: object, actor: object) -> None:
    # The built-in guards are public names a caller may invoke directly; the workflow always passes the right types.
    if not isinstance(ticket, Ticket):
        raise WrongType("ticket", ticket, "a Ticket")
    if not isinstance(actor, Actor):
        raise WrongType("actor", actor, "an Actor, e.g. Actor('ada', Role.AGENT)")


def has_assignee(ticket: Ticket, actor: Actor) -> str | None:
    """Allow only tickets with an assignee (a help desk solves nothing nobody owns)."""
    _check(ticket, actor)
    if ticket.assignee is None:
        return "the ticket has no assignee; assign it to an agent first"
    return None


def requester_confirmed(ticket: Ticket, actor: Actor) -> str | None:
    """Allow the requester themselves, or anyone once the custom field ``requester_confirmed`` is ``True``."""
    _check(ticket, actor)
    if actor.role is Role.REQUESTER and actor.id == ticket.requester:
        return None
    if ticket.fields.get(CONFIRMATION_FIELD) is True:
        return None
    return (
        f"the requester {ticket.requester!r} has not confirmed the solution; the requester takes this action "
        f"themselves, or an agent records the confirmation in the custom field {CONFIRMATION_FIELD!r} first"
    )


_BUILT_IN: dict[str, GuardCheck] = {
    "has_assignee": has_assignee,
    "requester_confirmed": requester_confirmed,
}
_registry: dict[str, GuardCheck] = dict(_BUILT_IN)


def register_guard(name: str, check: GuardCheck, *, replace: bool = False) -> None:
    """Make ``check`` available to every workflow (and to loaded configuration) under ``name``.

    Registering a name twice is refused unless ``replace=True``; built-in guards cannot be replaced. For guards that
    only one workflow should see, pass ``guards={name: check}`` to that :class:`~ticketcore.lifecycle.Workflow`.
    """
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"a guard needs a non-empty name, got {name!r}")
    if not callable(check):
        raise ConfigError(
            f"guard {name!r} must be a callable check(ticket, actor) -> str | None, got {check!r}"
        )
    if name in _BUILT_IN:
        raise ConfigError(f"{name!r} is a built-in guard and cannot be replaced; choose another name")
    if name in _registry and not replace:
        raise ConfigError(f"a guard named {name!r} is already registered; pass replace=True to replace it")
    _registry[name] = check


def unregister_guard(name: str) -> None:
    """Forget the guard registered as ``name`` (built-ins stay). Workflows already built keep their guard."""
    if not isinstance(name, str):
        raise ConfigError(f"a guard's name is a string, got {type(name).__name__} {name!r}")
    if name in _BUILT_IN:
        raise ConfigError(f"{name!r} is a built-in guard and cannot be unregistered")
    if name not in _registry:
        raise ConfigError(
            f"no guard named {name!r} is registered; registered guards: {', '.join(known_guards())}"
        )
    del _registry[name]


def known_guards() -> list[str]:
    """The names of every registered guard (built-ins included), sorted."""
    return sorted(_registry)


def resolve_guard(name: str, local: dict[str, GuardCheck]) -> GuardCheck:
    """The guard called ``name`` (a workflow's ``local`` guards first), or a ConfigError listing the known ones."""
    check = local.get(name, _registry.get(name))
    if check is None:
        options = ", ".join(sorted(set(_registry) | set(local)))
        raise ConfigError(
            f"unknown guard {name!r}; known guards: {options}. Register your own with "
            "ticketcore.lifecycle.register_guard(name, check) before loading"
        )
    return check
