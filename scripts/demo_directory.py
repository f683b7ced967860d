"""The demo federation's trust root: one authority, one signed directory, three nodes under it.

The authority lives in `<demo>/authority` and publishes to `<demo>/directory.json`; every node
pins the authority's key (`directory_anchors` in its node.toml) and loads that file
(`directory_source`) when it starts and on every refresh. Everything goes through the real
`hourbridge directory` commands an authority would use, and a re-run only signs a new serial
when something changed (a node added, or moved port). Each node also runs its city's example
policy (scripts/demo_rules.py), and the directory lists that policy's unit for it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from demo_rules import pin_policy, unit_options

from node.cli.authority import AuthorityFolder
from node.config import load_config, save_config

FEDERATION_ID = "cn-demo"
FEDERATION_NAME = "HourBridge demo federation"
AUTHORITY_DIR = "authority"
PUBLISHED = "directory.json"


class DirectoryFailed(Exception):
    pass


@dataclass(frozen=True)
class DemoDirectory:
    anchor: str
    path: Path
    serial: int

    def pin(self, node_data: Path) -> None:
        """Write the anchor and the source into the node's node.toml, as an operator would."""
        config = load_config(node_data, env={})
        wanted = {"directory_source": str(self.path), "directory_anchors": [self.anchor]}
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
    directory = DemoDirectory(anchor=anchor, path=published, serial=current.serial)
    for node_data, node_id, _ in nodes:
        directory.pin(node_data)
        pin_policy(node_data, node_id)
    return directory
