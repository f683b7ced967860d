"""My personal data (我的个人信息, /me/privacy): what the node holds about her, to read and
correct (phone, emergency contact, home address; the ID number masked, care notes as her
station wrote them), what she agrees to, purpose by purpose, and everything held about her to
download or print. The same service and checks as `GET/PATCH .../personal-data`,
`PUT .../consents/{purpose}` and `GET .../export`; every look is a row of the access log.
Erasure is asked for at her station (in writing), so the page says how, with no button.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from node.centre.web import (
    PREFIX,
    SECURITY_HEADERS,
    FormInvalid,
    Signed,
    SignedForm,
    Visit,
    acting_name,
    page_router,
    redirect,
    render,
)
from node.forms.privacy import ConsentBody, PersonalDataPatch
from node.privacy.consents import Purpose

router = page_router()
Done = Annotated[str | None, Query(pattern="^saved$")]
OWN_FIELDS = ("phone", "emergency_name", "emergency_phone", "home_address")  # she corrects


def _view(visit: Visit) -> dict[str, Any]:
    data = visit.node.privacy.get(visit.principal, visit.member)  # logged
    consents = visit.node.privacy.consents(visit.principal, visit.member)  # logged
    return {"acting_name": acting_name(visit), "data": data, "consents": consents,
            "purposes": list(Purpose), "own_fields": OWN_FIELDS}


@router.get("/privacy")
async def privacy_page(request: Request, signed: Signed, done: Done = None) -> Response:
    view = await run_in_threadpool(_view, signed)
    return render(request, "privacy.html", prefs=signed.prefs, visit=signed,
                  saved=done == "saved", **view)


def _checked(model: type[Any], **fields: Any) -> Any:
    try:
        return model(**fields)
    except ValidationError as exc:
        raise FormInvalid(sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")})
                          or ["form"]) from exc


@router.post("/privacy")
async def correct(signed_in: SignedForm) -> Response:
    signed, form = signed_in
    patch: PersonalDataPatch = _checked(PersonalDataPatch, **{
        name: form.get(name, "").strip() or None for name in OWN_FIELDS})
    await run_in_threadpool(signed.node.privacy.correct, signed.principal, signed.member,
                            patch.changes())
    return redirect(signed.url(f"{PREFIX}/privacy", done="saved"))


@router.post("/privacy/consents/{purpose}")
async def consent(purpose: Purpose, signed_in: SignedForm) -> Response:
    signed, form = signed_in
    body: ConsentBody = _checked(ConsentBody, given=form.get("given") == "yes",
                                 guardian_name=form.get("guardian_name", "").strip() or None)
    await run_in_threadpool(signed.node.privacy.set_consent, signed.principal, signed.member,
                            purpose, given=body.given, guardian_name=body.guardian_name)
    return redirect(signed.url(f"{PREFIX}/privacy", done="saved") + "#consents")


@router.get("/privacy/export.json")
async def export_json(signed: Signed) -> Response:
    document = await run_in_threadpool(signed.node.privacy.export, signed.principal,
                                       signed.member)
    download = f'attachment; filename="hourbridge-{signed.member}.json"'
    return Response(json.dumps(document, ensure_ascii=False, indent=2),
                    media_type="application/json",
                    headers={**SECURITY_HEADERS, "Content-Disposition": download})


@router.get("/privacy/export")
async def export_page(request: Request, signed: Signed) -> Response:
    document = await run_in_threadpool(signed.node.privacy.export, signed.principal,
                                       signed.member)
    return render(request, "privacy_export.html", prefs=signed.prefs, visit=signed,
                  doc=document, acting_name=acting_name(signed))
