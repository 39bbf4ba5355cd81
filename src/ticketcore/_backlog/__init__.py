"""The private parts of ``ticketcore.backlog``: the history facts metrics read, periods, checks and result values."""
