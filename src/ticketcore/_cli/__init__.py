"""The private parts of ``ticketcore.cli``: configuration files, event import, the report, its rendering and the demo."""
