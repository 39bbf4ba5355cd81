"""Test helpers that ship with ticketcore, for our own tests and for applications and adapter authors.

- :mod:`ticketcore.testing.contract` — ``TicketStoreContract``, the pytest kit that proves a storage adapter meets
  :mod:`ticketcore.repositories` (needs pytest and hypothesis).
- :mod:`ticketcore.testing.strategies` — Hypothesis strategies for actors, events and histories.

Nothing is imported here, so importing ``ticketcore.testing`` needs neither pytest nor hypothesis.
"""

__all__: list[str] = []
