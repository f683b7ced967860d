"""Invitations and activation: how a member comes to have a PIN.

invite     staff of the member's station (or an admin) make a one-time code; the answer holds it
           once, with the activation path and its QR code. Only the code's hash is stored; it
           expires after `INVITATION_TTL_MS`; a new invitation voids the open one.
reset      staff void the member's PIN (ending her sessions), clear any lock, and invite anew.
activate   the code and a new PIN: the code is used up, the PIN stored as its Argon2id hash, and
           every earlier session of the member ends. An unknown, used, voided or expired code
           gets one refusal, and counts against the client's limit.
status     whether a member has a PIN, is locked, has an open invitation, and her recent events.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from node.access import Principal, Role, require_act_for, require_read_member, require_role
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import member_invitations
from node.errors import ErrorCode, NotFound
from node.ledger.system_ids import refuse_system_id
from node.people import codes, records
from node.people.errors import ActivationRefused
from node.people.pins import Hasher, check_secret
from node.people.qr import qr_svg
from node.people.throttle import ClientLimiter
from node.services.members import load_member, require_active

DAY_MS = 24 * 60 * 60 * 1000
INVITATION_TTL_MS = 14 * DAY_MS
ACTIVATION_PATH = "/me/activate"
REFUSED = ("this activation code is not valid: it may be mistyped, used already, replaced by a "
           "newer one or expired; ask your station for a new one")


@dataclass(frozen=True)
class Invitation:
    member: str
    code: str  # shown once, never stored
    expires_at_ms: int
    activation_path: str
    activation_url: str
    qr_svg: str


class Invitations:
    def __init__(self, *, db: Database, clock: Clock, base_url: str, hasher: Hasher,
                 limiter: ClientLimiter) -> None:
        self.db = db
        self.clock = clock
        self.base_url = base_url.rstrip("/")
        self.hasher = hasher
        self.limiter = limiter

    def invite(self, principal: Principal, local_id: str) -> Invitation:
        with self.db.write() as conn:
            return self._issue(conn, principal, local_id, self.clock.now_ms())

    def reset(self, principal: Principal, local_id: str) -> Invitation:
        """Unlock, void the PIN (every live session ends with it) and invite anew."""
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            invitation = self._issue(conn, principal, local_id, now_ms)
            version = records.set_secret(conn, local_id, None, now_ms)
            records.log(conn, local_id, "credential_reset", actor=principal.actor,
                        detail=f"PIN voided and unlocked (credential version {version})",
                        now_ms=now_ms)
            return invitation

    def _issue(self, conn: Connection, principal: Principal, local_id: str,
               now_ms: int) -> Invitation:
        require_role(principal, Role.ADMIN, Role.STAFF, what="invite members to sign in")
        refuse_system_id(local_id, what="nobody signs in as it")
        member = load_member(conn, local_id)
        require_act_for(principal, local_id=local_id, station=member.station)
        require_active(member)
        voided = conn.execute(update(member_invitations).where(
            member_invitations.c.member_local_id == local_id,
            member_invitations.c.used_at_ms.is_(None),
            member_invitations.c.voided_at_ms.is_(None)).values(voided_at_ms=now_ms)).rowcount
        code = codes.new_code()
        raw = codes.normalised(code)
        assert raw is not None
        expires_at_ms = now_ms + INVITATION_TTL_MS
        invitation_id = secrets.token_hex(8)
        conn.execute(insert(member_invitations).values(
            id=invitation_id, member_local_id=local_id, code_hash=codes.code_hash(raw),
            created_by=principal.actor, created_at_ms=now_ms, expires_at_ms=expires_at_ms))
        records.log(conn, local_id, "invitation_created", actor=principal.actor,
                    detail=f"invitation {invitation_id}, {voided} older voided", now_ms=now_ms)
        path = f"{ACTIVATION_PATH}?code={quote(code)}"
        return Invitation(member=local_id, code=code, expires_at_ms=expires_at_ms,
                          activation_path=path, activation_url=self.base_url + path,
                          qr_svg=qr_svg(self.base_url + path))

    def activate(self, *, code: str, secret: str, client: str) -> str:
        """Use up the code and set the PIN; the member's number, for her to sign in with."""
        self.limiter.check(client)
        check_secret(secret)  # before the code is looked at: the answer says nothing of it
        raw = codes.normalised(code)
        now_ms = self.clock.now_ms()
        with self.db.read() as conn:
            found = self._open(conn, raw, now_ms)
        if found is None:
            self.limiter.failed(client)
            raise ActivationRefused(REFUSED)
        check_secret(secret, local_id=found.member_local_id)
        secret_hash = self.hasher.hash(secret)  # slow: outside the write lock
        with self.db.write() as conn:
            if self._open(conn, raw, now_ms) is None:  # used by a twin request meanwhile
                raise ActivationRefused(REFUSED)
            conn.execute(update(member_invitations).where(
                member_invitations.c.id == found.id).values(used_at_ms=now_ms))
            version = records.set_secret(conn, found.member_local_id, secret_hash, now_ms)
            records.log(conn, found.member_local_id, "credential_activated",
                        actor=f"member:{found.member_local_id}",
                        detail=f"invitation {found.id} used from "
                               f"{records.client_actor(client)}; credential version {version}",
                        now_ms=now_ms)
        return str(found.member_local_id)

    @staticmethod
    def _open(conn: Connection, raw: str | None, now_ms: int) -> Any | None:
        """The open invitation for a normalised code, if its member may still sign in."""
        if raw is None:
            return None
        row = conn.execute(select(member_invitations).where(
            member_invitations.c.code_hash == codes.code_hash(raw))).one_or_none()
        if (row is None or row.used_at_ms is not None or row.voided_at_ms is not None
                or row.expires_at_ms <= now_ms):
            return None
        member = records.sign_in_row(conn, row.member_local_id)
        return row if member is not None and records.is_active(member) else None

    def status(self, principal: Principal, local_id: str) -> dict[str, Any]:
        records.precheck_member(principal, local_id)
        now_ms = self.clock.now_ms()
        with self.db.read() as conn:
            member = records.sign_in_row(conn, local_id)
            if member is None:
                raise NotFound(ErrorCode.MEMBER_NOT_FOUND, f"no member {local_id} on this node")
            require_read_member(principal, local_id=local_id, station=member.station)
            invitation = conn.execute(select(member_invitations.c.expires_at_ms).where(
                member_invitations.c.member_local_id == local_id,
                member_invitations.c.used_at_ms.is_(None),
                member_invitations.c.voided_at_ms.is_(None),
                member_invitations.c.expires_at_ms > now_ms)).scalar_one_or_none()
            locked = member.locked_until_ms is not None and member.locked_until_ms > now_ms
            return {"member": local_id, "has_pin": member.secret_hash is not None,
                    "failed_count": member.failed_count or 0,
                    "locked_until_ms": member.locked_until_ms if locked else None,
                    "set_at_ms": member.set_at_ms,
                    "last_sign_in_at_ms": member.last_sign_in_at_ms,
                    "invitation_expires_at_ms": invitation,
                    "events": records.recent_events(conn, local_id)}
