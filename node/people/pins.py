"""PINs and passwords: which ones the node refuses, and how it keeps and checks them.

A secret of digits only is a PIN of at least 6 digits; anything else is a password of at least
8 characters. Refused: the guesses a thief tries first (one digit repeated, a straight run up or
down, a short block repeated, a few famous ones) and the member's own number, which is printed
on the card the PIN protects.

Hashing is Argon2id with argon2-cffi's RFC 9106 low-memory profile (64 MiB, 3 passes): about a
tenth of a second per check. At most `HASHES_IN_FLIGHT_MAX` run at once, so a flood of guesses
cannot take all of the node's memory; past that a request waits `HASH_WAIT_S`, then is told the
node is busy (503).
"""

from __future__ import annotations

import secrets
import threading
from itertools import pairwise

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from node.db.batch import Overloaded
from node.errors import ErrorCode
from node.people.errors import PinTooWeak

PIN_DIGITS_MIN = 6
PASSWORD_CHARS_MIN = 8
SECRET_CHARS_MAX = 64
REPEATED_BLOCK_MAX = 3  # 121212 and 123123 are a block repeated
HASHES_IN_FLIGHT_MAX = 4
HASH_WAIT_S = 5.0
# Chosen by so many people that a guesser starts with them (the rules above catch most others).
FAMOUS = frozenset({"password", "passw0rd", "password1", "qwertyui", "qwerty123", "iloveyou",
                    "abc12345", "abcd1234", "a1234567", "woaini1314", "11223344", "112233",
                    "123321", "654123", "147258", "147258369", "159753", "520520", "5201314"})
# The hash of a random secret nobody kept, made with argon2-cffi's default parameters: checked
# when a member number has no PIN, so that answer takes as long as a wrong PIN from the first try.
DECOY_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$SoyEukDzpOXGOybxMdiXQA$"
              "uScUC3RDnajAzcVDKte2l1a4KX04vXjOZ+9KH+JddDA")
RULES = (f"a PIN of at least {PIN_DIGITS_MIN} digits or a password of at least "
         f"{PASSWORD_CHARS_MIN} characters (at most {SECRET_CHARS_MAX}), not a run like "
         "123456, not one digit or a short block repeated, not your member number")


def _straight(digits: str) -> bool:
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(digits)}
    return steps in ({1}, {9})


def _repeated(secret: str) -> bool:
    return any(len(secret) % n == 0 and secret == secret[:n] * (len(secret) // n)
               for n in range(1, REPEATED_BLOCK_MAX + 1))


def check_secret(secret: str, *, local_id: str = "") -> None:
    """Refuse a PIN or password a guesser would try early (PinTooWeak, 422); with `local_id`,
    also the member's own number."""
    if len(secret) > SECRET_CHARS_MAX or secret != secret.strip() or not secret.isprintable():
        raise PinTooWeak(RULES)
    if secret.isdecimal() and secret.isascii():
        if len(secret) < PIN_DIGITS_MIN or _straight(secret):
            raise PinTooWeak(RULES)
    elif len(secret) < PASSWORD_CHARS_MIN:
        raise PinTooWeak(RULES)
    if _repeated(secret.lower()) or secret.lower() in FAMOUS or (
            local_id and secret.lower() == local_id.lower()):
        raise PinTooWeak(RULES)


def _bytes(secret: str) -> bytes:
    # JSON may carry a lone surrogate; it is hashed as its bytes rather than failing.
    return secret.encode("utf-8", "surrogatepass")


class Hasher:
    """Argon2id hashing behind a bound on how many run at once."""

    def __init__(self, hasher: PasswordHasher | None = None, *,
                 in_flight_max: int = HASHES_IN_FLIGHT_MAX, wait_s: float = HASH_WAIT_S) -> None:
        self._hasher = hasher or PasswordHasher()
        self._slots = threading.BoundedSemaphore(in_flight_max)
        self._wait_s = wait_s
        # Other parameters (a test's cheaper hasher) get a decoy of their own, made on first use.
        self._decoy: str | None = None if self.needs_rehash(DECOY_HASH) else DECOY_HASH

    def _slot(self) -> None:
        if not self._slots.acquire(timeout=self._wait_s):
            raise Overloaded(ErrorCode.OVERLOADED, "the node is checking many PINs at once; "
                             "try again in a moment")

    def hash(self, secret: str) -> str:
        self._slot()
        try:
            return self._hasher.hash(_bytes(secret))
        finally:
            self._slots.release()

    def verify(self, stored: str | None, secret: str) -> bool:
        """True if `secret` matches `stored`. With nothing stored, a check against a decoy takes
        the same time, so timing does not tell a member without a PIN from a wrong PIN."""
        decoy = stored is None
        if stored is None:
            if self._decoy is None:
                self._decoy = self.hash(secrets.token_urlsafe(16))
            stored = self._decoy
        self._slot()
        try:
            return self._hasher.verify(stored, _bytes(secret)) and not decoy
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        finally:
            self._slots.release()

    def needs_rehash(self, stored: str) -> bool:
        """The stored hash was made with weaker parameters than the node's current ones."""
        return self._hasher.check_needs_rehash(stored)
