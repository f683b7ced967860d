"""Family access (家人代办) and how a member gets her notices (接收通知的方式), by her own hand.

    /me/family                    who may act for her now (since when, recorded by whom) and who
                                  did before; her kin with an account here, to let act for her;
                                  whom she acts for herself; each with a way to end it
    /me/family/grant?delegate=    what he will be able to do, in plain words: yes, or go back
    /me/family/end?delegate=      he will no longer act for her: yes, or go back
    /me/family/leave?member=      (a delegate) I stop acting for her: yes, or go back
    /me/contacts                  her e-mail address and her id at the city's SMS or WeChat
                                  gateway, to read and change (a delegate: `for=` the elder)

Every step is the service the JSON API calls, with the member's Principal: node.people's
delegate methods (GET, POST, DELETE /api/v1/members/{id}/delegates) decide who may give or end
access and record each grant and end (staff see them on the console's member page); node.notify's
Contacts (GET, PUT /api/v1/members/{id}/contacts) decides who may read or change them and records
every read, change and refusal. A confirmation is a GET page that changes nothing; only its POST
does, and only with the session's secret.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from node.centre.lines import Words, person
from node.centre.pages_home import words_for
from node.centre.web import (
    PREFIX,
    FormInvalid,
    Signed,
    SignedForm,
    Visit,
    acting_name,
    link,
    page_router,
    redirect,
    render,
)
from node.errors import ErrorCode, NotFound
from node.forms.people import DelegateCreate
from node.notify.contacts import EMAIL_CHARS_MAX, EMAIL_PATTERN, GATEWAY_PATTERN, ContactDetails
from node.states import DeliveryChannel
from protocol.addresses import LOCAL_ID_PATTERN

router = page_router()
LOCAL_ID_CHARS_MAX = 64  # as the API's paths (node/api/routes/people_access.py)
LocalIdQuery = Annotated[str, Query(pattern=LOCAL_ID_PATTERN, max_length=LOCAL_ID_CHARS_MAX)]
WhoQuery = Annotated[str | None, Query(pattern=LOCAL_ID_PATTERN, max_length=LOCAL_ID_CHARS_MAX)]
FamilyDone = Annotated[str | None, Query(pattern="^(granted|ended|left)$")]
ContactsDone = Annotated[str | None, Query(pattern="^saved$")]
ACTS_FOR_SHOWN_MAX = 20  # elders a delegate sees on his page (one is usual)
# What a delegate may do, as the confirmation says it, each with the rule that allows it. They
# are all node/access.py's `speaks_for`: a member's delegate counts as her in `can_read_member`
# and `can_act_for`; tests/node/centre/test_family.py checks every line against the services.
DELEGATE_MAY = (
    "family.may.read",   # can_read_member: her balance and statement (node/services/members.py)
    "family.may.send",   # can_act_for: moving her hours (node/services/idempotency.py)
    "family.may.needs",  # can_act_for: node/timebank's acting_for, requests.confirm, disputes
    "family.may.notes",  # can_act_for: her messages and contacts (node/notify/guard.py)
)
# ... and what not ("family.may_not"): `can_act_in_person` leaves delegates out of naming or
# ending other delegates (node/people/delegates.py).
# The API's ContactsIn rules (node/api/routes/notifications.py), from the same constants.
GATEWAY_CHARS_MAX = 128
CONTACT_RULES = (("gateway_recipient", GATEWAY_PATTERN, GATEWAY_CHARS_MAX),
                 ("email", EMAIL_PATTERN, EMAIL_CHARS_MAX))
CHANNEL_OF = {"gateway_recipient": DeliveryChannel.WEBHOOK, "email": DeliveryChannel.EMAIL}
_LOCAL_ID = re.compile(LOCAL_ID_PATTERN)


def by_whom(visit: Visit, words: Words, actor: str | None, elder_name: str) -> str:
    """Who recorded a grant or ended it, in words: "您自己", a relative's name, "服务站工作人员".
    Staff are named by role only (their token's id means nothing to her)."""
    role, _, rest = (actor or "").partition(":")
    if role == "member":
        if rest == visit.me:
            return visit.t("family.by.you")
        if rest == visit.member and elder_name:
            return elder_name
        return person(words, f"{rest}@{words.node_id}")
    if role in ("staff", "admin"):
        return visit.t(f"family.by.{role}")
    return actor or ""


def _line(visit: Visit, words: Words, grant: dict[str, Any], elder_name: str) -> dict[str, Any]:
    return {"delegate": grant["delegate"], "mine": grant["delegate"] == visit.me,
            "who": person(words, f"{grant['delegate']}@{words.node_id}"),
            "since_ms": grant["granted_at_ms"], "ended_ms": grant["revoked_at_ms"],
            "by": by_whom(visit, words, grant["granted_by"], elder_name),
            "ended_by": by_whom(visit, words, grant["revoked_by"], elder_name)}


def _acts_for(visit: Visit) -> list[dict[str, Any]]:
    """The elders he acts for, with the time each gave him the right."""
    node, principal = visit.node, visit.principal
    found = []
    for elder in sorted(principal.acts_for)[:ACTS_FOR_SHOWN_MAX]:
        grants = node.people.list_delegates(principal, elder)["items"]
        since = [g["granted_at_ms"] for g in grants if g["active"] and g["delegate"] == visit.me]
        found.append({"member": elder, "name": node.members.get(principal, elder).display_name,
                      "since_ms": since[0] if since else None})
    return found


def _notice(visit: Visit, words: Words, done: str | None, who: str | None) -> str:
    if done is None:
        return ""
    name = person(words, f"{who}@{words.node_id}") if who else visit.t("someone")
    return visit.t(f"family.done.{done}", name=name)


def _family_view(visit: Visit, done: str | None, who: str | None) -> dict[str, Any]:
    words = words_for(visit, [])  # her kin and their names; refuses whoever may not read her
    elder_name = acting_name(visit)
    grants = visit.node.people.list_delegates(visit.principal, visit.member)["items"]
    lines = [_line(visit, words, grant, elder_name) for grant in grants]
    here = f"@{words.node_id}"
    in_force = {grant["delegate"] for grant in grants if grant["active"]}
    offer = [] if visit.acting else [
        {"delegate": address.removesuffix(here), "who": person(words, address)}
        for address in sorted(words.facts.kin)
        if address.endswith(here) and address.removesuffix(here) not in in_force]
    return {"acting_name": elder_name, "notice": _notice(visit, words, done, who),
            "active": [line for line in lines if line["ended_ms"] is None],
            "ended": [line for line in lines if line["ended_ms"] is not None],
            "offer": offer, "acts_for": [] if visit.acting else _acts_for(visit)}


@router.get("/family")
async def family(request: Request, signed: Signed, done: FamilyDone = None,
                 who: WhoQuery = None) -> Response:
    view = await run_in_threadpool(_family_view, signed, done, who)
    return render(request, "family.html", prefs=signed.prefs, visit=signed, **view)


def _confirm(request: Request, visit: Visit, view: dict[str, Any]) -> Response:
    return render(request, "family_confirm.html", prefs=visit.prefs, visit=visit,
                  may=DELEGATE_MAY, back=visit.url(f"{PREFIX}/family"), **view)


def _grant_view(visit: Visit, delegate: str) -> dict[str, Any]:
    words = words_for(visit, [])
    return {"acting_name": acting_name(visit), "kind": "grant", "field": "delegate",
            "value": delegate, "name": person(words, f"{delegate}@{words.node_id}")}


@router.get("/family/grant")
async def grant_confirm(request: Request, signed: Signed, delegate: LocalIdQuery) -> Response:
    return _confirm(request, signed, await run_in_threadpool(_grant_view, signed, delegate))


def _end_view(visit: Visit, delegate: str) -> dict[str, Any]:
    words = words_for(visit, [])
    grants = visit.node.people.list_delegates(visit.principal, visit.member)["items"]
    if not any(g["active"] and g["delegate"] == delegate for g in grants):
        raise NotFound(ErrorCode.DELEGATE_NOT_FOUND, f"{delegate} does not act for {visit.member}")
    return {"acting_name": acting_name(visit), "kind": "end", "field": "delegate",
            "value": delegate, "name": person(words, f"{delegate}@{words.node_id}")}


@router.get("/family/end")
async def end_confirm(request: Request, signed: Signed, delegate: LocalIdQuery) -> Response:
    return _confirm(request, signed, await run_in_threadpool(_end_view, signed, delegate))


def _leave_view(visit: Visit, member: str) -> dict[str, Any]:
    if member not in visit.principal.acts_for:  # his own grants only; nobody else is looked up
        raise NotFound(ErrorCode.DELEGATE_NOT_FOUND, f"{visit.me} does not act for {member}")
    name = visit.node.members.get(visit.principal, member).display_name
    return {"acting_name": acting_name(visit), "kind": "leave", "field": "member",
            "value": member, "name": name}


@router.get("/family/leave")
async def leave_confirm(request: Request, signed: Signed, member: LocalIdQuery) -> Response:
    return _confirm(request, signed, await run_in_threadpool(_leave_view, signed, member))


def _delegate(form: dict[str, str]) -> str:
    try:
        return DelegateCreate.model_validate({"delegate": form.get("delegate", "")}).delegate
    except ValidationError as exc:
        raise FormInvalid(["delegate"]) from exc


@router.post("/family/grant")
async def grant(signed_in: SignedForm) -> Response:
    signed, form = signed_in
    delegate = _delegate(form)
    await run_in_threadpool(signed.node.people.grant_delegate, signed.principal, signed.member,
                            delegate=delegate)
    return redirect(signed.url(f"{PREFIX}/family", done="granted", who=delegate))


@router.post("/family/end")
async def end(signed_in: SignedForm) -> Response:
    signed, form = signed_in
    delegate = _delegate(form)
    await run_in_threadpool(signed.node.people.revoke_delegate, signed.principal, signed.member,
                            delegate=delegate)
    if signed.acting and delegate == signed.me:  # he ended his own: her pages are closed now
        return redirect(link(f"{PREFIX}/family", done="left"))
    return redirect(signed.url(f"{PREFIX}/family", done="ended", who=delegate))


@router.post("/family/leave")
async def leave(signed_in: SignedForm) -> Response:
    signed, form = signed_in
    member = form.get("member", "")
    if len(member) > LOCAL_ID_CHARS_MAX or not _LOCAL_ID.fullmatch(member):
        raise FormInvalid(["member"])
    await run_in_threadpool(signed.node.people.revoke_delegate, signed.principal, member,
                            delegate=signed.me)
    return redirect(link(f"{PREFIX}/family", done="left"))


# contacts -----------------------------------------------------------------------------------


def contact_details(form: dict[str, str]) -> ContactDetails:
    """The form's contacts by the API's rules; an empty field means none. Spaces a person
    types inside a phone number ("139 1234 5678") are dropped."""
    values = {"gateway_recipient": "".join(form.get("gateway_recipient", "").split()) or None,
              "email": form.get("email", "").strip() or None}
    bad = [name for name, pattern, chars_max in CONTACT_RULES
           if (value := values[name]) is not None
           and (len(value) > chars_max or not re.fullmatch(pattern, value))]
    if bad:
        raise FormInvalid(bad)
    return ContactDetails(**values)


def _contacts_view(visit: Visit) -> dict[str, Any]:
    node = visit.node
    # First, so that a refusal is recorded in her contacts' audit trail as well.
    contacts = node.notifications.contacts.get(visit.principal, visit.member)  # audited
    elder_name = acting_name(visit)
    words = words_for(visit, [])
    sending = set(node.notifications.dispatcher.channels)
    fields = [{"name": name, "value": contacts[name] or "",
               "sent": CHANNEL_OF[name] in sending} for name, _, _ in CONTACT_RULES]
    wanted = [visit.t(f"contacts.by_{f['name']}") for f in fields if f["value"]]
    return {"acting_name": elder_name, "fields": fields,
            "wanted": visit.t("list.sep").join(wanted),
            "changed_ms": contacts["updated_at_ms"],
            "changed_by": by_whom(visit, words, contacts["updated_by"], elder_name)}


@router.get("/contacts")
async def contacts(request: Request, signed: Signed, done: ContactsDone = None) -> Response:
    view = await run_in_threadpool(_contacts_view, signed)
    return render(request, "contacts.html", prefs=signed.prefs, visit=signed,
                  saved=done == "saved", chars_max=dict(
                      (name, chars_max) for name, _, chars_max in CONTACT_RULES), **view)


@router.post("/contacts")
async def save_contacts(signed_in: SignedForm) -> Response:
    signed, form = signed_in
    details = contact_details(form)
    await run_in_threadpool(signed.node.notifications.contacts.put, signed.principal,
                            signed.member, details)
    return redirect(signed.url(f"{PREFIX}/contacts", done="saved"))
