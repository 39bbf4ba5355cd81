"""What many test files share: the reference instant ``T0``, the standard actors, ``opened()`` and a ``Clock``.

Test files import these by plain name (``from helpers import T0, AGENT, opened``); pytest puts ``tests/`` on the
path, as it does for the oracles beside this file. A file that needs a different value says so where it uses it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ticketcore.model import Actor, Opened, Role

T0 = datetime(2025, 3, 3, 9, tzinfo=UTC)
"""Monday 3 March 2025, 09:00 UTC: a business-hours opening instant."""

REQUESTER = Actor("cy", Role.REQUESTER)
AGENT = Actor("ada", Role.AGENT)
SUPERVISOR = Actor("sam", Role.SUPERVISOR)
ADMIN = Actor("root", Role.ADMIN)
SYSTEM = Actor.system()


def opened(ticket_id: str = "T-1", **fields: Any) -> Opened:
    """The first event of a ticket: opened by ``REQUESTER`` (requester ``"cy"``) at ``T0``; ``fields`` override any
    of these (``at=``, ``requester=123`` to see it refused, ...) or add others."""
    defaults: dict[str, Any] = {"seq": 1, "at": T0, "actor": REQUESTER, "requester": REQUESTER.id}
    return Opened(ticket_id=ticket_id, **(defaults | fields))


class Clock:
    """A clock the test moves by hand (a desk's ``clock``), starting at ``T0``."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def postgres_dsn() -> str:
    """The libpq DSN of the test server (``TICKETCORE_TEST_POSTGRES``); the test is skipped without one, and fails
    in CI, which must test PostgreSQL."""
    import os

    import pytest

    dsn = os.environ.get("TICKETCORE_TEST_POSTGRES")
    if not dsn:
        if os.environ.get("CI"):
            pytest.fail("CI must test PostgreSQL: set TICKETCORE_TEST_POSTGRES (see .ci/postgres)")
        pytest.skip("TICKETCORE_TEST_POSTGRES is not set")
    return dsn
