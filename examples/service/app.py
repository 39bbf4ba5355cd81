"""A reference HTTP service on :class:`ticketcore.aio.AsyncHelpDesk` (FastAPI).

``create_app(stores, clock=...)`` builds the application. ``stores`` makes the asyncio store of one tenant on the
first request that names it (``ThreadedStore(SQLiteStore(...))``, ``await AsyncPostgresStore.open(...)``), or raises
:class:`UnknownTenant`; each tenant gets one ``AsyncHelpDesk`` over its store, and the stores are closed when the
application shuts down. Routes (the tenant is always the path's, never the body's)::

    POST /tenants/{tenant}/tickets                         open           201, Location
    GET  /tenants/{tenant}/tickets/{ticket_id}             the ticket
    GET  /tenants/{tenant}/tickets/{ticket_id}/events      its history
    POST /tenants/{tenant}/tickets/{ticket_id}/replies     reply
    POST /tenants/{tenant}/tickets/{ticket_id}/actions     act (a workflow action)
    POST /tenants/{tenant}/tickets/{ticket_id}/assignment  assign
    GET  /tenants/{tenant}/tickets/{ticket_id}/sla         SLA state (?now=)
    GET  /tenants/{tenant}/sla/upcoming?within=PT1H        warnings and breaches due within (?now=)
    GET  /tenants/{tenant}/reports/backlog                 the backlog report (?as_of=, ?by=)

Every error is ``application/problem+json`` (RFC 9457): ``type``, ``title``, ``status``, ``detail``, and for bad
input an ``errors`` list whose items name the field: ``pointer`` (a JSON pointer into the body, ``#/priority``) or
``parameter`` (a query or path parameter). Commands on one ticket from this process are serialized, and a conflict
with another process's write is decided again (up to ``attempts`` times), so concurrent requests lose no update.

Run it: ``python -m examples.service --sqlite desk.db`` (see ``examples/service/__main__.py``).
"""

from __future__ import annotations

import asyncio
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr
from starlette.exceptions import HTTPException

from ticketcore import backlog, codec
from ticketcore.aio import AsyncHelpDesk, AsyncTicketStore
from ticketcore.errors import (
    ConcurrencyError,
    ConfigError,
    GuardRefused,
    InvalidEvent,
    InvalidTransition,
    NaiveDatetimeError,
    PriorityError,
    StorageError,
    TicketcoreError,
    TicketNotFound,
    WrongType,
)
from ticketcore.lifecycle import Workflow
from ticketcore.model import Actor, Event, Role, Ticket
from ticketcore.priority import PriorityMatrix, PriorityPolicy
from ticketcore.sla import SLAPolicy, SLAPolicySet

__all__ = ["PROBLEM_JSON", "StoreFactory", "TenantDesks", "UnknownTenant", "create_app"]

PROBLEM_JSON = "application/problem+json"

StoreFactory = Callable[[str], Awaitable[AsyncTicketStore]]
"""Makes the store of a tenant (called once per tenant), or raises :class:`UnknownTenant`."""

NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
TenantName = Annotated[str, Path(pattern=NAME, description="the tenant: whose tickets")]
TicketId = Annotated[str, Path(pattern=NAME)]
Instant = Annotated[
    str | None, Query(description="an ISO 8601 instant with its offset; the clock's by default")
]


class UnknownTenant(LookupError):
    """The store factory serves no such tenant (404)."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        super().__init__(f"no tenant {tenant!r} here")


class TenantDesks:
    """One :class:`AsyncHelpDesk` per tenant, made on first use; serializes this process's commands per ticket."""

    def __init__(self, stores: StoreFactory, make_desk: Callable[[AsyncTicketStore], AsyncHelpDesk]) -> None:
        self._stores = stores
        self._make_desk = make_desk
        self._desks: dict[str, AsyncHelpDesk] = {}
        self._opening: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tickets: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def desk(self, tenant: str) -> AsyncHelpDesk:
        """The tenant's desk (its store opened on the first call)."""
        if tenant not in self._desks:
            async with self._opening[tenant]:
                if tenant not in self._desks:
                    self._desks[tenant] = self._make_desk(await self._stores(tenant))
        return self._desks[tenant]

    async def command(
        self, tenant: str, ticket_id: str, run: Callable[[AsyncHelpDesk], Awaitable[Ticket]], attempts: int
    ) -> Ticket:
        """``run(desk)`` with no other command of this process on the ticket, again after a conflict."""
        desk = await self.desk(tenant)
        lock = self._tickets.setdefault((tenant, ticket_id), asyncio.Lock())
        async with lock:
            for attempt in range(1, attempts + 1):
                try:
                    return await run(desk)
                except ConcurrencyError:
                    # Another process wrote the ticket in between (twice: the desk decides once more itself).
                    if attempt == attempts:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        """Close every tenant's store."""
        desks, self._desks = self._desks, {}
        for desk in desks.values():
            await desk.store.close()


# Request bodies: strict types, so that "1" is no integer and 123 no string; unknown fields are refused.


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActorBody(_Body):
    id: StrictStr = Field(min_length=1)
    role: Role

    def actor(self) -> Actor:
        return Actor(self.id, self.role)


