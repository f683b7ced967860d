from __future__ import annotations

from protocol.errors import AuthError, ProtocolError
from protocol.reasons import FINALITY, Finality, ReasonCode, is_final


def test_every_code_has_a_finality() -> None:
    assert set(FINALITY) == set(ReasonCode)


def test_temporary_codes_are_exactly_the_retryable_ones() -> None:
    temporary = {code for code in ReasonCode if not is_final(code)}
    assert temporary == {
        ReasonCode.UNKNOWN_SENDER,
        ReasonCode.SENDER_SUSPENDED,
        ReasonCode.UNKNOWN_KEY,
        ReasonCode.CLOCK_SKEW,
        ReasonCode.SEQUENCE_GAP,
        ReasonCode.RATE_LIMITED,
        ReasonCode.RECEIVER_UNAVAILABLE,
        ReasonCode.PARTNER_CAP_EXCEEDED,
        ReasonCode.OVERALL_CAP_EXCEEDED,
    }
    assert FINALITY[ReasonCode.BAD_SIGNATURE] is Finality.FINAL


def test_codes_are_stable_snake_case_strings() -> None:
    for code in ReasonCode:
        assert code.value == code.name.lower()


def test_errors_carry_their_code_and_finality() -> None:
    error = AuthError(ReasonCode.CLOCK_SKEW, "too far")
    assert isinstance(error, ProtocolError)
    assert (error.code, error.detail, error.final) == (ReasonCode.CLOCK_SKEW, "too far", False)
    assert str(error) == "clock_skew: too far"
    assert ProtocolError(ReasonCode.EXPIRED, "late").final
