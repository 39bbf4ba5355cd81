"""The private parts of ``ticketcore.adapters.postgres``: its schema, SQL and connection pool."""
