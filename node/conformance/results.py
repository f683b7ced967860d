"""What the kit found: one check per scenario, grouped by section of the standard."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SECTION_NUMBER = re.compile(r"^§(\d+)(?:\.(\d+))?")


def section_order(section: str) -> tuple[int, int]:
    """"§9.2 prepare checks" -> (9, 2); a section without a number goes last."""
    found = SECTION_NUMBER.match(section)
    if found is None:
        return (1_000, 0)
    return (int(found.group(1)), int(found.group(2) or 0))


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_RUN = "not run"  # never counted as a pass: the kit could not or did not try


@dataclass(frozen=True)
class Check:
    section: str  # e.g. "§9.2 prepare checks"
    scenario: str
    status: Status
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"section": self.section, "scenario": self.scenario,
                "status": self.status.value, "detail": self.detail}


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    def record(self, section: str, scenario: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(section, scenario, Status.PASS if ok else Status.FAIL, detail))
        return ok

    def not_run(self, section: str, scenario: str, why: str) -> None:
        self.checks.append(Check(section, scenario, Status.NOT_RUN, why))

    def passed(self) -> bool:
        """True when no check failed and at least one passed. A check not run is listed, and
        counted apart, but does not fail the run: the kit cannot drive every scenario against
        every target (docs/decisions.md, "Conformance kit (issue 16)")."""
        statuses = {check.status for check in self.checks}
        return Status.PASS in statuses and Status.FAIL not in statuses

    def count(self, status: Status) -> int:
        return sum(check.status is status for check in self.checks)

    def sections(self) -> list[tuple[str, dict[Status, int]]]:
        """Per section, in the standard's order, how many checks ended in each status."""
        counts: dict[str, dict[Status, int]] = {}
        for check in self.checks:
            tally = counts.setdefault(check.section, dict.fromkeys(Status, 0))
            tally[check.status] += 1
        return sorted(counts.items(), key=lambda item: section_order(item[0]))

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed(), "checks": [c.to_json() for c in self.checks]}
