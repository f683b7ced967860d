"""The volunteer's certificate from the personal centre (/me/certificate): he asks, it is
signed and shown once with its QR code; a delegate asks for the member he acts for."""

from __future__ import annotations

import base64
import json
import re

from tests.node.centre.conftest import CAROL_PIN, CHEN_PIN, Home, serve
from tests.node.centre.test_home import text_of
from tests.node.people.support import SAM_PIN


def test_the_volunteer_issues_and_prints_his_certificate(home: Home) -> None:
    serve(home, "r-c1", minutes=75)
    home.clock.advance(60_000)  # the period ends when it is issued: a visit paid before
    chen = home.signed_in("chen", CHEN_PIN)
    page = chen.get("/me/certificate")
    assert page.status_code == 200 and 'id="cert-request"' in page.text
    assert "<script" not in page.text
    issued = chen.post_form("/me/certificate", "/me/certificate")
    assert issued.status_code == 303, issued.text
    shown = chen.get(issued.headers["location"])
    assert shown.status_code == 200, shown.text
    words = text_of(shown.text)
    assert "陈志强" in words and "1 小时 15 分" in words, words
    assert '<svg' in shown.text and 'id="cert-qr"' in shown.text
    link = re.search(r'id="cert-download" download="[^"]+" href="data:application/json;base64,'
                     r'([^"]+)"', shown.text)
    assert link is not None
    document = json.loads(base64.b64decode(link.group(1)))
    assert document["member"].startswith("chen@") and document["total_minutes"] == 75
    assert document["evaluations"] == {"rated_visits": 1, "average_rating_tenths": 50}
    assert "<script" not in shown.text
    again = chen.get("/me/certificate")  # shown once: a reload shows the button again
    assert 'id="cert-request"' in again.text and 'id="cert-qr"' not in again.text


def test_a_delegate_asks_for_her_and_a_stranger_is_refused(home: Home) -> None:
    sam = home.signed_in("sam", SAM_PIN)
    issued = sam.post_form("/me/certificate", "/me/certificate?for=alice", **{"for": "alice"})
    assert issued.status_code == 303, issued.text
    shown = sam.get(issued.headers["location"])
    assert "Alice" in text_of(shown.text) and "alice@" in shown.text
    carol = home.signed_in("carol", CAROL_PIN)
    refused = carol.get("/me/certificate?for=alice")
    assert refused.status_code == 403
