"""A staff password: at least `PASSWORD_CHARS_MIN` characters (a staff login reaches every
member of a station, so more than a member's 8), at most the hasher's limit, at least
`DISTINCT_CHARS_MIN` different characters, not containing the username, and none of the
guesses node/people/pins.py refuses for members (runs, repeated blocks, famous passwords)."""

from __future__ import annotations

from node.errors import ErrorCode, RuleViolation
from node.people.errors import PinTooWeak
from node.people.pins import SECRET_CHARS_MAX, check_secret

PASSWORD_CHARS_MIN = 10
DISTINCT_CHARS_MIN = 5
RULES = (f"a staff password has {PASSWORD_CHARS_MIN} to {SECRET_CHARS_MAX} characters, at "
         f"least {DISTINCT_CHARS_MIN} different ones, not the username, not a run like "
         "1234567890 or a block repeated, not a famous password")


def check_password(password: str, *, username: str) -> None:
    """Refuse a weak staff password (`password_too_weak`, 422); the detail says the rule."""
    weak = RuleViolation(ErrorCode.PASSWORD_TOO_WEAK, RULES)
    if not PASSWORD_CHARS_MIN <= len(password) <= SECRET_CHARS_MAX:
        raise weak
    if len(set(password.lower())) < DISTINCT_CHARS_MIN:
        raise weak
    if username and username.lower() in password.lower():
        raise weak
    try:
        check_secret(password)
    except PinTooWeak:
        raise weak from None
