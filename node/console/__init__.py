"""The web console: server-rendered pages for station staff and operators, in Chinese and English.

    /console/login       log in with an API token (staff or admin); an HttpOnly session cookie
    /console/sign-in     log in with a staff account's username and password (node/staff/)
    /console/stations, /console/staff   operators: the station registry and staff accounts
    /console/members     find and register members; a member's balances, statement, grants,
                         transfers made for them
    /console/requests    service requests posted for elders, each step of the cycle
    /console/disputes    complaints holding payments, and their resolution
    /console/imports     bulk import of members and service records (admins; pages_import.py)
    /console/members/<id>/invitation, /contacts   signing in (the printable card, reset),
                         family access and contacts (pages_people.py, pages_family.py)
    /console/members/<id>/visit-contact   her phone and address for a home visit, with her
                         consent (pages_visit_contact.py); /kin-pending/confirm|reject: kin
                         that came with her relocation (pages_kin_pending.py)

Pages call the same services as the HTTP API with the signed-in principal; see docs/console.md.
"""

from __future__ import annotations

from fastapi import FastAPI

from node.console import (
    pages_auth,
    pages_certificate,
    pages_corrections,
    pages_family,
    pages_import,
    pages_kin_pending,
    pages_member_edits,
    pages_members,
    pages_people,
    pages_privacy,
    pages_qualifications,
    pages_requests,
    pages_staff_login,
    pages_stations,
    pages_visit_contact,
)
from node.console.cards import CardStash
from node.console.sessions import SessionStore
from node.console.web import PREFIX
from node.runtime import Node

__all__ = ["PREFIX", "install"]


def install(app: FastAPI, node: Node) -> None:
    """Add the console's routes and its session store to the node's app."""
    app.state.console_sessions = SessionStore(node.clock)
    app.state.console_cards = CardStash(node.clock)  # invitation cards, shown once
    # Sections the menu shows (all of them on every node today).
    app.state.console_features = {"requests": True, "disputes": True}
    for router in (pages_auth.router, pages_members.router, pages_people.router,
                   pages_family.router, pages_requests.router, pages_member_edits.router,
                   pages_certificate.router, pages_import.router, pages_stations.router,
                   pages_staff_login.router, pages_qualifications.router,
                   pages_privacy.router, pages_corrections.router,
                   pages_visit_contact.router, pages_kin_pending.router):
        app.include_router(router)
