"""The standard's version: the major version every signed document carries in `standard`, and
the revision (major.minor) of docs/standard.md this implementation follows.

Only the major version crosses the wire inside documents (§16): a receiver refuses another major
with `unsupported_version`. The revision is announced beside it (a node's `node_info` document,
/healthz, the `HourBridge-Version` header) so operators and peers can see which rules of §16's
"Changes to version 1" a node follows. The revision moves once per node release that changes
what a peer can observe: every such change of one release cycle joins the same next revision
(1.3 is what node 0.2.0 ships) and adds its line under that revision in §16 and in CHANGELOG.md.
"""

from __future__ import annotations

STANDARD = "hourbridge/1"
STANDARD_MAJOR = 1
STANDARD_REVISION = "1.3"
