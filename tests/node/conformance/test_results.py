"""The report: a run conforms when no check failed and one passed; not run is never a pass."""

from __future__ import annotations

from node.conformance.results import Report, Status


def test_a_failure_fails_the_run_and_not_run_does_not_pass_it() -> None:
    report = Report()
    assert not report.passed()  # nothing ran
    report.not_run("§9 transfer", "the other way", "no listener")
    assert not report.passed()  # nothing passed
    report.record("§9 transfer", "commits", True, "receipt")
    assert report.passed()
    report.record("§5.4 admission", "bad signature", False, "accepted")
    assert not report.passed()
    assert report.count(Status.NOT_RUN) == 1 and report.count(Status.FAIL) == 1


def test_sections_come_in_the_standards_order_and_count_each_status() -> None:
    report = Report()
    report.record("§20 settlement", "w", True, "")
    report.record("§9 transfer", "a", True, "")
    report.record("§5.4 admission", "b", False, "")
    report.not_run("§9 transfer", "c", "why")
    report.record("§9.2 prepare checks", "d", True, "")
    assert [section for section, _ in report.sections()] == [
        "§5.4 admission", "§9 transfer", "§9.2 prepare checks", "§20 settlement"]
    assert dict(report.sections())["§9 transfer"] == {Status.PASS: 1, Status.FAIL: 0,
                                                      Status.NOT_RUN: 1}
    assert report.to_json()["checks"][3] == {"section": "§9 transfer", "scenario": "c",
                                             "status": "not run", "detail": "why"}
