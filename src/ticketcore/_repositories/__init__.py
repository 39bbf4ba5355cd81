"""Private parts of ``ticketcore.repositories``: what every store checks before it writes."""
