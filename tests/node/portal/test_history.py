"""The history of federation reports: made from real (in-process) nodes, kept as signed files in
private dated folders, read back verified; an edited file or a tampered node report shows."""

from __future__ import annotations

import json
import stat

import pytest

from node.cli.authority import LINKS_FILE
from node.errors import ConfigError, NotFound
from node.portal import view
from node.portal.folder import LINK_MAP_FILE
from node.portal.history import FILES, REPORT_ID
from node.portal.web import Portal
from protocol.directory import decode_directory
from protocol.links import sign_links
from protocol.signing import SigningKey
from tests.federation import Federation
from tests.node.portal.conftest import NJ, SH
from tests.support import AUTHORITY


def test_a_report_is_kept_signed_in_a_private_dated_folder_and_answers_in_words(
        fed_portal: tuple[Federation, Portal]) -> None:
    _, portal = fed_portal
    kept = portal.maker.make("test")
    assert REPORT_ID.fullmatch(kept.id) and kept.id.startswith("2026-")
    assert kept.problems == ()
    assert stat.S_IMODE(kept.folder.stat().st_mode) == 0o700
    for name in FILES:
        assert stat.S_IMODE((kept.folder / name).stat().st_mode) == 0o600, name
    assert kept.document["signatures"].keys() == {"cn-test"}
    assert portal.history.ids() == [kept.id]
    assert not [p for p in portal.history.root.iterdir() if p.name.startswith(".")]
    top = view.headline(kept, view.directory_names(kept))
    assert top.sentences == (f"{SH} 欠 {NJ} 8 小时",)
    assert top.outstanding_minutes == 2 * 600
    assert (top.status, top.status_words, top.reasons) == ("ok", "正常", ())


def test_an_edited_file_in_the_history_shows_as_not_verified(
        fed_portal: tuple[Federation, Portal]) -> None:
    _, portal = fed_portal
    kept = portal.maker.make("test")
    csv_path = kept.folder / "report.csv"
    csv_path.write_text(csv_path.read_text() + "\nextra,row\n")
    again = portal.history.read(kept.id)
    assert any("report.csv" in p for p in again.problems)
    (kept.folder / "report.html").unlink()
    assert "report.html is missing" in portal.history.read(kept.id).problems
    top = view.headline(again, view.directory_names(again))
    assert top.status_words == "需关注"
    assert top.reasons[0].startswith("本地保存的报告文件未通过核验")


def test_a_node_answering_with_a_report_signed_by_another_key_shows_the_reason(
        fed_portal: tuple[Federation, Portal], monkeypatch: pytest.MonkeyPatch) -> None:
    fed, portal = fed_portal
    impostor = SigningKey.from_seed(b"not bj-chaoyang".ljust(32, b"\0"))
    monkeypatch.setattr(fed.nodes[NJ].signer, "key", lambda: impostor)
    kept = portal.maker.make("test")
    assert kept.problems == ()  # the federation report itself is sound: it names the failure
    top = view.headline(kept, view.directory_names(kept))
    assert top.status == "attention"
    assert any(r.startswith(f"{NJ} 未能收集节点报告") for r in top.reasons), top.reasons
    rows = {r["node"]: r for r in view.node_rows(kept.document, {})}
    assert rows[NJ]["failed"] and not rows[SH]["failed"]


def test_only_the_kept_files_can_be_fetched(fed_portal: tuple[Federation, Portal]) -> None:
    _, portal = fed_portal
    kept = portal.maker.make("test")
    assert portal.maker.due() is False
    assert json.loads(portal.history.file(kept.id, "report.json").read_text())["kind"] \
        == "report.federation"
    for rid, name in ((kept.id, "../portal.json"), ("../x", "report.json"),
                      ("2026-01-01T000000000Z", "report.json")):
        with pytest.raises(NotFound):
            portal.history.file(rid, name)


def test_a_report_embeds_the_authority_folders_link_map(
        fed_portal: tuple[Federation, Portal]) -> None:
    federation, portal = fed_portal
    assert LINK_MAP_FILE == LINKS_FILE
    held = decode_directory(federation.directory)
    body = {"hops_max": 1, "links": [{"a": NJ, "b": SH, "a_cap_minutes": 600,
                                      "b_cap_minutes": 600}]}
    signed = sign_links(body, authority=AUTHORITY, directory=held, serial=1,
                        issued_at_ms=held.issued_at_ms)
    authority = portal.folder.settings().authority
    authority.mkdir()
    (authority / LINK_MAP_FILE).write_text(json.dumps(signed), encoding="utf-8")
    kept = portal.maker.make("test")
    assert kept.problems == ()
    assert kept.document["link_map"] == signed
    assert kept.document["settlement"]["hubs"] == []  # one link: no node has two
    (authority / LINK_MAP_FILE).write_text(json.dumps({**signed, "serial": 2}),
                                           encoding="utf-8")
    with pytest.raises(ConfigError, match="refused against the directory: bad_signature"):
        portal.maker.make("test")
