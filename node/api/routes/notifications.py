"""A member's notifications and contacts (docs/notifications.md): thin handlers over
node/notify. Who may call them: the member herself, staff of her station, an admin; a
regulator reads the ledger, not people's mailboxes or addresses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from node.api.deps import NodeDep, PrincipalDep
from node.forms.models import Closed
from node.notify.contacts import (
    EMAIL_CHARS_MAX,
    EMAIL_PATTERN,
    GATEWAY_PATTERN,
    ContactDetails,
)
from node.notify.inbox import PAGE_SIZE_MAX
from node.states import NotificationKind
from protocol.addresses import LOCAL_ID_PATTERN
from protocol.canonical import INT_ABS_MAX

router = APIRouter(prefix="/api/v1/members", tags=["notifications"])
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
NotificationId = Annotated[int, PathParam(ge=1, le=INT_ABS_MAX)]
PAGE_DEFAULT = 20
KINDS = ", ".join(kind.value for kind in NotificationKind)


class Words(BaseModel):
    zh: str
    en: str


class NotificationOut(BaseModel):
    id: int
    kind: str = Field(description=f"one of: {KINDS}")
    title: Words
    text: Words = Field(description="what happened, in words the member reads")
    data: dict[str, int | str] = Field(description="the ids and numbers the words come from")
    created_at_ms: int
    read_at_ms: int | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    unread: int = Field(description="unread notifications (counted up to 1000)")
    next_before_id: int | None = Field(description="pass as before_id for the next page")


class ContactsIn(Closed):
    email: str | None = Field(default=None, pattern=EMAIL_PATTERN, max_length=EMAIL_CHARS_MAX)
    gateway_recipient: str | None = Field(
        default=None, pattern=GATEWAY_PATTERN, max_length=128,
        description="the member's id at the city's SMS or WeChat gateway (opaque to the node)")


class ContactsOut(BaseModel):
    email: str | None
    gateway_recipient: str | None
    updated_by: str | None
    updated_at_ms: int | None


@router.get("/{local_id}/notifications", response_model=NotificationPage,
            summary="A member's notifications, newest first")
def list_notifications(
    local_id: LocalId, node: NodeDep, principal: PrincipalDep,
    before_id: Annotated[int | None, Query(ge=1, le=INT_ABS_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = PAGE_DEFAULT,
) -> dict[str, Any]:
    return node.notifications.inbox.page(principal, local_id, before_id=before_id,
                                         limit=min(limit, node.config.page_size_max))


@router.post("/{local_id}/notifications/{notification_id}/read",
             response_model=NotificationOut,
             summary="Mark a notification read (again: it keeps the first time)")
def read_notification(local_id: LocalId, notification_id: NotificationId, node: NodeDep,
                      principal: PrincipalDep) -> dict[str, Any]:
    return node.notifications.inbox.mark_read(principal, local_id, notification_id)


@router.get("/{local_id}/contacts", response_model=ContactsOut,
            summary="Where the member's notifications go (personal data: every read audited)")
def get_contacts(local_id: LocalId, node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.notifications.contacts.get(principal, local_id)


@router.put("/{local_id}/contacts", response_model=ContactsOut,
            summary="Replace the member's contacts; both null erases them (audited)")
def put_contacts(local_id: LocalId, body: ContactsIn, node: NodeDep,
                 principal: PrincipalDep) -> dict[str, Any]:
    details = ContactDetails(email=body.email, gateway_recipient=body.gateway_recipient)
    return node.notifications.contacts.put(principal, local_id, details)
