"""The reference HTTP service (examples/service) through httpx against the real ASGI app.

The core flows run on SQLite (a ThreadedStore, everywhere) and on PostgreSQL (AsyncPostgresStore on the server in
``TICKETCORE_TEST_POSTGRES``: skipped locally without one, required in CI); the error mappings, which do not depend
on the store, on SQLite.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from examples.service import create_app  # the repository root, put on the path above
from examples.service.app import PROBLEM_JSON, UnknownTenant
from helpers import T0, Clock, postgres_dsn
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.adapters.threaded import ThreadedStore
from ticketcore.aio import AsyncTicketStore
from ticketcore.errors import ConcurrencyError, HistoryNeeded, StorageError
from ticketcore.model import Event
from ticketcore.sla import MetricTargets, SLAPolicy

pytestmark = pytest.mark.asyncio

SLA = SLAPolicy(
    "standard",
    {
        "first_response": MetricTargets({1: timedelta(hours=1)}, timedelta(hours=8)),
        "resolution": MetricTargets({1: timedelta(hours=8)}, timedelta(days=3)),
    },
)
ADA = {"id": "ada", "role": "agent"}
CY = {"id": "cy", "role": "requester"}
URGENT = {"requester": "cy", "subject": "VPN down", "impact": 1, "urgency": 1}

Stores = Callable[[str], Any]
SCHEMAS: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def drop_schemas() -> Iterator[None]:
    yield
    if SCHEMAS:
        import psycopg

        with psycopg.connect(postgres_dsn(), autocommit=True) as conn:
            for name in SCHEMAS:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def sqlite_stores(folder: Path) -> Stores:
    async def stores(tenant: str) -> AsyncTicketStore:
        if tenant == "nobody":
            raise UnknownTenant(tenant)
        return ThreadedStore(SQLiteStore(folder / f"{tenant}.db", tenant=tenant))

    return stores


def postgres_stores() -> Stores:
    pytest.importorskip("psycopg", reason="the [postgres] extra is not installed")
    from ticketcore.adapters.aio_postgres import AsyncPostgresStore

    dsn = postgres_dsn()
    schema = f"tc_test_service_{uuid.uuid4().hex[:12]}"
    SCHEMAS.append(schema)

    async def stores(tenant: str) -> AsyncTicketStore:
        return await AsyncPostgresStore.open(dsn, tenant=tenant, schema=schema, pool_size=4)

    return stores


def serve(stores: Stores, clock: Clock, **options: Any) -> Any:
    """The app and an httpx client on it, the app's lifespan (which closes the stores) around them."""
    app = create_app(stores, clock=clock, sla=SLA, **options)

    class Running:
        async def __aenter__(self) -> httpx.AsyncClient:
            self.lifespan = app.router.lifespan_context(app)
            await self.lifespan.__aenter__()
            self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://service")
            return self.client

        async def __aexit__(self, *exc: object) -> None:
            await self.client.aclose()
            await self.lifespan.__aexit__(None, None, None)

    return Running()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Stores:
    return sqlite_stores(tmp_path) if request.param == "sqlite" else postgres_stores()


@pytest_asyncio.fixture
async def client(stores: Stores) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(stores, Clock()) as running:
        yield running


@pytest_asyncio.fixture
async def sqlite_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(sqlite_stores(tmp_path), Clock()) as running:
        yield running


