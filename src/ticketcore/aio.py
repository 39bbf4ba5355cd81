"""asyncio faces: :class:`AsyncTicketStore` and :class:`AsyncAgentDirectory` (the storage ports, awaited) and
:class:`AsyncHelpDesk`.

``AsyncHelpDesk`` takes every command of :class:`~ticketcore.desk.HelpDesk` and runs it with the same code (the
workflow, the priority policy, the router, the automation rules, the SLA policies, the due-instant schedule, the
retry after a conflict); only its reads and writes are awaited. Stores: :class:`~ticketcore.adapters.threaded.ThreadedStore` gives any blocking store (memory, SQLite) an
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

import inspect
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from ticketcore import codec
from ticketcore._aio.drive import drive
from ticketcore._desk import check
from ticketcore._desk.decide import Decide
from ticketcore._desk.face import DeskFace, Progress
from ticketcore._desk.opening import OpenRequest
from ticketcore.adapters.threaded import ThreadedStore
from ticketcore.automation import AutomationSet, Notification
from ticketcore.desk import Opening, Rescheduled
from ticketcore.errors import ConfigError
from ticketcore.lifecycle import TimerCalendar, TimerDue, Workflow
from ticketcore.model import Actor, Event, FieldValue, Ticket
from ticketcore.priority import Priority, PriorityPolicy
from ticketcore.repositories import DuePage, JSONData, Page, TicketQuery
from ticketcore.routing import Agent, Router, RoutingDecision
from ticketcore.sla import SLAEvaluator, SLAReport, Upcoming

__all__ = ["AsyncAgentDirectory", "AsyncHelpDesk", "AsyncTicketStore"]


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


@runtime_checkable
class AsyncAgentDirectory(Protocol):
    """:class:`~ticketcore.repositories.AgentDirectory`, awaited: the same methods with the same behaviour.

    The agents of one tenant as JSON-ready data (``codec.dump(agent)``), and their loads. An asyncio store that is
    one (``AsyncPostgresStore``; ``ThreadedStore`` over a store that is an ``AgentDirectory``) gives
    :class:`AsyncHelpDesk` its agents for routing.
    """

    async def put_agent(self, agent_id: str, data: Mapping[str, Any]) -> None:
        """See :meth:`AgentDirectory.put_agent`."""
        ...

    async def get_agent(self, agent_id: str) -> JSONData:
        """See :meth:`AgentDirectory.get_agent`."""
        ...

    async def remove_agent(self, agent_id: str) -> None:
        """See :meth:`AgentDirectory.remove_agent`."""
        ...

    async def list_agents(self) -> list[tuple[str, JSONData]]:
        """See :meth:`AgentDirectory.list_agents`."""
        ...

    async def agent_loads(self) -> dict[str, dict[str, int]]:
        """See :meth:`AgentDirectory.agent_loads`."""
        ...


def _is_directory(store: object) -> bool:
    # A ThreadedStore has the directory's methods whatever it wraps: what it wraps decides.
    if isinstance(store, ThreadedStore):
        return store.is_agent_directory
    return isinstance(store, AsyncAgentDirectory) and inspect.iscoroutinefunction(store.agent_loads)


class AsyncHelpDesk(DeskFace):
    """:class:`~ticketcore.desk.HelpDesk` for asyncio: every command, awaited, over an :class:`AsyncTicketStore`.

    The arguments mean what they mean for ``HelpDesk``; ``clock``, ``agents``, ``notifications`` and the listeners
    given to :meth:`subscribe` are plain (not async) callables. ``automations`` run as for ``HelpDesk``: triggers
    on every command, in the same append; time-based rules in :meth:`run_timers`. ``router`` assigns new tickets
    (and :meth:`route` re-routes) among the agents of ``agents()``, or of the store when it is an
    :class:`AsyncAgentDirectory` (see :meth:`put_agent`).

    Every command is ``HelpDesk``'s own code (the same decisions, retry and triggers), with the store's calls
    awaited, so the two desks store the same events for the same commands. Concurrency is ``HelpDesk``'s: each
    command appends with the version it read, and after a conflict is decided once more on the fresh ticket
    (several tasks, like several threads, may write one ticket).

    >>> import asyncio
    >>> from datetime import UTC, datetime
    >>> from ticketcore.adapters.memory import MemoryStore
    >>> from ticketcore.adapters.threaded import ThreadedStore
    >>> from ticketcore.routing import Agent, Router
    >>> async def main() -> str | None:
    ...     store = ThreadedStore(MemoryStore("acme"))
    ...     desk = AsyncHelpDesk(store, clock=lambda: datetime(2025, 3, 3, 9, tzinfo=UTC), router=Router())
    ...     await desk.put_agent(Agent("ada", capacity={"email": 5}))
    ...     opening = await desk.open(requester="cy", subject="VPN down")
    ...     await store.close()
    ...     return opening.ticket.assignee
    >>> asyncio.run(main())
    'ada'
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
        router: Router | None = None,
        agents: Callable[[], Iterable[Agent]] | None = None,
        automations: AutomationSet | None = None,
        notifications: Callable[[Notification], None] | None = None,
    ) -> None:
        directory = _is_directory(store)
        super().__init__(
            clock=clock,
            workflow=workflow,
            priorities=priorities,
            sla=sla,
            calendar=calendar,
            automations=automations,
            notifications=notifications,
            router=router,
            agents=agents,
            directory=directory,
        )
        # A blocking store has the same method names: only coroutines tell them apart.
        if not isinstance(store, AsyncTicketStore) or not inspect.iscoroutinefunction(store.append):
            raise ConfigError(
                f"AsyncHelpDesk needs an AsyncTicketStore (e.g. ThreadedStore(MemoryStore(...))), got {store!r}",
                "store",
            )
        self._router_needs_agents(
            directory, store, "AsyncAgentDirectory (ThreadedStore(MemoryStore(...)), AsyncPostgresStore)"
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
        return policies.evaluate(check.history(await self.store.events(ticket_id), ticket_id), now=instant)

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
        """Open a ticket (see :meth:`HelpDesk.open`): its priority assessed, routed, the triggers run, all stored as
        one append."""
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
        return Opening(*await drive(self.store, self._open_steps(request)))

    async def act(self, ticket_id: str, action: str, actor: Actor, *, reason: str | None = None) -> Ticket:
        """Take a workflow ``action`` as ``actor`` (see :meth:`HelpDesk.act`)."""
        return await self._update(ticket_id, self._acting(action, actor, reason))

    async def reply(self, ticket_id: str, actor: Actor, body: str = "", *, public: bool = True) -> Ticket:
        """Add a comment; a requester's public reply may reopen the ticket (see :meth:`HelpDesk.reply`)."""
        return await self._update(ticket_id, self._replying(actor, body, public))

    async def note(self, ticket_id: str, actor: Actor, body: str) -> Ticket:
        """Add an internal note (never seen by the requester)."""
        return await self._update(ticket_id, self._noting(actor, body))

    async def assign(
        self, ticket_id: str, actor: Actor, *, agent: str | None = None, group: str | None = None
    ) -> Ticket:
        """Assign the ticket to an ``agent`` and/or a ``group``; nothing is stored when neither changes."""
        return await self._update(ticket_id, self._assigning(ticket_id, actor, agent, group))

    async def unassign(self, ticket_id: str, actor: Actor, *, reason: str | None = None) -> Ticket:
        """Remove the assignee (the group stays); nothing is stored when there is none."""
        return await self._update(ticket_id, self._unassigning(actor, reason))

    async def tag(
        self, ticket_id: str, actor: Actor, *, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Ticket:
        """Add and remove tags; only real changes are recorded, and nothing is stored when there are none."""
        return await self._update(ticket_id, self._tagging(actor, add, remove))

    async def rate(
        self, ticket_id: str, actor: Actor, score: int, *, scale: int = 5, comment: str | None = None
    ) -> Ticket:
        """Record the requester's satisfaction rating (``score`` from 1 to ``scale``)."""
        return await self._update(ticket_id, self._rating(actor, score, scale, comment))

    async def override_priority(
        self, ticket_id: str, actor: Actor, priority: Priority | int, *, reason: str
    ) -> Ticket:
        """Set the priority by hand, with a reason (needs a priority policy, whose ``override_roles`` apply)."""
        return await self._update(ticket_id, self._overriding(actor, priority, reason))

    async def put_agent(self, agent: Agent) -> None:
        """Add or replace ``agent`` in the store's agent directory (stored as ``codec.dump(agent)``)."""
        if not isinstance(agent, Agent):
            raise ConfigError(f"expected an Agent, got {type(agent).__name__} {agent!r}", "agent")
        if not self._source.directory:
            raise ConfigError(
                f"{self.store!r} is not an AsyncAgentDirectory; pass agents=... to AsyncHelpDesk instead",
                "store",
            )
        assert isinstance(self.store, AsyncAgentDirectory)  # what directory says
        await self.store.put_agent(agent.id, codec.dump(agent))

    async def route(self, ticket_id: str, *, waited: timedelta | None = None) -> RoutingDecision:
        """Ask the router who should take the ticket now, and assign it when that is someone new (see
        :meth:`HelpDesk.route`)."""
        return await drive(self.store, self._route_steps(ticket_id, waited))

    async def apply_macro(self, ticket_id: str, macro_id: str, actor: Actor) -> Ticket:
        """Apply the macro ``macro_id`` of the desk's automations to the ticket as ``actor`` (triggers follow)."""
        return await drive(self.store, self._macro_steps(ticket_id, macro_id, actor))

    async def run_timers(self, now: datetime | None = None) -> list[Event]:
        """Fire every workflow timer and time-based rule due at ``now``; the events stored (see
        :meth:`HelpDesk.run_timers`).

        Reads only the store's due index, and is idempotent: a fired timer is an event, so running again (or from
        several tasks or processes at once) fires nothing twice. A failing listener does not stop the run: its
        first exception is raised after every due timer has fired.
        """
        return await drive(self.store, self._timer_steps(now))

    async def upcoming(self, *, within: timedelta, now: datetime | None = None) -> list[Upcoming]:
        """The SLA warnings and breaches of every ticket due in ``[now, now + within]``, ordered by instant."""
        return await drive(self.store, self._upcoming_steps(within, now))

    async def reschedule(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        batch: int = 500,
        progress: Callable[[Rescheduled], None] | None = None,
    ) -> Rescheduled:
        """Store every ticket's due instant again after a configuration change (see :meth:`HelpDesk.reschedule`);
        ``progress`` is a plain callable, called after each page."""

        def report(done: Progress) -> None:
            if progress is not None:
                progress(Rescheduled(*done))

        return Rescheduled(*await drive(self.store, self._reschedule_steps(cursor, limit, batch, report)))

    # internals

    async def _update(self, ticket_id: str, decide: Decide) -> Ticket:
        return await drive(self.store, self._update_steps(ticket_id, decide))
