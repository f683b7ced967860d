"""Giving hours to kin at any node (通存通兑 from the person's own hands), and a transfer's page.

    /me/send                 pick a relative from the kin registry, or type a member number
    /me/send?to=<address>    how much, and a note; the form carries a client id, so sending it
                             twice replays the first result instead of moving hours twice
    /me/transfers/{id}       what happened: delivered, on its way, returned; a button to look
                             again (no automatic reload: nothing moves while someone reads)

The transfer is made by the TransferService the JSON API uses (`POST /api/v1/transfers`), with
the member's Principal: the same checks, policy rules and idempotency.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from node.centre.lines import person, transfer_state, via
from node.centre.pages_home import words_for
from node.centre.web import (
    PREFIX,
    FormInvalid,
    Signed,
    SignedForm,
    Visit,
    acting_name,
    page_router,
    redirect,
    render,
)
from node.forms.models import ADDRESS_OR_LOCAL, CLIENT_ID_PATTERN, TransferCreate

router = page_router()
ToQuery = Annotated[str | None, Query(max_length=100)]
TransferId = Annotated[str, PathParam(pattern=CLIENT_ID_PATTERN)]
_ADDRESS = re.compile(ADDRESS_OR_LOCAL)
_WHOLE = re.compile(r"[0-9]{1,6}")


def new_id() -> str:
    """A client id for one form, in the API's CLIENT_ID_PATTERN."""
    return f"centre-send-{secrets.token_hex(8)}"


def recipient(typed: str | None) -> str | None:
    """A member number or address as a person typed it (spaces and capitals forgiven)."""
    if typed is None:
        return None
    text = typed.strip().lower()
    if not _ADDRESS.fullmatch(text):
        raise FormInvalid(["to"])
    return text


def minutes_from(form: dict[str, str]) -> int:
    """Whole hours and 0-59 minutes from two fields; either may be left empty (zero)."""
    hours_text = form.get("hours", "") or "0"
    minutes_text = form.get("minutes", "") or "0"
    if not (_WHOLE.fullmatch(hours_text) and _WHOLE.fullmatch(minutes_text)
            and int(minutes_text) <= 59):
        raise FormInvalid(["amount"], hint="error.amount")
    return int(hours_text) * 60 + int(minutes_text)


def _send_view(visit: Visit, to: str | None) -> dict[str, Any]:
    words = words_for(visit, [])
    view: dict[str, Any] = {"acting_name": acting_name(visit), "to": to, "who": "",
                            "kin": [{"address": a, "who": person(words, a)}
                                    for a in sorted(words.facts.kin)],
                            "available": 0, "form_id": new_id()}
    if to is not None:
        view["who"] = person(words, to if "@" in to else f"{to}@{words.node_id}")
        view["available"] = visit.node.members.balance(
            visit.principal, visit.member)["available_minutes"]
    return view


@router.get("/send")
async def send_form(request: Request, signed: Signed, to: ToQuery = None) -> Response:
    view = await run_in_threadpool(_send_view, signed, recipient(to))
    return render(request, "send.html", prefs=signed.prefs, visit=signed, **view)


def _validated(form: dict[str, str], member: str) -> TransferCreate:
    try:
        return TransferCreate.model_validate({
            "id": form.get("id", ""), "from": member, "to": recipient(form.get("to", "")),
            "amount_minutes": minutes_from(form), "memo": form.get("memo", "")})
    except ValidationError as exc:
        fields = sorted({str(err["loc"][0]) for err in exc.errors() if err.get("loc")})
        if "amount_minutes" in fields:  # zero, or more than one transfer may move
            raise FormInvalid(["amount"], hint="error.amount") from exc
        raise FormInvalid(fields or ["form"]) from exc


@router.post("/send")
async def send(signed_in: SignedForm) -> Response:
    signed, form = signed_in
    body = _validated(form, signed.member)
    assert body.amount_minutes is not None  # given above; the model allows units instead
    node = signed.node
    await node.writer.submit(node.transfers.command(
        signed.principal, transfer_id=body.id, debtor=body.from_, creditor=body.to,
        amount_minutes=body.amount_minutes, memo=body.memo))
    return redirect(signed.url(f"{PREFIX}/transfers/{body.id}"))


def _transfer_view(visit: Visit, transfer_id: str) -> dict[str, Any]:
    record = visit.node.transfers.get(visit.principal, transfer_id)
    words = words_for(visit, [])
    who, state = person(words, str(record["to"])), str(record["state"])
    route = record.get("route")
    return {"acting_name": acting_name(visit), "record": record, "who": who, "state": state,
            "state_words": transfer_state(words, state, who, route), "via": via(words, route)}


@router.get("/transfers/{transfer_id}")
async def transfer(request: Request, transfer_id: TransferId, signed: Signed) -> Response:
    view = await run_in_threadpool(_transfer_view, signed, transfer_id)
    return render(request, "transfer.html", prefs=signed.prefs, visit=signed, **view)
