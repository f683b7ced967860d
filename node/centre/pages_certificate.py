"""The volunteer's own certificate (志愿服务记录证明) from the personal centre.

    /me/certificate        a button to issue it; right after issuing, the certificate
    /me/certificate (POST) issue it now, then 303 back to /me/certificate, which shows the
                           signed certificate once, with its QR code and a link to save the
                           signed file; print with the browser

The certificate is issued by node/certificates (the service behind
`POST /api/v1/members/{id}/certificates` and the console's print page): the volunteer himself
or a delegate he named may ask, and every call is audited there. A delegate acting for him
gets it for him (the `for` field). The node keeps no copy: between the POST and the page the
document waits in this process's memory under the session and the member (CertificateStash,
as the console's invitation cards wait), and the page takes it out, so a reload shows the
button again and never issues another. No script runs on the page.
"""

from __future__ import annotations

import base64
from typing import Any, cast

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from markupsafe import Markup

from node.centre.certificate_stash import CertificateStash
from node.centre.web import (
    PREFIX,
    Signed,
    SignedForm,
    Visit,
    acting_name,
    page_router,
    redirect,
    render,
)
from node.certificates.service import for_node
from node.console.pages_certificate import verification_data
from node.people.qr import qr_svg
from protocol.canonical import canonical_bytes

router = page_router()
TENTHS = 10


def _issue(visit: Visit) -> dict[str, Any]:
    issued = for_node(visit.node).issue(visit.principal, visit.member, from_ms=0, to_ms=None)
    return dict(issued["document"])


def _shown(document: dict[str, Any]) -> dict[str, Any]:
    rated = document.get("evaluations")
    return {"certificate": document,
            "average": None if not rated else f"{rated['average_rating_tenths'] / TENTHS:.1f}",
            "qr": Markup(qr_svg(verification_data(document), title="certificate")),
            "download": "data:application/json;base64,"
            + base64.b64encode(canonical_bytes(document)).decode(),
            "file_name": f"{document['certificate_id']}.json"}


def _stash(request: Request, visit: Visit) -> CertificateStash:
    stash = getattr(request.app.state, "centre_certificates", None)
    if stash is None:
        stash = request.app.state.centre_certificates = CertificateStash(visit.node.clock)
    return cast(CertificateStash, stash)


@router.get("/certificate")
async def certificate_page(request: Request, signed: Signed) -> Response:
    name = await run_in_threadpool(acting_name, signed)
    document = _stash(request, signed).take(signed.signed_in.session.csrf, signed.member)
    view = _shown(document) if document is not None else {"certificate": None}
    return render(request, "certificate.html", prefs=signed.prefs, visit=signed,
                  acting_name=name, **view)


@router.post("/certificate")
async def issue(request: Request, signed_in: SignedForm) -> Response:
    signed, _ = signed_in
    document = await run_in_threadpool(_issue, signed)
    _stash(request, signed).put(signed.signed_in.session.csrf, signed.member, document)
    return redirect(signed.url(f"{PREFIX}/certificate"))
