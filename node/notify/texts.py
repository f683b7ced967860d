"""The words of a notification, Chinese first and English beside it, rendered from its kind and
payload when it is read or sent (the stored row holds ids and numbers only).

Each message sits with both translations, as in the console's catalogue (node/console/i18n.py),
so a missing one shows in review and in tests/node/notify/test_texts.py. The sentences are
short and say what happened in the words of the person reading them: "陈志强 已接下您的“上门
打扫”需求。" Names come from the members table; what a service is called from the policy
(its catalogue items and own categories) or, for the standard's five categories, from here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.db.schema import members, tb_service_requests
from node.notify.store import Stored
from node.states import NotificationKind as Kind

LANGUAGES = ("zh", "en")
Text = dict[str, str]  # language -> words

CATALOGUE: dict[str, tuple[str, str]] = {
    "title.request_taken": ("您的需求有人接了", "Your request was taken"),
    "title.volunteer_arriving": ("志愿者已到", "Your volunteer has arrived"),
    "title.visit_confirmed": ("服务已确认", "Your visit was confirmed"),
    "title.hours_received": ("收到时间", "Hours received"),
    "title.payment_request_waiting": ("有付款请求等您确认", "A payment request is waiting"),
    "title.complaint_resolved": ("投诉已处理", "A complaint was settled"),
    "text.request_taken": ("{volunteer} 已接下您的“{service}”需求。",
                           "{volunteer} has taken your request: {service}."),
    "text.volunteer_arriving": ("志愿者 {volunteer} 已到，开始为您服务：“{service}”。",
                                "Your volunteer {volunteer} has arrived for: {service}."),
    "text.visit_confirmed": ("{recipient} 已确认您的“{service}”服务，您得到 {amount}。谢谢您！",
                             "{recipient} confirmed your visit ({service}): you earned {amount}. "
                             "Thank you!"),
    "text.visit_confirmed_over_caps": (
        "{recipient} 已确认您的“{service}”服务。谢谢您！您的时间已到上限，这次的时间转给了爱心池。",
        "{recipient} confirmed your visit ({service}). Thank you! Your hours are at their "
        "limit, so this visit's hours went to the donation pool."),
    "text.hours_received": ("您收到 {amount}，来自 {node} 的 {sender}。",
                            "You received {amount} from {sender} at {node}."),
    "text.payment_request_waiting": (
        "{node} 的 {payee} 请您为一次服务付 {amount}。请确认或拒绝。",
        "{payee} at {node} asks you to pay {amount} for a service. Please approve or decline."),
    "text.complaint_resolved.release": (
        "关于“{service}”的投诉已处理：时间付给了志愿者（{released}）。",
        "The complaint about {service} is settled: the volunteer is paid ({released})."),
    "text.complaint_resolved.refund": (
        "关于“{service}”的投诉已处理：时间已退回（{refunded}）。",
        "The complaint about {service} is settled: the hours were given back ({refunded})."),
    "text.complaint_resolved.partial": (
        "关于“{service}”的投诉已处理：志愿者得到 {released}，退回 {refunded}。",
        "The complaint about {service} is settled: the volunteer is paid {released} and "
        "{refunded} were given back."),
    "service.daily_living": ("生活照料", "daily living help"),
    "service.health": ("医疗保健", "health care"),
    "service.home_safety": ("居家安全", "home safety"),
    "service.education_recreation": ("文体娱乐", "education and recreation"),
    "service.professional": ("专业服务", "professional services"),
    "service.unknown": ("服务", "a service"),
    "amount.hm": ("{hours} 小时 {minutes} 分", "{hours} h {minutes} min"),
    "amount.h": ("{hours} 小时", "{hours} h"),
    "amount.m": ("{minutes} 分", "{minutes} min"),
}
SERVICE_KINDS = frozenset({Kind.REQUEST_TAKEN, Kind.VOLUNTEER_ARRIVING, Kind.VISIT_CONFIRMED,
                           Kind.COMPLAINT_RESOLVED})
PERSON_KEYS = ("volunteer", "recipient")


def _both(key: str, **values: Any) -> Text:
    return {lang: CATALOGUE[key][index].format(**values) for index, lang in enumerate(LANGUAGES)}


def amount_text(minutes: int) -> Text:
    """Minutes as hours and minutes a person reads at a glance: "1 小时 15 分"."""
    hours, rest = divmod(max(minutes, 0), 60)
    if hours and rest:
        return _both("amount.hm", hours=hours, minutes=rest)
    return _both("amount.h", hours=hours) if hours else _both("amount.m", minutes=rest)


def _no_name(node_id: str) -> str | None:
    return None


@dataclass(frozen=True)
class Names:
    """What the node calls things, passed in by node/runtime.py: the policy's catalogue items
    and categories by code, and the directory's name of a node."""

    items: Mapping[str, str] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=dict)
    node_name: Callable[[str], str | None] = _no_name


