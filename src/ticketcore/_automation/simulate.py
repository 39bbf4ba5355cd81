"""What-if over history: replay stored histories through a rule set and record what each rule would have done."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime

import attrs

from ticketcore._automation.actions import Notification, Refusal, Tools
from ticketcore._automation.conditions import update_facts
from ticketcore._automation.engine import Triggers, fire_triggers
from ticketcore._calendar import BusinessCalendar
from ticketcore._copy import copier
from ticketcore.errors import AutomationLoop
from ticketcore.model import Event, FieldValue, Ticket, attribute_changes
from ticketcore.sla import SLAReport

__all__ = ["Firing", "Replay", "Simulation", "commands", "simulate_all", "simulate_history"]

FireFn = Callable[
    [Ticket, datetime, Sequence[Event]],
    tuple[list[Event], tuple[Notification, ...], tuple[Refusal, ...], str | None],
]
SLAFn = Callable[[Sequence[Event], datetime], SLAReport]


@attrs.frozen
class Firing:
    """One rule firing in a simulation: on which ticket, when, and the events, notifications and refusals it made."""

    ticket_id: str
    rule: str
    at: datetime
    events: tuple[Event, ...] = ()
    notifications: tuple[Notification, ...] = ()
    refusals: tuple[Refusal, ...] = ()


@attrs.frozen
class Simulation:
    """What a rule set would have done over a set of histories.

    ``firings`` in time order per ticket; ``histories`` the histories as they would have been (the stored events,
    renumbered, with the rules' events in between); ``loops`` the tickets on which the rules would not settle.
    """

    firings: tuple[Firing, ...] = ()
    histories: Mapping[str, tuple[Event, ...]] = attrs.field(factory=dict)
    loops: tuple[tuple[str, AutomationLoop], ...] = ()
    events_replayed: int = 0

    def counts(self) -> dict[str, int]:
        """How many times each rule fired."""
        counts: dict[str, int] = {}
        for firing in self.firings:
            counts[firing.rule] = counts.get(firing.rule, 0) + 1
        return counts


def commands(events: Sequence[Event]) -> Iterator[list[Event]]:
    """The history cut into the updates that made it: consecutive events at the same instant are one command."""
    batch: list[Event] = []
    for event in events:
        if batch and event.at != batch[-1].at:
            yield batch
            batch = []
        batch.append(event)
    if batch:
        yield batch


def _with_seq(event: Event, seq: int) -> Event:
    """``event`` at another place in its history. A stored event is already valid and only its ``seq`` moves, so
    the copy skips the validators ``attrs.evolve`` would run again (the replay renumbers most stored events)."""
    return copier(type(event))(event, {"seq": seq})


def _renumbered(batch: list[Event], before: int) -> list[Event]:
    """``batch`` (a fresh list from :func:`commands`) numbered to follow ``before`` events."""
    if batch[0].seq == before + 1:
        return batch
    return [_with_seq(event, before + 1 + offset) for offset, event in enumerate(batch)]


@attrs.frozen
class Replay:
    triggers: Triggers
    tools: Tools
    calendars: Mapping[str, BusinessCalendar]
    max_passes: int
    fire: FireFn | None
    sla: SLAFn | None


_NO_FIELDS: Mapping[str, FieldValue] = {}


def simulate_history(
    events: Sequence[Event], replay: Replay, until: datetime
) -> tuple[list[Event], list[Firing], AutomationLoop | None, int]:
    """Replay one history up to ``until``; the simulated history, the firings, a loop error and the events read.

    Without time-based rules or SLA conditions, only the triggers read the snapshot, and most commands admit none
    (:meth:`Triggers.possible` says so from the tags and the update alone): the stored events of those commands
    are folded, in one copy, only when a later command may fire a trigger (or at the end, where folding them
    checks them as a replay folding every command would).
    """
    history: list[Event] = []
    firings: list[Firing] = []
    ticket: Ticket | None = None
    # The stored events after ``ticket`` not folded into it yet, and the tags they leave.
    unfolded: list[Event] = []
    tags: frozenset[str] = frozenset()
    lazy = replay.fire is None and replay.sla is None
    triggers = replay.triggers
    read = 0
    for original in commands(events):
        if original[0].at > until:
            break
        read += len(original)
        if ticket is not None and replay.fire is not None:
            ticket = _fire_until(ticket, original[0].at, replay, history, firings)
        batch = _renumbered(original, len(history))
        updated = possible = None
        if ticket is None:
            before = None
            ticket = Ticket.from_events(batch)
        elif lazy:
            had = tags
            for event in batch:
                tags = attribute_changes(tags, _NO_FIELDS, event).get("tags", tags)  # type: ignore[assignment]
            updated = update_facts(batch)
            possible = triggers.possible(tags, tags - had, updated)
            if not possible:
                unfolded.extend(batch)
                history.extend(batch)
                continue  # no trigger may hold on this command: nothing fires, the snapshot is not needed yet
            before = ticket.apply_all(unfolded)
            unfolded = []
            ticket = before.apply_all(batch)
        else:
            before = ticket
            ticket = ticket.apply_all(batch)
        history.extend(batch)
        tools = replay.tools
        if replay.sla is not None:
            if not triggers.candidates(ticket.tags):
                continue  # every trigger requires a tag this ticket lacks: no need for the report
            tools = attrs.evolve(tools, sla=replay.sla(history, batch[-1].at))
        try:
            ticket, fired = fire_triggers(
                triggers,
                before=before,
                ticket=ticket,
                update=batch,
                now=batch[-1].at,
                tools=tools,
                calendars=replay.calendars,
                max_passes=replay.max_passes,
                updated=updated,
                possible=possible,
            )
        except AutomationLoop as loop:
            return history, firings, loop, read
        tags = ticket.tags
        at = batch[-1].at
        for rule, produced, notes, refusals in fired:
            firings.append(Firing(ticket.id, rule, at, produced, notes, refusals))
            history.extend(produced)
    if unfolded:
        assert ticket is not None
        ticket.apply_all(unfolded)  # raises InvalidEvent as folding them one by one would
    if ticket is not None and replay.fire is not None:
        _fire_until(ticket, until, replay, history, firings)
    return history, firings, None, read


def _fire_until(
    ticket: Ticket, until: datetime, replay: Replay, history: list[Event], firings: list[Firing]
) -> Ticket:
    assert replay.fire is not None
    for _ in range(64):
        events, notes, refusals, rule = replay.fire(ticket, until, history)
        if rule is None:
            break
        for event in events:
            ticket = ticket.apply(event)
        history.extend(events)
        at = events[0].at if events else until
        firings.append(Firing(ticket.id, rule, at, tuple(events), notes, refusals))
    return ticket


def simulate_all(histories: Iterable[Sequence[Event]], replay: Replay, until: datetime) -> Simulation:
    """Replay every history (see :func:`simulate_history`)."""
    firings: list[Firing] = []
    simulated: dict[str, tuple[Event, ...]] = {}
    loops: list[tuple[str, AutomationLoop]] = []
    read = 0
    for events in histories:
        if not events:
            continue
        history, fired, loop, count = simulate_history(events, replay, until)
        read += count
        firings.extend(fired)
        if history:
            simulated[history[0].ticket_id] = tuple(history)
        if loop is not None:
            loops.append((events[0].ticket_id, loop))
    return Simulation(tuple(firings), simulated, tuple(loops), read)
