"""How an idempotent create answers a retry: 200 instead of 201, and a header that says so."""

from __future__ import annotations

from fastapi import Response

REPLAYED_HEADER = "Idempotent-Replayed"


def mark_replay(response: Response, *, created: bool) -> None:
    """Nothing new was made: the stored result of an identical earlier request is returned."""
    if not created:
        response.status_code = 200
        response.headers[REPLAYED_HEADER] = "true"


def replayed(model: type) -> dict[int | str, dict[str, object]]:
    """`responses=` of a create that answers an identical retry with 200 (`mark_replay`)."""
    return {200: {"model": model, "description": "An identical earlier request: its stored "
                  f"result, with {REPLAYED_HEADER}: true"}}
