"""Checking a workflow definition once, at construction, and indexing it for the lookups commands need."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from datetime import timedelta

import attrs

from ticketcore._lifecycle.defs import REPLY_ACTION, SystemRules, Timer, Transition
from ticketcore._lifecycle.guards import GuardCheck, has_assignee, resolve_guard
from ticketcore.errors import ConfigError
from ticketcore.model import Category, Status

__all__ = ["Index", "build_index"]

_FINAL = Category.CLOSED


@attrs.frozen
class Index:
    """The validated workflow in the shape its commands use."""

    by_name: dict[str, Status]
    initial: Status
    follow_up: Status | None
    moves: dict[tuple[str, str], Transition]
    """(source status, action) → transition."""
    guards: dict[tuple[str, str], tuple[tuple[str, GuardCheck], ...]]
    """(source status, action) → the named guards to run, the system rule's ``has_assignee`` included."""
    actions: frozenset[str]


def _listing(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names) or "none"


def build_index(
    statuses: Sequence[Status],
    transitions: Sequence[Transition],
    *,
    initial: str | None,
    rules: SystemRules,
    timers: Sequence[Timer],
    guards: Mapping[str, GuardCheck],
) -> Index:
    """Validate a definition; every refusal is a ConfigError whose path names the status, transition or timer."""
    _rules(rules)
    by_name = _statuses(statuses)
    names = list(by_name)
    start = _initial(statuses, by_name, initial)
    follow_up = _follow_up(statuses, rules)
    moves, checks = _transitions(transitions, by_name, rules, dict(guards))
    _reachability(statuses, start, moves, follow_up, rules)
    _timers(timers, by_name, moves, names)
    return Index(by_name, start, follow_up, moves, checks, frozenset(t.action for t in transitions))


def _rules(rules: SystemRules) -> None:
    if not isinstance(rules, SystemRules):
        raise ConfigError(f"expected SystemRules, got {type(rules).__name__} {rules!r}", "rules")
    movable = {Category.PENDING, Category.ON_HOLD, Category.SOLVED}
    if not rules.closed_immutable:
        movable.add(Category.CLOSED)
    wrong = sorted(category.value for category in rules.reply_reopens_from - movable)
    if wrong:
        options = ", ".join(repr(category.value) for category in Category if category in movable)
        hint = " (closed tickets are immutable unless closed_immutable is false)" if "closed" in wrong else ""
        raise ConfigError(
            f"a reply cannot reopen tickets of categories {', '.join(map(repr, wrong))}{hint}; choose from {options}",
            "rules.reply_reopens_from",
        )


def _statuses(statuses: Sequence[Status]) -> dict[str, Status]:
    if not statuses:
        raise ConfigError("a workflow needs statuses; add at least a 'new' and a 'closed' one", "statuses")
    by_name: dict[str, Status] = {}
    for i, status in enumerate(statuses):
        if not isinstance(status, Status):
            raise ConfigError(f"expected a Status, got {type(status).__name__} {status!r}", f"statuses[{i}]")
        if not status.name.strip():
            raise ConfigError("a status needs a non-empty name", f"statuses[{i}].name")
        if status.name in by_name:
            first = next(j for j, other in enumerate(statuses) if other.name == status.name)
            raise ConfigError(
                f"duplicate status name {status.name!r} (also statuses[{first}]); give each status its own name",
                f"statuses[{i}].name",
            )
        by_name[status.name] = status
    if not any(status.category is _FINAL for status in statuses):
        raise ConfigError(
            "no status in the 'closed' category, so no ticket could ever finish; add one, "
            "e.g. Status('closed', Category.CLOSED)",
            "statuses",
        )
    return by_name


def _initial(statuses: Sequence[Status], by_name: dict[str, Status], initial: str | None) -> Status:
    flagged = [i for i, status in enumerate(statuses) if status.default_for_new]
    if len(flagged) > 1:
        raise ConfigError(
            f"statuses {_listing([statuses[i].name for i in flagged])} are all marked default_for_new; "
            "exactly one status is the initial one",
            f"statuses[{flagged[1]}].default_for_new",
        )
    if initial is None:
        if not flagged:
            raise ConfigError(
                f"no initial status: set initial to one of {_listing(list(by_name))} "
                "or mark one status default_for_new",
                "initial",
            )
        initial = statuses[flagged[0]].name
    if initial not in by_name:
        raise ConfigError(f"unknown status {initial!r}; statuses: {_listing(list(by_name))}", "initial")
    if flagged and statuses[flagged[0]].name != initial:
        raise ConfigError(
            f"initial is {initial!r} but status {statuses[flagged[0]].name!r} is marked default_for_new; "
            "there is exactly one initial status, make them agree",
            "initial",
        )
    status = by_name[initial]
    if not status.category.is_unsolved:
        raise ConfigError(
            f"the initial status {initial!r} is in the {status.category.value!r} category; a new ticket starts "
            "unsolved (choose a 'new' or 'open' status)",
            "initial",
        )
    return status


