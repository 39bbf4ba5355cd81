"""Uses the public API the way a user would; checked by `mypy --strict` in CI (never executed by pytest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ticketcore import (
    Actor,
    Agent,
    AgentLoad,
    BusinessCalendar,
    Event,
    InvalidTransition,
    Opened,
    Priority,
    PriorityMatrix,
    PriorityPolicy,
    Replied,
    Role,
    Router,
    RoutingDecision,
    SLAPolicySet,
    SLAReport,
    Ticket,
    TicketcoreError,
    Workflow,
    backlog,
    default_workflow,
)
from ticketcore.adapters.memory import MemoryStore
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.adapters.threaded import ThreadedStore
from ticketcore.aio import AsyncAgentDirectory, AsyncHelpDesk, AsyncTicketStore
from ticketcore.automation import AutomationSet
from ticketcore.codec import SCHEMA_NAMES, dump, json_schema, load
from ticketcore.desk import HelpDesk, Opening, Rescheduled
from ticketcore.i18n import format_duration, label
from ticketcore.importers import FrameImport, read_frame
from ticketcore.repositories import TicketQuery, TicketStore

at = datetime(2025, 3, 3, 9, tzinfo=UTC)
agent = Actor("ada", Role.AGENT)

# model and codec
events: list[Event] = [
    Opened(ticket_id="T-1", seq=1, at=at, actor=Actor("cy", Role.REQUESTER), requester="cy", subject="Hi"),
    Replied(ticket_id="T-1", seq=2, at=at + timedelta(minutes=3), actor=agent),
]
ticket: Ticket = Ticket.from_events(events)
folded: Ticket = Ticket.from_events(events[:1]).apply_all(events[1:])
version: int = ticket.version
first_reply: datetime | None = ticket.first_replied_at
again: list[Event] = load(list[Event], dump(events))
try:
    load(Ticket, {"id": 1})
except TicketcoreError as error:
    message: str = str(error)

# lifecycle
workflow: Workflow = default_workflow()
allowed: list[str] = workflow.allowed(ticket, agent)
try:
    moved: list[Event] = workflow.apply(ticket, "solve", actor=agent, at=at + timedelta(hours=1))
except InvalidTransition as refusal:
    options: tuple[str, ...] = refusal.allowed

# priority
matrix: PriorityMatrix = load(PriorityMatrix, {"levels": 3, "table": [[1, 2, 3], [2, 3, 4], [3, 4, 4]]})
p: Priority = matrix.priority(3, 3)
assessment = PriorityPolicy(matrix).assess(ticket)
final: Priority = assessment.final

# calendars and SLA
rome = load(
    BusinessCalendar,
    {"tz": "Europe/Rome", "hours": {"mon": ["09:00-13:00", "14:00-18:00"]}, "holidays": {"country": "IT"}},
)
due: datetime = rome.add(at, timedelta(hours=8))
worked: timedelta = rome.elapsed(at, due)
both: BusinessCalendar = rome | BusinessCalendar.always("America/New_York")
policies = load(
    SLAPolicySet, {"policies": [{"name": "default", "metrics": {"first_response": {"default": "4h"}}}]}
)
report: SLAReport = policies.evaluate(events, now=at + timedelta(hours=2))

# routing
router = Router(())
decision: RoutingDecision = router.route(ticket, [Agent("ada")], [AgentLoad("ada")], now=at)
chosen: str | None = decision.agent_id

# storage and the shell
store: TicketStore = SQLiteStore(Path("desk.db"))
memory: TicketStore = MemoryStore()
desk = HelpDesk(memory, clock=lambda: at, workflow=workflow, sla=policies)
opened: Ticket = desk.open(requester="cy", subject="Printer on fire").ticket
page = store.find(TicketQuery(category={"new", "open"}, limit=50))
tickets: list[Ticket] = list(page.tickets)


# asyncio
async def on_asyncio() -> Ticket:
    async_store: AsyncTicketStore = ThreadedStore(MemoryStore())
    async_desk = AsyncHelpDesk(async_store, clock=lambda: at, workflow=workflow, sla=policies)
    opening: Opening = await async_desk.open(requester="cy", subject="Printer on fire")
    positions: list[int] = [position async for position, _ in async_store.stream()]
    assert positions
    threaded = ThreadedStore(MemoryStore())
    directory: AsyncAgentDirectory = threaded
    routed = AsyncHelpDesk(threaded, clock=lambda: at, router=Router(), automations=AutomationSet())
    await routed.put_agent(Agent("ada"))
    decision: RoutingDecision = await routed.route((await routed.open(requester="cy")).ticket.id)
    assert decision.ticket_id
    assert await directory.list_agents()
    rescheduled: Rescheduled = await routed.reschedule(batch=100)
    assert rescheduled.cursor is None
    await threaded.close()
    await async_store.close()
    return opening.ticket


# configuration schemas and the frame path of imports
schema: dict[str, object] = json_schema(SCHEMA_NAMES[0])
policy_schema: dict[str, object] = json_schema(SLAPolicySet)


def frame_path(export: Path) -> bool:
    imported: FrameImport = read_frame(export, "servicenow")
    return imported.vectorised


# metrics and i18n
ratio = backlog.backlog_ratio([events], at + timedelta(days=1))
text: str = label(ticket.category, "hr") + format_duration(timedelta(hours=2, minutes=30), "it")
