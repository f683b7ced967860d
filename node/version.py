"""This node's release and what it announces to peers, operators and regulators.

NODE_VERSION is the one place the release is written (semantic versioning, docs/operations.md
"Releases"): pyproject.toml reads it from here (`dynamic = ["version"]`), so the source tree, the
installed package and a stale `*.egg-info` beside the tree can never disagree about what runs.
The standard's revision is protocol.version's.
CAPABILITIES are the features beyond the revision's baseline this release can speak on a link;
each is used with a peer only when the peer announces it too (standard §16.2,
protocol/capabilities.py). Add a name here in the same change that adds the feature, with its
line under "Unreleased" in CHANGELOG.md.
"""

from __future__ import annotations

from protocol.capabilities import TRANSFER_HUBS
from protocol.version import STANDARD, STANDARD_REVISION

# Main after a release tag is the next release in progress: 0.2.0.dev0 sorts after 0.1.0 and
# before 0.2.0 (PEP 440 and semver alike). A literal: setuptools reads it without importing.
NODE_VERSION = "0.2.0.dev0"
DISTRIBUTION = "hourbridge"
VERSION_HEADER = "HourBridge-Version"
# transfer.hubs: this node takes and forwards legs of transfers routed through hubs (§22.4).
CAPABILITIES: frozenset[str] = frozenset({TRANSFER_HUBS})
SOFTWARE = f"{DISTRIBUTION} {NODE_VERSION}"


def version_line() -> str:
    """What `hourbridge --version` prints."""
    return f"{SOFTWARE} (standard {STANDARD}, revision {STANDARD_REVISION})"


def header_value() -> str:
    """The HourBridge-Version header on every HTTP answer: `0.2.0.dev0; standard=1.3`."""
    return f"{NODE_VERSION}; standard={STANDARD_REVISION}"
