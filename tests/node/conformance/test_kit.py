"""The whole kit in process against a real node: every scenario passes; and a target that
breaks one rule of the HTTP binding or of signing makes the kit fail."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from node.conformance.kit import run
from node.conformance.prepared import NEVER_DRIVEN
from node.conformance.results import Report, Status
from tests.node.conformance.conftest import KitTarget

# Rows that need the operator's fixtures (none given here: tests/node/conformance/
# test_prepared.py gives them) and the codes no peer can drive.
PREPARED_ROWS = {
    "signed with a key of the sender not valid at the signing time",
    "the sender is suspended in the directory", "the sender is retired in the directory",
    "a creditor who may not receive", "a creditor at her balance cap",
    "a credit class the target does not take so",
    "a member of the target moved away; a prepare to her old address: creditor_relocated"}
NEVER_DRIVEN_ROWS = {code for code, _ in NEVER_DRIVEN}


def _through(target: KitTarget, tamper: Callable[[httpx.Response], httpx.Response]) -> Report:
    """Run the kit against the node with every answer passed through `tamper`."""

    def handler(request: httpx.Request) -> httpx.Response:
        answer = target.client.request(request.method, request.url.path,
                                       content=request.content, headers=request.headers)
        return tamper(httpx.Response(answer.status_code, content=answer.content,
                                     headers=answer.headers, request=request))

    with httpx.Client(base_url="http://testserver",
                      transport=httpx.MockTransport(handler)) as http:
        return run(target.config, http=http, now_ms=target.clock.now_ms)


def _failed(report: Report) -> set[str]:
    return {c.scenario for c in report.checks if c.status is Status.FAIL}


def test_every_scenario_passes_against_the_reference_node(kit_target: KitTarget) -> None:
    report = run(kit_target.config, http=kit_target.client, now_ms=kit_target.clock.now_ms)
    assert _failed(report) == set(), [c for c in report.checks if c.status is Status.FAIL]
    assert report.passed()
    assert report.count(Status.PASS) >= 60
    assert {c.scenario for c in report.checks if c.status is Status.NOT_RUN} == {
        "approval: a service_payment prepare from the target",
        "the target pays a member of the kit", *PREPARED_ROWS, *NEVER_DRIVEN_ROWS}
    sections = [section for section, _ in report.sections()]
    assert {"§5.4 admission", "§6.3 hash chain", "§9.2 prepare checks", "§9.4 status query",
            "§10 relocation", "§20 settlement"} <= set(sections)


def test_problems_without_a_reason_fail_every_refusal(kit_target: KitTarget) -> None:
    def strip_reason(answer: httpx.Response) -> httpx.Response:
        if answer.status_code < 400:
            return answer
        body = {k: v for k, v in answer.json().items() if k != "reason"}
        return httpx.Response(answer.status_code, json=body)

    report = _through(kit_target, strip_reason)
    assert not report.passed()
    assert {"changed after signing", "signed after now + skew",
            "a co-signed window is never reopened: sequence_replayed"} <= _failed(report)
    assert "a prepare to a member commits" not in _failed(report)


def test_a_response_changed_on_the_way_fails_and_stops_the_transfers(
        kit_target: KitTarget) -> None:
    def change_time(answer: httpx.Response) -> httpx.Response:
        if not answer.request.url.path.endswith("/transactions") or answer.status_code != 200:
            return answer
        document = json.loads(answer.content)
        document["created_at_ms"] += 1  # the signature no longer covers it
        return httpx.Response(200, content=json.dumps(document).encode())

    report = _through(kit_target, change_time)
    failed = _failed(report)
    assert {"a prepare to a member commits", "window 2: four more transfers commit"} <= failed
    assert {c.scenario for c in report.checks if c.status is Status.NOT_RUN} >= {
        "replays of the first transfer", "sequence gap", "window 3 (dispute)"}
    assert not report.passed()


def test_a_target_that_answers_nonsense_fails_without_stopping_the_kit(
        kit_target: KitTarget) -> None:
    def nonsense(answer: httpx.Response) -> httpx.Response:
        if answer.request.url.path.endswith("/transactions"):
            return httpx.Response(200, content=b'[{"outcome": "accepted"}]')
        return answer

    report = _through(kit_target, nonsense)
    failed = _failed(report)
    assert {"a prepare to a member commits", "not JSON", "no such creditor",
            "a valid statement message: unsupported_message_type",
            "a request to a member of the target: ack"} <= failed
    assert report.checks[-1].section == "§20 settlement"  # it ran to the end
