"""``python -m ticketcore``: the command-line interface."""

from ticketcore.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
