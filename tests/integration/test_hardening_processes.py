"""Low findings of issue 12 (finding 7) against real `hourbridge serve` processes on loopback:
a body that never arrives whole is cut off, and the data folder stays private."""

from __future__ import annotations

import json
import socket
import stat
import time
from pathlib import Path

import pytest

from tests.integration.processes import ClusterFactory

pytestmark = pytest.mark.slow

LOOSE, PRIVATE = "nj-gulou", "sh-pudong"
BODY_READ_TIMEOUT_S = 1
SOCKET_TIMEOUT_S = 10.0  # a bound on the wait, far above the node's limit


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the node sends until it closes the connection (socket.timeout if it never
    does within SOCKET_TIMEOUT_S)."""
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_a_body_shorter_than_declared_is_answered_408_and_the_connection_closed(
        make_cluster: ClusterFactory) -> None:
    cluster = make_cluster([PRIVATE])
    cluster.start(env={PRIVATE: {"HOURBRIDGE_BODY_READ_TIMEOUT_S": str(BODY_READ_TIMEOUT_S)}})
    node = cluster[PRIVATE]
    head = (f"POST /api/v1/members HTTP/1.1\r\nHost: 127.0.0.1:{node.port}\r\n"
            f"Authorization: Bearer {node.token}\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n").encode()
    members_before = node.query("SELECT count(*) FROM members")
    with socket.create_connection(("127.0.0.1", node.port), timeout=SOCKET_TIMEOUT_S) as sock:
        started = time.monotonic()
        sock.sendall(head + b'{"local_i"')  # 10 of the 1000 bytes it declared
        answer = read_until_closed(sock)
        took_s = time.monotonic() - started

    head_back, _, body = answer.partition(b"\r\n\r\n")
    status_line, *headers = head_back.decode().split("\r\n")
    assert status_line == "HTTP/1.1 408 Request Timeout", answer
    assert "content-type: application/problem+json" in headers, answer
    assert json.loads(body)["code"] == "body_timeout"
    assert BODY_READ_TIMEOUT_S <= took_s < BODY_READ_TIMEOUT_S + 4, took_s
    assert node.query("SELECT count(*) FROM members") == members_before
    assert node.healthy()
    cluster.stop()


def test_serve_keeps_its_files_private_and_warns_about_looser_ones(
        make_cluster: ClusterFactory) -> None:
    cluster = make_cluster([LOOSE, PRIVATE])
    loose = cluster[LOOSE]
    loose.data.chmod(0o755)
    (loose.data / "node.toml").chmod(0o644)
    cluster.start()

    # The private node's SQLite made its -wal and -shm files as private as the database.
    private = cluster[PRIVATE]
    assert private.query("SELECT count(*) FROM accounts")[0][0] > 0
    for name in ("node.db", "node.db-wal", "node.db-shm"):
        assert mode(private.data / name) == 0o600, name
    cluster.stop()

    warned = [line for line in loose.log_path.read_text().splitlines()
              if "data folder not private" in line]
    assert len(warned) == 1, loose.tail()
    assert f"{loose.data} (mode 0755)" in warned[0]
    assert f"{loose.data / 'node.toml'} (mode 0644)" in warned[0]
    assert "not private" not in private.log_path.read_text()
