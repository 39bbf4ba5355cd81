"""The private parts of ``ticketcore.desk``: the commands as step machines both desks drive, what they decide,
routing inputs and timers."""
