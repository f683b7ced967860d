"""The previous release as real processes beside this working tree (issue 19).

    old = previous_release(tmp_dir)                 # the newest release's node/ and protocol/
    cluster = MixedCluster(root, {"nj-gulou": old, "sh-pudong": None})   # None: this tree

The release's code (its tag's, or the commit releases.toml records where the clone has no
tags) is taken with `git archive` (only node/ and protocol/: seconds, no network). It
runs on an interpreter of its own: a venv without pip whose site-packages holds two path files,
the old tree first, then this .venv's site-packages for the locked dependencies. A path file
adds a folder to sys.path without reading the path files inside it, so this .venv's editable
install of the new `node` (a path file of its own) does not leak in; `probe` checks that the
old interpreter imports node/ and protocol/ from the old tree. The process runs with `-P`
(Python 3.11: no current directory on sys.path), so a test started at the repository root
still runs the old code. Installing a second full venv from the lock would cost CI a minute.

Set-up of an old node runs the OLD `hourbridge init` and `token create`: its database is made
at the old release's schema head and its node.toml holds only members the old config knows.
The directory (signed by this tree's CLI) is pinned by editing node.toml's two members
directly, never through this tree's save_config, which would write members the old config
refuses.
"""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomli_w

from tests.integration.processes import (
    FAST_RETRY,
    REGION,
    SERVE,
    Cluster,
    HarnessError,
    NodeProcess,
    child_env,
    free_ports,
    hourbridge,
)

ROOT = Path(__file__).resolve().parents[2]
TAG_PATTERN = "v[0-9]*"
RELEASES_FILE = "releases.toml"
# `git archive` and the old CLI's set-up commands: generous on a loaded two-core machine.
SETUP_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Release:
    tag: str
    tree: Path  # holds node/ and protocol/ as the tag has them
    python: Path  # the interpreter that imports them, with this .venv's dependencies

    @property
    def command(self) -> list[str]:
        """`hourbridge` of the old release: -P keeps the current folder (this tree's root,
        under pytest) off sys.path."""
        return [str(self.python), "-P", "-m", "node.cli.main"]

    def start_commands(self, *commands: list[str]) -> subprocess.Popen[str]:
        """Commands of the old CLI, one after the other in one process of the old release
        (through typer's runner, as processes.hourbridge does: one interpreter start, not one
        per command), started now; `printed` waits for them."""
        return subprocess.Popen([str(self.python), "-P", "-c", _RUN_COMMANDS,
                                 json.dumps(commands)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=child_env({}))

    def printed(self, running: subprocess.Popen[str]) -> list[str]:
        """What each command started by `start_commands` printed; fails if one failed."""
        stdout, stderr = running.communicate(timeout=SETUP_TIMEOUT_S)
        if running.returncode != 0:
            raise HarnessError(f"{self.tag}: hourbridge {running.args!r} failed:\n{stdout}\n"
                               f"{stderr}")
        return list(json.loads(stdout.splitlines()[-1]))


# Runs in the old release's interpreter: argv[1] is a JSON list of commands.
_RUN_COMMANDS = """
import gc, json, sys
from typer.testing import CliRunner
from node.cli.main import app
printed = []
for args in json.loads(sys.argv[1]):
    result = CliRunner().invoke(app, args)
    if result.exit_code != 0:
        sys.exit(f"hourbridge {args} exited {result.exit_code}: {result.output} "
                 f"{result.exception!r}")
    printed.append(result.stdout)
    gc.collect()
print(json.dumps(printed))
"""


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                          check=False, timeout=SETUP_TIMEOUT_S)


def recorded_releases() -> list[dict[str, str]]:
    """releases.toml: every release, newest first, with its tag and commit."""
    with (ROOT / RELEASES_FILE).open("rb") as listed:
        return list(tomllib.load(listed)["release"])


def newest_release() -> tuple[str, str] | None:
    """(tag, what to archive) of the newest release: the tag where this clone has it, else the
    commit releases.toml names; None without git or without that commit (a shallow clone).
    Fails when the clone's tags and releases.toml disagree."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    newest = recorded_releases()[0]
    tag, commit = newest["tag"], newest["commit"]
    listed = _git("tag", "--list", TAG_PATTERN, "--sort=-v:refname")
    tags = listed.stdout.split() if listed.returncode == 0 else []
    if tags:
        assert tags[0] == tag, f"tag {tags[0]} is newer than {RELEASES_FILE}'s newest ({tag})"
        tagged = _git("rev-parse", f"{tag}^{{commit}}").stdout.strip()
        assert tagged == commit, f"{tag} names {tagged}, {RELEASES_FILE} says {commit}"
        return tag, tag
    if _git("cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
        return None
    return tag, commit


def previous_release(folder: Path) -> Release:
    """The newest release's node/ and protocol/ in `folder`, with an interpreter for them;
    skips the test, saying why, in a clone without git or without the release's commit."""
    found = newest_release()
    if found is None:
        pytest.skip(f"this clone holds neither the newest release's tag nor the commit "
                    f"{RELEASES_FILE} names (a shallow clone?): `git fetch --tags`")
    tag, ref = found
    print(f"previous release: {tag} ({ref})")  # shown with -s and in the failure report
    tree = folder / tag
    if not (tree / "node").is_dir():
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "node", "protocol"],
                                 capture_output=True, check=True, timeout=SETUP_TIMEOUT_S)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    python = _interpreter(folder / f"{tag}-venv", tree)
    probe(python, tree)
    return Release(tag, tree, python)


