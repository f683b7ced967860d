"""Corrections of a member's record, kept with their history, and duplicate registrations.

edit        staff of the member's station, or an admin, correct her display name, birth year,
            station and the care fields of vetting (hardship, subsidised), with a reason. Each
            changed field is one `member_changes` row (who, when, why, before, after) written in
            the transaction that changes the record: personal data, so never in the journal. A
            new station hands her to that station's staff: every role check reads the station
            from her row, so the old station's staff lose her at once.
changes     her history, newest first, paged. Reading it is a read of personal data: audited in
            `tb_audit` under `changes:<local id>` (`changes_read`, or `changes_refused` for a
            caller turned away), as node/notify/contacts.py does, and a row of the access log
            (node/privacy/reads.py). The regulator reads ledgers, not this.
duplicates  other members with the same name (compared as `same_name` does), birth year and
            station: registration answers with them as a warning, never a refusal. A merge
            (node/services/member_merge.py) is how an admin resolves one.

A member who is relocating or relocated is not edited here: her record is the new node's now.
A relocated member who arrives here (node/exchange/relocation.py) starts with her old address
as name and no birth year or station; correcting those three places her at a station, after
which her station's staff serve her and the policy's age rules apply (docs/members.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from node.access import Principal, Role, can_read_member, require_act_for, require_role
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import (
    api_tokens,
    member_changes,
    members,
    personal_data,
    tb_audit,
    tb_profiles,
)
from node.errors import AuthError, ErrorCode, RuleViolation
from node.ledger.system_ids import SYSTEM_MEMBER_IDS, refuse_system_id
from node.privacy import reads
from node.services.members import MemberRecord, load_member
from node.states import ERASED_REASON, MEMBER_ACTIVE, MEMBER_RELOCATED, MEMBER_RELOCATING
from node.stations.registry import require_station
from protocol.addresses import LOCAL_ID_PATTERN

MEMBER_FIELDS = ("display_name", "birth_year", "station")
CARE_FIELDS = ("hardship", "subsidised")
EDITABLE_FIELDS = MEMBER_FIELDS + CARE_FIELDS
# The merge's rows (node/services/member_merge.py); never set through `edit`.
MERGED_INTO, MERGED_FROM, STATUS = "merged_into", "merged_from", "status"
NAME_CHARS_MAX = 200
BIRTH_YEAR_MIN, BIRTH_YEAR_MAX = 1900, 2100
REASON_CHARS_MAX = 500
CHANGES_PAGE_MAX = 100  # rows of history one read returns at most
DUPLICATES_SHOWN_MAX = 10  # possible duplicates a registration names at most
# Members of one station born in one year that the duplicate check compares names with: names
# are compared after Unicode normalisation, which SQL cannot do, so the candidates are bounded.
DUPLICATE_CANDIDATES_MAX = 2_000
AUDIT_DETAIL_CHARS_MAX = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def same_name(name: str) -> str:
    """The form two names are compared in: NFKC (full-width letters as ASCII), no white space,
    case folded. "王 芳" and "王芳", "Li Ming" and "li  ming" are the same name."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def _text(value: Any) -> str | None:
    """How a value is kept in `member_changes`."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def check_fields(fields: Mapping[str, Any], reason: str) -> None:
    """Every caller's input by the API's rules (the API's model checks first): VALIDATION_FAILED
    naming the first field that does not pass."""
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        _invalid(unknown[0], "is not a field of a member's record")
    name = fields.get("display_name", "")
    if "display_name" in fields and not (isinstance(name, str) and name.strip()
                                         and len(name) <= NAME_CHARS_MAX
                                         and not _CONTROL.search(name)):
        _invalid("display_name", f"must be 1 to {NAME_CHARS_MAX} characters of text")
    year = fields.get("birth_year")
    if year is not None and not (type(year) is int and BIRTH_YEAR_MIN <= year <= BIRTH_YEAR_MAX):
        _invalid("birth_year", f"must be a year from {BIRTH_YEAR_MIN} to {BIRTH_YEAR_MAX}")
    station = fields.get("station", "")
    if "station" in fields and not (isinstance(station, str)
                                    and re.fullmatch(LOCAL_ID_PATTERN, station)):
        _invalid("station", "must be a station id")
    for care in CARE_FIELDS:
        if care in fields and not isinstance(fields[care], bool):
            _invalid(care, "must be true or false")
    if not (reason.strip() and len(reason) <= REASON_CHARS_MAX and not _CONTROL.search(reason)):
        _invalid("reason", f"must be 1 to {REASON_CHARS_MAX} characters of text")


def _invalid(field: str, why: str) -> None:
    raise RuleViolation(ErrorCode.VALIDATION_FAILED, f"{field} {why}")


def member_record(row: Any, node_id: str) -> MemberRecord:
    return MemberRecord(
        local_id=row.local_id, address=f"{row.local_id}@{node_id}",
        display_name=row.display_name, station=row.station, birth_year=row.birth_year,
        status=row.status, created_at_ms=row.created_at_ms, relocated_to=row.relocated_to)


def refuse_moved(row: Any) -> None:
    if row.relocated_to is not None or row.status in (MEMBER_RELOCATING, MEMBER_RELOCATED):
        raise RuleViolation(ErrorCode.MEMBER_RELOCATED,
                            f"member {row.local_id} has moved (or is moving) to another node: "
                            "her record is kept there")


def record_change(conn: Connection, *, local_id: str, field: str, before: Any, after: Any,
                  reason: str, actor: str, now_ms: int) -> None:
    conn.execute(insert(member_changes).values(
        member_local_id=local_id, field=field, before=_text(before), after=_text(after),
        reason=reason, actor=actor, at_ms=now_ms))


@dataclass(frozen=True)
class EditResult:
    member: MemberRecord
    hardship: bool
    subsidised: bool
    changed: tuple[str, ...]  # the fields this edit changed, in EDITABLE_FIELDS order


class MemberEdits:
    def __init__(self, *, db: Database, clock: Clock, node_id: str,
                 subsidised_allowed: bool) -> None:
        self.db = db
        self.clock = clock
        self.node_id = node_id
        # The policy's credit.subsidised_services, read by node/runtime.py: this layer does not
        # import the time bank's policy.
        self.subsidised_allowed = subsidised_allowed

    def edit(self, principal: Principal, local_id: str, *, fields: Mapping[str, Any],
             reason: str) -> EditResult:
        """Change the given fields; those already equal are left alone and not recorded, so
        sending the same correction twice records it once."""
        require_role(principal, Role.ADMIN, Role.STAFF, what="correct members' records")
        refuse_system_id(local_id, what="it has no record to correct")
        check_fields(fields, reason)
        now_ms = self.clock.now_ms()
        year = fields.get("birth_year")
        if year is not None and year > datetime.fromtimestamp(now_ms / 1000, tz=UTC).year:
            _invalid("birth_year", "is in the future")
        with self.db.write() as conn:
            row = load_member(conn, local_id)
            require_act_for(principal, local_id=local_id, station=row.station)
            refuse_moved(row)
            if row.deactivation_reason == ERASED_REASON:
                raise RuleViolation(ErrorCode.MEMBER_ERASED,
                                    f"{local_id}'s personal data was erased at her request; "
                                    "her record takes no new personal data")
            self._refuse_subsidy(fields)
            care = _care(conn, local_id)
            current = {**{name: getattr(row, name) for name in MEMBER_FIELDS}, **care}
            changed = tuple(name for name in EDITABLE_FIELDS
                            if name in fields and fields[name] != current[name])
            if "station" in changed:
                require_station(conn, fields["station"])  # station_unknown, once registered
            for name in changed:
                record_change(conn, local_id=local_id, field=name, before=current[name],
                              after=fields[name], reason=reason, actor=principal.actor,
                              now_ms=now_ms)
            on_row = {name: fields[name] for name in changed if name in MEMBER_FIELDS}
            if on_row:
                conn.execute(update(members).where(members.c.local_id == local_id)
                             .values(**on_row))
            if any(name in CARE_FIELDS for name in changed):
                care = {name: fields.get(name, care[name]) for name in CARE_FIELDS}
                _store_care(conn, local_id, care, reason=reason, actor=principal.actor,
                            now_ms=now_ms)
            return EditResult(member=member_record(load_member(conn, local_id), self.node_id),
                              hardship=care["hardship"], subsidised=care["subsidised"],
                              changed=changed)

    def _refuse_subsidy(self, fields: Mapping[str, Any]) -> None:
        if fields.get("subsidised") is True and not self.subsidised_allowed:
            raise RuleViolation(ErrorCode.NOT_ELIGIBLE, "this node's policy pays no member's "
                                "services from issuance (credit.subsidised_services)")

    def changes(self, principal: Principal, local_id: str, *, before_id: int | None,
                limit: int) -> dict[str, Any]:
        """Her history, newest first: at most `limit` (and CHANGES_PAGE_MAX) rows older than
        `before_id`; `next_before_id` continues it. Audited, refusals included."""
        limit = max(1, min(limit, CHANGES_PAGE_MAX))
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            refusal = _refusal(conn, principal, local_id, now_ms)
            if refusal is None:
                page = _history(conn, local_id, before_id=before_id, limit=limit)
                _audit(conn, local_id, "changes_read", principal.actor,
                       f"{len(page['items'])} change(s)", now_ms)
                return page
        raise refusal  # after the transaction, so that the refusal's audit row stays

    def unplaced(self, principal: Principal, *, after: str | None,
                 limit: int) -> list[MemberRecord]:
        """Active members with no station, by id: no station's staff sees them, so an admin
        places them (members who arrived by relocation start so)."""
        require_role(principal, Role.ADMIN, what="list members without a station")
        query = (select(members).where(
            members.c.station.is_(None), members.c.status == MEMBER_ACTIVE,
            members.c.local_id.not_in(sorted(SYSTEM_MEMBER_IDS)))
            .order_by(members.c.local_id).limit(limit))
        if after is not None:
            query = query.where(members.c.local_id > after)
        with self.db.write() as conn:  # one access-log row per member listed
            found = [member_record(row, self.node_id) for row in conn.execute(query)]
            reads.logged_list(conn, principal, [m.local_id for m in found],
                              fields=reads.RECORD_FIELDS, now_ms=self.clock.now_ms())
            return found

    def duplicates(self, principal: Principal, record: MemberRecord) -> list[MemberRecord]:
        """Other members of the same station, born the same year, with the same name (no
        station and no birth year count as values): possible duplicates of `record`, which the
        principal may read, since they share its station."""
        require_role(principal, Role.ADMIN, Role.STAFF, what="look for duplicate members")
        query = (select(members).where(
            members.c.local_id != record.local_id,
            members.c.local_id.not_in(sorted(SYSTEM_MEMBER_IDS)),
            members.c.station.is_(None) if record.station is None
            else members.c.station == record.station,
            members.c.birth_year.is_(None) if record.birth_year is None
            else members.c.birth_year == record.birth_year,
        ).order_by(members.c.local_id).limit(DUPLICATE_CANDIDATES_MAX))
        with self.db.write() as conn:
            row = load_member(conn, record.local_id)
            require_act_for(principal, local_id=row.local_id, station=row.station)
            name = same_name(record.display_name)
            found = [member_record(r, self.node_id) for r in conn.execute(query)
                     if same_name(r.display_name) == name]
            found += [m for m in _same_id_number(conn, record.local_id, self.node_id)
                      if m.local_id not in {f.local_id for f in found}
                      and can_read_member(principal, local_id=m.local_id, station=m.station)]
            found = found[:DUPLICATES_SHOWN_MAX]
            # Each duplicate shown is a read of another member's record: a row each.
            reads.logged_list(conn, principal, [m.local_id for m in found],
                              fields=reads.RECORD_FIELDS, now_ms=self.clock.now_ms())
        return found


def _same_id_number(conn: Connection, local_id: str, node_id: str) -> list[MemberRecord]:
    """Members stored with the same ID-number hash as `local_id` (node/privacy keeps it):
    the same person registered again, whatever name or station she was given."""
    mine = select(personal_data.c.id_hash).where(personal_data.c.member_local_id == local_id,
                                                 personal_data.c.id_hash.is_not(None))
    query = (select(members).join(personal_data,
                                  personal_data.c.member_local_id == members.c.local_id)
             .where(personal_data.c.id_hash.in_(mine),
                    members.c.local_id != local_id)
             .order_by(members.c.local_id).limit(DUPLICATES_SHOWN_MAX))
    return [member_record(row, node_id) for row in conn.execute(query)]


def _care(conn: Connection, local_id: str) -> dict[str, bool]:
    row = conn.execute(select(tb_profiles).where(
        tb_profiles.c.member_local_id == local_id)).one_or_none()
    return {"hardship": bool(row.hardship) if row else False,
            "subsidised": bool(row.subsidised) if row else False}


def _store_care(conn: Connection, local_id: str, care: Mapping[str, bool], *, reason: str,
                actor: str, now_ms: int) -> None:
    """The vetting record as node/timebank/people.py's `vet` keeps it, with this correction as
    the latest vetting."""
    values = {"hardship": int(care["hardship"]), "subsidised": int(care["subsidised"]),
              "reason": reason, "vetted_by": actor, "vetted_at_ms": now_ms}
    found = conn.execute(update(tb_profiles).where(
        tb_profiles.c.member_local_id == local_id).values(**values)).rowcount
    if not found:
        conn.execute(insert(tb_profiles).values(member_local_id=local_id, **values))


def _refusal(conn: Connection, principal: Principal, local_id: str,
             now_ms: int) -> AuthError | None:
    """None when `principal` may read her history; else the refusal, audited here. Either way
    a row of the access log too (node/privacy/reads.py): the history holds names' before and
    after values. The regulator reads ledgers, not this."""
    refused = reads.logged_read(conn, principal, local_id, fields=reads.HISTORY_FIELDS,
                                now_ms=now_ms, what="read the record's history of member",
                                regulator=False)
    if refused is not None:
        _audit(conn, local_id, "changes_refused", principal.actor, refused.detail, now_ms)
    return refused


def _audit(conn: Connection, local_id: str, action: str, actor: str, detail: str,
           now_ms: int) -> None:
    conn.execute(insert(tb_audit).values(
        subject=f"changes:{local_id}", action=action, actor=actor,
        detail=detail[:AUDIT_DETAIL_CHARS_MAX], entry_height=None, at_ms=now_ms))


def _history(conn: Connection, local_id: str, *, before_id: int | None,
             limit: int) -> dict[str, Any]:
    query = (select(member_changes).where(member_changes.c.member_local_id == local_id)
             .order_by(member_changes.c.id.desc()).limit(limit + 1))
    if before_id is not None:
        query = query.where(member_changes.c.id < before_id)
    rows = conn.execute(query).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    labels = _token_labels(conn, {row.actor for row in rows})
    others = {row.after for row in rows if row.field in (MERGED_INTO, MERGED_FROM)}
    names = dict(conn.execute(select(members.c.local_id, members.c.display_name)
                              .where(members.c.local_id.in_(sorted(others)))).all())
    items = [{"id": row.id, "field": row.field, "before": row.before, "after": row.after,
              "reason": row.reason, "actor": row.actor, "actor_label": labels.get(row.actor),
              "other_name": names.get(row.after) if row.field in (MERGED_INTO, MERGED_FROM)
              else None, "at_ms": row.at_ms} for row in rows]
    return {"items": items, "next_before_id": rows[-1].id if has_more else None}


def _token_labels(conn: Connection, actors: set[str]) -> dict[str, str]:
    """The label an operator gave each staff or admin token (usually the person's name), by
    actor: `staff:<station>:<token id>` and `admin:<token id>` name their token last."""
    by_token = {actor.rsplit(":", 1)[1]: actor for actor in actors
                if actor.startswith(("staff:", "admin:"))}
    rows = conn.execute(select(api_tokens.c.id, api_tokens.c.label)
                        .where(api_tokens.c.id.in_(sorted(by_token))))
    # A staff account (node/staff/) signs as `acct.<username>`: its username is its label.
    accounts = {actor: token_id.removeprefix("acct.") for token_id, actor in by_token.items()
                if token_id.startswith("acct.")}
    return accounts | {by_token[token_id]: label for token_id, label in rows}
