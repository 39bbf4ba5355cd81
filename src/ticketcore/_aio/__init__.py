"""The private parts of ``ticketcore.aio``: the scheduler's walk and timer firing, awaiting the store."""
