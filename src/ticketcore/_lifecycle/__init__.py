"""The private parts of ``ticketcore.lifecycle``: definitions, validation, guards, presets, audit and rendering."""
