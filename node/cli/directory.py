"""`hourbridge directory`: the federation authority keeps and signs the directory.

Every command works on one authority folder (node/cli/authority.py): change the draft, then
`sign` turns it into the next serial. Times are the wall clock when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from node.cli.authority import AuthorityFolder, atomic_write_json, problem
from node.cli.directory_view import nodes_table, signed_state, when
from node.cli.links_sign import link_map_sign_app
from node.cli.output import out
from node.clock import SystemClock
from node.config import NodeConfig, load_config
from node.errors import ConfigError
from node.keys import PASSPHRASE_ENV, load_key_file, passphrase_from_env
from protocol.directory import (
    KeyRecord,
    NodeEntry,
    NodeStatus,
    accept_directory,
    key_text,
    parse_key_text,
    sign_directory,
)
from protocol.errors import ProtocolError
from protocol.keys import rotate_node_key
from protocol.policy import DAY_MS
from protocol.signing import VerifyKey

directory_app = typer.Typer(
    help="Federation authority: keep, sign and publish the directory.", no_args_is_help=True
)

AuthorityOpt = Annotated[
    Path,
    typer.Option("--authority", envvar="HOURBRIDGE_AUTHORITY", help="the authority's folder"),
]
NodeIdOpt = Annotated[str, typer.Option("--node-id", help="the node's id, e.g. sh-pudong")]
PublicKeyOpt = Annotated[
    str | None, typer.Option("--public-key", help="the node's key: ed25519:<id>=<base64url>")
]
NodeDataOpt = Annotated[
    Path | None,
    typer.Option("--node-data", help="read the key (and defaults) from a node's data folder"),
]
PromptOpt = Annotated[
    bool, typer.Option(help=f"ask for the key passphrase (or set {PASSPHRASE_ENV})")
]


def _now_ms() -> int:
    return SystemClock().now_ms()


def _passphrase(prompt: bool, *, confirm: bool) -> bytes | None:
    passphrase = passphrase_from_env()
    if prompt and passphrase is None:
        text = typer.prompt("key passphrase", hide_input=True, confirmation_prompt=confirm)
        passphrase = text.encode("utf-8")
    return passphrase


def _node_config(node_data: Path | None, node_id: str | None) -> NodeConfig | None:
    if node_data is None:
        return None
    config = load_config(node_data)
    # The node signs as the id in its own config; listing its key under another id would make
    # every message it sends fail as unknown_key at its peers.
    if node_id is not None and node_id != config.node_id:
        raise ConfigError(f"{node_data} belongs to node {config.node_id}, not {node_id}")
    return config


def _node_key(public_key: str | None, config: NodeConfig | None) -> VerifyKey:
    if (public_key is None) == (config is None):
        raise ConfigError("give exactly one of --public-key and --node-data")
    if config is not None:
        # Only where the authority can read the node's folder: a demo or test on one machine.
        return load_key_file(config.key_path, passphrase_from_env()).verify_key()
    assert public_key is not None
    try:
        return parse_key_text(public_key)
    except ProtocolError as exc:
        raise ConfigError(f"--public-key: {problem(exc)}") from exc


@directory_app.command()
def init(
    federation_id: Annotated[str, typer.Option(help="the federation's id, e.g. cn-eldercare")],
    authority: AuthorityOpt,
    name: Annotated[str, typer.Option(help="display name of the federation")] = "",
    passphrase_prompt: PromptOpt = False,
) -> None:
    """Create the authority key (mode 0600) and a draft with the default policy."""
    folder = AuthorityFolder(authority)
    key = folder.create(
        federation_id=federation_id,
        name=name,
        passphrase=_passphrase(passphrase_prompt, confirm=True),
        now_ms=_now_ms(),
    )
    out.print(f"authority of [bold]{federation_id}[/] initialised in {authority}")
    out.print("pin this anchor in every node (directory_anchors):")
    print(key_text(key.verify_key()))


@directory_app.command()
def anchor(authority: AuthorityOpt) -> None:
    """Print the authority keys of the draft, one anchor line each."""
    for record in AuthorityFolder(authority).load_draft().authority_keys:
        print(key_text(record.verify_key()))


@directory_app.command("add-node")
def add_node(
    authority: AuthorityOpt,
    node_id: Annotated[str | None, typer.Option(help="default: from --node-data")] = None,
    name: Annotated[str | None, typer.Option(help="default: from --node-data")] = None,
    region: Annotated[str | None, typer.Option(help="6-digit region code")] = None,
    url: Annotated[str | None, typer.Option(help="base URL peers use")] = None,
    public_key: PublicKeyOpt = None,
    node_data: NodeDataOpt = None,
    cap_per_partner_minutes: Annotated[int | None, typer.Option(help="default: policy max")] = None,
    cap_overall_minutes: Annotated[int | None, typer.Option(help="default: policy max")] = None,
    unit_name: Annotated[str, typer.Option(help="the node's local unit")] = "minute",
    unit_units: Annotated[int, typer.Option(help="`units` local units ...")] = 1,
    unit_minutes: Annotated[int, typer.Option(help="... are worth `minutes` minutes")] = 1,
) -> None:
    """Add a node, active, with one key valid from now."""
    folder = AuthorityFolder(authority)
    draft = folder.load_draft()
    config = _node_config(node_data, node_id)
    key = _node_key(public_key, config)
    if config is None and None in (node_id, region, url):
        raise ConfigError("--node-id, --region and --url are needed without --node-data")
    # A node's folder fills in what its own config says; options still win.
    node_id = node_id or (config.node_id if config else "")
    if any(node.node_id == node_id for node in draft.nodes):
        raise ConfigError(f"node {node_id} is listed already; see suspend, rotate-key")
    policy = draft.policy
    values = {
        "node_id": node_id,
        "name": name or (config.name if config else "") or node_id,
        "region_code": region or (config.region if config else ""),
        "base_url": url or (config.url if config else ""),
        "status": NodeStatus.ACTIVE.value,
        "keys": [KeyRecord.for_key(key, valid_from_ms=_now_ms()).model_dump(mode="json")],
        "local_unit": {"name": unit_name, "units": unit_units, "minutes": unit_minutes},
        "net_debit_cap_per_partner_minutes": _cap(
            cap_per_partner_minutes, policy.net_debit_cap_per_partner_minutes_max
        ),
        "net_debit_cap_overall_minutes": _cap(
            cap_overall_minutes, policy.net_debit_cap_overall_minutes_max
        ),
    }
    try:
        entry = NodeEntry.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(f"node {node_id}: {problem(exc)}") from exc
    folder.save_draft(draft.with_node(entry))
    out.print(f"added {node_id} with key {key.key_id}; run `directory sign` to publish")


def _cap(value: int | None, maximum: int) -> int:
    if value is None:
        return maximum
    if not 0 <= value <= maximum:
        raise ConfigError(f"cap {value} is outside 0..{maximum} (the policy's maximum)")
    return value


def _set_status(authority: Path, node_id: str, status: NodeStatus) -> None:
    folder = AuthorityFolder(authority)
    draft = folder.load_draft()
    entry = draft.node(node_id)
    if entry.status is status:
        out.print(f"{node_id} is {status.value} already; nothing changed")
        return
    # Retirement is final (standard §13): a retired id is never reused or revived.
    if entry.status is NodeStatus.RETIRED:
        raise ConfigError(f"{node_id} is retired, which is final")
    folder.save_draft(draft.with_node(entry.model_copy(update={"status": status})))
    out.print(f"{node_id}: {entry.status.value} -> {status.value}; run `directory sign`")


@directory_app.command("set-url")
def set_url(
    authority: AuthorityOpt,
    node_id: NodeIdOpt,
    url: Annotated[str, typer.Option("--url", help="the base URL the node now answers at")],
) -> None:
    """Record that a node moved: peers reach it at the new base URL from the next serial on."""
    folder = AuthorityFolder(authority)
    draft = folder.load_draft()
    entry = draft.node(node_id)
    if entry.base_url == url:
        out.print(f"{node_id} is at {url} already; nothing changed")
        return
    try:
        moved = NodeEntry.model_validate({**entry.model_dump(mode="json"), "base_url": url})
    except ValidationError as exc:
        raise ConfigError(f"--url {url!r}: {problem(exc)}") from exc
    folder.save_draft(draft.with_node(moved))
    out.print(f"{node_id}: {entry.base_url} -> {url}; run `directory sign`")


@directory_app.command()
def suspend(authority: AuthorityOpt, node_id: NodeIdOpt) -> None:
    """Stop a node from sending; its old documents stay verifiable."""
    _set_status(authority, node_id, NodeStatus.SUSPENDED)


@directory_app.command()
def reinstate(authority: AuthorityOpt, node_id: NodeIdOpt) -> None:
    """Make a suspended node active again."""
    _set_status(authority, node_id, NodeStatus.ACTIVE)


@directory_app.command()
def retire(authority: AuthorityOpt, node_id: NodeIdOpt) -> None:
    """Retire a node for good."""
    _set_status(authority, node_id, NodeStatus.RETIRED)


@directory_app.command("rotate-key")
def rotate_key(
    authority: AuthorityOpt,
    node_id: NodeIdOpt,
    public_key: PublicKeyOpt = None,
    node_data: NodeDataOpt = None,
    overlap_days: Annotated[
        int | None, typer.Option(help="old key stays valid this long; default: policy minimum")
    ] = None,
) -> None:
    """Add a node's new key from now; close its old keys after the overlap."""
    folder = AuthorityFolder(authority)
    draft = folder.load_draft()
    entry = draft.node(node_id)
    key = _node_key(public_key, _node_config(node_data, node_id))
    policy = draft.policy
    overlap_ms = policy.key_overlap_min_ms if overlap_days is None else overlap_days * DAY_MS
    now_ms = _now_ms()
    try:
        rotated = rotate_node_key(
            entry, new_key=key, now_ms=now_ms, overlap_ms=overlap_ms, policy=policy
        )
    except ProtocolError as exc:
        raise ConfigError(f"rotate {node_id}: {problem(exc)}") from exc
    folder.save_draft(draft.with_node(rotated))
    closes = when(now_ms + overlap_ms)
    out.print(f"{node_id}: new key {key.key_id}; older keys valid until {closes}")


