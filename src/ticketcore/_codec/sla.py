"""cattrs hooks for the configuration types (and the reports) of the sla area (an edge module: only codec.py imports it).

An SLA policy set as data (every key but ``name`` and ``metrics`` optional)::

    {"policies": [
        {"name": "vip_chat",
         "when": {"channel": ["chat"], "segment": ["vip"]},
         "calendar": {"tz": "Europe/Rome", "hours": {...}},           # a BusinessCalendar; default 24×7
         "metrics": {
            "first_response": {"targets": {"1": "60s", "2": "5m"}, "default": "15m",
                               "channels": {"email": {"default": "60m"}}},
            "resolution": {"default": "8h", "business_hours": false},
            "escalation": {"default": "4h", "clock": {"start": ["opened"], "stop": ["assigned"],
                                                      "pause": {"categories": ["pending"]}}}},
         "pause_categories": ["pending", "on_hold"], "pause_statuses": ["awaiting_vendor"],
         "warnings": [50, 75, 100], "on_priority_change": "recompute"}]}

Priority keys may be integers or digit strings (JSON object keys are strings); a trigger may be written as its kind
alone (``"agent_reply"``) or as ``{"on": "status", "categories": ["pending"]}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs
import cattrs
import cattrs.gen

from ticketcore.errors import ConfigError
from ticketcore.sla import MetricReport, SLAReport, Trigger

__all__ = ["register"]


def _priority_key(key: object) -> int:
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.strip().isdigit():
        return int(key)
    raise ConfigError(f"{key!r} is not a priority level; write a whole number such as 1 (for P1)", str(key))


def register(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the data forms of SLA triggers and per-priority targets."""
    trigger_fields = cattrs.gen.make_dict_structure_fn(Trigger, converter)

    def structure_trigger(value: object, _: type) -> Trigger:
        if isinstance(value, str):
            return Trigger(value)
        if not isinstance(value, Mapping):
            raise ConfigError(
                f"expected a trigger kind such as 'agent_reply' or a mapping with 'on', got {value!r}"
            )
        return trigger_fields(value, Trigger)

    def structure_targets(value: object, _: Any) -> dict[int, timedelta]:
        if not isinstance(value, Mapping):
            raise ConfigError(f"expected a mapping of priority level to duration, got {value!r}")
        result: dict[int, timedelta] = {}
        for key, duration in value.items():
            try:
                result[_priority_key(key)] = converter.structure(duration, timedelta)
            except ConfigError as error:
                raise ConfigError(error.problem, str(key)) from None
        return result

    converter.register_structure_hook(Trigger, structure_trigger)
    converter.register_structure_hook_func(lambda t: t == dict[int, timedelta], structure_targets)

    # A report keeps its metrics in the private ``_metrics`` (packed until read): the data form says ``metrics``
    # and always holds the values.
    built = tuple[MetricReport, ...]
    metrics = cattrs.gen.override(
        rename="metrics", struct_hook=lambda value, _: converter.structure(value, built)
    )
    report_fields = cattrs.gen.make_dict_unstructure_fn(SLAReport, converter, _metrics=metrics)

    def unstructure_report(report: SLAReport) -> dict[str, Any]:
        return report_fields(attrs.evolve(report, metrics=report.metrics))  # the values, not the packed form

    converter.register_unstructure_hook(SLAReport, unstructure_report)
    converter.register_structure_hook(
        SLAReport, cattrs.gen.make_dict_structure_fn(SLAReport, converter, _metrics=metrics)
    )
