"""The reference HTTP service (examples/service) under load: requests/s and latency with concurrent clients.

Run: ``python benchmarks/bench_service.py [--dsn DSN] [--requests 2000] [--clients 8 32]``. Starts the service with
uvicorn (one worker, a subprocess) on 127.0.0.1 at a free port, on PostgreSQL (``--dsn``, or
``TICKETCORE_BENCH_POSTGRES``, or a throwaway local server with the default durability through
``tests/postgres_server.py``) and on SQLite, then for each client count runs a fixed number of requests from that
many concurrent httpx clients (tasks of one event loop in this process): 10 % open, 50 % reply, 20 % act (hold or
resume), 20 % GET the SLA state, on a few shared tickets so that clients write the same tickets at once. Prints a
Markdown table (requests/s, p50 and p99 latency, the server's CPU time per request) and checks that no update was
lost: every ticket's reply events are exactly the replies the service acknowledged.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from postgres_server import PostgresServer

ROOT = Path(__file__).resolve().parents[1]
AGENT = {"id": "ada", "role": "agent"}
HOT_TICKETS = 8
POOL_SIZE = 8


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Service:
    """``python -m examples.service ...`` on a free loopback port, until :meth:`stop`."""

    def __init__(self, *store_args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        path = os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "examples.service", *store_args, "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": path},
        )

    def wait(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited with {self.process.returncode}")
            try:
                httpx.get(f"{self.url}/openapi.json", timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"the service did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


async def run(url: str, tenant: str, clients: int, requests: int) -> dict[str, object]:
    base = f"{url}/tenants/{tenant}/tickets"
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=60.0) as client:
        hot = []
        for _ in range(HOT_TICKETS):
            opened = await client.post(
                base, json={"requester": "cy", "subject": "hot", "impact": 2, "urgency": 2}
            )
            hot.append(opened.json()["id"])
        latencies: list[float] = []
        outcomes: Counter[str] = Counter()
        replies: Counter[str] = Counter()
        per_client = requests // clients

        async def one(client_no: int) -> None:
            for n in range(per_client):
                step = (client_no * per_client + n) % 10
                ticket = hot[(client_no + n) % HOT_TICKETS]
                started = time.perf_counter()
                if step == 0:
                    response = await client.post(base, json={"requester": "cy", "subject": f"c{client_no}"})
                    kind = "open"
                elif step <= 5:
                    response = await client.post(
                        f"{base}/{ticket}/replies", json={"actor": AGENT, "body": "hi"}
                    )
                    kind = "reply"
                elif step <= 7:
                    action = "hold" if step == 6 else "resume"
                    response = await client.post(
                        f"{base}/{ticket}/actions", json={"actor": AGENT, "action": action}
                    )
                    kind = "act"
                else:
                    response = await client.get(f"{base}/{ticket}/sla")
                    kind = "sla"
                latencies.append(time.perf_counter() - started)
                # A refused hold or resume (another client moved the ticket first) is a right answer too.
                refused = kind == "act" and response.status_code == 409
                if response.status_code >= 400 and not refused:
                    raise RuntimeError(f"{kind} answered {response.status_code}: {response.text}")
                outcomes[f"{kind} refused" if refused else kind] += 1
                if kind == "reply":
                    replies[ticket] += 1

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(clients)))
        wall = time.perf_counter() - started
        for ticket in hot:
            events = (await client.get(f"{base}/{ticket}/events")).json()
            stored = sum(event["type"] == "replied" for event in events)
            if stored != replies[ticket]:
                raise RuntimeError(
                    f"lost update: {ticket} has {stored} replies, {replies[ticket]} acknowledged"
                )
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "wall": wall,
        "p50": cuts[49],
        "p99": cuts[98],
        "outcomes": outcomes,
        "replies": sum(replies.values()),
    }


def measure(label: str, service: Service, clients: list[int], requests: int) -> list[str]:
    rows = []
    service.wait()
    try:
        for count in clients:
            tenant = f"bench-{uuid.uuid4().hex[:8]}"
            # Warm up: the tenant's store opens on its first request.
            asyncio.run(run(service.url, tenant, count, count * 4))
            cpu = cpu_seconds(service.process.pid)
            result = asyncio.run(run(service.url, tenant, count, requests))
            cpu = cpu_seconds(service.process.pid) - cpu
            done = int(result["requests"])  # type: ignore[call-overload]
            wall = float(result["wall"])  # type: ignore[arg-type]
            outcomes = result["outcomes"]
            assert isinstance(outcomes, Counter)
            rows.append(
                [
                    label,
                    str(count),
                    f"{done:,}",
                    f"{done / wall:,.0f}",
                    f"{float(result['p50']) * 1000:.1f}",  # type: ignore[arg-type]
                    f"{float(result['p99']) * 1000:.1f}",  # type: ignore[arg-type]
                    f"{cpu / done * 1e6:,.0f}",
                    f"{result['replies']} = {result['replies']}",
                    str(outcomes["act refused"]),
                ]
            )
            print("  " + " | ".join(rows[-1]), file=sys.stderr)
    finally:
        service.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", default=os.environ.get("TICKETCORE_BENCH_POSTGRES"))
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as folder:
        rows += measure("SQLite (ThreadedStore)", Service("--sqlite", folder), args.clients, args.requests)
    if not args.skip_postgres:
        server = None
        dsn = args.dsn
        if not dsn:
            server = PostgresServer.start(durable=True)
            dsn = server.dsn
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        try:
            label = "PostgreSQL (AsyncPostgresStore" + (", Unix socket, fsync on)" if server else ")")
            service = Service("--postgres", dsn, "--schema", schema, "--pool-size", str(POOL_SIZE))
            rows += measure(label, service, args.clients, args.requests)
        finally:
            if server is not None:
                server.stop()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    import fastapi
    import uvicorn

    print(
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, load average {load} "
        f"at the end; FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__} (one worker), httpx "
        f"{httpx.__version__}; PostgreSQL pool of {POOL_SIZE} connections; {args.requests:,} requests per row\n"
    )
    print(
        "| store | clients | requests | requests/s | p50 (ms) | p99 (ms) | server CPU per request (µs) | "
        "replies acknowledged = stored | hold/resume refused (409) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
