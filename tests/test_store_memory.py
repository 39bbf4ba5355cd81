"""The memory adapter against the storage contract kit."""

from ticketcore.adapters.memory import MemoryDatabase, MemoryStore
from ticketcore.testing.contract import TicketStoreContract


class TestMemoryStore(TicketStoreContract):
    def fresh_storage(self) -> None:
        self.database = MemoryDatabase()

    def make_store(self, tenant: str) -> MemoryStore:
        return MemoryStore(tenant, database=self.database)
