"""PeopleService: the one entry point both faces use for signing in and family access.

A page of the member face reads the session cookie (`MEMBER_COOKIE`) and calls
`principal_for_session`; the Principal it gets is a member's (Role.MEMBER, `acts_for` filled)
and goes to the same services the JSON API calls. State-changing pages compare their form's
`csrf` field with `SignedIn.session.csrf` (`same_secret`), as the API compares the
`X-CSRF-Token` header.
"""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher

from node.access import AccessLogger, Principal
from node.clock import Clock
from node.db.engine import Database
from node.people.centre import Centre
from node.people.delegates import Delegates
from node.people.invitations import Invitation, Invitations
from node.people.pins import Hasher
from node.people.sessions import MemberSessionStore
from node.people.signin import SignedIn, SignIn
from node.people.throttle import ClientLimiter, Phantoms


class PeopleService:
    def __init__(self, *, db: Database, clock: Clock, node_id: str, base_url: str,
                 password_hasher: PasswordHasher | None = None,
                 log_access: AccessLogger | None = None) -> None:
        hasher = Hasher(password_hasher)
        limiter = ClientLimiter(clock)
        self.clock = clock
        self.sessions = MemberSessionStore(clock)
        self.invitations = Invitations(db=db, clock=clock, base_url=base_url, hasher=hasher,
                                       limiter=limiter)
        self.signin = SignIn(db=db, clock=clock, hasher=hasher, limiter=limiter,
                             phantoms=Phantoms(clock), sessions=self.sessions)
        self.delegates = Delegates(db=db, clock=clock, node_id=node_id, log_access=log_access)
        self.centre = Centre(db=db, node_id=node_id)  # the personal centre's reads

    # staff: invitations and resets ---------------------------------------------------------

    def invite(self, principal: Principal, local_id: str) -> Invitation:
        return self.invitations.invite(principal, local_id)

    def reset(self, principal: Principal, local_id: str) -> Invitation:
        return self.invitations.reset(principal, local_id)

    def credential(self, principal: Principal, local_id: str) -> dict[str, Any]:
        return self.invitations.status(principal, local_id)

    # the member: activation, signing in and out ---------------------------------------------

    def activate(self, *, code: str, secret: str, client: str) -> str:
        return self.invitations.activate(code=code, secret=secret, client=client)

    def sign_in(self, *, member: str, secret: str, client: str) -> tuple[str, SignedIn]:
        return self.signin.sign_in(member=member, secret=secret, client=client)

    def principal_for_session(self, session_id: str) -> SignedIn:
        """What every request of a signed-in member starts with (both faces)."""
        return self.signin.principal_for_session(session_id)

    def sign_out(self, session_id: str, *, member: str) -> None:
        self.signin.sign_out(session_id, member=member)

    def session_expires_at_ms(self, signed_in: SignedIn) -> int:
        return self.sessions.expires_at_ms(signed_in.session)

    # family access --------------------------------------------------------------------------

    def grant_delegate(self, principal: Principal, local_id: str, *,
                       delegate: str) -> tuple[dict[str, Any], bool]:
        return self.delegates.grant(principal, local_id, delegate=delegate)

    def revoke_delegate(self, principal: Principal, local_id: str, *,
                        delegate: str) -> dict[str, Any]:
        return self.delegates.revoke(principal, local_id, delegate=delegate)

    def list_delegates(self, principal: Principal, local_id: str) -> dict[str, Any]:
        return self.delegates.list(principal, local_id)
