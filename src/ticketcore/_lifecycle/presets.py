"""The statuses, transitions and timers of the preset workflows (assembled into ``Workflow`` by ``lifecycle``)."""

from __future__ import annotations

from datetime import timedelta

from ticketcore._lifecycle.defs import STAFF_ROLES, Anchor, Timer, Transition
from ticketcore.model import Category, Role, Status

__all__ = ["default_parts", "itil_parts"]

Parts = tuple[tuple[Status, ...], tuple[Transition, ...], tuple[Timer, ...]]

_CLOSERS = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})
_REOPENERS = STAFF_ROLES | {Role.REQUESTER}


def default_parts(
    auto_close_after: timedelta, pending_reminder_after: timedelta, pending_solve_after: timedelta
) -> Parts:
    """Zendesk-style: new → open → pending / on hold → open → solved → closed, with confirmation and cancel."""
    statuses = (
        Status("new", Category.NEW, default_for_new=True),
        Status("open", Category.OPEN, default_for_follow_up=True),
        Status("pending", Category.PENDING),
        Status("pending_confirmation", Category.PENDING),
        Status("on_hold", Category.ON_HOLD),
        Status("solved", Category.SOLVED),
        Status("closed", Category.CLOSED),
        Status("canceled", Category.CLOSED),
    )
    working = ("new", "open", "pending", "on_hold")
    transitions = (
        Transition("accept", ["new"], "open"),
        Transition("wait_for_customer", ["new", "open"], "pending"),
        Transition("hold", ["new", "open", "pending"], "on_hold"),
        Transition("resume", ["pending", "pending_confirmation", "on_hold"], "open"),
        Transition("request_confirmation", ["open", "pending", "on_hold"], "pending_confirmation"),
        Transition("confirm", ["pending_confirmation"], "solved", _REOPENERS, ["requester_confirmed"]),
        Transition("solve", working, "solved", STAFF_ROLES | {Role.SYSTEM}),
        Transition("reopen", ["solved"], "open", _REOPENERS),
        Transition("close", ["solved"], "closed", _CLOSERS),
        Transition("cancel", ["new", "open"], "canceled"),
    )
    timers = (
        Timer("pending_reminder", pending_reminder_after, status="pending"),
        Timer(
            "pending_auto_solve",
            pending_solve_after,
            status="pending",
            since=Anchor.REQUESTER_REPLY,
            action="solve",
        ),
        Timer("auto_close", auto_close_after, category=Category.SOLVED, since=Anchor.SOLVED, action="close"),
    )
    return statuses, transitions, timers


_HOLDS = ("caller", "change", "problem", "vendor")


def itil_parts(auto_close_after: timedelta, business: bool) -> Parts:
    """ServiceNow incident states: New, In Progress, On Hold (one status per hold reason), Resolved, Closed, Canceled.

    Awaiting Caller is in the ``pending`` category, so a caller's reply resumes the incident (as in ServiceNow); the
    other hold reasons are ``on_hold`` and wait for the agent, which is why the preset's reply rule leaves them alone.
    """
    holds = tuple(f"on_hold_awaiting_{reason}" for reason in _HOLDS)
    statuses = (
        Status("new", Category.NEW, default_for_new=True),
        Status("in_progress", Category.OPEN, default_for_follow_up=True),
        Status(holds[0], Category.PENDING),
        *(Status(name, Category.ON_HOLD) for name in holds[1:]),
        Status("resolved", Category.SOLVED),
        Status("closed", Category.CLOSED),
        Status("canceled", Category.CLOSED),
    )
    active = ("new", "in_progress", *holds)
    transitions = (
        Transition("start", ["new"], "in_progress"),
        *(
            Transition(f"await_{reason}", ["new", "in_progress"], name)
            for reason, name in zip(_HOLDS, holds, strict=True)
        ),
        Transition("resume", holds, "in_progress"),
        Transition("resolve", active, "resolved", STAFF_ROLES | {Role.SYSTEM}),
        Transition("reopen", ["resolved"], "in_progress", _REOPENERS),
        Transition("close", ["resolved"], "closed", _CLOSERS),
        Transition("cancel", active, "canceled"),
    )
    timers = (
        Timer(
            "auto_close",
            auto_close_after,
            category=Category.SOLVED,
            since=Anchor.SOLVED,
            action="close",
            business=business,
        ),
    )
    return statuses, transitions, timers
