"""The demo's city rules: each demo node runs an example policy (examples/policies/), and the
demo people are recorded so those rules let the demo's gifts through.

Shanghai lets members give hours to relatives and friends, Nanjing and Beijing only to direct
relatives, and Beijing only from 60 (docs/timebank.md, "The example programmes"). So the seed
records who is whose relative (the kin registry) and which elders staff vetted, before any
grant or gift, as a station would when the members join.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import httpx

from node.config import load_config, save_config

ROOT = Path(__file__).resolve().parent.parent
POLICIES = {
    "sh-pudong": "shanghai-2026.toml",
    "nj-gulou": "nanjing-2019.toml",
    "bj-chaoyang": "beijing-2022.toml",
}
# (member, relative, the relative's relation to her), by node.
KIN = {
    "sh-pudong": (
        ("zhou-min", "wang-guifang", "friend"),  # neighbours on the same stairwell
        ("liu-yang", "sun-xiulan@nj-gulou", "parent"),  # his mother, in Nanjing
    ),
    "nj-gulou": (
        ("wu-jing", "sun-xiulan", "grandparent"),
        ("wu-jing", "chen-jianguo@sh-pudong", "grandparent"),  # her grandfather in Shanghai
    ),
    "bj-chaoyang": (("ma-hui", "li-shufen", "parent"),),
}
# Elders staff vetted as in hardship (granted hours go only to vetted members).
VETTED = {
    "sh-pudong": (("wang-guifang", "lives alone, low income"),),
    "nj-gulou": (("sun-xiulan", "disability, lives alone"),),
    "bj-chaoyang": (("li-shufen", "over 85, lives alone"),),
}


def policy_path(node_id: str) -> Path:
    return ROOT / "examples" / "policies" / POLICIES[node_id]


def unit_options(node_id: str) -> list[str]:
    """`directory add-node` options listing the policy's unit, so peers show the city's unit; none
    for the hub, which runs no city's policy (the directory's default unit, the minute)."""
    if node_id not in POLICIES:
        return []
    unit = tomllib.loads(policy_path(node_id).read_text(encoding="utf-8"))["unit"]
    return ["--unit-name", str(unit["name"]), "--unit-units", str(unit["units"]),
            "--unit-minutes", str(unit["minutes"])]


def pin_policy(node_data: Path, node_id: str) -> None:
    """Write the city's policy file into node.toml, as its operator would (a hub has none)."""
    if node_id not in POLICIES:
        return
    config = load_config(node_data, env={})
    wanted = str(policy_path(node_id))
    if config.policy_file != wanted:
        save_config(config.model_copy(update={"policy_file": wanted}))


def record_people(http: httpx.Client, node_id: str) -> list[str]:
    """Vetting and kin over the API (`http` carries an admin token); a repeat changes nothing.
    Returns what the node refused, in words."""
    refused = []
    for member, reason in VETTED.get(node_id, ()):
        reply = http.put(f"/api/v1/members/{member}/vetting",
                         json={"hardship": True, "subsidised": False, "reason": reason})
        if reply.status_code != 200:
            refused.append(f"vetting {member}@{node_id}: {reply.status_code} {reply.text}")
    for member, relative, relation in KIN.get(node_id, ()):
        reply = http.post(f"/api/v1/members/{member}/kin",
                          json={"relative": relative, "relation": relation})
        if reply.status_code not in (200, 201) and not (
                reply.status_code == 409 and reply.json().get("code") == "kin_exists"):
            refused.append(f"kin {member}→{relative}@{node_id}: {reply.status_code} "
                           f"{reply.text}")
    return refused
