"""Checks and encodings shared by the bundled adapters (private)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ticketcore.errors import ConfigError

__all__ = ["agent_json", "check_tenant"]


def check_tenant(tenant: object) -> str:
    """``tenant`` if it is a non-empty string; otherwise a :class:`ConfigError` saying what a tenant is."""
    if not isinstance(tenant, str) or not tenant:
        raise ConfigError(f"a tenant is a non-empty string (e.g. 'acme'), got {tenant!r}", "tenant")
    return tenant


def agent_json(agent_id: object, data: Mapping[str, Any]) -> str:
    """Agent data as canonical JSON text, refusing ids and data that a database could not keep as given."""
    if not isinstance(agent_id, str) or not agent_id:
        raise ConfigError(f"an agent id is a non-empty string, got {agent_id!r}", "agent_id")
    if not isinstance(data, Mapping):
        raise ConfigError(f"agent data is a mapping (codec.dump(agent)), got {type(data).__name__} {data!r}")
    try:
        return json.dumps(dict(data), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"agent data must be JSON-ready (use codec.dump(agent)): {error}") from None