def _follow_up(statuses: Sequence[Status], rules: SystemRules) -> Status | None:
    flagged = [i for i, status in enumerate(statuses) if status.default_for_follow_up]
    if len(flagged) > 1:
        raise ConfigError(
            f"statuses {_listing([statuses[i].name for i in flagged])} are all marked default_for_follow_up; "
            "mark one",
            f"statuses[{flagged[1]}].default_for_follow_up",
        )
    if flagged:
        status = statuses[flagged[0]]
        if status.category is not Category.OPEN:
            raise ConfigError(
                f"the follow-up status {status.name!r} is in the {status.category.value!r} category; "
                "a requester's reply moves a ticket to an 'open' status",
                f"statuses[{flagged[0]}].default_for_follow_up",
            )
        return status
    opened = [status for status in statuses if status.category is Category.OPEN]
    if opened:
        return opened[0]
    if rules.reply_reopens:
        raise ConfigError(
            "the reply_reopens rule moves replied tickets to an 'open' status, but there is none; add one "
            "(and mark it default_for_follow_up) or switch the rule off",
            "rules.reply_reopens",
        )
    return None


def _transitions(
    transitions: Sequence[Transition],
    by_name: dict[str, Status],
    rules: SystemRules,
    local_guards: dict[str, GuardCheck],
) -> tuple[dict[tuple[str, str], Transition], dict[tuple[str, str], tuple[tuple[str, GuardCheck], ...]]]:
    moves: dict[tuple[str, str], Transition] = {}
    where: dict[tuple[str, str], int] = {}
    guards: dict[tuple[str, str], tuple[tuple[str, GuardCheck], ...]] = {}
    for i, transition in enumerate(transitions):
        path = f"transitions[{i}]"
        target = _checked_target(transition, path, by_name, rules)
        checks = _guard_checks(transition, path, target, rules, local_guards)
        action = transition.action
        for k, source in enumerate(transition.sources):
            source_path = f"{path}.sources[{k}]"
            _check_source(source, action, source_path, by_name, rules)
            if (source, action) in moves:
                raise ConfigError(
                    f"action {action!r} from {source!r} is already defined by transitions[{where[source, action]}]; "
                    "an action leads to one target from each source",
                    source_path,
                )
            moves[source, action] = transition
            where[source, action] = i
            guards[source, action] = checks
    return moves, guards


def _checked_target(transition: object, path: str, by_name: dict[str, Status], rules: SystemRules) -> Status:
    """The target status of a transition whose own fields are valid."""
    if not isinstance(transition, Transition):
        raise ConfigError(f"expected a Transition, got {type(transition).__name__} {transition!r}", path)
    action = transition.action
    if not action.strip():
        raise ConfigError("a transition needs a non-empty action name", f"{path}.action")
    if action == REPLY_ACTION:
        raise ConfigError(
            f"{action!r} is reserved for the reply system rule; name the action otherwise", path
        )
    if transition.target not in by_name:
        raise ConfigError(
            f"unknown status {transition.target!r}; statuses: {_listing(list(by_name))}", f"{path}.target"
        )
    target = by_name[transition.target]
    if rules.never_back_to_new and target.category is Category.NEW:
        raise ConfigError(
            f"transition {action!r} leads into {target.name!r}, a 'new' status; nothing returns to 'new' "
            "(target an 'open' status, or switch off rules.never_back_to_new)",
            f"{path}.target",
        )
    if not transition.sources:
        raise ConfigError(
            f"transition {action!r} has no source statuses; list at least one", f"{path}.sources"
        )
    if not transition.roles:
        raise ConfigError(f"nobody may take transition {action!r}; list at least one role", f"{path}.roles")
    return target


