"""What-if over history: replay stored histories through a rule set and record what each rule would have done."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice

import attrs

from ticketcore._automation.actions import Notification, Refusal, Tools
from ticketcore._automation.conditions import update_facts
from ticketcore._automation.engine import Triggers, fire_triggers
from ticketcore._calendar import BusinessCalendar
from ticketcore._copy import copier
from ticketcore.errors import AutomationLoop
from ticketcore.model import Event, Ticket, tags_after
from ticketcore.sla import SLAReport

__all__ = [
    "Firing",
    "Replay",
    "SimulatedHistories",
    "Simulation",
    "commands",
    "simulate_all",
    "simulate_history",
]

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


Places = tuple[tuple[int, ...], int]
"""Where a simulated history's firings go: how many stored events come before each, and where the ticket's firings
start in the simulation's ``firings`` (numbers only, apart from the stored events, so the garbage collector stops
tracking them)."""


class SimulatedHistories(Mapping[str, tuple[Event, ...]]):
    """The simulated histories by ticket id, each built when it is first read.

    A history is the stored events renumbered around the rules' events. A replay keeps only what it is made of
    (the stored events, the firings and where they go), not the renumbered copies: most callers read the firings
    and counts, and a copy of every stored event after a firing would be most of what a replay keeps (and what the
    garbage collector walks, again and again, as it grows).
    """

    __slots__ = ("_built", "_firings", "_places", "_stored")

    def __init__(
        self, stored: Mapping[str, tuple[Event, ...]], places: Mapping[str, Places], firings: Sequence[Firing]
    ) -> None:
        self._stored = stored
        self._places = places
        self._firings = firings
        self._built: dict[str, tuple[Event, ...]] = {}

    def __getitem__(self, ticket_id: str) -> tuple[Event, ...]:
        built = self._built.get(ticket_id)
        if built is None:
            stored = self._stored[ticket_id]
            positions, start = self._places[ticket_id]
            firings = [self._firings[index] for index in range(start, start + len(positions))]
            built = self._built[ticket_id] = _merged(stored, positions, firings)
        return built

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)

    def __repr__(self) -> str:
        return repr(dict(self))


def _merged(
    stored: tuple[Event, ...], positions: tuple[int, ...], firings: Iterable[Firing]
) -> tuple[Event, ...]:
    """``stored`` with each firing's events after the first ``positions[n]`` stored events, renumbered."""
    if not positions:
        return stored
    history: list[Event] = []
    taken = 0
    for position, firing in zip(positions, firings, strict=True):
        if position > taken:
            history.extend(_renumbered(list(stored[taken:position]), len(history)))
            taken = position
        history.extend(firing.events)
    if taken < len(stored):
        history.extend(_renumbered(list(stored[taken:]), len(history)))
    return tuple(history)


@attrs.frozen
class Replay:
    triggers: Triggers
    tools: Tools
    calendars: Mapping[str, BusinessCalendar]
    max_passes: int
    fire: FireFn | None
    sla: SLAFn | None


def simulate_history(
    events: Sequence[Event], replay: Replay, until: datetime
) -> tuple[tuple[Event, ...], list[int], list[Firing], AutomationLoop | None]:
    """Replay one history up to ``until``: the stored events replayed, how many of them come before each firing
    (see :class:`SimulatedHistories`), the firings and a loop error.

    Without time-based rules or SLA conditions, only the triggers read the snapshot, and most commands admit none
    (:meth:`Triggers.possible` says so from the tags and the update alone): the stored events of those commands
    are folded, in one copy, only when a later command may fire a trigger (or at the end, where folding them
    checks them as a replay folding every command would). Nothing then reads the simulated history while it is
    replayed, so the stored events are folded where they stand in it, not renumbered.
    """
    lazy = replay.fire is None and replay.sla is None
    # The simulated history while it is replayed, for the time-based rules and SLA conditions that read it.
    history: list[Event] = []
    firings: list[Firing] = []
    # How many stored events come before each firing; how many events the rules have inserted so far.
    positions: list[int] = []
    shift = 0
    ticket: Ticket | None = None
    # The stored events after ``ticket`` not folded into it yet, and the tags they leave.
    unfolded: list[Event] = []
    tags: frozenset[str] = frozenset()
    triggers = replay.triggers
    read = 0
    for original in commands(events):
        if original[0].at > until:
            break
        if ticket is not None and replay.fire is not None:
            ticket = _fire_until(ticket, original[0].at, replay, history, firings)
            positions.extend(read for _ in range(len(firings) - len(positions)))
        read += len(original)
        updated = possible = None
        if lazy:
            # Its events keep their stored seq: conditions read what an update did, never where it stands.
            batch = original
            if ticket is None:
                before = None
                ticket = Ticket.from_events(batch)
            else:
                had = tags
                for event in batch:
                    tags = tags_after(tags, event)
                updated = update_facts(batch)
                possible = triggers.possible(tags, tags - had, updated)
                if not possible:
                    unfolded.extend(batch)
                    continue  # no trigger may hold on this command: nothing fires, the snapshot is not needed yet
                before = ticket._fold(unfolded, shift)
                unfolded = []
                ticket = before._fold(batch, shift)
        else:
            batch = _renumbered(original, len(history))
            before = ticket
            ticket = Ticket.from_events(batch) if ticket is None else ticket.apply_all(batch)
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
            return tuple(islice(events, read)), positions, firings, loop
        tags = ticket.tags
        at = batch[-1].at
        for rule, produced, notes, refusals in fired:
            firings.append(Firing(ticket.id, rule, at, produced, notes, refusals))
            positions.append(read)
            if lazy:
                shift += len(produced)
            else:
                history.extend(produced)
    if unfolded:
        assert ticket is not None
        ticket._fold(unfolded, shift)  # raises InvalidEvent as folding them one by one would
    if ticket is not None and replay.fire is not None:
        _fire_until(ticket, until, replay, history, firings)
        positions.extend(read for _ in range(len(firings) - len(positions)))
    return tuple(islice(events, read)), positions, firings, None


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
    stored: dict[str, tuple[Event, ...]] = {}
    places: dict[str, Places] = {}
    loops: list[tuple[str, AutomationLoop]] = []
    read = 0
    for events in histories:
        if not events:
            continue
        replayed, positions, fired, loop = simulate_history(events, replay, until)
        read += len(replayed)
        if replayed:
            stored[events[0].ticket_id] = replayed
            places[events[0].ticket_id] = (tuple(positions), len(firings))
        firings.extend(fired)
        if loop is not None:
            loops.append((events[0].ticket_id, loop))
    done = tuple(firings)
    return Simulation(done, SimulatedHistories(stored, places, done), tuple(loops), read)
