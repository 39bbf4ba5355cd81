"""The memory adapter against the storage contract kit."""

from ticketcore.adapters.memory import MemoryStore
from ticketcore.testing.contract import TicketStoreContract


class TestMemoryStore(TicketStoreContract):
    def make_store(self, tenant: str) -> MemoryStore:
        return MemoryStore(tenant, database=self.memory)
