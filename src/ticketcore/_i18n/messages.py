"""The message catalogue's source: every user-visible name the library ships, by kind, in English.

Private to :mod:`ticketcore.i18n`. Each English text is wrapped in :func:`N_` so that ``pybabel extract -k N_:1c,2``
finds it with its kind as the gettext context (``msgctxt``); the catalogs in ``ticketcore/locale`` translate them.
"""

from __future__ import annotations

__all__ = ["KINDS", "MESSAGES", "N_", "PHRASES"]


def N_(context: str, message: str) -> str:
    """Mark ``message`` for extraction under ``context``; return it unchanged."""
    return message


_CATEGORY = {
    "new": N_("category", "New"),
    "open": N_("category", "Open"),
    "pending": N_("category", "Pending"),
    "on_hold": N_("category", "On hold"),
    "solved": N_("category", "Solved"),
    "closed": N_("category", "Closed"),
}

_ROLE = {
    "requester": N_("role", "Requester"),
    "agent": N_("role", "Agent"),
    "supervisor": N_("role", "Supervisor"),
    "admin": N_("role", "Administrator"),
    "system": N_("role", "System"),
}

# The statuses of the default (Zendesk-style) and ITIL (ServiceNow incident) workflows.
_STATUS = {
    "new": N_("status", "New"),
    "open": N_("status", "Open"),
    "pending": N_("status", "Pending"),
    "pending_confirmation": N_("status", "Awaiting confirmation"),
    "on_hold": N_("status", "On hold"),
    "solved": N_("status", "Solved"),
    "closed": N_("status", "Closed"),
    "canceled": N_("status", "Canceled"),
    "in_progress": N_("status", "In progress"),
    "on_hold_awaiting_caller": N_("status", "Awaiting caller"),
    "on_hold_awaiting_change": N_("status", "Awaiting change"),
    "on_hold_awaiting_problem": N_("status", "Awaiting problem"),
    "on_hold_awaiting_vendor": N_("status", "Awaiting vendor"),
    "resolved": N_("status", "Resolved"),
}

_ACTION = {
    "accept": N_("action", "Accept"),
    "assign": N_("action", "Assign"),
    "wait_for_customer": N_("action", "Wait for customer"),
    "hold": N_("action", "Put on hold"),
    "resume": N_("action", "Resume"),
    "request_confirmation": N_("action", "Ask for confirmation"),
    "confirm": N_("action", "Confirm solution"),
    "solve": N_("action", "Solve"),
    "reopen": N_("action", "Reopen"),
    "close": N_("action", "Close"),
    "cancel": N_("action", "Cancel"),
    "start": N_("action", "Start work"),
    "await_caller": N_("action", "Wait for caller"),
    "await_change": N_("action", "Wait for change"),
    "await_problem": N_("action", "Wait for problem"),
    "await_vendor": N_("action", "Wait for vendor"),
    "resolve": N_("action", "Resolve"),
    "requester_reply": N_("action", "Requester replied"),
}

# Priority names (P1 … P5) and the names of impact and urgency levels (apart because of grammatical gender).
_PRIORITY = {
    "Critical": N_("priority", "Critical"),
    "High": N_("priority", "High"),
    "Moderate": N_("priority", "Moderate"),
    "Low": N_("priority", "Low"),
    "Planning": N_("priority", "Planning"),
}

_IMPACT = {
    "Critical": N_("impact", "Critical"),
    "High": N_("impact", "High"),
    "Medium": N_("impact", "Medium"),
    "Low": N_("impact", "Low"),
    "Very low": N_("impact", "Very low"),
}

_URGENCY = {
    "Critical": N_("urgency", "Critical"),
    "High": N_("urgency", "High"),
    "Medium": N_("urgency", "Medium"),
    "Low": N_("urgency", "Low"),
    "Very low": N_("urgency", "Very low"),
}

