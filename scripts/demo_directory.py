"""The demo federation's trust root: one authority, one signed directory, four nodes under it,
and one signed link map saying which of them trade directly.

The authority lives in `<demo>/authority` and publishes to `<demo>/directory.json`; every node
pins the authority's key (`directory_anchors` in its node.toml) and loads that file
(`directory_source`) when it starts and on every refresh. Everything goes through the real
`hourbridge directory` commands an authority would use, and a re-run only signs a new serial
when something changed (a node added, or moved port). Each node also runs its city's example
policy (scripts/demo_rules.py), and the directory lists that policy's unit for it.

The link map (`hourbridge directory link-map sign`, published to `<demo>/links.json`, which every
node loads as `link_map_source`) gives Shanghai and Nanjing no link of their own: their hours go
through the clearing hub yrd-hub. Shanghai keeps a direct link to Beijing, where Chen Jianguo
moves. Nanjing gets no link to Beijing: with one, the route Shanghai -> Beijing -> Nanjing would
be as short as the hub's and sort first (protocol/routes.py), and the story never trades between
Nanjing and Beijing. It is signed once; a re-run signs again only when the wanted links change.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from demo_rules import pin_policy, unit_options

from node.cli.authority import LINKS_FILE, AuthorityFolder, atomic_write_json
from node.config import load_config, save_config

FEDERATION_ID = "cn-demo"
FEDERATION_NAME = "HourBridge demo federation"
AUTHORITY_DIR = "authority"
PUBLISHED = "directory.json"
LINKS_PUBLISHED = "links.json"
LINKS_BODY = "links-body.json"  # in the authority folder: what the authority signed, by hand
HUB = "yrd-hub"
# Which nodes trade directly; every other pair goes through at most HOPS_MAX links.
LINKS = (("sh-pudong", HUB), ("nj-gulou", HUB), ("bj-chaoyang", "sh-pudong"))
HOPS_MAX = 2


class DirectoryFailed(Exception):
    pass


@dataclass(frozen=True)
class DemoDirectory:
    anchor: str
    path: Path
    serial: int
    links_path: Path
    links_serial: int

    def pin(self, node_data: Path) -> None:
        """Write the anchor and both sources into the node's node.toml, as an operator would."""
        config = load_config(node_data, env={})
        wanted = {"directory_source": str(self.path), "directory_anchors": [self.anchor],
                  "link_map_source": str(self.links_path)}
        if {k: getattr(config, k) for k in wanted} != wanted:
            save_config(config.model_copy(update=wanted))


def _hb(hourbridge: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([hourbridge, "directory", *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise DirectoryFailed(
            f"hourbridge directory {args[0]} failed:\n{done.stderr or done.stdout}"
        )
    return done.stdout


def ensure_directory(
    data: Path, nodes: list[tuple[Path, str, str]], *, hourbridge: str, env: dict[str, str]
) -> DemoDirectory:
    """`nodes`: (data folder, node id, URL) of each node. Returns what the nodes must pin."""
    folder = data / AUTHORITY_DIR
    published = data / PUBLISHED
    auth = ["--authority", str(folder)]
    if not (folder / "draft.json").is_file():
        _hb(
            hourbridge,
            env,
            "init",
            "--federation-id",
            FEDERATION_ID,
            "--name",
            FEDERATION_NAME,
            *auth,
        )
    anchor = _hb(hourbridge, env, "anchor", *auth).strip().splitlines()[-1]
    draft = AuthorityFolder(folder).load_draft()
    listed = {entry.node_id: entry for entry in draft.nodes}
    changed = not published.is_file()
    for node_data, node_id, url in nodes:
        if node_id not in listed:
            _hb(hourbridge, env, "add-node", "--node-data", str(node_data), "--url", url,
                *unit_options(node_id), *auth)
            changed = True
        elif listed[node_id].base_url != url:
            _hb(hourbridge, env, "set-url", "--node-id", node_id, "--url", url, *auth)
            changed = True
    if changed:
        _hb(hourbridge, env, "sign", "--publish", str(published), *auth)
    current = AuthorityFolder(folder).load_current()
    if current is None:
        raise DirectoryFailed("the authority has signed no directory")
    links_serial = ensure_links(data, hourbridge=hourbridge, env=env,
                                cap_minutes=current.policy.net_debit_cap_per_partner_minutes_max)
    directory = DemoDirectory(anchor=anchor, path=published, serial=current.serial,
                              links_path=data / LINKS_PUBLISHED, links_serial=links_serial)
    for node_data, node_id, _ in nodes:
        directory.pin(node_data)
        pin_policy(node_data, node_id)
    return directory


def links_body(cap_minutes: int) -> dict[str, object]:
    """The link map's body as the authority writes it: each pair once, sorted, `a` < `b`."""
    pairs = sorted(tuple(sorted(pair)) for pair in LINKS)
    return {"hops_max": HOPS_MAX, "links": [
        {"a": a, "b": b, "a_cap_minutes": cap_minutes, "b_cap_minutes": cap_minutes}
        for a, b in pairs]}


def ensure_links(data: Path, *, hourbridge: str, env: dict[str, str], cap_minutes: int) -> int:
    """Sign the demo's link map unless the authority's last one already says the same, and
    publish it. Returns the serial in force."""
    folder = AuthorityFolder(data / AUTHORITY_DIR)
    body = links_body(cap_minutes)
    held = folder.load_links()
    published = data / LINKS_PUBLISHED
    if held is not None and {"hops_max": held.hops_max, "links": [
            link.model_dump(mode="json") for link in held.links]} == body:
        signed = json.loads((folder.path / LINKS_FILE).read_text(encoding="utf-8"))
        if not published.is_file() or json.loads(published.read_text(encoding="utf-8")) != signed:
            atomic_write_json(published, signed)  # a deleted or stale copy: publish again
        return held.serial
    body_file = folder.path / LINKS_BODY
    body_file.write_text(json.dumps(body, indent=2), encoding="utf-8")
    _hb(hourbridge, env, "link-map", "sign", str(body_file), "--authority", str(folder.path),
        "--publish", str(published))
    signed = folder.load_links()
    if signed is None:
        raise DirectoryFailed("the authority signed no link map")
    return signed.serial