def problem_of(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{kind}"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


async def open_ticket(client: httpx.AsyncClient, tenant: str = "acme", **body: Any) -> str:
    response = await client.post(f"/tenants/{tenant}/tickets", json={**URGENT, **body})
    assert response.status_code == 201, response.text
    ticket_id: str = response.json()["id"]
    assert response.headers["location"] == f"/tenants/{tenant}/tickets/{ticket_id}"
    return ticket_id


# the core flows, on both stores


async def test_open_reply_assign_act_and_read_back(client: httpx.AsyncClient) -> None:
    ticket_id = await open_ticket(client)
    url = f"/tenants/acme/tickets/{ticket_id}"
    ticket = (await client.get(url)).json()
    assert (ticket["id"], ticket["status"], ticket["priority"], ticket["subject"]) == (
        ticket_id,
        "new",
        1,
        "VPN down",
    )
    replied = await client.post(f"{url}/replies", json={"actor": ADA, "body": "Looking at it."})
    assert replied.status_code == 200
    assert replied.json()["public_agent_replies"] == 1
    assigned = await client.post(f"{url}/assignment", json={"actor": ADA, "agent": "ada", "group": "network"})
    assert (assigned.json()["assignee"], assigned.json()["group"]) == ("ada", "network")
    accepted = await client.post(f"{url}/actions", json={"actor": ADA, "action": "accept"})
    solved = await client.post(
        f"{url}/actions", json={"actor": ADA, "action": "solve", "reason": "restarted"}
    )
    assert (accepted.json()["status"], solved.json()["status"]) == ("open", "solved")
    events = (await client.get(f"{url}/events")).json()
    assert [event["type"] for event in events] == [
        "opened",
        "replied",
        "assigned",
        "status_changed",
        "status_changed",
    ]
    assert [event["seq"] for event in events] == [1, 2, 3, 4, 5]


async def test_sla_state_and_upcoming_breaches(client: httpx.AsyncClient) -> None:
    ticket_id = await open_ticket(client)
    url = f"/tenants/acme/tickets/{ticket_id}/sla"
    report = (await client.get(url)).json()
    first = {metric["metric"]: metric["cycles"][0] for metric in report["metrics"]}["first_response"]
    assert (first["state"], first["due_at"]) == ("running", "2025-03-03T10:00:00+00:00")
    later = (await client.get(url, params={"now": "2025-03-03T11:00:00+00:00"})).json()
    assert {m["metric"]: m["cycles"][0]["state"] for m in later["metrics"]}["first_response"] == "breached"
    soon = (await client.get("/tenants/acme/sla/upcoming", params={"within": "PT1H"})).json()
    assert [(alert["metric"], alert["kind"], alert["percent"]) for alert in soon] == [
        ("first_response", "warning", 50),
        ("first_response", "warning", 75),
        ("first_response", "warning", 100),
        ("first_response", "breach", None),
    ]
    assert {alert["ticket_id"] for alert in soon} == {ticket_id}
    await client.post(f"/tenants/acme/tickets/{ticket_id}/replies", json={"actor": ADA, "body": "On it."})
    answered = (await client.get("/tenants/acme/sla/upcoming", params={"within": "PT1H"})).json()
    assert answered == [], "the reply achieved the first response; resolution is due in 8 h"
    assert len((await client.get("/tenants/acme/sla/upcoming", params={"within": "PT9H"})).json()) == 4


async def test_backlog_report(client: httpx.AsyncClient) -> None:
    first = await open_ticket(client, group="network")
    await open_ticket(client, group="network")
    await open_ticket(client, group="desk")
    url = f"/tenants/acme/tickets/{first}"
    await client.post(f"{url}/assignment", json={"actor": ADA, "agent": "ada"})
    await client.post(f"{url}/actions", json={"actor": ADA, "action": "accept"})
    await client.post(f"{url}/actions", json={"actor": ADA, "action": "solve"})
    as_of = (T0 + timedelta(days=2)).isoformat()
    report = (await client.get("/tenants/acme/reports/backlog", params={"as_of": as_of})).json()
    assert report["as_of"] == as_of
    assert report["backlog"]["open"] == 2
    assert {group["key"]: group["count"] for group in report["backlog"]["groups"]} == {
        "network": 1,
        "desk": 1,
    }
    assert (report["ratio"]["open"], report["ratio"]["solved"], report["ratio"]["infinite"]) == (2, 1, False)
    assert report["ratio"]["weeks"] == 8.0
    assert [bucket["count"] for bucket in report["ageing"]["buckets"]] == [0, 2, 0, 0, 0]
    by_priority = (
        await client.get("/tenants/acme/reports/backlog", params={"as_of": as_of, "by": "priority"})
    ).json()
    assert by_priority["backlog"]["groups"] == [{"key": 1, "count": 2}]


async def test_an_infinite_backlog_ratio_is_null_and_said_so(sqlite_client: httpx.AsyncClient) -> None:
    await open_ticket(sqlite_client)
    report = (
        await sqlite_client.get("/tenants/acme/reports/backlog", params={"as_of": "2025-03-04T09:00:00Z"})
    ).json()
    assert (report["ratio"]["weeks"], report["ratio"]["infinite"]) == (None, True)
    assert report["ratio"]["describe"].startswith("infinite")


async def test_a_tenant_sees_only_its_own_tickets(client: httpx.AsyncClient) -> None:
    ticket_id = await open_ticket(client, "acme", subject="acme's")
    missing = await client.get(f"/tenants/globex/tickets/{ticket_id}")
    assert problem_of(missing, 404, "ticket-not-found")["ticket_id"] == ticket_id
    refused = await client.post(
        f"/tenants/globex/tickets/{ticket_id}/replies", json={"actor": ADA, "body": "x"}
    )
    problem_of(refused, 404, "ticket-not-found")
    assert await open_ticket(client, "globex", subject="globex's") == ticket_id, "each tenant numbers its own"
    assert (await client.get(f"/tenants/acme/tickets/{ticket_id}")).json()["subject"] == "acme's"
    assert (await client.get(f"/tenants/globex/tickets/{ticket_id}")).json()["subject"] == "globex's"
    assert len((await client.get(f"/tenants/acme/tickets/{ticket_id}/events")).json()) == 1
    report = (
        await client.get("/tenants/globex/reports/backlog", params={"as_of": "2025-03-04T09:00:00Z"})
    ).json()
    assert report["backlog"]["open"] == 1


async def test_a_tenant_in_the_body_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/tenants/acme/tickets", json={**URGENT, "tenant": "globex"})
    assert problem_of(response, 422, "invalid-input")["errors"][0]["pointer"] == "#/tenant"


async def test_concurrent_replies_to_one_ticket_lose_no_update(client: httpx.AsyncClient) -> None:
    ticket_id = await open_ticket(client)
    url = f"/tenants/acme/tickets/{ticket_id}/replies"
    count = 16
    responses = await asyncio.gather(
        *(client.post(url, json={"actor": ADA, "body": f"reply {n}"}) for n in range(count))
    )
    assert [response.status_code for response in responses] == [200] * count
    events = (await client.get(f"/tenants/acme/tickets/{ticket_id}/events")).json()
    replies = [event for event in events if event["type"] == "replied"]
    assert sorted(event["body"] for event in replies) == sorted(f"reply {n}" for n in range(count))
    assert [event["seq"] for event in events] == list(range(1, count + 2))
    assert sorted(response.json()["version"] for response in responses) == list(range(2, count + 2))


# the error mappings


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({"requester": 123, "priority": "1"}, ["#/requester", "#/priority"]),
        ({"requester": "cy", "tags": "vpn"}, ["#/tags"]),
        ({"requester": "cy", "tags": ["vpn", 7]}, ["#/tags/1"]),
        ({"requester": "cy", "actor": {"id": "cy", "role": "wizard"}}, ["#/actor/role"]),
        ({"subject": "no requester"}, ["#/requester"]),
        ({"requester": ""}, ["#/requester"]),
        ({"requester": "cy", "colour": "blue"}, ["#/colour"]),
        ([1, 2], ["#"]),
    ],
)
async def test_bad_bodies_are_422_naming_the_field(
    sqlite_client: httpx.AsyncClient, body: Any, pointers: list[str]
) -> None:
    response = await sqlite_client.post("/tenants/acme/tickets", json=body)
    errors = problem_of(response, 422, "invalid-input")["errors"]
    assert [error["pointer"] for error in errors] == pointers
    assert all(error["detail"] for error in errors)


