"""Storage adapters: implementations of :class:`ticketcore.repositories.TicketStore`.

- :mod:`ticketcore.adapters.memory` — ``MemoryStore``, the thread-safe in-memory reference implementation.
- :mod:`ticketcore.adapters.sqlite` — ``SQLiteStore``, the embedded default (standard-library ``sqlite3``).

Adapters are imported from their own module; this package imports none of them, so that an optional adapter's driver
is needed only by those who use it. ``ticketcore.testing.contract`` proves an adapter meets the contract.
"""

__all__: list[str] = []
