"""My messages (我的消息): the member's notifications from node.notify's inbox, newest first,
each in her language, with a button to mark it read. The same inbox and checks as
`GET /api/v1/members/{id}/notifications` and its `.../read`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Query, Request, Response
from fastapi.concurrency import run_in_threadpool

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
from protocol.canonical import INT_ABS_MAX

router = page_router()
NotificationId = Annotated[int, PathParam(gt=0, le=INT_ABS_MAX)]
PAGE_SIZE = 20


def _notes_view(visit: Visit, before_id: int | None) -> dict[str, Any]:
    page = visit.node.notifications.inbox.page(visit.principal, visit.member,
                                               before_id=before_id, limit=PAGE_SIZE)
    return {"acting_name": acting_name(visit), "notes": page["items"], "unread": page["unread"],
            "older": page["next_before_id"]}


@router.get("/notifications")
async def notifications(request: Request, signed: Signed,
                        before_id: Annotated[int | None, Query(gt=0, le=INT_ABS_MAX)] = None
                        ) -> Response:
    view = await run_in_threadpool(_notes_view, signed, before_id)
    return render(request, "notifications.html", prefs=signed.prefs, visit=signed, **view)


@router.post("/notifications/{notification_id}/read")
async def mark_read(notification_id: NotificationId, signed_in: SignedForm) -> Response:
    signed, _ = signed_in
    await run_in_threadpool(signed.node.notifications.inbox.mark_read, signed.principal,
                            signed.member, notification_id)
    return redirect(signed.url(f"{PREFIX}/notifications") + f"#note-{notification_id}")
