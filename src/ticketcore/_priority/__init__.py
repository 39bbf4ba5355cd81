"""The private parts of ``ticketcore.priority``: levels, matrices and adjustment rules."""
