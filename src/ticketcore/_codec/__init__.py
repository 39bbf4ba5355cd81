"""The cattrs hooks of each area, registered by ``ticketcore.codec.make_converter`` (private to ``ticketcore.codec``)."""
