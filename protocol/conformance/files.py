"""The exact file set of schemas/vectors/, as text, so that writing it is deterministic."""

from __future__ import annotations

import json
from typing import Any

from protocol.conformance.encoding import encoding_vectors
from protocol.conformance.links import links_negative_vectors, links_positive_vector
from protocol.conformance.negative import transaction_negative_vectors
from protocol.conformance.negative_directory import directory_negative_vectors
from protocol.conformance.negative_reconciliation import reconciliation_negative_vectors
from protocol.conformance.negative_response import (
    free_answer_ids_vector,
    response_negative_vectors,
)
from protocol.conformance.pins import pin_negative_vectors, pin_positive_vectors
from protocol.conformance.reconciliation import (
    descent_vector,
    exchange_vectors,
    merkle_vector,
    relocation_leaf_vector,
)
from protocol.conformance.routed import (
    delivered_negative_vectors,
    leg_negative_vectors,
    routed_positive_vectors,
)
from protocol.conformance.vectors import keys_vector, positive_vectors


def _render(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_vector_files() -> dict[str, str]:
    """Relative path -> file text for every generated vector file."""
    files = {"keys.json": _render(keys_vector())}
    for name, vector in positive_vectors().items():
        files[f"positive/{name}.json"] = _render(vector)
    for name, vector in transaction_negative_vectors().items():
        files[f"negative/transaction/{name}.json"] = _render(vector)
    for name, vector in directory_negative_vectors().items():
        files[f"negative/directory/{name}.json"] = _render(vector)
    for name, vector in exchange_vectors().items():
        files[f"positive/{name}.json"] = _render(vector)
    files["positive/reconciliation/merkle_root.json"] = _render(merkle_vector())
    files["positive/reconciliation/descent.json"] = _render(descent_vector())
    files["positive/reconciliation/relocation_leaf.json"] = _render(relocation_leaf_vector())
    for name, vector in reconciliation_negative_vectors().items():
        files[f"negative/reconciliation/{name}.json"] = _render(vector)
    files["positive/links.json"] = _render(links_positive_vector())
    for name, vector in links_negative_vectors().items():
        files[f"negative/links/{name}.json"] = _render(vector)
    return {**files, **_pin_files(), **_routed_files()}


def _routed_files() -> dict[str, str]:
    """A transfer routed through a hub (§22.4, protocol/conformance/routed.py)."""
    files = {
        f"positive/routed/{name}.json": _render(vector)
        for name, vector in routed_positive_vectors().items()
    }
    for name, vector in leg_negative_vectors().items():
        files[f"negative/transaction/{name}.json"] = _render(vector)
    for name, vector in delivered_negative_vectors().items():
        files[f"negative/routed/{name}.json"] = _render(vector)
    return files


def _pin_files() -> dict[str, str]:
    """The vectors that pin the edges of §3-§14 (protocol/conformance/pins.py and friends)."""
    files = {f"{name}.json": _render(vector) for name, vector in encoding_vectors().items()}
    for name, vector in pin_positive_vectors().items():
        files[f"positive/pins/{name}.json"] = _render(vector)
    files["positive/pins/answer_ids_free.json"] = _render(free_answer_ids_vector())
    for name, vector in pin_negative_vectors().items():
        files[f"negative/transaction/{name}.json"] = _render(vector)
    for name, vector in response_negative_vectors().items():
        files[f"negative/response/{name}.json"] = _render(vector)
    return files