async def test_a_body_that_is_no_json_is_422(sqlite_client: httpx.AsyncClient) -> None:
    response = await sqlite_client.post(
        "/tenants/acme/tickets", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert problem_of(response, 422, "invalid-input")["errors"][0]["pointer"] == "#"


async def test_the_library_refusals_of_input_are_422_naming_the_field(
    sqlite_client: httpx.AsyncClient,
) -> None:
    impact = await sqlite_client.post("/tenants/acme/tickets", json={"requester": "cy", "impact": 9})
    assert "valid levels: 1 to 3" in problem_of(impact, 422, "invalid-input")["errors"][0]["detail"]
    assert impact.json()["errors"][0]["pointer"] == "#/impact"
    ticket_id = await open_ticket(sqlite_client)
    nobody = await sqlite_client.post(f"/tenants/acme/tickets/{ticket_id}/assignment", json={"actor": ADA})
    assert "needs an agent, a group or both" in problem_of(nobody, 422, "invalid-input")["detail"]
    assert "errors" not in nobody.json(), "no one field is at fault"


@pytest.mark.parametrize(
    ("url", "params", "parameter"),
    [
        ("/tenants/acme/tickets/T-1/sla", {"now": "2025-03-03T09:00:00"}, "now"),
        ("/tenants/acme/tickets/T-1/sla", {"now": "Monday"}, "now"),
        ("/tenants/acme/sla/upcoming", {"within": "-PT1H"}, "within"),
        ("/tenants/acme/sla/upcoming", {"within": "soon"}, "within"),
        ("/tenants/acme/sla/upcoming", {}, "within"),
        ("/tenants/acme/reports/backlog", {"by": "colour"}, "by"),
        ("/tenants/acme/reports/backlog", {"as_of": "2025-03-03T09:00:00"}, "as_of"),
        ("/tenants/ac%20me/tickets/T-1", {}, "tenant"),
    ],
)
async def test_bad_parameters_are_422_naming_the_parameter(
    sqlite_client: httpx.AsyncClient, url: str, params: dict[str, str], parameter: str
) -> None:
    await open_ticket(sqlite_client)
    response = await sqlite_client.get(url, params=params)
    assert problem_of(response, 422, "invalid-input")["errors"][0]["parameter"] == parameter


async def test_refused_actions_are_409_with_what_is_allowed(sqlite_client: httpx.AsyncClient) -> None:
    ticket_id = await open_ticket(sqlite_client)
    url = f"/tenants/acme/tickets/{ticket_id}/actions"
    unknown = problem_of(
        await sqlite_client.post(url, json={"actor": ADA, "action": "fly"}), 409, "invalid-transition"
    )
    assert "accept" in unknown["allowed"]
    by_role = await sqlite_client.post(url, json={"actor": CY, "action": "accept"})
    assert problem_of(by_role, 409, "invalid-transition")["allowed"] == []
    await sqlite_client.post(url, json={"actor": ADA, "action": "accept"})
    guarded = problem_of(
        await sqlite_client.post(url, json={"actor": ADA, "action": "solve"}), 409, "guard-refused"
    )
    assert guarded["guard"] == "has_assignee"


async def test_unknown_tickets_tenants_and_routes_are_404(sqlite_client: httpx.AsyncClient) -> None:
    problem_of(await sqlite_client.get("/tenants/acme/tickets/T-404"), 404, "ticket-not-found")
    problem_of(await sqlite_client.get("/tenants/acme/tickets/T-404/sla"), 404, "ticket-not-found")
    assert (
        problem_of(await sqlite_client.get("/tenants/nobody/tickets/T-1"), 404, "unknown-tenant")["tenant"]
        == "nobody"
    )
    problem_of(await sqlite_client.get("/elsewhere"), 404, "http")
    problem_of(await sqlite_client.delete("/tenants/acme/tickets/T-1"), 405, "http")


class Flaky:
    """A store whose appends to existing tickets meet ``conflicts`` writes of another process first."""

    def __init__(self, store: AsyncTicketStore, conflicts: int) -> None:
        self.store = store
        self.conflicts = conflicts

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def append(self, ticket_id: str, events: Sequence[Event], expected_version: int, **due: Any) -> int:
        if expected_version and self.conflicts:
            self.conflicts -= 1
            raise ConcurrencyError(ticket_id, expected_version, expected_version + 1)
        return await self.store.append(ticket_id, events, expected_version, **due)

    def stream(self, after: int = 0) -> Any:
        return self.store.stream(after)


def flaky_stores(folder: Path, conflicts: int) -> Stores:
    async def stores(tenant: str) -> AsyncTicketStore:
        store = Flaky(ThreadedStore(SQLiteStore(folder / f"{tenant}.db", tenant=tenant)), conflicts)
        assert isinstance(store, AsyncTicketStore)
        return store

    return stores


async def test_conflicts_with_other_writers_are_decided_again(tmp_path: Path) -> None:
    async with serve(flaky_stores(tmp_path, conflicts=5), Clock(), attempts=3) as client:
        ticket_id = await open_ticket(client)
        response = await client.post(f"/tenants/acme/tickets/{ticket_id}/replies", json={"actor": ADA})
        assert response.status_code == 200
        assert response.json()["version"] == 2


async def test_conflicts_past_the_attempts_are_409(tmp_path: Path) -> None:
    async with serve(flaky_stores(tmp_path, conflicts=6), Clock(), attempts=3) as client:
        ticket_id = await open_ticket(client)
        response = await client.post(f"/tenants/acme/tickets/{ticket_id}/replies", json={"actor": ADA})
        assert problem_of(response, 409, "conflict")["ticket_id"] == ticket_id
        assert len((await client.get(f"/tenants/acme/tickets/{ticket_id}/events")).json()) == 1


class Broken(Flaky):
    """A store whose reads fail with ``error``."""

    def __init__(self, store: AsyncTicketStore, error: Exception) -> None:
        super().__init__(store, 0)
        self.error = error

    async def get(self, ticket_id: str) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [(StorageError("the disk is full"), 503, "storage"), (HistoryNeeded("T-1", "a bug"), 500, "internal")],
)
async def test_storage_and_other_failures(tmp_path: Path, error: Exception, status: int, kind: str) -> None:
    async def stores(tenant: str) -> AsyncTicketStore:
        return Broken(ThreadedStore(SQLiteStore(tmp_path / "x.db", tenant=tenant)), error)

    async with serve(stores, Clock()) as client:
        problem_of(await client.get("/tenants/acme/tickets/T-1"), status, kind)


async def test_the_stores_are_closed_at_shutdown(tmp_path: Path) -> None:
    made: list[ThreadedStore] = []

    async def stores(tenant: str) -> AsyncTicketStore:
        made.append(ThreadedStore(SQLiteStore(tmp_path / f"{tenant}.db", tenant=tenant)))
        return made[-1]

    async with serve(stores, Clock()) as client:
        await asyncio.gather(*(open_ticket(client, tenant) for tenant in ("acme", "acme", "globex")))
        assert [store.tenant for store in made] == ["acme", "globex"], "one store per tenant"
    with pytest.raises(StorageError):
        await made[0].get("T-1")
