"""The SQLite adapter against the storage contract kit."""

from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.testing.contract import TicketStoreContract


class TestSQLiteStore(TicketStoreContract):
    def make_store(self, tenant: str) -> SQLiteStore:
        return SQLiteStore(self.scratch / "tickets.db", tenant=tenant)
