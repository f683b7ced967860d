"""A throwaway PostgreSQL server on loopback, owned by one test: initdb into a fresh folder,
start the postmaster, SIGKILL it, start it again. Never the shared server in
HOURBRIDGE_TEST_PG_URL: a test that kills its server must own it.

Binaries are found as .ci/run finds them (/usr/lib/postgresql/*/bin, newest). PostgreSQL
refuses to run as root; as root the server runs as the `postgres` user (runuser), in a folder
under /tmp that user may enter.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.integration.processes import free_ports
from tests.support import REQUIRE_PG_ENV

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
START_WAIT_S = 30.0
EXIT_WAIT_S = 15.0
POLL_S = 0.05
SERVER_USER = "postgres"


def pg_bin() -> Path | None:
    """The newest PostgreSQL's bin folder with initdb, or None."""
    found = sorted((p for p in Path("/").glob(PG_BIN_GLOB.lstrip("/"))
                    if (p / "initdb").exists()),
                   key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()])
    return found[-1] if found else None


def require_pg_bin() -> Path:
    """The bin folder, or a skip with the reason (a failure where CI requires PostgreSQL)."""
    found = pg_bin()
    if found is None:
        reason = f"no PostgreSQL binaries in {PG_BIN_GLOB} (apt-get install postgresql)"
        if os.environ.get(REQUIRE_PG_ENV) == "1":
            pytest.fail(f"PostgreSQL tests are required ({REQUIRE_PG_ENV}=1) but {reason}")
        pytest.skip(reason)
    return found


class ThrowawayPostgres:
    """One cluster in a temporary folder, started and killed by the test that made it."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.as_root = os.getuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="hourbridge-pg-"))
        self.data = self.root / "data"
        self.log_path = self.root / "server.log"
        self.port = free_ports(1)[0]
        if self.as_root:
            shutil.chown(self.root, user=SERVER_USER)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E",
                  "UTF8", "--no-sync")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / program), *args]
        return ["runuser", "-u", SERVER_USER, "--", *command] if self.as_root else command

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(self._command(program, *args), capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, f"{program} failed: {done.stdout}{done.stderr}"

    def start(self) -> None:
        """Start the postmaster in the foreground of its own process; wait until it answers."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self._command("postgres", "-D", str(self.data), "-h", "127.0.0.1", "-p",
                              str(self.port), "-k", str(self.root), "-c", "fsync=off",
                              "-c", "max_connections=100"),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_WAIT_S
        while not self.ready():
            assert self.process.poll() is None, f"postgres exited\n{self.tail()}"
            assert time.monotonic() < deadline, f"postgres not ready\n{self.tail()}"
            time.sleep(POLL_S)

    def ready(self) -> bool:
        done = subprocess.run([str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p",
                               str(self.port), "-t", "1"], capture_output=True, check=False)
        return done.returncode == 0

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash or the OOM killer would; wait for its backends
        to notice and go (a new postmaster will not start beside them)."""
        pid = self.postmaster_pid()
        backends = children(pid)
        os.kill(pid, signal.SIGKILL)
        assert self.process is not None
        self.process.wait(timeout=EXIT_WAIT_S)
        deadline = time.monotonic() + EXIT_WAIT_S
        while any(running(backend) for backend in backends):
            assert time.monotonic() < deadline, "backends outlived their postmaster"
            time.sleep(POLL_S)

    def tail(self, lines: int = 20) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def close(self) -> None:
        """Stop whatever runs (SIGKILL: the data is thrown away) and remove the folder."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                os.kill(self.postmaster_pid(), signal.SIGKILL)
            self.process.kill()
            self.process.wait(timeout=EXIT_WAIT_S)
        shutil.rmtree(self.root, ignore_errors=True)


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command's name ([0] state, [1] parent)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def children(parent: int) -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and (_stat(int(p.name)) or ["", "0"])[1] == str(parent)]


def running(pid: int) -> bool:
    fields = _stat(pid)
    return bool(fields) and fields[0] != "Z"  # a zombie holds nothing
