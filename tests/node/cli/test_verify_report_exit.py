"""`hourbridge verify-report` exit codes, through the real entry point (node.cli.main.main, as
the installed command runs it): 0 verified; 1 not verified, the report or the directory it is
checked against (an untrusted or unreadable directory proves nothing); 2 a usage error only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from node.cli.main import main
from tests.node.cli.directory_support import NODES, hb


def exit_code(monkeypatch: pytest.MonkeyPatch, *args: object) -> int:
    monkeypatch.setattr(sys, "argv", ["hourbridge", *(str(a) for a in args)])
    monkeypatch.delenv("HOURBRIDGE_AUTHORITY", raising=False)
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return 0 if code is None else int(code)


def _node_and_authority(root: Path) -> tuple[Path, Path]:
    """A node of its own (a report of a node shared with other tests may reuse a checkpoint
    signed before this test's directory lists its key) and an authority listing it."""
    data, auth = root / "node", root / "authority"
    region, url, name = NODES["sh-pudong"]
    hb("init", "--node-id", "sh-pudong", "--region", region, "--url", url, "--name", name,
       "--data", data)
    hb("directory", "init", "--federation-id", "cn-eldercare", "--authority", auth)
    hb("directory", "add-node", "--authority", auth, "--node-data", data)
    hb("directory", "sign", "--authority", auth)
    return data, auth


def test_verify_report_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    data, auth = _node_and_authority(tmp_path)
    out = tmp_path / "report"
    hb("report", "node", "--data", data, "--out", out)
    report, directory = out / "report.json", auth / "directory.json"
    anchor = hb("directory", "anchor", "--authority", auth).stdout.strip()
    other = tmp_path / "other-authority"
    hb("directory", "init", "--federation-id", "cn-other", "--authority", other)
    stranger = hb("directory", "anchor", "--authority", other).stdout.strip()

    assert exit_code(monkeypatch, "verify-report", report, "--directory", directory,
                     "--anchor", anchor) == 0
    # A directory not signed by the pinned key: nothing it vouches for can be trusted.
    assert exit_code(monkeypatch, "verify-report", report, "--directory", directory,
                     "--anchor", stranger) == 1
    assert "the directory does not verify" in capsys.readouterr().err
    garbled = tmp_path / "garbled.json"
    garbled.write_text('{"kind": "directory"', encoding="utf-8")
    assert exit_code(monkeypatch, "verify-report", report, "--directory", garbled) == 1
    # Usage: no such directory file, an anchor that is not a key, a missing option.
    assert exit_code(monkeypatch, "verify-report", report, "--directory",
                     tmp_path / "missing.json") == 2
    assert exit_code(monkeypatch, "verify-report", report, "--directory", directory,
                     "--anchor", "not-a-key") == 2
    assert exit_code(monkeypatch, "verify-report", report) == 2
    # An edited page beside the report: not verified.
    page = out / "report.html"
    page.write_text(page.read_text(encoding="utf-8").replace("概要", "摘要"), encoding="utf-8")
    assert exit_code(monkeypatch, "verify-report", report, "--directory", directory,
                     "--anchor", anchor) == 1
    assert "report.html is not the file" in capsys.readouterr().err
