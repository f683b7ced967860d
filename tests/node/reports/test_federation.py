"""The multilateral view over HTTP: every node's signed statements collected with a regulator
token, net positions against the federation, and every unmatched pair."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from node.reports.verify import verify_report
from protocol.envelope import verify_evidence
from tests.factories import ADMIN
from tests.node.reports.conftest import GZ, NJ, SH, Reports, federation_report, regulator_tokens


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_nets_are_each_nodes_positions_summed_and_the_disputed_link_is_unmatched(
        reports: Reports) -> None:
    document = load(reports.federation_dir / "report.json")
    assert document["failures"] == []
    assert [c["node"] for c in document["collected"]] == [GZ, NJ, SH]
    nets = {n["node"]: n["net_position_minutes"] for n in document["nets"]}
    # SH owes NJ 10 and GZ owes SH 35 (matched); on the disputed link SH says it paid 30, NJ
    # says it received 300.
    assert nets == {SH: 35 - 10 - 30, NJ: 10 + 300 - 20, GZ: 20 - 35}
    assert document["totals"] == {"net_position_minutes": sum(nets.values()), "links": 3,
                                  "matched": 2, "unmatched": 1}
    links = {(link["a"], link["b"]): link for link in document["links"]}
    assert links[(GZ, NJ)]["matched"] and links[(GZ, SH)]["matched"]
    disputed = links[(NJ, SH)]
    assert not disputed["matched"]
    assert {"disputed at nj-gulou", "disputed at sh-pudong", "statements differ: entries",
            "no co-signed record at nj-gulou and sh-pudong"} <= set(disputed["reasons"])


def test_matched_links_net_to_zero_between_their_two_nodes(reports: Reports) -> None:
    document = load(reports.federation_dir / "report.json")
    position = {(p["node"], p["peer"]): p["closing_position_minutes"]
                for p in document["positions"]}
    for a, b in ((GZ, NJ), (GZ, SH)):
        assert position[(a, b)] == -position[(b, a)]
    assert position[(SH, NJ)] != -position[(NJ, SH)]


def test_every_collected_statement_is_embedded_verbatim_and_verifies(reports: Reports) -> None:
    document = load(reports.federation_dir / "report.json")
    for entry in document["collected"]:
        served = reports.fed.nodes[entry["node"]].reconciler.statements(ADMIN)["windows"]
        for window, original in zip(entry["windows"], served, strict=True):
            assert window["statement"] == original["statement"]
            assert window["record"] == original["record"]
            verify_evidence(window["statement"], directory=reports.directory,
                            time_member="issued_at_ms", signer=entry["node"])
    verified = verify_report(reports.federation_dir / "report.json",
                             directory=reports.directory)
    assert "3 links (2 matched, 1 unmatched)" in verified.summary


def test_a_node_without_a_token_is_named_and_its_links_are_unmatched(reports: Reports,
                                                                      tmp_path: Path) -> None:
    tokens = regulator_tokens(reports.fed)
    del tokens[GZ]
    tokens[NJ] = "hb_not-a-token"
    path, document = federation_report(reports.fed, tmp_path, tokens=tokens)
    failures = {f["node"]: f["error"] for f in document["failures"]}
    assert failures[GZ] == "no regulator token for gz-nansha"
    assert failures[NJ].startswith("HTTP 401")
    assert [c["node"] for c in document["collected"]] == [SH]
    assert document["totals"]["matched"] == 0
    assert any("no verified statements from gz-nansha" in r
               for link in document["links"] for r in link["reasons"])
    verify_report(path, directory=reports.directory)


def test_a_node_serving_a_forged_statement_is_not_collected(reports: Reports,
                                                            tmp_path: Path) -> None:
    network = reports.fed.network
    original = network.apps[GZ]

    async def forging(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/statements"):
            return await original(scope, receive, send)
        body = bytearray()

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if message.get("more_body"):
                    return None
                answer = json.loads(body)
                answer["windows"][0]["statement"]["closing_position_minutes"] += 1
                forged = json.dumps(answer).encode()
                return await send({"type": "http.response.body", "body": forged})
            if message["type"] == "http.response.start":
                message = {**message, "headers": [h for h in message["headers"]
                                                  if h[0] != b"content-length"]}
            return await send(message)
        return await original(scope, receive, capture)

    network.apps[GZ] = forging
    try:
        _, document = federation_report(reports.fed, tmp_path)
    finally:
        network.apps[GZ] = original
    failures = {f["node"]: f["error"] for f in document["failures"]}
    assert "bad_signature" in failures[GZ]
    assert GZ not in [c["node"] for c in document["collected"]]