@dataclass(frozen=True)
class Facts:
    """What the notifications of one page (or one delivery) name: people by local id, service
    requests by id as (category, item)."""

    people: Mapping[str, str]
    services: Mapping[str, tuple[str, str | None]]


def gather(conn: Connection, notes: list[Stored]) -> Facts:
    ids = {str(note.payload[key]) for note in notes for key in PERSON_KEYS if key in note.payload}
    requests = {str(note.payload["request"]) for note in notes if note.kind in SERVICE_KINDS}
    found = conn.execute(select(members.c.local_id, members.c.display_name).where(
        members.c.local_id.in_(sorted(ids)))).all() if ids else []
    rows = conn.execute(select(tb_service_requests.c.id, tb_service_requests.c.category,
                               tb_service_requests.c.item).where(
        tb_service_requests.c.id.in_(sorted(requests)))).all() if requests else []
    return Facts(people={row.local_id: row.display_name for row in found},
                 services={row.id: (row.category, row.item) for row in rows})


def _service(note: Stored, facts: Facts, names: Names) -> Text:
    found = facts.services.get(str(note.payload.get("request")))
    if found is None:
        return _both("service.unknown")
    category, item = found
    if item is not None and item in names.items:
        return dict.fromkeys(LANGUAGES, names.items[item])
    if f"service.{category}" in CATALOGUE:
        return _both(f"service.{category}")
    return dict.fromkeys(LANGUAGES, names.categories.get(category, category))


def _values(note: Stored, facts: Facts, names: Names, lang: str) -> dict[str, str]:
    """Every placeholder a sentence of this notification may use, in `lang`."""
    payload = note.payload
    values = {key: facts.people.get(str(payload[key]), str(payload[key]))
              for key in PERSON_KEYS if key in payload}
    for key in ("sender", "payee"):
        if key in payload:
            # A member at another node: her number; the sentence names her node beside it.
            values[key] = str(payload[key]).partition("@")[0]
    if "node" in payload:
        values["node"] = names.node_name(str(payload["node"])) or str(payload["node"])
    for key, amount_key in (("amount", "amount_minutes"), ("amount", "credited_minutes"),
                            ("released", "released_minutes"), ("refunded", "refunded_minutes")):
        if amount_key in payload:
            values[key] = amount_text(int(payload[amount_key]))[lang]
    if note.kind in SERVICE_KINDS:
        values["service"] = _service(note, facts, names)[lang]
    return values


def _text_key(note: Stored) -> str:
    if note.kind is Kind.COMPLAINT_RESOLVED:
        return f"text.complaint_resolved.{note.payload['outcome']}"
    if note.kind is Kind.VISIT_CONFIRMED and note.payload["credited_minutes"] == 0:
        return "text.visit_confirmed_over_caps"
    return f"text.{note.kind.value}"


@dataclass(frozen=True)
class Rendered:
    title: Text
    text: Text


def render(note: Stored, facts: Facts, names: Names) -> Rendered:
    key = _text_key(note)
    text = {lang: CATALOGUE[key][index].format(**_values(note, facts, names, lang))
            for index, lang in enumerate(LANGUAGES)}
    return Rendered(title=_both(f"title.{note.kind.value}"), text=text)