def _guard_checks(
    transition: Transition, path: str, target: Status, rules: SystemRules, local_guards: dict[str, GuardCheck]
) -> tuple[tuple[str, GuardCheck], ...]:
    """The named checks a transition runs, with the guard the solve rule adds."""
    checks: list[tuple[str, GuardCheck]] = []
    for k, name in enumerate(transition.guards):
        try:
            checks.append((name, resolve_guard(name, local_guards)))
        except ConfigError as error:
            raise error.within(f"{path}.guards[{k}]") from None
    if (
        rules.solve_needs_assignee
        and target.category is Category.SOLVED
        and "has_assignee" not in transition.guards
    ):
        checks.append(("has_assignee", has_assignee))
    return tuple(checks)


def _check_source(
    source: str, action: str, path: str, by_name: dict[str, Status], rules: SystemRules
) -> None:
    if source not in by_name:
        raise ConfigError(f"unknown status {source!r}; statuses: {_listing(list(by_name))}", path)
    if rules.closed_immutable and by_name[source].category is _FINAL:
        raise ConfigError(
            f"transition {action!r} leaves {source!r}, a 'closed' status; closed tickets are immutable "
            "(a reply opens a follow-up), so remove this source",
            path,
        )


def _reachability(
    statuses: Sequence[Status],
    start: Status,
    moves: dict[tuple[str, str], Transition],
    follow_up: Status | None,
    rules: SystemRules,
) -> None:
    edges: dict[str, set[str]] = {status.name: set() for status in statuses}
    for (source, _), transition in moves.items():
        edges[source].add(transition.target)
    if rules.reply_reopens and follow_up is not None:
        for status in statuses:
            if status.category in rules.reply_reopens_from:
                edges[status.name].add(follow_up.name)
    reached = _closure([start.name], edges)
    for i, status in enumerate(statuses):
        if status.name not in reached:
            raise ConfigError(
                f"status {status.name!r} is unreachable from the initial status {start.name!r}; "
                "add a transition into it or remove it",
                f"statuses[{i}]",
            )
    backwards: dict[str, set[str]] = {name: set() for name in edges}
    for source, targets in edges.items():
        for target in targets:
            backwards[target].add(source)
    finishing = _closure([status.name for status in statuses if status.category is _FINAL], backwards)
    for i, status in enumerate(statuses):
        if status.name not in finishing:
            raise ConfigError(
                f"status {status.name!r} cannot reach a 'closed' status, so its tickets could never finish; "
                "add a transition out of it towards 'solved' or 'closed'",
                f"statuses[{i}]",
            )


def _closure(starts: list[str], edges: dict[str, set[str]]) -> set[str]:
    seen = set(starts)
    queue = deque(starts)
    while queue:
        for nxt in edges[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _timers(
    timers: Sequence[Timer],
    by_name: dict[str, Status],
    moves: dict[tuple[str, str], Transition],
    names: list[str],
) -> None:
    seen: dict[str, int] = {}
    for i, timer in enumerate(timers):
        path = f"timers[{i}]"
        if not isinstance(timer, Timer):
            raise ConfigError(f"expected a Timer, got {type(timer).__name__} {timer!r}", path)
        if not timer.name.strip():
            raise ConfigError("a timer needs a non-empty name", f"{path}.name")
        if timer.name in seen:
            raise ConfigError(
                f"duplicate timer name {timer.name!r} (also timers[{seen[timer.name]}]); the name identifies "
                "a timer's firings, so give each its own",
                f"{path}.name",
            )
        seen[timer.name] = i
        if timer.after <= timedelta(0):
            raise ConfigError(
                f"a timer fires after a positive duration, got {timer.after!r}", f"{path}.after"
            )
        if (timer.status is None) == (timer.category is None):
            raise ConfigError(
                f"timer {timer.name!r} needs exactly one of 'status' or 'category' to say when it runs", path
            )
        if timer.status is not None and timer.status not in by_name:
            raise ConfigError(
                f"unknown status {timer.status!r}; statuses: {_listing(names)}", f"{path}.status"
            )
        covered = [s for s in by_name.values() if timer.applies_to(s.name, s.category)]
        if not covered:
            category = timer.category.value if timer.category is not None else None
            raise ConfigError(
                f"no status is in the {category!r} category, so timer {timer.name!r} could never run",
                f"{path}.category",
            )
        if any(status.category is _FINAL for status in covered):
            raise ConfigError(
                f"timer {timer.name!r} runs on a 'closed' status, but closed tickets never change", path
            )
        if timer.action is None:
            continue
        lacking = [status.name for status in covered if (status.name, timer.action) not in moves]
        if lacking:
            raise ConfigError(
                f"timer {timer.name!r} takes action {timer.action!r}, which no transition offers from "
                f"{_listing(lacking)}; add it there or narrow the timer",
                f"{path}.action",
            )
