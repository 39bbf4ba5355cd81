"""Ready-made rules for what help-desk guides ask for first: reminders, auto-close, VIP escalation, SLA alerts."""

from __future__ import annotations

from datetime import timedelta

from ticketcore._automation.model import Action, Condition, Conditions, Rule, Schedule
from ticketcore.lifecycle import Anchor

__all__ = [
    "close_after_solved",
    "pending_reminder",
    "sla_breach_escalation",
    "sla_warning",
    "vip_escalation",
]


def pending_reminder(
    after: timedelta = timedelta(hours=48),
    *,
    text: str = "Dear {requester}, we are waiting for your answer on ticket {ticket.id}.",
    rule_id: str = "pending_reminder",
) -> Rule:
    """A public reply to the requester ``after`` a ticket entered ``pending`` without their answer (once)."""
    return Rule(
        rule_id,
        Conditions(all=[Condition("category", "is", "pending")]),
        [Action("reply", text=text)],
        schedule=Schedule(after, since=Anchor.REQUESTER_REPLY),
        title="Remind the requester of a pending ticket",
    )


def close_after_solved(days: int = 4, *, action: str = "close", rule_id: str = "close_solved") -> Rule:
    """Close a ticket ``days`` after it was solved (through the workflow's ``action``)."""
    return Rule(
        rule_id,
        Conditions(all=[Condition("category", "is", "solved")]),
        [Action("set_status", action)],
        schedule=Schedule(timedelta(days=days), since=Anchor.SOLVED),
        title=f"Close solved tickets after {days} days",
    )


def vip_escalation(
    *, segment: str = "vip", tag: str = "urgent", tier: int = 2, rule_id: str = "vip_escalation"
) -> Rule:
    """A ticket from the ``segment`` or tagged ``tag`` below ``tier``: priority up one level, ``tier`` set, routed.

    The tier condition makes it fire once per ticket, not on every update.
    """
    return Rule(
        rule_id,
        Conditions(
            all=[Condition("tier", "less_than", tier)],
            any=[Condition("segment", "is", segment), Condition("tags", "includes", tag)],
        ),
        [Action("raise_priority", 1), Action("set_field", tier, field="tier"), Action("route")],
        title=f"Escalate {segment} and {tag} tickets to tier {tier}",
    )


def sla_warning(
    metric: str = "resolution",
    percent: int = 75,
    *,
    recipient: str = "group_lead",
    text: str = "Ticket {ticket.id} has used {percent} % of its {metric} target (due {sla.%s.due}).",
    rule_id: str | None = None,
) -> Rule:
    """Notify ``recipient`` once when ``percent`` % of the ``metric`` target is used (checked on each update).

    A custom field ``sla_warned_<metric>`` records that the warning went out, so it is sent once.
    """
    marker = f"sla_warned_{metric}"
    message = text.replace("{percent}", str(percent)).replace("{metric}", metric).replace("%s", metric)
    return Rule(
        rule_id or f"sla_{metric}_{percent}",
        Conditions(
            all=[
                Condition(f"sla.{metric}.percent", "greater_than", percent - 1e-9),
                Condition(f"fields.{marker}", "present", False),
            ]
        ),
        [Action("notify", recipient=recipient, text=message), Action("set_field", percent, field=marker)],
        title=f"Warn the {recipient} at {percent} % of {metric}",
    )


def sla_breach_escalation(metric: str = "resolution", *, rule_id: str | None = None) -> Rule:
    """Raise the support tier by one when the ``metric`` clock breaches (once per ticket)."""
    marker = f"sla_escalated_{metric}"
    return Rule(
        rule_id or f"sla_{metric}_breach",
        Conditions(
            all=[
                Condition(f"sla.{metric}.state", "is", "breached"),
                Condition(f"fields.{marker}", "present", False),
            ]
        ),
        [Action("escalate"), Action("set_field", True, field=marker)],
        title=f"Escalate one tier when {metric} breaches",
    )
