"""Hours exchanged for goods (用时间换物品) and hours given to the care pool (捐赠时间).

    /me/goods               the goods this node offers, each with its price and, if the policy
                            lets this member redeem, a form: how many; every form carries its
                            own client id, so sending it twice redeems once
    /me/redemptions/{id}    what was taken and what it cost, in words
    /me/donate              how much to give to this node's care pool, in hours and minutes
                            read as the send page reads them; a client id per form
    /me/donations/{id}      what was given

The goods, their prices and whether she may redeem come from node.timebank (the catalogue of
`GET /api/v1/catalogue`, GoodsService.refusal); the writes are the calls of
`POST /api/v1/redemptions` and `POST /api/v1/donations` (node/api/routes/timebank_bank.py), made
with the member's Principal, so who may redeem or donate for whom is decided there. A delegate
works for an elder with `for=`, as on every page.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any, TypeVar

from fastapi import Path as PathParam
from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ValidationError

from node.centre import i18n
from node.centre.pages_send import minutes_from
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
from node.forms.models import CLIENT_ID_PATTERN
from node.forms.timebank import DonationCreate, RedemptionCreate
from node.timebank.goods import QUANTITY_MAX

router = page_router()
RecordId = Annotated[str, PathParam(pattern=CLIENT_ID_PATTERN)]
_COUNT = re.compile(r"[0-9]{1,3}")
# A field the models refuse, and the sentence that says how to fill it in.
_HINTS = {"amount_minutes": ("amount", "error.amount"), "quantity": ("quantity", "error.quantity")}
M = TypeVar("M", bound=BaseModel)


def new_id(kind: str) -> str:
    """A client id for one form, in the API's CLIENT_ID_PATTERN (as pages_send.new_id)."""
    return f"centre-{kind}-{secrets.token_hex(8)}"


def count_from(text: str) -> int:
    """How many, as a person typed it: a whole number (the model checks 1..QUANTITY_MAX)."""
    if not _COUNT.fullmatch(text.strip()):
        raise FormInvalid(["quantity"], hint="error.quantity")
    return int(text)


def _model(model: type[M], values: dict[str, Any]) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        fields = sorted({str(err["loc"][0]) for err in exc.errors() if err.get("loc")})
        for name, (field, hint) in _HINTS.items():
            if name in fields:
                raise FormInvalid([field], hint=hint) from exc
        raise FormInvalid(fields or ["form"]) from exc


def _available(visit: Visit, member: str) -> int:
    return int(visit.node.members.balance(visit.principal, member)["available_minutes"])


def _goods_view(visit: Visit) -> dict[str, Any]:
    name = acting_name(visit)  # refuses anyone who may not act for the elder
    timebank = visit.node.timebank
    catalogue = timebank.catalogue(visit.principal)
    goods = catalogue["goods"]
    refusal = ""
    if goods["allowed"] and goods["items"]:
        code = timebank.goods.refusal(visit.principal, visit.member)
        refusal = "" if code is None else i18n.error_message(visit.lang, code)
    return {"acting_name": name, "allowed": goods["allowed"], "refusal": refusal,
            "redeemer": catalogue["eligibility"]["redeemer"],
            "items": [{**item, "form_id": new_id("goods")} for item in goods["items"]],
            "available": _available(visit, visit.member), "quantity_max": QUANTITY_MAX}


@router.get("/goods")
async def goods(request: Request, signed: Signed) -> Response:
    view = await run_in_threadpool(_goods_view, signed)
    return render(request, "goods.html", prefs=signed.prefs, visit=signed, **view)


@router.post("/goods")
async def redeem(signed_in: SignedForm) -> Response:
    signed, form = signed_in
    body = _model(RedemptionCreate, {
        "id": form.get("id", ""), "member": signed.member, "goods": form.get("goods", ""),
        "quantity": count_from(form.get("quantity", ""))})
    await run_in_threadpool(
        signed.node.timebank.goods.redeem, signed.principal, redemption_id=body.id,
        member=body.member, goods=body.goods, quantity=body.quantity)
    return redirect(signed.url(f"{PREFIX}/redemptions/{body.id}"))


def _redemption_view(visit: Visit, redemption_id: str) -> dict[str, Any]:
    name = acting_name(visit)  # refuses anyone who may not act for the elder
    timebank = visit.node.timebank
    record = timebank.goods.get(visit.principal, redemption_id)
    item = timebank.policy.goods_item(record["goods"])
    return {"acting_name": name, "record": record,
            "name": item.name if item is not None else record["goods"],
            "available": _available(visit, record["member"])}


@router.get("/redemptions/{redemption_id}")
async def redemption(request: Request, redemption_id: RecordId, signed: Signed) -> Response:
    view = await run_in_threadpool(_redemption_view, signed, redemption_id)
    return render(request, "redemption.html", prefs=signed.prefs, visit=signed, **view)


def _donate_view(visit: Visit) -> dict[str, Any]:
    return {"acting_name": acting_name(visit), "available": _available(visit, visit.member),
            "form_id": new_id("donate")}


@router.get("/donate")
async def donate_form(request: Request, signed: Signed) -> Response:
    view = await run_in_threadpool(_donate_view, signed)
    return render(request, "donate.html", prefs=signed.prefs, visit=signed, **view)


@router.post("/donate")
async def donate(signed_in: SignedForm) -> Response:
    signed, form = signed_in
    body = _model(DonationCreate, {"id": form.get("id", ""), "member": signed.member,
                                   "amount_minutes": minutes_from(form)})
    await run_in_threadpool(
        signed.node.timebank.donations.donate, signed.principal, donation_id=body.id,
        member=body.member, amount_minutes=body.amount_minutes, to_node=None,
        reason=body.reason)
    return redirect(signed.url(f"{PREFIX}/donations/{body.id}"))


def _donation_view(visit: Visit, donation_id: str) -> dict[str, Any]:
    name = acting_name(visit)  # refuses anyone who may not act for the elder
    record = visit.node.timebank.donations.get(visit.principal, donation_id)
    to_node = record["to_node"]
    return {"acting_name": name, "record": record,
            "city": visit.node.notifications.inbox.names.node_name(to_node) or to_node
            if to_node else "", "available": _available(visit, record["member"])}


@router.get("/donations/{donation_id}")
async def donation(request: Request, donation_id: RecordId, signed: Signed) -> Response:
    view = await run_in_threadpool(_donation_view, signed, donation_id)
    return render(request, "donation.html", prefs=signed.prefs, visit=signed, **view)
