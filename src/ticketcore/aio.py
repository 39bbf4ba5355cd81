"""asyncio faces: :class:`AsyncTicketStore` (the storage port, awaited) and :class:`AsyncHelpDesk`.

``AsyncHelpDesk`` takes the same commands as :class:`~ticketcore.desk.HelpDesk` and decides them with the same
code (the workflow, the priority policy, the SLA policies, the due-instant schedule); only its reads and writes are
awaited. Stores: :class:`~ticketcore.adapters.threaded.ThreadedStore` gives any blocking store (memory, SQLite) an
asyncio face on a thread of its own; ``ticketcore.adapters.aio_postgres.AsyncPostgresStore`` talks to PostgreSQL
through psycopg's ``AsyncConnection`` (``[postgres]`` extra). ``ticketcore.testing.aio_contract`` proves an
asyncio adapter meets the contract.

>>> import asyncio
>>> from datetime import UTC, datetime
>>> from ticketcore.adapters.memory import MemoryStore
>>> from ticketcore.adapters.threaded import ThreadedStore
>>> async def main() -> tuple[str, str]:
...     desk = AsyncHelpDesk(ThreadedStore(MemoryStore("acme")), clock=lambda: datetime(2025, 3, 3, 9, tzinfo=UTC))
...     opening = await desk.open(requester="cy", subject="VPN down")
...     await desk.store.close()
...     return opening.ticket.id, opening.ticket.status
>>> asyncio.run(main())
('T-1', 'new')
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from ticketcore._aio.timers import due_tickets, fire_due, history
from ticketcore._desk import check
from ticketcore._desk.decide import Decide, assigning, noting, rating, tagging, unassigning
from ticketcore._desk.face import DeskFace, SLAEvaluator
from ticketcore._desk.opening import OpenRequest
from ticketcore.desk import Opening
from ticketcore.errors import ConcurrencyError, ConfigError, InvalidEvent, WrongType
from ticketcore.lifecycle import TimerCalendar, TimerDue, Workflow
from ticketcore.model import Actor, Event, FieldValue, Ticket
from ticketcore.priority import Priority, PriorityPolicy
from ticketcore.repositories import NOT_DUE, DuePage, Page, TicketQuery
from ticketcore.sla import SLAReport, Upcoming
from ticketcore.sla import upcoming as upcoming_alerts

__all__ = ["AsyncHelpDesk", "AsyncTicketStore"]


@runtime_checkable
class AsyncTicketStore(Protocol):
    """:class:`~ticketcore.repositories.TicketStore`, awaited: the same methods with the same behaviour.

    Every method but :meth:`stream` is a coroutine; :meth:`stream` is an asynchronous iterator. The promises are
    the blocking protocol's, word for word: appends are atomic and checked against the expected version
    (:class:`~ticketcore.errors.ConcurrencyError`, nothing written), one tenant per store, driver errors translated.
    "Safe from several threads" becomes "safe from several tasks of the event loop the store was made in".
    """

    @property
    def tenant(self) -> str:
        """The tenant this store is bound to."""
        ...

    async def append(
        self, ticket_id: str, events: Sequence[Event], expected_version: int, *, due: datetime | None = None
    ) -> int:
        """See :meth:`TicketStore.append`."""
        ...

    async def due(self, at_or_before: datetime, *, limit: int = 100, cursor: str | None = None) -> DuePage:
        """See :meth:`TicketStore.due`."""
        ...

    async def set_due(self, ticket_id: str, version: int, due: datetime) -> bool:
        """See :meth:`TicketStore.set_due`."""
        ...

    async def events(self, ticket_id: str, after: int = 0) -> list[Event]:
        """See :meth:`TicketStore.events`."""
        ...

    async def get(self, ticket_id: str) -> Ticket:
        """See :meth:`TicketStore.get`."""
        ...

    async def find(self, query: TicketQuery) -> Page:
        """See :meth:`TicketStore.find`."""
        ...

    def stream(self, after: int = 0) -> AsyncIterator[tuple[int, Event]]:
        """See :meth:`TicketStore.stream`: ``async for position, event in store.stream(after=p)``."""
        ...

    async def next_ticket_id(self) -> str:
        """See :meth:`TicketStore.next_ticket_id`."""
        ...

    async def close(self) -> None:
        """See :meth:`TicketStore.close`."""
        ...


class AsyncHelpDesk(DeskFace):
    """:class:`~ticketcore.desk.HelpDesk` for asyncio: the same commands, awaited, over an :class:`AsyncTicketStore`.

    The arguments mean what they mean for ``HelpDesk``; ``clock`` and the listeners given to :meth:`subscribe` are
    plain (not async) callables. Routing, agent directories and automation rules are ``HelpDesk``'s alone for now.
    Concurrency is ``HelpDesk``'s: each command appends with the version it read, and after a conflict is decided
    once more on the fresh ticket (several tasks, like several threads, may write one ticket).
    """

    def __init__(
        self,
        store: AsyncTicketStore,
        *,
        clock: Callable[[], datetime],
        workflow: Workflow | None = None,
        priorities: PriorityPolicy | None = None,
        sla: SLAEvaluator | None = None,
        calendar: TimerCalendar | None = None,
    ) -> None:
        super().__init__(clock=clock, workflow=workflow, priorities=priorities, sla=sla, calendar=calendar)
        # A blocking store has the same method names: only coroutines tell them apart.
        if not isinstance(store, AsyncTicketStore) or not inspect.iscoroutinefunction(store.append):
            raise ConfigError(
                f"AsyncHelpDesk needs an AsyncTicketStore (e.g. ThreadedStore(MemoryStore(...))), got {store!r}",
                "store",
            )
        self.store = store

    def __repr__(self) -> str:
        return f"AsyncHelpDesk({self.store!r})"

    # reading

    async def get(self, ticket_id: str) -> Ticket:
        """The ticket's current snapshot (:class:`~ticketcore.errors.TicketNotFound` if unknown)."""
        check.text(ticket_id, "ticket_id")
        return await self.store.get(ticket_id)

    async def events(self, ticket_id: str) -> list[Event]:
        """The ticket's history."""
        check.text(ticket_id, "ticket_id")
        return await self.store.events(ticket_id)

    async def find(self, query: TicketQuery) -> Page:
        """One page of the tickets matching ``query`` (see :meth:`TicketStore.find`)."""
        if not isinstance(query, TicketQuery):
            raise ConfigError(f"expected a TicketQuery, got {type(query).__name__} {query!r}", "query")
        return await self.store.find(query)

    async def allowed(self, ticket_id: str, actor: Actor) -> list[str]:
        """The workflow actions ``actor`` may take on the ticket now."""
        check.text(ticket_id, "ticket_id")
        check.actor(actor)
        return self.workflow.allowed(await self.store.get(ticket_id), actor)

    async def sla(self, ticket_id: str, *, now: datetime | None = None) -> SLAReport:
        """The ticket's SLA report at ``now`` (the clock's instant by default)."""
        policies = self._policies()
        instant = self.now() if now is None else check.moment(now, "now")
        check.text(ticket_id, "ticket_id")
        return policies.evaluate(await self.store.events(ticket_id), now=instant)

    async def timers(self, ticket_id: str, *, now: datetime | None = None) -> list[TimerDue]:
        """The workflow timers that apply to the ticket, each with its due instant (fired ones left out)."""
        instant = self.now() if now is None else check.moment(now, "now")
        check.text(ticket_id, "ticket_id")
        return self.workflow.timers(await self.store.get(ticket_id), now=instant, calendar=self.calendar)

    # commands

    async def open(
        self,
        *,
        requester: str,
        subject: str = "",
        actor: Actor | None = None,
        ticket_id: str | None = None,
        channel: str = "email",
        topic: str | None = None,
        impact: int | None = None,
        urgency: int | None = None,
        priority: int | None = None,
        segment: str | None = None,
        region: str | None = None,
        country: str | None = None,
        language: str | None = None,
        group: str | None = None,
        tags: Iterable[str] = (),
        fields: Mapping[str, FieldValue] | None = None,
        agent: str | None = None,
    ) -> Opening:
        """Open a ticket (see :meth:`HelpDesk.open`); the opening and its assignment to ``agent`` are one append."""
        request = OpenRequest(
            requester=requester,
            subject=subject,
            actor=actor,
            ticket_id=ticket_id,
            channel=channel,
            topic=topic,
            impact=impact,
            urgency=urgency,
            priority=priority,
            segment=segment,
            region=region,
            country=country,
            language=language,
            group=group,
            tags=tags,
            fields=fields,
            agent=agent,
        ).checked()
        now = self.now()
        new_id = ticket_id if ticket_id is not None else await self.store.next_ticket_id()
        events, ticket, assessment, _ = request.decide(
            self.workflow, self.priorities, ticket_id=new_id, now=now, route=None
        )
        report = None if self.sla_policies is None else self.sla_policies.evaluate(events, now=now)
        due = self._schedule.due(ticket, now, events)
        await self.store.append(new_id, events, 0, due=due)
        self._notify(ticket, events)
        return Opening(ticket, tuple(events), assessment, report)

    async def act(self, ticket_id: str, action: str, actor: Actor, *, reason: str | None = None) -> Ticket:
        """Take a workflow ``action`` as ``actor`` (see :meth:`HelpDesk.act`)."""
        check.text(action, "action")
        check.actor(actor)
        check.text(reason, "reason", optional=True)
        return await self._update(
            ticket_id,
            lambda ticket, at: self.workflow.apply(ticket, action, actor=actor, at=at, reason=reason),
        )

    async def reply(self, ticket_id: str, actor: Actor, body: str = "", *, public: bool = True) -> Ticket:
        """Add a comment; a requester's public reply may reopen the ticket (see :meth:`HelpDesk.reply`)."""
        check.actor(actor)
        check.text(body, "body")
        check.flag(public, "public")
        return await self._update(
            ticket_id,
            lambda ticket, at: self.workflow.reply(ticket, actor=actor, at=at, body=body, public=public),
        )

    async def note(self, ticket_id: str, actor: Actor, body: str) -> Ticket:
        """Add an internal note (never seen by the requester)."""
        check.actor(actor)
        check.text(body, "body")
        return await self._update(ticket_id, noting(self.workflow, actor, body))

    async def assign(
        self, ticket_id: str, actor: Actor, *, agent: str | None = None, group: str | None = None
    ) -> Ticket:
        """Assign the ticket to an ``agent`` and/or a ``group``; nothing is stored when neither changes."""
        check.actor(actor)
        check.text(agent, "agent", optional=True)
        check.text(group, "group", optional=True)
        if agent is None and group is None:
            raise InvalidEvent("assign needs an agent, a group or both", ticket_id=ticket_id)
        return await self._update(ticket_id, assigning(self.workflow, actor, agent, group))

    async def unassign(self, ticket_id: str, actor: Actor, *, reason: str | None = None) -> Ticket:
        """Remove the assignee (the group stays); nothing is stored when there is none."""
        check.actor(actor)
        check.text(reason, "reason", optional=True)
        return await self._update(ticket_id, unassigning(self.workflow, actor, reason))

    async def tag(
        self, ticket_id: str, actor: Actor, *, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Ticket:
        """Add and remove tags; only real changes are recorded, and nothing is stored when there are none."""
        check.actor(actor)
        adding, removing = check.tags(add, "add"), check.tags(remove, "remove")
        return await self._update(ticket_id, tagging(self.workflow, actor, adding, removing))

    async def rate(
        self, ticket_id: str, actor: Actor, score: int, *, scale: int = 5, comment: str | None = None
    ) -> Ticket:
        """Record the requester's satisfaction rating (``score`` from 1 to ``scale``)."""
        check.actor(actor)
        check.integer(score, "score")
        check.integer(scale, "scale")
        check.text(comment, "comment", optional=True)
        return await self._update(ticket_id, rating(actor, score, scale, comment))

    async def override_priority(
        self, ticket_id: str, actor: Actor, priority: Priority | int, *, reason: str
    ) -> Ticket:
        """Set the priority by hand, with a reason (needs a priority policy, whose ``override_roles`` apply)."""
        check.actor(actor)
        if not isinstance(priority, Priority):
            check.integer(priority, "priority")
        check.text(reason, "reason")
        policy = self.priorities
        if policy is None:
            raise ConfigError(
                "this AsyncHelpDesk has no priority policy; pass priorities=PriorityPolicy(...)", "priorities"
            )
        return await self._update(
            ticket_id,
            lambda ticket, at: [policy.override(ticket, priority, reason=reason, actor=actor, at=at)],
        )

    async def run_timers(self, now: datetime | None = None) -> list[Event]:
        """Fire every workflow timer due at ``now``; the events stored (see :meth:`HelpDesk.run_timers`).

        Reads only the store's due index, and is idempotent: a fired timer is an event, so running again (or from
        several tasks or processes at once) fires nothing twice. A failing listener does not stop the run: its
        first exception is raised after every due timer has fired.
        """
        instant = self.now() if now is None else check.moment(now, "now")
        fired: list[Event] = []
        failures: list[Exception] = []
        notify = functools.partial(self._notify, defer=failures)
        async for scheduled in due_tickets(self.store, instant):
            fired.extend(
                await fire_due(
                    self.store,
                    self.workflow,
                    scheduled,
                    calendar=self.calendar,
                    now=instant,
                    notify=notify,
                    schedule=self._schedule,
                )
            )
        if failures:
            raise failures[0]
        return fired

    async def upcoming(self, *, within: timedelta, now: datetime | None = None) -> list[Upcoming]:
        """The SLA warnings and breaches of every ticket due in ``[now, now + within]``, ordered by instant."""
        policies = self._policies()
        instant = self.now() if now is None else check.moment(now, "now")
        if not isinstance(within, timedelta) or within < timedelta(0):
            raise WrongType("within", within, "a timedelta of zero or more, e.g. timedelta(hours=1)")
        try:
            horizon = instant + within
        except OverflowError:
            horizon = NOT_DUE
        reports = [
            policies.evaluate(await self.store.events(scheduled.ticket.id), now=instant)
            async for scheduled in due_tickets(self.store, horizon)
        ]
        return upcoming_alerts(reports, now=instant, within=within)

    # internals

    async def _update(self, ticket_id: str, decide: Decide) -> Ticket:
        ticket = await self.store.get(check.text(ticket_id, "ticket_id"))  # type: ignore[arg-type]  # a str
        for attempt in range(2):
            at = self._at(ticket)
            events = decide(ticket, at)
            if not events:
                return ticket
            after, due = self._schedule.after(
                ticket, events, at, await history(self.store, self._schedule, ticket_id)
            )
            try:
                await self.store.append(ticket_id, events, ticket.version, due=due)
            except ConcurrencyError:
                if attempt:
                    raise
                # Decide again on what is stored now: if the command is no longer allowed, decide() says so.
                ticket = await self.store.get(ticket_id)
                continue
            self._notify(after, events)
            return after
        raise AssertionError("unreachable")  # pragma: no cover
