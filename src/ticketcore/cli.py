"""The ``ticketcore`` command: see a help desk work in one command (``ticketcore demo``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from ticketcore import Actor, Assigned, Event, Opened, Replied, Role, StatusChanged, Ticket
from ticketcore._version import __version__

__all__ = ["main"]


def _sample_history() -> list[Event]:
    at = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    requester, agent = Actor("cy", Role.REQUESTER), Actor("ada", Role.AGENT)

    def move(seq: int, minutes: int, frm: str, to: str, actor: Actor = agent) -> StatusChanged:
        return StatusChanged(
            ticket_id="T-1",
            seq=seq,
            at=at + timedelta(minutes=minutes),
            actor=actor,
            from_status=frm,
            from_category=frm,
            to_status=to,
            to_category=to,
        )

    return [
        Opened(ticket_id="T-1", seq=1, at=at, actor=requester, requester="cy", subject="VPN down"),
        Assigned(ticket_id="T-1", seq=2, at=at + timedelta(minutes=4), actor=agent, agent="ada"),
        move(3, 5, "new", "open"),
        Replied(ticket_id="T-1", seq=4, at=at + timedelta(minutes=12), actor=agent, body="Which client?"),
        move(5, 13, "open", "pending"),
        Replied(ticket_id="T-1", seq=6, at=at + timedelta(hours=2), actor=requester, body="Windows"),
        move(7, 121, "pending", "open", Actor.system()),
        move(8, 180, "open", "solved"),
        move(9, 60 * 24 * 4 + 180, "solved", "closed", Actor.system()),
    ]


def _demo(_: argparse.Namespace) -> int:
    events = _sample_history()
    for event in events:
        detail = f" {event.from_status} → {event.to_status}" if isinstance(event, StatusChanged) else ""
        print(f"{event.seq:>3}  {event.at:%Y-%m-%d %H:%M}  {event.actor.id:<7} {event.type}{detail}")
    ticket = Ticket.from_events(events)
    print(f"\n{ticket.id}: {ticket.status} (version {ticket.version}, reopened {ticket.reopen_count}×)")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ticketcore", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ticketcore {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run a sample help desk and print its report")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    run = args.run
    result: int = run(args)
    return result
