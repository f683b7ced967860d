"""`hourbridge report node|federation` and `hourbridge verify-report` as a regulator runs them,
on real node folders and a directory signed by a real authority folder."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from node.cli.main import app
from tests.node.cli.directory_support import CLEAN_ENV, hb, hb_refuses


def run(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env=CLEAN_ENV)


def test_a_node_report_verifies_and_an_edit_is_named(node_data: dict[str, Path], auth: Path,
                                                     tmp_path: Path) -> None:
    hb("report", "node", "--data", node_data["sh-pudong"], "--out", tmp_path)
    directory = auth / "directory.json"
    anchor = hb("directory", "anchor", "--authority", auth).stdout.strip()

    ok = run("verify-report", tmp_path / "report.html", "--directory", directory,
             "--anchor", anchor)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("verified: report.node signed by sh-pudong")
    assert "warning" not in ok.output
    # Without a pinned key the directory vouched for itself: the verifier is told which key.
    unpinned = run("verify-report", tmp_path / "report.json", "--directory", directory)
    assert unpinned.exit_code == 0, unpinned.output
    assert "not a pinned one" in unpinned.output
    assert anchor.partition("=")[0] in unpinned.output

    page = tmp_path / "report.html"
    page.write_bytes(page.read_bytes().replace(b"</body>", b"<p>ok</p></body>"))
    failed = run("verify-report", tmp_path / "report.json", "--directory", directory)
    assert failed.exit_code == 1
    assert "report.html is not the file the report was written with" in failed.output


def test_a_federation_report_names_the_nodes_it_could_not_reach(
        node_data: dict[str, Path], auth: Path, tmp_path: Path) -> None:
    directory = auth / "directory.json"
    # No node is serving: every node is named, with why, and the report still verifies.
    made = hb("report", "federation", "--directory", directory, "--authority", auth,
              "--node", "sh-pudong=hb_token", "--out", tmp_path)
    assert "3 nodes (3 not collected)" in made.stdout
    assert "no regulator token for nj-gulou" in made.output
    ok = run("verify-report", tmp_path / "report.json", "--directory", directory)
    assert ok.exit_code == 0, ok.output
    assert "signed by cn-eldercare" in ok.stdout


def test_only_the_federation_authority_signs_a_federation_report(
        auth: Path, node_data: dict[str, Path], tmp_path: Path) -> None:
    as_node = run("report", "federation", "--directory", auth / "directory.json",
                  "--data", node_data["sh-pudong"], "--out", tmp_path)
    assert as_node.exit_code == 2 and "No such option: --data" in as_node.output
    unsigned = run("report", "federation", "--directory", auth / "directory.json",
                   "--out", tmp_path)
    assert unsigned.exit_code == 2 and "--authority" in unsigned.output
    assert hb_refuses("report", "federation", "--directory", auth / "directory.json",
                      "--authority", auth, "--node", "sh-pudong", "--out", tmp_path) == \
        "--node 'sh-pudong': expected NODE_ID=TOKEN"


def test_verify_report_without_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    detail = hb_refuses("verify-report", tmp_path / "report.json", "--directory",
                        tmp_path / "missing.json")
    assert detail.startswith("directory ") and detail.endswith("not found")


def test_a_federation_report_takes_the_link_map_of_the_authority_folder(
        node_data: dict[str, Path], auth: Path, tmp_path: Path) -> None:
    directory = auth / "directory.json"
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"hops_max": 2, "links": [
        {"a": "hz-xihu", "b": "nj-gulou", "a_cap_minutes": 600, "b_cap_minutes": 600},
        {"a": "nj-gulou", "b": "sh-pudong", "a_cap_minutes": 600, "b_cap_minutes": 600}]}))
    hb("directory", "link-map", "sign", body, "--authority", auth)
    made = hb("report", "federation", "--directory", directory, "--authority", auth,
              "--out", tmp_path / "report")
    assert "settlement (link map serial 1, 1 hub(s))" in made.stdout
    document = json.loads((tmp_path / "report" / "report.json").read_bytes())
    assert document["link_map"] == json.loads((auth / "links.json").read_bytes())
    assert [hub["node"] for hub in document["settlement"]["hubs"]] == ["nj-gulou"]
    ok = run("verify-report", tmp_path / "report" / "report.json", "--directory", directory)
    assert ok.exit_code == 0, ok.output
    assert "link map serial 1 with 1 hub(s)" in ok.stdout
    # A map the report's directory does not back is refused before any node is asked.
    (auth / "links.json").write_text(json.dumps({**document["link_map"], "serial": 7}))
    refused = hb_refuses("report", "federation", "--directory", directory, "--authority", auth,
                         "--out", tmp_path / "again")
    assert "is refused against the directory: bad_signature" in refused
    assert not (tmp_path / "again").exists()
