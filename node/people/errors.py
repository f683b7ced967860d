"""The refusals of signing in. Each says as little as it can: a wrong PIN, an unknown member
number and a member without a PIN are one refusal, and so are an unknown, used, voided and
expired activation code, so no answer tells a guesser which member numbers or codes exist."""

from __future__ import annotations

from node.errors import ErrorCode, FixedCodeError

MS_PER_S = 1000


def _seconds(ms: int) -> int:
    """Whole seconds to wait, rounded up and at least one (the Retry-After header's unit)."""
    return max(1, -(-ms // MS_PER_S))


class SignInRefused(FixedCodeError):
    """Wrong member number or PIN (401): which of the two is never said."""

    CODE = ErrorCode.SIGN_IN_FAILED


class SignInLocked(FixedCodeError):
    """Too many wrong PINs for this member number: refused, right PIN or not, until the lock
    ends (429 with Retry-After). Unknown member numbers lock the same way."""

    CODE = ErrorCode.SIGN_IN_LOCKED

    def __init__(self, detail: str, *, retry_after_ms: int) -> None:
        super().__init__(detail)
        self.retry_after_s = _seconds(retry_after_ms)


class TooManyAttempts(FixedCodeError):
    """Too many failed sign-ins or activations from one client (429 with Retry-After)."""

    CODE = ErrorCode.TOO_MANY_ATTEMPTS

    def __init__(self, detail: str, *, retry_after_ms: int) -> None:
        super().__init__(detail)
        self.retry_after_s = _seconds(retry_after_ms)


class ActivationRefused(FixedCodeError):
    """The activation code is unknown, used, voided or expired (422), or its member can no
    longer sign in: one answer for all."""

    CODE = ErrorCode.ACTIVATION_REFUSED


class PinTooWeak(FixedCodeError):
    """A PIN or password a guesser tries first (422); the detail says the rule, never the PIN."""

    CODE = ErrorCode.PIN_TOO_WEAK


# Refusals that carry `retry_after_s`, for the Retry-After header (node/api/problems.py).
RETRY_LATER = (SignInLocked, TooManyAttempts)
