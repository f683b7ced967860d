"""The parts of scripts/chaos.py that decide its verdict: the checker must see a lost or a doubled
hour, and the proxy must refuse, cut and then heal when told."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from bench_ledger import wait_listening  # noqa: E402
from chaos_books import Link, Outcome, _transfers  # noqa: E402
from chaos_load import Job  # noqa: E402

A, B = "sh-pudong", "nj-gulou"
Rows = dict[str, dict[str, tuple[str, str | None, str | None]]]


def _job(client_id: str, minutes: int = 10, answer: str = "accepted") -> Job:
    return Job(A, client_id, "m0", f"m1@{B}", minutes, answer)


def _run(jobs: list[Job], rows: Rows, credited: dict[tuple[str, str], int]) -> Outcome:
    out = Outcome()
    expected = {f"m0@{A}": 100, f"m1@{B}": 100}
    _transfers(out, jobs, rows, credited, expected, defaultdict(int))
    return out


def test_a_transfer_committed_on_both_sides_is_neither_lost_nor_doubled() -> None:
    out = _run([_job("t1")], {A: {"t1": ("committed", "w1", B)}, B: {}}, {(A, "w1"): 10})
    assert (out.lost, out.duplicated, out.committed["cross-node"]) == (0, 0, 1)


def test_debited_at_home_but_never_credited_counts_as_lost() -> None:
    out = _run([_job("t1")], {A: {"t1": ("committed", "w1", B)}, B: {}}, {})
    assert out.lost_by_transfer == 10
    assert not out.ok


def test_released_at_home_but_credited_at_the_peer_counts_as_duplicated() -> None:
    out = _run([_job("t1")], {A: {"t1": ("rejected", "w1", B)}, B: {}}, {(A, "w1"): 10})
    assert out.duplicated_by_transfer == 10
    assert not out.ok


def test_a_credit_no_transfer_explains_counts_as_duplicated() -> None:
    out = _run([], {A: {}, B: {}}, {(A, "stray"): 7})
    assert out.duplicated == 7


def test_a_refusal_that_left_a_record_and_an_open_transfer_fail_the_run() -> None:
    out = _run([_job("t1", answer="rejected:insufficient_funds"), _job("t2")],
               {A: {"t1": ("committed", None, None), "t2": ("pending", "w2", B)}, B: {}}, {})
    assert (out.refused_but_recorded, out.still_open) == (1, 1)
    assert not out.ok


def test_link_positions_must_be_opposite_and_match_the_transfers() -> None:
    assert Link(A, B, 30, -30, 30).symmetric and Link(A, B, 30, -30, 30).matches_transfers
    assert not Link(A, B, 30, -20, 30).symmetric
    assert not Link(A, B, 30, -30, 20).matches_transfers


# the proxy --------------------------------------------------------------------------------------


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)
    stop = False

    def serve() -> None:
        while not stop:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(1024):
                    conn.sendall(data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop = True
    server.close()


def _exchange(port: int) -> bytes:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"ping")
            return sock.recv(16)
    except OSError:
        return b""


def test_the_proxy_refuses_everything_until_healed(echo_port: int, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        listen = probe.getsockname()[1]
    stats = tmp_path / "stats.json"
    proxy = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "chaos_proxy.py"),
                              f"--route={listen}:{echo_port}", "--refuse=1", "--delay=0",
                              "--partition=0", f"--stats={stats}"])
    try:
        wait_listening(listen, proxy, "the proxy")
        assert [_exchange(listen) for _ in range(3)] == [b""] * 3
        proxy.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while (got := _exchange(listen)) != b"ping":
            assert time.monotonic() < deadline, got
        proxy.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 10
        while _exchange(listen) != b"":  # the faults are back once the proxy's loop takes it
            assert time.monotonic() < deadline, "SIGUSR2 did not bring the faults back"
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
    assert '"refused"' in stats.read_text()
