"""The ID-card number (居民身份证号码): checked, then kept only as a keyed hash and a masked form.

The hash finds the same person registered twice without the node holding the number: an
HMAC-SHA256 under a key of the node's own (`id-numbers.key` in the data folder, 32 random
bytes in hex, mode 0600, never in the database), so a copy of the database alone cannot be
searched for a known number by hashing every candidate (the numbers are few and guessable).
The key is made the first time a number is stored, linked into place so that two processes
racing to make it both use the one linked first. A key file that is there but not a key stops
with a ConfigError naming it, for the operator to look at, never silently replaced: every
stored hash would stop matching.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from pathlib import Path

from node.datadir import make_key_file, read_key_file
from node.errors import ErrorCode, RuleViolation

KEY_FILE = "id-numbers.key"
KEY_BYTES = 32
KEY_ADVICE = "restore it from a backup: every stored ID hash depends on it"
ID_NUMBER_CHARS = 18
MASK_SHOWN_HEAD, MASK_SHOWN_TAIL = 4, 4  # 3201**********1234
_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")
# GB 11643-1999: the last character is an ISO 7064 MOD 11-2 check over the first 17 digits.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalised(text: str) -> str:
    """The number as compared and hashed: no white space, upper-case X; VALIDATION_FAILED
    unless it is 18 characters with a correct check character."""
    number = "".join(text.split()).upper()
    if not _PATTERN.fullmatch(number):
        raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                            f"id_number must be {ID_NUMBER_CHARS} characters: 17 digits, then "
                            "a digit or X")
    total = sum(int(digit) * weight for digit, weight in zip(number, _WEIGHTS, strict=False))
    if _CHECK[total % 11] != number[-1]:
        raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                            "id_number's check character does not match: a digit is mistyped")
    return number


def masked(number: str) -> str:
    hidden = len(number) - MASK_SHOWN_HEAD - MASK_SHOWN_TAIL
    return number[:MASK_SHOWN_HEAD] + "*" * hidden + number[-MASK_SHOWN_TAIL:]


class IdKey:
    """HMAC-SHA256 of normalised ID numbers under the key file at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def digest(self, number: str) -> str:
        return hmac.new(self._load(), normalised(number).encode("ascii"),
                        hashlib.sha256).hexdigest()

    def _load(self) -> bytes:
        with self._lock:
            if self._key is None:
                if not self.path.exists():
                    make_key_file(self.path, KEY_BYTES)
                self._key = read_key_file(self.path, KEY_BYTES, what="an id-number key",
                                          advice=KEY_ADVICE)
            return self._key
