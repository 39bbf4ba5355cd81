"""The private parts of ``ticketcore.adapters.sqlite``: its schema and query SQL."""
