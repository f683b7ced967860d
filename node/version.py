"""This node's release and what it announces to peers, operators and regulators.

NODE_VERSION is the installed distribution's version (pyproject.toml's `version`: semantic
versioning, docs/operations.md "Releases"); the standard's revision is protocol.version's.
CAPABILITIES are the features beyond the revision's baseline this release can speak on a link;
each is used with a peer only when the peer announces it too (standard §16.2,
protocol/capabilities.py). Add a name here in the same change that adds the feature, with its
line under "Unreleased" in CHANGELOG.md.
"""

from __future__ import annotations

from importlib import metadata

from protocol.version import STANDARD, STANDARD_REVISION

DISTRIBUTION = "hourbridge"
# A source tree run without being installed (no metadata): still says what it is not.
UNKNOWN_VERSION = "0+unknown"
VERSION_HEADER = "HourBridge-Version"
CAPABILITIES: frozenset[str] = frozenset()


def node_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return UNKNOWN_VERSION


NODE_VERSION = node_version()
SOFTWARE = f"{DISTRIBUTION} {NODE_VERSION}"


def version_line() -> str:
    """What `hourbridge --version` prints."""
    return f"{SOFTWARE} (standard {STANDARD}, revision {STANDARD_REVISION})"


def header_value() -> str:
    """The HourBridge-Version header on every HTTP answer: `0.2.0.dev0; standard=1.2`."""
    return f"{NODE_VERSION}; standard={STANDARD_REVISION}"
