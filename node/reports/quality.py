"""Service quality and the transfers in doubt, as a node report states them, and the checks a
verifier can run on them.

Neither comes from the ledger, so no signed total backs them: the report states them as the
node's signed claim, and the verifier checks only that they agree with themselves (a count is
its distribution summed, a total is its listed items summed). Integers only: a signed document
carries no float, so a mean or a rate is for the page to work out.
"""

from __future__ import annotations

from typing import Any

from node.reports.figures import same
from node.timebank.common import DAY_MS
from node.timebank.stats import DONE

SERVICE_PERIOD_MS = 365 * DAY_MS
RATINGS = tuple(str(r) for r in range(1, 6))


def service(stats: dict[str, Any], frozen_links: list[dict[str, Any]]) -> dict[str, Any]:
    """The report's `service` member from the time bank's statistics
    (node/timebank/stats.py) over a period, and the node's frozen links now."""
    completion, ratings, disputes = stats["completion"], stats["ratings"], stats["disputes"]
    return {
        "from_ms": stats["from_ms"], "to_ms": stats["to_ms"],
        "requests": {"posted": completion["posted"], "completed": completion["completed"],
                     "cancelled": completion["cancelled"], "by_state": completion["by_state"]},
        "ratings": {"count": ratings["count"], "sum": ratings["sum"],
                    "distribution": ratings["distribution"]},
        "disputes": {"raised": disputes["raised"], "open": disputes["open"],
                     "outcomes": dict(sorted(disputes["outcomes"].items())),
                     "held_minutes": disputes["held_minutes"]},
        "frozen_links": frozen_links,
    }


def service_problems(node: str, found: dict[str, Any]) -> list[str]:
    """Where the node's service figures contradict themselves."""
    requests, ratings, disputes = found["requests"], found["ratings"], found["disputes"]
    states = requests["by_state"]
    problems = same(f"{node} requests posted", requests["posted"], sum(states.values()))
    problems += same(f"{node} requests completed", requests["completed"],
                         sum(n for state, n in states.items() if state in DONE))
    problems += same(f"{node} requests cancelled", requests["cancelled"],
                         states.get("cancelled", 0))
    distribution = ratings["distribution"]
    problems += same(f"{node} rating stars", sorted(distribution), sorted(RATINGS))
    problems += same(f"{node} ratings count", ratings["count"], sum(distribution.values()))
    problems += same(f"{node} ratings sum", ratings["sum"],
                         sum(int(r) * n for r, n in distribution.items()))
    if not 0 <= disputes["open"] + sum(disputes["outcomes"].values()) <= disputes["raised"]:
        problems.append(f"{node}: {disputes['open']} open and "
                        f"{sum(disputes['outcomes'].values())} decided disputes, but "
                        f"{disputes['raised']} raised")
    if found["from_ms"] > found["to_ms"]:
        problems.append(f"{node}: the service period ends before it starts")
    return problems


def in_doubt_problems(node: str, found: dict[str, Any], *, items_max: int) -> list[str]:
    """The count and minutes in doubt against the transfers listed (all of them, when there are
    at most `items_max`)."""
    items = found["items"]
    if found["count"] > items_max:
        return same(f"{node} transfers in doubt listed", len(items), items_max)
    return (same(f"{node} transfers in doubt", found["count"], len(items))
            + same(f"{node} minutes in doubt", found["minutes"],
                       sum(i["amount_minutes"] for i in items)))
