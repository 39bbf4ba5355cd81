"""The private parts of ``ticketcore.desk``: what commands decide, routing inputs and timers."""
