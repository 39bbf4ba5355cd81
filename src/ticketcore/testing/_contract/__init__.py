"""The private parts of ``ticketcore.testing.contract``: machinery, threaded checks and the stateful check."""