def _interpreter(venv: Path, tree: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                       timeout=SETUP_TIMEOUT_S)
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True).stdout.strip())
    # Path files are read in name order: the old tree comes before the locked dependencies.
    (site / "00-hourbridge-release.pth").write_text(f"{tree}\n")
    (site / "50-locked-dependencies.pth").write_text(f"{sysconfig.get_path('purelib')}\n")
    return python


def probe(python: Path, tree: Path) -> None:
    """The old interpreter imports node and protocol from the old tree, not this one."""
    shown = subprocess.run(
        [str(python), "-P", "-c",
         "import json, node, protocol; print(json.dumps([node.__file__, protocol.__file__]))"],
        capture_output=True, text=True, env=child_env({}), check=False, cwd=ROOT)
    assert shown.returncode == 0, shown.stderr
    node_file, protocol_file = (Path(p) for p in json.loads(shown.stdout))
    assert node_file.is_relative_to(tree), f"the old interpreter imports {node_file}"
    assert protocol_file.is_relative_to(tree), f"the old interpreter imports {protocol_file}"


def _setup_commands(node: NodeProcess) -> list[list[str]]:
    """`init`, then an admin token. The token is made before the directory is pinned
    (`token create` opens the node, which loads a pinned directory; the token needs none)."""
    return [["init", "--node-id", node.node_id, "--region", REGION, "--url", node.url,
             "--port", str(node.port), "--name", node.node_id, "--data", str(node.data)],
            ["token", "create", "--data", str(node.data), "--role", "admin", "--label", "it"]]


class MixedCluster(Cluster):
    """Cluster whose nodes run different releases: `releases` maps each node id to a Release,
    or to None for this working tree. `upgrade_data` moves a stopped node to this tree (its
    migrate; the next `start` runs this tree's serve), as docs/operations.md tells an
    operator."""

    def __init__(self, root: Path, releases: dict[str, Release | None]) -> None:
        self.root = root
        self.node_ids = sorted(releases)
        self.releases = dict(releases)
        ports = free_ports(len(self.node_ids))
        self.nodes = {}
        old_setup = {}
        for node_id, port in zip(self.node_ids, ports, strict=True):
            release = releases[node_id]
            node = NodeProcess(node_id, root / node_id, port, root / f"{node_id}.log",
                               base_env=dict(FAST_RETRY),
                               command=release.command if release else list(SERVE))
            self.nodes[node_id] = node
            if release:  # the old release sets its nodes up meanwhile, in processes of its own
                old_setup[node_id] = release.start_commands(*_setup_commands(node))
        for node_id, node in self.nodes.items():
            release = releases[node_id]
            printed = (release.printed(old_setup[node_id]) if release else
                       [hourbridge(*args) for args in _setup_commands(node)])
            node.token = printed[-1].strip().splitlines()[-1]
        gc.collect()  # this tree's `init` leaves its SQLite engine to the garbage collector
        self._sign_directory()

    def _sign_directory(self) -> None:
        authority = self.root / "authority"
        published = self.root / "directory.json"
        auth = ("--authority", str(authority))
        hourbridge("directory", "init", "--federation-id", "cn-it", *auth)
        anchor = hourbridge("directory", "anchor", *auth).strip().splitlines()[-1]
        for node in self.nodes.values():
            hourbridge("directory", "add-node", "--node-data", str(node.data), "--url",
                       node.url, *auth)
        hourbridge("directory", "sign", "--publish", str(published), *auth)
        for node in self.nodes.values():
            path = node.data / "node.toml"
            config = tomllib.loads(path.read_text(encoding="utf-8"))
            config |= {"directory_source": str(published), "directory_anchors": [anchor]}
            path.write_text(tomli_w.dumps(config), encoding="utf-8")

    def upgrade_data(self, node_id: str) -> None:
        """This tree's `hourbridge migrate` on a stopped node's data; it runs this tree next."""
        node = self.nodes[node_id]
        assert not node.alive(), f"stop {node_id} before migrating its database"
        hourbridge("migrate", "--data", str(node.data))
        gc.collect()
        node.command = list(SERVE)
        self.releases[node_id] = None
