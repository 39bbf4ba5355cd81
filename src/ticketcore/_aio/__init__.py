"""The private parts of ``ticketcore.aio``: the driver that awaits the desk's step machines on an asyncio store."""
