"""One-time activation codes: twelve characters of Crockford's base32, shown in groups of four
(`K7QM-3XRA-9PTD`), 60 random bits.

A person types it from paper, so the alphabet leaves out I, L, O and U, reading is case-blind,
and O, I and L typed by mistake count as 0, 1 and 1; spaces and hyphens are ignored. The node
keeps only its SHA-256: 60 bits are out of reach of an offline search within the code's 14 days
(and of an online one behind the client limiter), so a slow hash would buy nothing and would
stop the node finding a code by its hash.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 12
GROUP_CHARS = 4
TYPED_CHARS_MAX = 40  # what a person may type around the code: spaces, hyphens
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A fresh code, grouped for reading."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return grouped(raw)


def grouped(raw: str) -> str:
    return "-".join(raw[i:i + GROUP_CHARS] for i in range(0, len(raw), GROUP_CHARS))


def normalised(typed: str) -> str | None:
    """The code as the node hashes it, or None when `typed` cannot be a code at all."""
    if len(typed) > TYPED_CHARS_MAX:
        return None
    raw = "".join(typed.split()).replace("-", "").upper().translate(_TYPOS)
    if len(raw) != CODE_CHARS or any(c not in ALPHABET for c in raw):
        return None
    return raw


def code_hash(raw: str) -> str:
    """The stored form of a normalised code."""
    return hashlib.sha256(f"hourbridge-activation:{raw}".encode("ascii")).hexdigest()
