"""A throwaway PostgreSQL server for tests and benchmarks, when ``TICKETCORE_TEST_POSTGRES`` is not set.

The Python twin of ``.ci/postgres`` (which CI sources, so CI never needs this): a new cluster in a temporary
directory, run by the unprivileged ``postgres`` user when we are root (the server refuses root), listening only on a
Unix socket in that directory, trust authentication, one database. ``durable=False`` (for tests) switches fsync off;
benchmarks keep the server's defaults.

    server = PostgresServer.start()      # raises Unavailable, saying why, when there is no PostgreSQL here
    ... server.dsn ...
    server.stop()
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["PostgresServer", "Unavailable", "find_bindir"]

HOW_TO_RUN = (
    'set TICKETCORE_TEST_POSTGRES to a libpq DSN (e.g. `eval "$(bash .ci/postgres)"`), or install '
    "PostgreSQL (apt-get install postgresql) so the tests can start a throwaway server"
)


class Unavailable(RuntimeError):
    """No server can be started here; the message says why and what to do."""


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` that has ``initdb`` and ``pg_ctl``."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    return None


class PostgresServer:
    """A running throwaway cluster; :meth:`stop` ends it and removes its directory."""

    def __init__(self, bindir: Path, folder: Path, as_owner: list[str]) -> None:
        self.bindir = bindir
        self.folder = folder
        self._as_owner = as_owner
        self.dsn = f"host={folder} user=postgres dbname=ticketcore_test"

    @classmethod
    def start(cls, *, durable: bool = False, timeout: float = 60.0) -> PostgresServer:
        """Start a new cluster and create the ``ticketcore_test`` database; raise :class:`Unavailable` if we can't."""
        bindir = find_bindir()
        if bindir is None:
            raise Unavailable(f"no PostgreSQL binaries in /usr/lib/postgresql/*/bin; {HOW_TO_RUN}")
        folder = Path(tempfile.mkdtemp(prefix="ticketcore-pg-"))
        as_owner: list[str] = []
        if os.geteuid() == 0:
            try:
                shutil.chown(folder, "postgres", "postgres")
            except LookupError:
                shutil.rmtree(folder, ignore_errors=True)
                raise Unavailable(f"no 'postgres' user to run the server as; {HOW_TO_RUN}") from None
            as_owner = ["runuser", "-u", "postgres", "--"]
        server = cls(bindir, folder, as_owner)
        options = f"-c listen_addresses='' -k {folder}"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try:
            server._run("initdb", "-D", str(folder / "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                        "--no-locale")  # fmt: skip
            server._run("pg_ctl", "-D", str(folder / "data"), "-l", str(folder / "server.log"), "-w",
                        "-t", str(int(timeout)), "-o", options, "start")  # fmt: skip
            deadline = time.monotonic() + timeout
            while server._ready() != 0:
                if time.monotonic() > deadline:
                    raise Unavailable(f"the server in {folder} did not accept connections within {timeout} s")
                time.sleep(0.2)
            server._run("createdb", "-h", str(folder), "-U", "postgres", "ticketcore_test", as_owner=False)
        except (OSError, subprocess.CalledProcessError, Unavailable) as error:
            log = folder / "server.log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            server.stop()
            raise Unavailable(f"could not start PostgreSQL: {error} {detail}; {HOW_TO_RUN}") from error
        return server

    def _run(self, tool: str, *args: str, as_owner: bool = True) -> None:
        prefix = self._as_owner if as_owner else []
        subprocess.run(
            [*prefix, str(self.bindir / tool), *args], check=True, capture_output=True, text=True, timeout=120
        )

    def _ready(self) -> int:
        command = [str(self.bindir / "pg_isready"), "-q", "-h", str(self.folder), "-U", "postgres"]
        return subprocess.run(command, check=False, timeout=30).returncode

    def stop(self) -> None:
        """Stop the server (immediately: the data is thrown away) and remove its directory."""
        if (self.folder / "data" / "postmaster.pid").exists():
            pg_ctl = [str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"]
            subprocess.run([*self._as_owner, *pg_ctl], check=False, capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)
