"""The standard's version string, carried in the `standard` member of every signed document."""

from __future__ import annotations

STANDARD = "hourbridge/1"
