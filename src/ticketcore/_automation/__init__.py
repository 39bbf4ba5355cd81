"""The private parts of ``ticketcore.automation``: rules as values, their conditions, actions and the trigger engine."""
