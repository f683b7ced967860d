"""Run the kit against a target: check the set-up, then the scenarios in an order that keeps the
kit's chain and windows consistent (each scenario leaves the link usable for the next; the
disputed window comes last)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from node.conformance.admission import run_admission, run_chain
from node.conformance.fixtures import Fixtures, load_fixtures
from node.conformance.inbound import KitReceiver, listening
from node.conformance.peer import KitError, Peer, load_directory, load_key, system_now_ms
from node.conformance.prepared import run_prepared
from node.conformance.requests import run_payment, run_relocation, run_reserved
from node.conformance.results import Report
from node.conformance.reverse import REVERSE as INBOUND
from node.conformance.reverse import run_reverse
from node.conformance.settlement import run_settlement
from node.conformance.transfers import Books, commit_one, over_cap, prepare_rules
from protocol.directory import NodeStatus
from protocol.envelope import verify_evidence

SETUP = "§13 directory and §14.1 keys"
KEYS_PATH = "/federation/v1/keys"
DIRECTORY_PATH = "/federation/v1/directory"
HTTP_TIMEOUT_S = 10.0
# What reading a non-conforming answer can raise (ProtocolError is a ValueError): a scenario
# that meets one fails, and the kit goes on with the next.
UNREADABLE = (ValueError, KeyError, TypeError, AttributeError)


@dataclass(frozen=True)
class KitConfig:
    target_url: str
    directory: Path
    key_path: Path
    kit_id: str
    member: str  # a local id at the target who may receive gifts
    target_id: str | None = None  # default: the node id the target's keys document names
    # The target's admin API token: lets the kit have the target pay the kit (reverse.py).
    admin_token: str | None = None
    # Where the kit listens for the target's transactions: default, its directory base_url.
    listen: tuple[str, int] | None = None
    # What the operator prepared for the refusals a peer cannot provoke alone (fixtures.py).
    fixtures: Path | None = None


def _target_id(http: httpx.Client, config: KitConfig) -> str:
    if config.target_id:
        return config.target_id
    try:
        node_id = http.get(KEYS_PATH).json().get("node_id")
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        raise KitError(f"cannot read the target's {KEYS_PATH}: {exc}") from exc
    if not isinstance(node_id, str):
        raise KitError(f"the target's {KEYS_PATH} names no node_id; pass --target-id")
    return node_id


def make_peer(config: KitConfig, http: httpx.Client, *, passphrase: bytes | None = None,
              now_ms: Callable[[], int] = system_now_ms) -> Peer:
    directory = load_directory(config.directory)
    key = load_key(config.key_path, passphrase)
    entry = directory.node(config.kit_id)
    if entry is None or entry.key(key.key_id) is None:
        raise KitError(f"the directory does not list {config.kit_id} with key {key.key_id}")
    if entry.status is not NodeStatus.ACTIVE:
        raise KitError(f"the directory lists {config.kit_id} as {entry.status}")
    target_id = _target_id(http, config)
    if directory.node(target_id) is None:
        raise KitError(f"the directory does not list the target {target_id}")
    return Peer(http=http, directory=directory, key=key, kit_id=config.kit_id,
                target_id=target_id, now_ms=now_ms)


def check_setup(peer: Peer, report: Report) -> None:
    """What the target publishes (§13, §14.1), and a fresh link: a kit id runs once."""
    keys = peer.http.get(KEYS_PATH)
    try:
        verify_evidence(keys.json(), directory=peer.directory, time_member="issued_at_ms",
                        signer=peer.target_id)
        ok, detail = keys.json().get("node_id") == peer.target_id, "signed by the target"
    except UNREADABLE as exc:
        ok, detail = False, f"HTTP {keys.status_code}: {exc}"
    report.record(SETUP, "the keys document verifies against the directory", ok, detail)
    held = peer.http.get(DIRECTORY_PATH)
    try:
        serial = held.json().get("serial") if held.status_code == httpx.codes.OK else None
    except UNREADABLE:
        serial = None
    report.record(SETUP, "the target holds the kit's directory", serial ==
                  peer.directory.serial, f"target serial {serial}, kit {peer.directory.serial}")
    history = peer.ask("history", {"direction": "from_you", "after": 0, "limit": 1})
    if history.result is None:
        raise KitError(f"the target refused a history request: {history.describe()}")
    if history.result["transactions"]:
        raise KitError(f"the target already holds transactions from {peer.kit_id}: a kit node "
                       "id runs once; list a fresh one (docs/conformance.md)")


def listen_address(peer: Peer, config: KitConfig) -> tuple[str, int]:
    if config.listen is not None:
        return config.listen
    entry = peer.directory.node(peer.kit_id)
    assert entry is not None  # make_peer checked it
    url = urlsplit(entry.base_url)
    return url.hostname or "127.0.0.1", url.port or (443 if url.scheme == "https" else 80)


def run(config: KitConfig, *, http: httpx.Client | None = None, passphrase: bytes | None = None,
        now_ms: Callable[[], int] = system_now_ms) -> Report:
    """Every scenario against the target; raises KitError when the kit cannot begin."""
    with ExitStack() as stack:
        client = http or stack.enter_context(
            httpx.Client(base_url=config.target_url, timeout=HTTP_TIMEOUT_S))
        peer = make_peer(config, client, passphrase=passphrase, now_ms=now_ms)
        fixtures = load_fixtures(config.fixtures, passphrase)
        if config.admin_token is None:
            return _run(peer, config, fixtures, None)
        admin = stack.enter_context(httpx.Client(
            base_url=config.target_url, timeout=HTTP_TIMEOUT_S,
            headers={"Authorization": f"Bearer {config.admin_token}"}))
        receiver = KitReceiver(peer)
        host, port = listen_address(peer, config)
        try:
            stack.enter_context(listening(receiver, host, port))
        except OSError as exc:
            raise KitError(f"cannot listen on {host}:{port} for the target: {exc}") from exc
        return _run(peer, config, fixtures, lambda books, report: run_reverse(
            peer, report, books, receiver, admin, config.member))
    raise AssertionError("unreachable")  # pragma: no cover - ExitStack does not swallow


def _run(peer: Peer, config: KitConfig, fixtures: Fixtures,
         reverse: Callable[[Books, Report], None] | None) -> Report:
    report, books = Report(), Books()
    creditor = f"{config.member}@{peer.target_id}"
    check_setup(peer, report)
    stages: list[tuple[str, Callable[[], None]]] = [
        ("transfer", lambda: commit_one(peer, report, books, creditor)),
        ("admission", lambda: run_admission(peer, report)),
        ("chain", lambda: run_chain(peer, report,
                                    first_transaction_id=books.first_transaction_id)),
        ("prepare checks", lambda: prepare_rules(peer, report, creditor)),
        ("caps", lambda: over_cap(peer, report, books, creditor)),
        ("prepared refusals", lambda: run_prepared(peer, report, books, fixtures,
                                                   config.member)),
        ("reserved types", lambda: run_reserved(peer, report)),
        ("relocation", lambda: run_relocation(peer, report, books, config.member)),
        ("payment requests", lambda: run_payment(peer, report, creditor)),
    ]
    if reverse is not None:
        stages.append(("transfers to the kit", lambda: reverse(books, report)))
    else:
        report.not_run(INBOUND, "the target pays a member of the kit",
                       "needs the target's admin token (--admin-token)")
    stages.append(("settlement", lambda: run_settlement(peer, report, books, creditor)))
    for name, stage in stages:
        try:
            stage()
        except httpx.HTTPError as exc:
            report.record(f"stage: {name}", "stopped", False, f"HTTP: {exc!r}")
        except UNREADABLE as exc:  # an answer the kit's checks did not expect to get this far
            report.record(f"stage: {name}", "stopped", False, f"unexpected answer: {exc!r}")
    return report
