"""The personal centre (个人中心): the members' own pages, server-rendered, Chinese first, built for
older eyes, served by every node.

    /me/activate          set a PIN with the activation code from the station (twice)
    /me/login, /logout    sign in with the member number and PIN; sign out
    /me                   balance by kind of hours, hours on their way, recent records in
                          words, kin, delegates (and, for a delegate, the switch to an elder)
    /me/send              give hours to kin at any node; /me/transfers/{id} shows what happened
    /me/notifications     the member's messages, marked read one by one
    /me/needs             her service requests (post, follow, confirm and rate, complain)
    /me/goods, /me/donate hours for goods, hours to the care pool (pages_bank)
    /me/move              move the whole account to another city (pages_move)
    /me/scan              what the QR on an elder's visit-code page opens: check in there
    /me/certificate       the volunteer's signed certificate, issued on request and printed
    /me/family            who may act for her, giving and ending it; /me/contacts where notices go
    /me/lang, /me/size    Chinese or English; normal or larger text (cookies)

Pages call the services the JSON API calls (node.people, node.members, node.transfers,
node.notifications) with the Principal of the member's session; see docs/members.md ("The
personal centre"). No script runs on any page.
"""

from __future__ import annotations

from fastapi import FastAPI

from node.centre import (
    pages_auth,
    pages_bank,
    pages_certificate,
    pages_family,
    pages_home,
    pages_move,
    pages_needs,
    pages_notes,
    pages_privacy,
    pages_rates,
    pages_scan,
    pages_send,
    pages_volunteer,
)
from node.centre.web import PREFIX
from node.runtime import Node

__all__ = ["PREFIX", "install"]


def install(app: FastAPI, node: Node) -> None:
    """Add the centre's routes to the node's app (its sessions are node.people's)."""
    del node  # every page reads the node from app.state, as the API's handlers do
    for router in (pages_bank.router, pages_move.router,
                   pages_family.router,
                   pages_auth.router, pages_home.router, pages_send.router, pages_notes.router,
                   pages_needs.router, pages_rates.router, pages_volunteer.router,
                   pages_scan.router, pages_certificate.router,
                   pages_privacy.router):
        app.include_router(router)
