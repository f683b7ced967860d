"""A member's records in words a person understands: "陈志强 上门打扫" beside "+1 小时 15 分",
never a ledger memo or an account code.

Pure functions over what the services returned: the statement (node.members), the names behind
it (node.people.centre.CentreFacts) and what the node calls its services and peers
(node.notify.texts.Names, the policy's catalogue and the directory).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from node.centre import i18n
from node.notify.texts import Names
from node.people.centre import CentreFacts, ServiceFact
from node.states import ServiceRequestState, TransferState


@dataclass(frozen=True)
class Words:
    """How one page names things: language, whose records, and the facts to name them by."""

    lang: str
    me: str  # the member whose centre this is
    node_id: str
    facts: CentreFacts
    names: Names

    def t(self, key: str, **values: Any) -> str:
        return i18n.translate(self.lang, key, **values)


@dataclass(frozen=True)
class Line:
    title: str
    at_ms: int
    amount_minutes: int


def person(words: Words, address: str) -> str:
    """A person by name where this node knows it, with the relation for kin and the city for
    someone at another node: "子女 王军", "父母 wang.fang（南京鼓楼）"."""
    local_id, _, node = address.partition("@")
    relation = words.facts.kin.get(address)
    if node == words.node_id or not node:
        name = words.t("who.here", name=words.facts.people.get(local_id, local_id))
    else:
        name = words.t("who.elsewhere", name=local_id, node=words.names.node_name(node) or node)
    if relation is None or not i18n.has(words.lang, f"relation.{relation}"):
        return name
    return f"{words.t(f'relation.{relation}')} {name}"


def _local(words: Words, local_id: str | None) -> str:
    if local_id is None:
        return words.t("someone")
    return words.facts.people.get(local_id, local_id)


def service_name(words: Words, fact: ServiceFact | None) -> str:
    if fact is None:
        return words.t("service.unknown")
    if fact.item is not None and fact.item in words.names.items:
        return words.names.items[fact.item]
    if i18n.has(words.lang, f"service.{fact.category}"):
        return words.t(f"service.{fact.category}")
    return words.names.categories.get(fact.category, fact.category)


def _counterparty(words: Words, item: dict[str, Any]) -> str:
    """The other person of a transfer line: a member here (from the journal) or an address."""
    here = words.facts.heights.get(int(item["height"]), ())
    if here:
        return person(words, f"{here[0]}@{words.node_id}")
    parties = [p for p in item.get("counterparty", []) if "@" in p]
    return person(words, parties[0]) if parties else words.t("someone")


_HOLD_WORDS: dict[str, str] = {ServiceRequestState.PAID: "line.service_paid",
                               ServiceRequestState.DISPUTED: "line.service_disputed"}


def _service_title(words: Words, item: dict[str, Any]) -> str:
    fact = words.facts.services.get(str(item.get("ref")))
    service = service_name(words, fact)
    if fact is None:
        return service
    if item["kind"] == "service_adjust":  # a paid visit corrected (node/timebank/corrections.py)
        return words.t("line.service_adjust", service=service)
    served = fact.recipient == words.me
    other = _local(words, fact.volunteer if served else fact.recipient)
    if item["kind"] == "service_hold":
        # The hold is the line her hours left by; once paid it reads as the visit itself.
        key = _HOLD_WORDS.get(str(fact.state), "line.service_hold")
        return words.t(key, service=service, who=other)
    if served:
        return words.t("line.service_back", service=service)
    return words.t("line.service_earned", service=service, who=other)


_TRANSFERS = {"transfer_out": "line.transfer_out", "transfer_settle": "line.transfer_out",
              "transfer_in": "line.transfer_in", "transfer_release": "line.transfer_release"}
_PLAIN = ("grant", "donation", "distribution", "relocation_in", "relocation_out", "reversal",
          "member_merge", "estate")


def title(words: Words, item: dict[str, Any]) -> str:
    kind = str(item["kind"])
    if kind == "transfer":
        key = "line.transfer_out" if item["amount_minutes"] < 0 else "line.transfer_in"
        return words.t(key, who=_counterparty(words, item))
    if kind in _TRANSFERS:
        return words.t(_TRANSFERS[kind], who=_counterparty(words, item))
    if kind in ("service_hold", "service_settle", "service_rehold", "service_adjust"):
        return _service_title(words, item)
    if kind == "goods_redemption":
        return words.t("line.goods_redemption", what=item.get("memo", ""))
    if kind in _PLAIN:
        return words.t(f"line.{kind}")
    return words.t("line.other")


def transfer_state(words: Words, state: str, who: str, route: list[str] | None = None) -> str:
    """A transfer's state in words: "已送达", "正在送往 子女 王军…", and through a hub
    "正在经 长三角清算枢纽 送往 子女 王军…"."""
    hubs = via(words, route)
    if state == TransferState.PENDING:
        return words.t("state.pending_via", who=who, hubs=hubs) if hubs \
            else words.t("state.pending", who=who)
    if state == TransferState.IN_DOUBT and hubs:
        return words.t("state.in_doubt_via", hubs=hubs)
    return words.t(f"state.{state}")


def via(words: Words, route: list[str] | None) -> str:
    """The hubs between the two cities by name ("长三角清算枢纽、浙江枢纽"), or ""."""
    if not route or len(route) <= 2:
        return ""
    return words.t("route.joiner").join(words.names.node_name(node) or node
                                        for node in route[1:-1])


def lines(words: Words, statement: dict[str, Any]) -> list[Line]:
    return [Line(title=title(words, item), at_ms=int(item["created_at_ms"]),
                 amount_minutes=int(item["amount_minutes"])) for item in statement["items"]]
