"""Names instead of ids in the member page's record history and family lists (issue 14, item
10): who made a correction, who gave or ended a relative's access, and the relatives themselves
read as names, with the id small beside them (people_names.py does the same for requests).

  a member     her display name; a member whose personal data was erased reads as erased,
               never by an old name (the erasure replaced her name on her record)
  staff, admin the staff account's username or the label an operator gave the token, with the
               role and station; the token's id beside it when it is not the username already

Names are looked up in two queries per page (members, tokens), at most NAMES_MAX ids each, for
people the page may show already (her record, her family at her station).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import select

from node.console import i18n
from node.db.schema import api_tokens, members
from node.privacy.erasure import is_erased
from node.runtime import Node
from node.staff.accounts import TOKEN_ID_PREFIX

NAMES_MAX = 500


@dataclass(frozen=True)
class Named:
    name: str  # in words
    id: str  # shown small beside the name ("" when the name says it all)

    def html(self) -> Markup:
        """`name <span class="id">id</span>`, escaped."""
        if not self.id:
            return escape(self.name)
        return Markup('{} <span class="id">{}</span>').format(self.name, self.id)


@dataclass(frozen=True)
class Found:
    members: dict[str, str | None]  # local id -> display name (None: erased)
    labels: dict[str, str]  # token id -> the username or the token's label


def _member_of(actor: str) -> str | None:
    kind, _, rest = actor.partition(":")
    return rest if kind == "member" else None


def _token_of(actor: str) -> str | None:
    kind, _, rest = actor.partition(":")
    return rest.rsplit(":", 1)[-1] if kind in ("staff", "admin", "regulator") and rest else None


def look_up(node: Node, *, actors: Iterable[str | None] = (),
            member_ids: Iterable[str | None] = ()) -> Found:
    """The names of the members and of the token holders these actors and ids name."""
    named = [actor for actor in actors if actor]
    wanted = sorted({*(m for m in member_ids if m),
                     *(m for a in named if (m := _member_of(a)))})[:NAMES_MAX]
    tokens = sorted({t for a in named if (t := _token_of(a))})[:NAMES_MAX]
    labels = {t: t.removeprefix(TOKEN_ID_PREFIX) for t in tokens
              if t.startswith(TOKEN_ID_PREFIX)}
    found: dict[str, str | None] = {}
    with node.db.read() as conn:
        if wanted:
            rows = conn.execute(select(members.c.local_id, members.c.display_name,
                                       members.c.deactivation_reason)
                                .where(members.c.local_id.in_(wanted)))
            found = {row.local_id: None if is_erased(row) else row.display_name
                     for row in rows}
        if tokens:
            labels |= dict(conn.execute(select(api_tokens.c.id, api_tokens.c.label)
                                        .where(api_tokens.c.id.in_(tokens))).all())
    return Found(found, labels)


def member(lang: str, local_id: str, found: Found) -> Named:
    if local_id not in found.members:
        return Named(local_id, "")
    name = found.members[local_id]
    return Named(name if name is not None else i18n.translate(lang, "names.erased"), local_id)


def actor(lang: str, actor_id: str | None, found: Found) -> Named:
    """Who did it, from a record's actor (node/access.py `Principal.actor`)."""
    if not actor_id:
        return Named("", "")
    kind, _, rest = actor_id.partition(":")
    if kind == "member":
        return member(lang, rest, found)
    if kind == "staff":
        station = rest.partition(":")[0]
        role = i18n.translate(lang, "role.staff", station=station)
    elif kind in ("admin", "regulator"):
        role = i18n.translate(lang, f"role.{kind}")
    else:
        return Named(actor_id, "")
    token = _token_of(actor_id) or ""
    label = found.labels.get(token)
    if label is None:
        return Named(role, token)
    shown_id = "" if token == f"{TOKEN_ID_PREFIX}{label}" else token
    return Named(i18n.translate(lang, "history.who", label=label, role=role), shown_id)
