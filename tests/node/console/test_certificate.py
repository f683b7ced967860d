"""The printable volunteer-service certificate, from the staff side: issued at the desk, in
Chinese, with a QR code of its verification data and the signed file to save; the file verifies
offline; another station's staff are refused in words."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from node.access import Role
from node.certificates.verify import verify_certificate
from node.console.pages_certificate import QR_PREFIX
from node.reports.evidence import load_directory
from tests.conftest import Api
from tests.node.console.support import fresh_client, log_in, post_form
from tests.support import directory_document

PAGE = "/console/members/wang.fang"


def test_staff_issue_and_print_a_certificate(staff: TestClient, api: Api,
                                             tmp_path: Path) -> None:
    assert 'action="/console/members/wang.fang/certificate"' in staff.get(PAGE).text
    page = post_form(staff, f"{PAGE}/certificate", PAGE)
    assert page.status_code == 200, page.text
    html = page.text
    assert "王芳 的志愿服务记录证明" in html and "0 小时 0 分" in html and "<svg" in html
    href = re.search(r'id="cert-download" download="[^"]+" href="data:application/json;base64,'
                     r'([A-Za-z0-9+/=]+)"', html)
    assert href is not None
    raw = base64.b64decode(href.group(1))
    document = json.loads(raw)
    assert document["display_name"] == "王芳" and document["member"] == "wang.fang@sh-pudong"
    path = tmp_path / "certificate.json"
    path.write_bytes(raw)
    verified = verify_certificate(path, directory=load_directory(directory_document(
        ["sh-pudong"])))
    assert verified.sha256 in html and document["certificate_id"] in html
    assert QR_PREFIX not in html.split("<svg", 1)[0]  # the data is in the QR, not the text


def test_another_stations_staff_are_refused_in_words(api: Api, staff_token: str) -> None:
    other = fresh_client(api)
    assert log_in(other, api.token("staff-h", Role.STAFF, station="huamu")).status_code == 303
    refused = post_form(other, f"{PAGE}/certificate", "/console/members/zhao.lei")
    assert refused.status_code == 403 and "<svg" not in refused.text
