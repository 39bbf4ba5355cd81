"""Serve the reference service with uvicorn: ``python -m examples.service --sqlite DIR`` or ``--postgres DSN``.

Each tenant gets its own SQLite file in DIR (``DIR/{tenant}.db``), or its own rows in one PostgreSQL schema; every
tenant named in a path is served. The SLA policy is a sample one (first response 1 h for P1 to 8 h).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn

from examples.service.app import StoreFactory, create_app
from ticketcore.adapters.sqlite import SQLiteStore
from ticketcore.adapters.threaded import ThreadedStore
from ticketcore.aio import AsyncTicketStore
from ticketcore.sla import MetricTargets, SLAPolicy

SAMPLE_SLA = SLAPolicy(
    "standard",
    {
        "first_response": MetricTargets(
            {1: timedelta(hours=1), 2: timedelta(hours=2), 3: timedelta(hours=4)}, timedelta(hours=8)
        ),
        "resolution": MetricTargets({1: timedelta(hours=8)}, timedelta(days=3)),
    },
)


def sqlite_stores(folder: Path) -> StoreFactory:
    """One SQLite file per tenant in ``folder``, each behind a ThreadedStore."""

    async def stores(tenant: str) -> AsyncTicketStore:
        return ThreadedStore(SQLiteStore(folder / f"{tenant}.db", tenant=tenant))

    return stores


def postgres_stores(dsn: str, *, schema: str, pool_size: int) -> StoreFactory:
    """One AsyncPostgresStore (a pool of ``pool_size`` connections) per tenant, all in ``schema``."""
    from ticketcore.adapters.aio_postgres import AsyncPostgresStore

    async def stores(tenant: str) -> AsyncTicketStore:
        return await AsyncPostgresStore.open(dsn, tenant=tenant, schema=schema, pool_size=pool_size)

    return stores


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.service", description=__doc__)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", type=Path, metavar="DIR", help="a folder for one SQLite file per tenant")
    where.add_argument("--postgres", metavar="DSN", help="a libpq connection string")
    parser.add_argument("--schema", default="ticketcore", help="the PostgreSQL schema")
    parser.add_argument("--pool-size", type=int, default=8, help="PostgreSQL connections per tenant")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if args.sqlite is not None:
        args.sqlite.mkdir(parents=True, exist_ok=True)
        stores = sqlite_stores(args.sqlite)
    else:
        stores = postgres_stores(args.postgres, schema=args.schema, pool_size=args.pool_size)
    app = create_app(stores, clock=lambda: datetime.now(UTC), sla=SAMPLE_SLA)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
