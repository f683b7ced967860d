"""Named crash points for fault-injection tests of real node processes.

A test starts a node with HOURBRIDGE_CRASH_AT=<point> (optionally <point>:<n>, the n-th time);
when the node passes that point it dies at once with os._exit, as kill -9 would leave it: no
cleanup, no flush beyond what the database already committed. Unset (always, in production),
`point()` is a dictionary lookup and nothing else.

Points:
    sender_after_commit     the outgoing transaction is stored, before it is sent
    sender_after_reply      the peer's response arrived, before it is applied
    receiver_after_commit   an incoming transaction is stored with its response, before replying
"""

from __future__ import annotations

import os
import sys

CRASH_ENV = "HOURBRIDGE_CRASH_AT"
CRASH_EXIT_CODE = 137  # what a shell reports for a process killed by SIGKILL

_counts: dict[str, int] = {}


def _plan() -> tuple[str, int] | None:
    text = os.environ.get(CRASH_ENV, "")
    if not text:
        return None
    name, _, nth = text.partition(":")
    return name, int(nth or "1")


_PLAN = _plan()


def point(name: str) -> None:
    if _PLAN is None or _PLAN[0] != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= _PLAN[1]:
        sys.stderr.write(f"hourbridge: crash point {name} reached, exiting as if killed\n")
        sys.stderr.flush()
        os._exit(CRASH_EXIT_CODE)
