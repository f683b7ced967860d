"""The data folder is private (issue 12, finding 7): `init` makes the folder 0700 and its files
0600 under an operator's usual umask 022, and `serve`'s check names whatever is looser."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from node.config import load_config, save_config
from node.datadir import loose_modes, loose_modes_warning

HB = [sys.executable, "-m", "node.cli.main"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("private") / "sh"
    result = subprocess.run(
        [*HB, "init", "--node-id", "sh-pudong", "--region", "310115",
         "--url", "http://127.0.0.1:8721", "--data", str(data)],
        capture_output=True, text=True, timeout=60,
        preexec_fn=lambda: os.umask(0o022),  # what a login shell usually has
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return data


def test_init_makes_the_folder_0700_and_every_file_0600(data: Path) -> None:
    assert mode(data) == 0o700
    files = sorted(p.name for p in data.iterdir())
    assert {"node.toml", "signing_key.pem", "node.db"} <= set(files)
    assert {name: mode(data / name) for name in files} == dict.fromkeys(files, 0o600)
    assert loose_modes(load_config(data, env={})) == []


def test_looser_modes_are_named_with_the_fix(data: Path, tmp_path: Path) -> None:
    config = load_config(data, env={})
    backup = data / "backup-2024-05-01.db"
    backup.write_bytes(b"")
    backup.chmod(0o644)
    try:
        data.chmod(0o755)
        (data / "node.db").chmod(0o644)
        (data / "node.toml").chmod(0o640)
        loose = loose_modes(config)
        warning = loose_modes_warning(config)
    finally:
        data.chmod(0o700)
        (data / "node.db").chmod(0o600)
        (data / "node.toml").chmod(0o600)
        backup.unlink()
    assert loose == [f"{data} (mode 0755)", f"{data / 'node.toml'} (mode 0640)",
                     f"{backup} (mode 0644)", f"{data / 'node.db'} (mode 0644)"]
    assert warning is not None and "chmod -R go-rwx" in warning
    assert loose_modes_warning(config) is None


def test_save_config_tightens_a_config_file_that_was_looser(data: Path) -> None:
    config = load_config(data, env={})
    (data / "node.toml").chmod(0o644)
    save_config(config)
    assert mode(data / "node.toml") == 0o600