class OpenBody(_Body):
    requester: StrictStr = Field(min_length=1)
    subject: StrictStr = ""
    channel: StrictStr = "email"
    topic: StrictStr | None = None
    impact: StrictInt | None = None
    urgency: StrictInt | None = None
    priority: StrictInt | None = None
    group: StrictStr | None = None
    agent: StrictStr | None = None
    tags: list[StrictStr] = []
    actor: ActorBody | None = None


class ReplyBody(_Body):
    actor: ActorBody
    body: StrictStr = ""
    public: StrictBool = True


class ActBody(_Body):
    actor: ActorBody
    action: StrictStr = Field(min_length=1)
    reason: StrictStr | None = None


class AssignBody(_Body):
    actor: ActorBody
    agent: StrictStr | None = None
    group: StrictStr | None = None


def create_app(
    stores: StoreFactory,
    *,
    clock: Callable[[], datetime],
    sla: SLAPolicy | SLAPolicySet,
    workflow: Workflow | None = None,
    priorities: PriorityPolicy | None = None,
    attempts: int = 8,
) -> FastAPI:
    """The service: each tenant's desk over ``stores(tenant)``, deciding with ``clock``, ``sla``, ``workflow``
    and ``priorities`` (the ITIL matrix by default); a command meeting another process's write is tried
    ``attempts`` times."""
    policy = priorities if priorities is not None else PriorityPolicy(PriorityMatrix.itil())
    desks = TenantDesks(
        stores,
        lambda store: AsyncHelpDesk(store, clock=clock, workflow=workflow, priorities=policy, sla=sla),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await desks.close()

    app = FastAPI(title="ticketcore reference service", lifespan=lifespan)
    app.state.desks = desks
    _problem_handlers(app)

    async def command(tenant: str, ticket_id: str, run: Callable[[AsyncHelpDesk], Awaitable[Ticket]]) -> Any:
        return codec.dump(await desks.command(tenant, ticket_id, run, attempts))

    @app.post("/tenants/{tenant}/tickets", status_code=201)
    async def open_ticket(tenant: TenantName, body: OpenBody) -> JSONResponse:
        desk = await desks.desk(tenant)
        opening = await desk.open(
            requester=body.requester,
            subject=body.subject,
            channel=body.channel,
            topic=body.topic,
            impact=body.impact,
            urgency=body.urgency,
            priority=body.priority,
            group=body.group,
            agent=body.agent,
            tags=body.tags,
            actor=None if body.actor is None else body.actor.actor(),
        )
        location = f"/tenants/{tenant}/tickets/{opening.ticket.id}"
        return JSONResponse(codec.dump(opening.ticket), status_code=201, headers={"Location": location})

    @app.get("/tenants/{tenant}/tickets/{ticket_id}")
    async def get_ticket(tenant: TenantName, ticket_id: TicketId) -> Any:
        return codec.dump(await (await desks.desk(tenant)).get(ticket_id))

    @app.get("/tenants/{tenant}/tickets/{ticket_id}/events")
    async def get_events(tenant: TenantName, ticket_id: TicketId) -> Any:
        return [codec.dump(event) for event in await (await desks.desk(tenant)).events(ticket_id)]

    @app.post("/tenants/{tenant}/tickets/{ticket_id}/replies")
    async def reply(tenant: TenantName, ticket_id: TicketId, body: ReplyBody) -> Any:
        actor = body.actor.actor()
        return await command(
            tenant, ticket_id, lambda desk: desk.reply(ticket_id, actor, body.body, public=body.public)
        )

    @app.post("/tenants/{tenant}/tickets/{ticket_id}/actions")
    async def act(tenant: TenantName, ticket_id: TicketId, body: ActBody) -> Any:
        actor = body.actor.actor()
        return await command(
            tenant, ticket_id, lambda desk: desk.act(ticket_id, body.action, actor, reason=body.reason)
        )

    @app.post("/tenants/{tenant}/tickets/{ticket_id}/assignment")
    async def assign(tenant: TenantName, ticket_id: TicketId, body: AssignBody) -> Any:
        actor = body.actor.actor()
        return await command(
            tenant, ticket_id, lambda desk: desk.assign(ticket_id, actor, agent=body.agent, group=body.group)
        )

    @app.get("/tenants/{tenant}/tickets/{ticket_id}/sla")
    async def sla_state(tenant: TenantName, ticket_id: TicketId, now: Instant = None) -> Any:
        desk = await desks.desk(tenant)
        instant = _instant(now, "now")
        return codec.dump(await desk.sla(ticket_id, now=instant))

    @app.get("/tenants/{tenant}/sla/upcoming")
    async def upcoming(tenant: TenantName, within: timedelta, now: Instant = None) -> Any:
        desk = await desks.desk(tenant)
        alerts = await desk.upcoming(within=within, now=_instant(now, "now"))
        return [codec.dump(alert) for alert in alerts]

    @app.get("/tenants/{tenant}/reports/backlog")
    async def backlog_report(tenant: TenantName, as_of: Instant = None, by: str = "group") -> Any:
        desk = await desks.desk(tenant)
        instant = _instant(as_of, "as_of") or desk.now()
        return _backlog_report(await _histories(desk.store), instant, by)

    return app


def _instant(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise WrongType(name, value, "an ISO 8601 instant, e.g. 2025-03-03T09:00:00+00:00") from None


async def _histories(store: AsyncTicketStore) -> list[list[Event]]:
    """Every ticket's events, from the tenant's event stream (in order, so each history is in seq order)."""
    histories: dict[str, list[Event]] = defaultdict(list)
    async for _, event in store.stream():
        histories[event.ticket_id].append(event)
    return list(histories.values())


def _backlog_report(histories: Sequence[Sequence[Event]], as_of: datetime, by: str) -> dict[str, Any]:
    folded = backlog.fold(histories)
    ratio = backlog.backlog_ratio(folded, as_of)
    return {
        "as_of": codec.dump(as_of),
        "backlog": codec.dump(backlog.backlog(folded, as_of, by=by)),
        # JSON has no infinity: an infinite ratio (nothing solved in the window) is null, and said so.
        "ratio": {
            "window": codec.dump(ratio.window),
            "open": ratio.open,
            "solved": ratio.solved,
            "weeks": None if ratio.is_infinite else ratio.weeks,
            "infinite": ratio.is_infinite,
            "describe": ratio.describe(),
        },
        "ageing": codec.dump(backlog.ageing(folded, as_of)),
    }


# Problem details (RFC 9457)


def problem(
    status: int,
    title: str,
    detail: str,
    kind: str,
    *,
    errors: list[dict[str, str]] | None = None,
    **extra: object,
) -> JSONResponse:
    """An ``application/problem+json`` response; ``kind`` names the problem type (``/problems/{kind}``)."""
    content: dict[str, object] = {
        "type": f"/problems/{kind}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        content["errors"] = errors
    content.update(extra)
    return JSONResponse(content, status_code=status, media_type=PROBLEM_JSON)


def _pointer(parts: Sequence[str | int]) -> str:
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "#" + "".join(f"/{part}" for part in escaped)


def _dotted(path: str) -> list[str]:
    """``a.b[1]`` → ``["a", "b", "1"]`` (the paths of ticketcore's errors)."""
    return [part for part in path.replace("[", ".").replace("]", "").replace("'", "").split(".") if part]


def _field(request: Request, path: str, detail: str) -> dict[str, str]:
    # A command's arguments come from its body, a read's from its query string.
    if request.method == "GET":
        return {"parameter": path, "detail": detail}
    return {"pointer": _pointer(_dotted(path)), "detail": detail}


def _bad_input(request: Request, error: TicketcoreError) -> JSONResponse:
    path = ""
    if isinstance(error, NaiveDatetimeError | WrongType):
        path = error.name
    elif isinstance(error, PriorityError):
        path = error.subject
    elif isinstance(error, ConfigError | InvalidEvent):
        path = error.path
    errors = [_field(request, path, str(error))] if path else None
    return problem(422, "Invalid input", str(error), "invalid-input", errors=errors)


def _problem_handlers(app: FastAPI) -> None:
    async def validation(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        errors = []
        for item in error.errors():
            where, *parts = item["loc"]
            if where == "body":
                # A body that is no JSON at all is located by a character offset: the whole document.
                pointer = "#" if item["type"] == "json_invalid" else _pointer(parts)
                errors.append({"pointer": pointer, "detail": item["msg"]})
            else:
                errors.append({"parameter": ".".join(map(str, parts)), "detail": item["msg"]})
        return problem(
            422, "Invalid input", "the request does not match its schema", "invalid-input", errors=errors
        )

    async def http(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        return problem(error.status_code, str(error.detail), str(error.detail), "http")

    async def unknown_tenant(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, UnknownTenant)
        return problem(404, "Unknown tenant", str(error), "unknown-tenant", tenant=error.tenant)

    async def ticketcore(request: Request, error: Exception) -> JSONResponse:
        if isinstance(error, TicketNotFound):
            return problem(404, "Ticket not found", str(error), "ticket-not-found", ticket_id=error.ticket_id)
        if isinstance(error, GuardRefused):
            return problem(
                409,
                "Refused by a guard",
                str(error),
                "guard-refused",
                guard=error.guard,
                allowed=error.allowed,
            )
        if isinstance(error, InvalidTransition):
            return problem(
                409, "Action not allowed now", str(error), "invalid-transition", allowed=error.allowed
            )
        if isinstance(error, ConcurrencyError):
            return problem(409, "Concurrent update", str(error), "conflict", ticket_id=error.ticket_id)
        if isinstance(error, NaiveDatetimeError | WrongType | PriorityError | ConfigError | InvalidEvent):
            return _bad_input(request, error)
        if isinstance(error, StorageError):
            return problem(503, "Storage unavailable", str(error), "storage")
        return problem(500, "Internal error", type(error).__name__, "internal")

    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(HTTPException, http)
    app.add_exception_handler(UnknownTenant, unknown_tenant)
    app.add_exception_handler(TicketcoreError, ticketcore)
