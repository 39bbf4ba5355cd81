"""Shared test configuration: Hypothesis profiles chosen by TICKETCORE_HYPOTHESIS_PROFILE (fast, ci, thorough)."""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

settings.register_profile("fast", max_examples=30, deadline=None)
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile(
    "thorough",
    max_examples=2_000,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("TICKETCORE_HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "fast")
)
