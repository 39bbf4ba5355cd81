"""``python -m ticketcore``: the command-line interface."""

from ticketcore.cli import main

raise SystemExit(main())
