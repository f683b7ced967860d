"""The printable volunteer-service certificate (志愿服务记录证明), from the staff side: staff
issue it for a volunteer at the desk and print it for him.

The certificate is issued by node/certificates (the same service as
`POST /api/v1/members/{id}/certificates`: who may, the audit, the signature). The page shows it
once, in Chinese with English beneath, with a QR code of its verification data (certificate id,
node, member, totals, issue time and the SHA-256 of the signed document) and a link to save the
signed document, which `hourbridge verify-certificate` checks offline. The node keeps no copy:
reloading the page issues nothing and shows nothing (the POST is not repeated by a GET).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from markupsafe import Markup

from node.certificates.document import sha256_hex
from node.certificates.service import for_node
from node.console import i18n
from node.console.pages_family import StaffForm
from node.console.web import PREFIX, ConsoleRoute, Desk, render
from node.people.qr import qr_svg
from protocol.addresses import LOCAL_ID_PATTERN
from protocol.canonical import canonical_bytes

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
QR_PREFIX = "HB-CERT"  # what a reader's app recognises; docs/records.md spells the fields


def verification_data(document: dict[str, Any]) -> str:
    """The QR's text: enough to match a printed certificate with the file and the node."""
    return "|".join(str(part) for part in (
        QR_PREFIX, document["certificate_id"], document["node_id"], document["member"],
        document["total_minutes"], document["visits"], document["issued_at_ms"],
        sha256_hex(document)))


def _issue(staff: Desk, local_id: str) -> dict[str, Any]:
    issued = for_node(staff.node).issue(staff.principal, local_id, from_ms=0, to_ms=None)
    document = issued["document"]
    raw = canonical_bytes(document)
    return {"certificate": document, "record": issued["record"],
            # segno's SVG of our own text, of a fixed size (about 6 cm) for the printed page
            "qr": Markup(qr_svg(verification_data(document), title="certificate")),
            "download": "data:application/json;base64," + base64.b64encode(raw).decode(),
            "file_name": f"{document['certificate_id']}.json",
            # categories by the policy's names, not their codes (issue 14, item 10)
            "category_names": {c.code: c.name for c in staff.node.timebank.policy.categories}}


@router.post("/members/{local_id}/certificate")
async def issue_certificate(request: Request, local_id: LocalId,
                            signed_in: StaffForm) -> Response:
    staff, _ = signed_in
    view = await run_in_threadpool(_issue, staff, local_id)

    def in_chinese(key: str, **values: Any) -> str:
        return i18n.translate("zh", key, **values)

    return render(request, "certificate.html", lang=staff.lang, staff=staff, tz=in_chinese,
                  local_id=local_id, **view)