@directory_app.command()
def sign(
    authority: AuthorityOpt,
    publish: Annotated[
        Path | None, typer.Option(help="also write the signed directory here (file or folder)")
    ] = None,
    allow_unchanged: Annotated[
        bool, typer.Option(help="sign a new serial even if the draft did not change")
    ] = False,
    passphrase_prompt: PromptOpt = False,
) -> None:
    """Sign the draft as the next serial; keep it in the folder's history; publish it."""
    folder = AuthorityFolder(authority)
    target = _publish_target(publish)
    draft = folder.load_draft()
    current = folder.load_current()
    if current is not None and draft.same_as(current) and not allow_unchanged:
        raise ConfigError(
            f"the draft equals serial {current.serial}; nothing to sign "
            "(--allow-unchanged signs it again under a new serial)"
        )
    now_ms = _now_ms()
    if current is not None and now_ms < current.issued_at_ms:
        raise ConfigError("the clock is behind the last signed directory; nodes would refuse it")
    key = folder.load_key(_passphrase(passphrase_prompt, confirm=False))
    serial = 1 if current is None else current.serial + 1
    try:
        signed = sign_directory(draft.body(), authority=key, serial=serial, issued_at_ms=now_ms)
        # Check it as a node holding the last signed directory would: never publish a refusal.
        accept_directory(signed, anchors=[key.verify_key()], current=current)
    except ProtocolError as exc:
        raise ConfigError(f"cannot sign: {problem(exc)}") from exc
    history = folder.store_signed(signed)
    out.print(f"signed serial {serial} ({len(draft.nodes)} nodes): {history}")
    if target is not None:
        atomic_write_json(target, signed)
        out.print(f"published to {target}")


def _publish_target(publish: Path | None) -> Path | None:
    # Checked before signing, so a typo in the path does not use up a serial.
    if publish is None:
        return None
    target = publish / "directory.json" if publish.is_dir() else publish
    if not target.parent.is_dir():
        raise ConfigError(f"cannot publish: folder {target.parent} does not exist")
    return target


@directory_app.command()
def show(authority: AuthorityOpt) -> None:
    """The draft: nodes, status, keys with their windows, caps; and what is signed."""
    folder = AuthorityFolder(authority)
    draft = folder.load_draft()
    current = folder.load_current()
    view = out  # node/cli/output.py: fits a terminal, never folds in a pipe
    view.print(f"federation [bold]{draft.federation_id}[/] {folder.name()}")
    for record in draft.authority_keys:
        view.print(f"  anchor {key_text(record.verify_key())}")
    view.print(f"  {signed_state(draft, current)}")
    view.print(nodes_table(draft))


# The authority's link map (hubs, issue 18): node/cli/links_sign.py.
directory_app.add_typer(link_map_sign_app, name="link-map")
