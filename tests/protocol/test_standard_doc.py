"""docs/standard.md and the code agree on the tables another team will implement from."""

from __future__ import annotations

import re
from pathlib import Path

from protocol.messages import ANSWERS_FOR
from protocol.policy import DEFAULT_POLICY, POLICY_BOUNDS
from protocol.reasons import FINALITY

DOC = (Path(__file__).resolve().parents[2] / "docs" / "standard.md").read_text(encoding="utf-8")


def _rows(pattern: str) -> list[tuple[str, ...]]:
    return re.findall(pattern, DOC, flags=re.MULTILINE)


def test_reason_code_table_matches_the_code() -> None:
    rows = _rows(r"^\| `([a-z_]+)` \| (final|temporary) \|")
    assert dict(rows) == {code.value: finality.value for code, finality in FINALITY.items()}
    assert len(rows) == len(FINALITY)


def test_policy_table_matches_the_code() -> None:
    rows = _rows(r"^\| `([a-z_]+)` \| ([\d ]+) \| ([\d ]+) \| ([\d ]+)")

    def number(text: str) -> int:
        return int(text.replace(" ", ""))

    table = {
        name: (number(low), number(high), number(default)) for name, low, high, default in rows
    }
    assert table == {
        name: (*POLICY_BOUNDS[name], getattr(DEFAULT_POLICY, name)) for name in POLICY_BOUNDS
    }


def test_answer_table_matches_the_code() -> None:
    rows = _rows(r"^\| `([a-z_.]+)` \| (`[a-z_.]+`(?:, `[a-z_.]+`)*) \|$")
    table = {request: frozenset(re.findall(r"`([a-z_.]+)`", answers)) for request, answers in rows}
    assert table == ANSWERS_FOR
