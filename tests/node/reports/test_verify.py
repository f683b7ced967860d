"""`verify-report` offline: it passes on a fresh report and fails, naming why, after any edit of
report.json, report.html or report.csv, after a statement signed by another node is swapped in,
and when the directory lacks the signer."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from node.reports.evidence import unsigned
from node.reports.verify import ReportInvalid, verify_report
from protocol.canonical import canonical_bytes
from protocol.directory import Directory, decode_directory
from protocol.signing import SigningKey, sign_object
from tests.node.reports.conftest import GZ, NJ, SH, Reports, hub_map, refigure
from tests.support import AUTHORITY, FEDERATION_ID, directory_document, node_key


def problems(path: Path, reports: Reports, directory: Directory | None = None) -> str:
    with pytest.raises(ReportInvalid) as caught:
        verify_report(path, directory=directory or reports.directory)
    return " | ".join(caught.value.problems)


def edit_byte(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] = ord("7") if raw[offset] != ord("7") else ord("3")
    path.write_bytes(bytes(raw))


def offset_of(path: Path, text: str, occurrence: int = 0) -> int:
    raw = path.read_bytes()
    at = -1
    for _ in range(occurrence + 1):
        at = raw.index(text.encode(), at + 1)
    return at + len(text)  # the first byte of the value after `text`


def test_fresh_reports_verify_from_any_of_their_three_files(reports: Reports) -> None:
    for folder in (reports.node_dir, reports.federation_dir):
        for name in ("report.json", "report.html", "report.csv"):
            assert verify_report(folder / name, directory=reports.directory).path == \
                folder / "report.json"


@pytest.mark.parametrize("where", [
    '"closing_position_minutes":',  # inside the first embedded statement
    '"net_position_minutes":',  # a stated total
    '"issued_at_ms":',  # the first document's time
    '"signatures":{"',  # a signer's name
])
def test_a_changed_byte_at_a_named_place_fails(reports: Reports, federation_copy: Path,
                                               where: str) -> None:
    edit_byte(federation_copy, offset_of(federation_copy, where))
    assert problems(federation_copy, reports)


def test_a_changed_byte_anywhere_fails(reports: Reports, node_copy: Path,
                                       federation_copy: Path) -> None:
    rng = random.Random(5)
    for path in (node_copy, federation_copy):
        original = path.read_bytes()
        for offset in sorted(rng.sample(range(len(original)), 25)):
            edit_byte(path, offset)
            if path.read_bytes() != original:
                assert problems(path, reports), offset
            path.write_bytes(original)
        verify_report(path, directory=reports.directory)


def test_an_added_space_is_not_the_canonical_encoding(reports: Reports, node_copy: Path) -> None:
    raw = node_copy.read_bytes()
    node_copy.write_bytes(raw[:1] + b" " + raw[1:])
    assert "not its canonical encoding (first difference at byte 1)" in problems(node_copy,
                                                                                   reports)


@pytest.mark.parametrize("name", ["report.html", "report.csv"])
def test_an_edited_page_or_table_fails(reports: Reports, node_copy: Path, name: str) -> None:
    sibling = node_copy.with_name(name)
    sibling.write_text(sibling.read_text(encoding="utf-8").replace("total", "tota1", 1),
                       encoding="utf-8")
    assert f"{name} is not the file the report was written with" in problems(node_copy, reports)
    assert problems(sibling, reports)  # named by the edited file itself, too


def resign(path: Path, document: dict, signer: str, key: SigningKey) -> None:
    path.write_bytes(canonical_bytes(sign_object(unsigned(document), signer=signer, key=key)))


def test_a_statement_signed_by_another_node_swapped_in_fails(reports: Reports,
                                                             federation_copy: Path) -> None:
    document = json.loads(federation_copy.read_bytes())
    embedded = {e["node"]: e for e in document["node_reports"]}
    gz_about_nj = next(w for w in embedded[GZ]["report"]["windows"] if w["peer"] == NJ)
    sh_report = embedded[SH]["report"]
    sh_about_nj = next(w for w in sh_report["windows"] if w["peer"] == NJ)
    sh_about_nj["statement"] = gz_about_nj["statement"]  # validly signed, by GZ
    # Re-signed by SH and by the compiler, so only the embedded evidence can tell.
    embedded[SH]["report"] = sign_object(unsigned(sh_report), signer=SH, key=node_key(SH))
    resign(federation_copy, document, FEDERATION_ID, AUTHORITY)
    found = problems(federation_copy, reports)
    assert "sh-pudong→nj-gulou statement: signature by sh-pudong: missing_signature" in found


def test_a_signed_report_stating_a_wrong_total_fails_on_recomputation(
        reports: Reports, node_copy: Path, federation_copy: Path) -> None:
    node_doc = json.loads(node_copy.read_bytes())
    node_doc["liability"]["totals"]["outstanding_minutes"] += 60
    resign(node_copy, node_doc, SH, node_key(SH))
    node_copy.with_name("report.csv").unlink()
    node_copy.with_name("report.html").unlink()
    assert "liability totals: the report states" in problems(node_copy, reports)
    fed_doc = json.loads(federation_copy.read_bytes())
    fed_doc["nets"][0]["net_position_minutes"] -= 1
    fed_doc["links"][2]["matched"] = True
    resign(federation_copy, fed_doc, FEDERATION_ID, AUTHORITY)
    found = problems(federation_copy, reports)
    assert "nets: the report states" in found and "links: the report states" in found


def test_a_directory_without_the_signer_fails(reports: Reports) -> None:
    without_sh = decode_directory(directory_document([NJ, GZ]))
    found = problems(reports.node_dir / "report.json", reports, without_sh)
    assert "signature by sh-pudong: unknown_sender" in found
    found = problems(reports.federation_dir / "report.json", reports, without_sh)
    assert "sh-pudong→gz-nansha statement: signature by sh-pudong: unknown_sender" in found


def test_an_edit_inside_an_embedded_node_report_fails_even_re_signed(
        reports: Reports, federation_copy: Path) -> None:
    document = json.loads(federation_copy.read_bytes())
    embedded = {e["node"]: e for e in document["node_reports"]}
    nj = embedded[NJ]["report"]
    nj["liability"]["rows"][0]["outstanding_minutes"] += 60  # the aggregates follow it
    nj["liability"]["totals"]["outstanding_minutes"] += 60
    document["aggregates"]["liability"]["rows"][0]["outstanding_minutes"] += 60
    resign(federation_copy, document, FEDERATION_ID, AUTHORITY)
    found = problems(federation_copy, reports)
    assert "nj-gulou node report: the report: signature by nj-gulou: bad_signature" in found
    # Re-signed by NJ itself, the node's own totals still contradict its checkpoint.
    embedded[NJ]["report"] = sign_object(unsigned(nj), signer=NJ, key=node_key(NJ))
    resign(federation_copy, document, FEDERATION_ID, AUTHORITY)
    found = problems(federation_copy, reports)
    assert ("nj-gulou node report: outstanding hours against the checkpoint's member total"
            in found)


def test_a_changed_aggregate_or_a_swapped_node_report_fails_even_re_signed(
        reports: Reports, federation_copy: Path) -> None:
    original = json.loads(federation_copy.read_bytes())
    document = json.loads(federation_copy.read_bytes())
    document["aggregates"]["activity"]["totals"]["redeemed_minutes"] += 1
    document["aggregates"]["discrepancies"]["by_node"][0]["open"] += 1
    resign(federation_copy, document, FEDERATION_ID, AUTHORITY)
    found = problems(federation_copy, reports)
    assert "aggregates.activity: the report states" in found
    assert "aggregates.discrepancies: the report states" in found
    swapped = json.loads(json.dumps(original))
    reports_by_node = {e["node"]: e for e in swapped["node_reports"]}
    reports_by_node[SH]["report"] = reports_by_node[GZ]["report"]  # validly signed, by GZ
    resign(federation_copy, swapped, FEDERATION_ID, AUTHORITY)
    assert "not sh-pudong's node report" in problems(federation_copy, reports)
    dropped = json.loads(json.dumps(original))
    dropped["node_reports"] = [e for e in dropped["node_reports"] if e["node"] != GZ]
    resign(federation_copy, dropped, FEDERATION_ID, AUTHORITY)
    assert "every node asked must appear once in node_reports" in problems(federation_copy,
                                                                            reports)


def with_hubs(path: Path, link_map: dict | None) -> dict:
    """The report at `path` with `link_map` embedded and its settlement figures stated, as a
    compiler holding that map would sign it."""
    document = json.loads(path.read_bytes())
    document["link_map"] = link_map
    refigure(document)
    resign(path, document, FEDERATION_ID, AUTHORITY)
    return document


def test_a_changed_hub_figure_fails_even_re_signed(reports: Reports,
                                                   federation_copy: Path) -> None:
    document = with_hubs(federation_copy, hub_map(reports.directory))
    verified = verify_report(federation_copy, directory=reports.directory)
    assert "link map serial 1 with 1 hub(s)" in verified.summary
    assert [h["node"] for h in document["settlement"]["hubs"]] == [SH]
    document["settlement"]["hubs"][0]["replaced_minutes"] += 1
    resign(federation_copy, document, FEDERATION_ID, AUTHORITY)
    assert "settlement: the report states" in problems(federation_copy, reports)
    document["settlement"]["hubs"][0]["replaced_minutes"] -= 1
    document["settlement"]["totals"]["multilateral_minutes"] -= 5
    resign(federation_copy, document, FEDERATION_ID, AUTHORITY)
    assert "settlement: the report states" in problems(federation_copy, reports)
    document["settlement"]["totals"]["multilateral_minutes"] += 5
    document["settlement"]["hubs"] = []  # the map's hub left out
    resign(federation_copy, document, FEDERATION_ID, AUTHORITY)
    assert "settlement: the report states" in problems(federation_copy, reports)


def test_a_link_map_no_node_would_accept_fails(reports: Reports, federation_copy: Path) -> None:
    with_hubs(federation_copy, hub_map(reports.directory, key=node_key(SH)))
    assert "link_map: refused against the directory: unknown_key" in problems(federation_copy,
                                                                               reports)


def test_a_report_made_before_hubs_verifies_and_half_of_the_hub_members_fails(
        reports: Reports, federation_copy: Path) -> None:
    document = json.loads(federation_copy.read_bytes())
    assert document["link_map"] is None and document["settlement"]["hubs"] == []
    older = {k: v for k, v in document.items() if k not in ("link_map", "settlement")}
    resign(federation_copy, older, FEDERATION_ID, AUTHORITY)
    assert "settlement" not in verify_report(federation_copy,
                                             directory=reports.directory).summary
    resign(federation_copy, {**older, "link_map": None}, FEDERATION_ID, AUTHORITY)
    assert "the report lacks settlement" in problems(federation_copy, reports)
