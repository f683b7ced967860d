"""A member's family and contacts, from the staff side: record kin, let a relative act for her
(and end it), and where her notifications go.

Kin and delegates go through the services the JSON API calls (node.timebank.people.add_kin,
node.people's delegate methods); contacts through node.notify's Contacts, which decides who
may see them (the member, her delegates, her station's staff, an admin) and audits every read,
write and refusal. Contacts are personal data, so the member page only links to them: they are
read (and the read recorded) when staff open the contacts page, not at every member page view.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from node.console.web import (
    PREFIX,
    ConsoleRoute,
    Desk,
    FormInvalid,
    desk,
    desk_form,
    redirect,
    render,
    validated,
)
from node.forms.people import DelegateCreate
from node.forms.timebank import KinCreate
from node.notify.contacts import EMAIL_CHARS_MAX, EMAIL_PATTERN, GATEWAY_PATTERN, ContactDetails
from protocol.addresses import LOCAL_ID_PATTERN

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
Staff = Annotated[Desk, Depends(desk)]
StaffForm = Annotated[tuple[Desk, dict[str, str]], Depends(desk_form)]
# The API's ContactsIn rules (node/api/routes/notifications.py), from the same constants.
CONTACT_RULES = (("email", EMAIL_PATTERN, EMAIL_CHARS_MAX),
                 ("gateway_recipient", GATEWAY_PATTERN, 128))


def _back(local_id: str, done: str, section: str) -> Response:
    return redirect(f"{PREFIX}/members/{local_id}?done={done}#{section}")


@router.post("/members/{local_id}/kin")
async def add_kin(local_id: LocalId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    body = validated(KinCreate, relative=form.get("relative", "").lower(),
                     relation=form.get("relation", ""))
    await run_in_threadpool(staff.node.timebank.people.add_kin, staff.principal, local_id,
                            relative=body.relative, relation=body.relation)
    return _back(local_id, "kin_added", "kin")


@router.post("/members/{local_id}/delegates")
async def grant_delegate(local_id: LocalId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    body = validated(DelegateCreate, delegate=form.get("delegate", ""))
    _, created = await run_in_threadpool(staff.node.people.grant_delegate, staff.principal,
                                         local_id, delegate=body.delegate)
    return _back(local_id, "delegate_granted" if created else "delegate_in_force", "family")


@router.post("/members/{local_id}/delegates/{delegate}/revoke")
async def revoke_delegate(local_id: LocalId, delegate: LocalId,
                          signed_in: StaffForm) -> Response:
    staff, _ = signed_in
    await run_in_threadpool(staff.node.people.revoke_delegate, staff.principal, local_id,
                            delegate=delegate)
    return _back(local_id, "delegate_revoked", "family")


def contact_details(form: dict[str, str]) -> ContactDetails:
    """The form's contacts by the API's rules; an empty field means none."""
    values = {name: form.get(name, "") or None for name, _, _ in CONTACT_RULES}
    bad = [name for name, pattern, chars_max in CONTACT_RULES
           if (value := values[name]) is not None
           and (len(value) > chars_max or not re.fullmatch(pattern, value))]
    if bad:
        raise FormInvalid(bad)
    return ContactDetails(**values)


def _contacts_view(staff: Desk, local_id: str) -> dict[str, Any]:
    contacts = staff.node.notifications.contacts.get(staff.principal, local_id)  # audited
    return {"member": staff.node.members.get(staff.principal, local_id), "contacts": contacts}


@router.get("/members/{local_id}/contacts")
async def contacts(request: Request, local_id: LocalId, staff: Staff) -> Response:
    view = await run_in_threadpool(_contacts_view, staff, local_id)
    return render(request, "contacts.html", lang=staff.lang, staff=staff, **view)


@router.post("/members/{local_id}/contacts")
async def save_contacts(local_id: LocalId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    details = contact_details(form)
    await run_in_threadpool(staff.node.notifications.contacts.put, staff.principal, local_id,
                            details)
    return _back(local_id, "contacts_saved", "contacts")
