"""Link-map vectors (§22): one signed map with the routes it gives, and maps a node must refuse.

Every map is judged against the vectors' directory (positive/directory.json), which lists
bj-xicheng (suspended), hz-xihu, nj-gulou, sh-pudong and sz-futian (retired).
"""

from __future__ import annotations

from typing import Any

from protocol.conformance.fixtures import FEDERATION_ID, T0_MS, vector_directory, vector_key
from protocol.conformance.negative_directory import refusal_case as _case
from protocol.conformance.negative_directory import resigned as _resigned
from protocol.conformance.vectors import signed_vector
from protocol.errors import ProtocolError
from protocol.links import accept_links, decode_links, sign_links
from protocol.policy import HOUR_MS
from protocol.reasons import ReasonCode
from protocol.routes import route

# Two routes of two links join sh-pudong and nj-gulou: through bj-xicheng and through hz-xihu.
PAIRS = (
    ("bj-xicheng", "nj-gulou"),
    ("bj-xicheng", "sh-pudong"),
    ("hz-xihu", "nj-gulou"),
    ("hz-xihu", "sh-pudong"),
    ("nj-gulou", "sz-futian"),
)
ALL_NODES = ("bj-xicheng", "hz-xihu", "nj-gulou", "sh-pudong", "sz-futian")
ACTIVE_NODES = ("hz-xihu", "nj-gulou", "sh-pudong")


def _link(a: str, b: str, cap_minutes: int = 30_000) -> dict[str, Any]:
    return {"a": a, "b": b, "a_cap_minutes": cap_minutes, "b_cap_minutes": cap_minutes}


def links_document(*, serial: int = 1, issued_at_ms: int = T0_MS + HOUR_MS) -> dict[str, Any]:
    """The vectors' link map, signed by the `authority` key: hops_max 2."""
    body = {"hops_max": 2, "links": [_link(a, b) for a, b in PAIRS]}
    return sign_links(
        body,
        authority=vector_key("authority"),
        directory=vector_directory(),
        serial=serial,
        issued_at_ms=issued_at_ms,
    )


def _route_cases() -> list[dict[str, Any]]:
    link_map = decode_links(links_document())
    cases = []
    for source, target, active in (
        ("sh-pudong", "nj-gulou", ALL_NODES),  # a tie: bj-xicheng sorts first
        ("sh-pudong", "nj-gulou", ACTIVE_NODES),  # bj-xicheng suspended: through hz-xihu
        ("nj-gulou", "sh-pudong", ACTIVE_NODES),
        ("hz-xihu", "nj-gulou", ACTIVE_NODES),
        ("sh-pudong", "sz-futian", ALL_NODES),  # three links, over hops_max
        ("hz-xihu", "sz-futian", ACTIVE_NODES),  # sz-futian retired
    ):
        found = route(link_map, source, target, active=frozenset(active))
        cases.append(
            {
                "source": source,
                "target": target,
                "active": list(active),
                "route": None if found is None else list(found),
            }
        )
    return cases


def links_positive_vector() -> dict[str, Any]:
    vector = signed_vector(
        "links",
        links_document(),
        signer=FEDERATION_ID,
        key_name="authority",
        schema="links.schema.json",
    )
    vector["routes"] = _route_cases()
    return vector


Case = tuple[str, str, Any, Any, ReasonCode]  # name, description, held, candidate, reason


def _malformed_cases(one: dict[str, Any]) -> list[Case]:
    links = one["links"]
    code = ReasonCode.MALFORMED
    return [
        ("unsorted", "the links in reverse order", None, _resigned(one, links=links[::-1]), code),
        (
            "duplicate",
            "one link listed twice",
            None,
            _resigned(one, links=[links[0], *links]),
            code,
        ),
        (
            "self_link",
            "a link from hz-xihu to itself",
            None,
            _resigned(one, links=[_link("hz-xihu", "hz-xihu"), *links[2:]]),
            code,
        ),
        (
            "pair_reversed",
            "the last link written with a after b (still in sorted place)",
            None,
            _resigned(one, links=[*links[:-1], _link("sz-futian", "nj-gulou")]),
            code,
        ),
        (
            "unknown_node",
            "a link to a node the directory does not list",
            None,
            _resigned(one, links=[*links, _link("sz-futian", "wh-jianghan")]),
            code,
        ),
        (
            "extra_member",
            "a member the standard does not define",
            None,
            _resigned(one, hubs=["hz-xihu"]),
            code,
        ),
    ]


def _acceptance_cases(one: dict[str, Any]) -> list[Case]:
    two = links_document(serial=2, issued_at_ms=T0_MS + 2 * HOUR_MS)
    links = one["links"]
    tampered = _resigned(one)
    tampered["links"] = [{**links[0], "a_cap_minutes": 60_000}, *links[1:]]
    over_cap = 600_001  # DEFAULT_POLICY's per-partner maximum is 600 000
    return [
        ("tampered", "a cap raised after signing", None, tampered, ReasonCode.BAD_SIGNATURE),
        (
            "untrusted_key",
            "signed by a key the held directory does not list for the authority",
            None,
            _resigned(one, "intruder"),
            ReasonCode.UNKNOWN_KEY,
        ),
        (
            "hops_max_out_of_bounds",
            "hops_max 4; the standard allows 1 to 3",
            None,
            _resigned(one, hops_max=4),
            ReasonCode.POLICY_OUT_OF_BOUNDS,
        ),
        (
            "cap_over_policy",
            "a cap one minute over the policy's per-partner maximum",
            None,
            _resigned(one, links=[_link(*PAIRS[0], over_cap), *links[1:]]),
            ReasonCode.POLICY_OUT_OF_BOUNDS,
        ),
        (
            "other_federation",
            "a link map of another federation",
            None,
            _resigned(one, federation_id="cn-othercare"),
            ReasonCode.DIRECTORY_CONFLICT,
        ),
        ("older_serial", "serial 1 while serial 2 is held", two, one, ReasonCode.DIRECTORY_STALE),
        (
            "same_serial_other_content",
            "serial 1 again, with hops_max 3",
            one,
            _resigned(one, hops_max=3),
            ReasonCode.DIRECTORY_CONFLICT,
        ),
    ]


def links_negative_vectors() -> dict[str, dict[str, Any]]:
    one = links_document()
    return {
        name: _case(description, held, candidate, reason)
        for name, description, held, candidate, reason in [
            *_malformed_cases(one),
            *_acceptance_cases(one),
        ]
    }


def run_links_vector(vector: dict[str, Any]) -> ReasonCode | None:
    """The reason the vector's candidate is refused with, against the vectors' directory."""
    directory = vector_directory()
    held = None if vector["held"] is None else decode_links(vector["held"])
    try:
        accept_links(vector["candidate"], directory=directory, current=held)
    except ProtocolError as exc:
        return exc.code
    return None