_SLA_METRIC = {
    "first_response": N_("sla_metric", "First response"),
    "next_response": N_("sla_metric", "Next response"),
    "periodic_update": N_("sla_metric", "Periodic update"),
    "resolution": N_("sla_metric", "Resolution"),
    "requester_wait": N_("sla_metric", "Requester wait time"),
    "agent_work": N_("sla_metric", "Agent work time"),
    "acknowledge": N_("sla_metric", "Acknowledgement"),
}

_SLA_STATE = {
    "running": N_("sla_state", "Running"),
    "paused": N_("sla_state", "Paused"),
    "achieved": N_("sla_state", "Achieved"),
    "breached": N_("sla_state", "Breached"),
    "cancelled": N_("sla_state", "Cancelled"),
}

# The kinds of ``ticketcore.sla.Upcoming``: what is due soon on a ticket's clock.
_SLA_ALERT = {
    "breach": N_("sla_alert", "Breach"),
    "warning": N_("sla_alert", "Warning"),
}

_ROUTING_REASON = {
    "excluded": N_("routing_reason", "Excluded"),
    "presence": N_("routing_reason", "Not online"),
    "off_shift": N_("routing_reason", "Off shift"),
    "not_dedicated": N_("routing_reason", "Not a dedicated agent"),
    "not_in_group": N_("routing_reason", "Not in the group"),
    "tier_too_low": N_("routing_reason", "Tier too low"),
    "lacks_skill": N_("routing_reason", "Lacks a required skill"),
    "wrong_language": N_("routing_reason", "Does not speak the language"),
    "no_channel": N_("routing_reason", "Does not handle the channel"),
    "at_capacity": N_("routing_reason", "At capacity"),
    "ranked_lower": N_("routing_reason", "Ranked lower"),
}

_PRESENCE = {
    "online": N_("presence", "Online"),
    "away": N_("presence", "Away"),
    "offline": N_("presence", "Offline"),
}

_ROUTING_STRATEGY = {
    "least_loaded": N_("routing_strategy", "Least loaded"),
    "round_robin": N_("routing_strategy", "Round robin"),
    "longest_idle": N_("routing_strategy", "Longest idle"),
    "best_skill": N_("routing_strategy", "Best skill match"),
}

_BACKLOG = {
    "backlog": N_("backlog", "Backlog"),
    "backlog_ratio": N_("backlog", "Backlog ratio"),
    "created": N_("backlog", "Created"),
    "solved": N_("backlog", "Solved"),
    "reopened": N_("backlog", "Reopened"),
    "ageing": N_("backlog", "Ageing"),
    "growth_trend": N_("backlog", "Growth trend"),
    "first_response": N_("backlog", "First response time"),
    "first_resolution": N_("backlog", "First resolution time"),
    "full_resolution": N_("backlog", "Full resolution time"),
    "one_touch": N_("backlog", "First contact resolution"),
    "reopen_rate": N_("backlog", "Reopen rate"),
    "sla_compliance": N_("backlog", "SLA compliance"),
    "csat": N_("backlog", "Customer satisfaction"),
    "self_service_share": N_("backlog", "Self-service share"),
    "zero_touch": N_("backlog", "Solved without a reply"),
    "two_touch": N_("backlog", "Solved in two replies"),
    "multi_touch": N_("backlog", "Solved in three or more replies"),
    "volumes": N_("backlog", "Volume"),
    "agents": N_("backlog", "Agent activity"),
    "open": N_("backlog", "Open"),
    "replies": N_("backlog", "Replies"),
    "rated": N_("backlog", "Rated"),
    "mean": N_("backlog", "Average"),
    "median": N_("backlog", "Median"),
    "p90": N_("backlog", "90th percentile"),
    "status": N_("backlog", "Status"),
    "category": N_("backlog", "Category"),
    "priority": N_("backlog", "Priority"),
    "channel": N_("backlog", "Channel"),
    "group": N_("backlog", "Group"),
    "region": N_("backlog", "Region"),
    "assignee": N_("backlog", "Assignee"),
    "day": N_("backlog", "Day"),
    "week": N_("backlog", "Week"),
    "month": N_("backlog", "Month"),
}

