"""The private parts of ``ticketcore.sla``: clock configuration, the clock engine, measuring cycles and reports."""