# The words of the help-desk report that ``ticketcore demo`` and ``ticketcore report`` print: section titles, the
# summary's and backlog's items, column headers and routing outcomes. Report words that name a metric or an SLA state
# ("Open", "Median", "Achieved" …) are read from ``backlog`` and ``sla_state`` instead, so they agree with them.
_REPORT = {
    "summary": N_("report", "Summary"),
    "trend": N_("report", "Backlog week by week"),
    "flow": N_("report", "Created and solved per week"),
    "response_times": N_("report", "Response and resolution times"),
    "breakdown": N_("report", "Breakdown"),
    "top_breaches": N_("report", "Top breaches"),
    "routing": N_("report", "Routing outcomes"),
    "agents": N_("report", "Tickets per agent"),
    "automations": N_("report", "What the automations did"),
    "as_of": N_("report", "As of"),
    "period_start": N_("report", "Period from"),
    "tickets": N_("report", "Tickets"),
    "events": N_("report", "Events"),
    "timers_fired": N_("report", "Timers fired"),
    "solved_per_week": N_("report", "Solved per week"),
    "growing_weeks": N_("report", "Weeks of growth"),
    "steady_growth": N_("report", "Steady growth"),
    "item": N_("report", "Item"),
    "value": N_("report", "Value"),
    "metric": N_("report", "Metric"),
    "rate": N_("report", "Compliance"),
    "at": N_("report", "At"),
    "from": N_("report", "From"),
    "to": N_("report", "To"),
    "count": N_("report", "Count"),
    "ticket": N_("report", "Ticket"),
    "policy": N_("report", "Policy"),
    "overdue": N_("report", "Overdue by"),
    "due_at": N_("report", "Due"),
    "outcome": N_("report", "Outcome"),
    "agent": N_("report", "Agent"),
    "routed_at_opening": N_("report", "Routed at opening"),
    "routed_later": N_("report", "Routed later"),
    "assigned_by_staff": N_("report", "Assigned by staff"),
    "never_assigned": N_("report", "Not assigned yet"),
    "reassigned": N_("report", "Reassigned"),
    "rule": N_("report", "Rule"),
    "fired": N_("report", "Times fired"),
    "sample": N_("report", "Sample"),
    "yes": N_("report", "yes"),
    "no": N_("report", "no"),
}

# The timers of the preset workflows, as a ticket's history records them (``TimerFired.timer``).
_TIMER = {
    "auto_close": N_("timer", "Automatic close"),
    "pending_reminder": N_("timer", "Reminder to the requester"),
    "pending_auto_solve": N_("timer", "Automatic solve"),
}

MESSAGES: dict[str, dict[str, str]] = {
    "category": _CATEGORY,
    "role": _ROLE,
    "status": _STATUS,
    "action": _ACTION,
    "timer": _TIMER,
    "priority": _PRIORITY,
    "impact": _IMPACT,
    "urgency": _URGENCY,
    "sla_metric": _SLA_METRIC,
    "sla_state": _SLA_STATE,
    "sla_alert": _SLA_ALERT,
    "routing_reason": _ROUTING_REASON,
    "routing_strategy": _ROUTING_STRATEGY,
    "presence": _PRESENCE,
    "backlog": _BACKLOG,
    "report": _REPORT,
}
"""Kind (the gettext context) → name → English text."""

KINDS: tuple[str, ...] = tuple(MESSAGES)
"""Every kind ``ticketcore.i18n.label`` knows."""

# Deadline phrases: each translation picks a construction whose duration stays in the nominative, because the
# duration is formatted by babel on its own (Croatian "još 3 sata", German "noch 2 Tage").
PHRASES = {
    "future": N_("deadline", "in {duration}"),
    "overdue": N_("deadline", "overdue by {duration}"),
    "now": N_("deadline", "due now"),
    "due_at": N_("deadline", "{relative} ({when})"),
}
"""The phrases :func:`ticketcore.i18n.format_deadline` fills in."""
