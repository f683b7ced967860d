"""Which PINs are refused, and the Argon2id hasher."""

from __future__ import annotations

import threading

import pytest
from argon2 import PasswordHasher

from node.db.batch import Overloaded
from node.errors import ErrorCode
from node.people.errors import PinTooWeak
from node.people.pins import DECOY_HASH, RULES, SECRET_CHARS_MAX, Hasher, check_secret

TRIVIAL = ("000000", "111111", "999999", "123456", "654321", "234567", "890123", "0123456789",
           "121212", "123123", "112233", "123321", "12345", "1234", "abcdefg", "aaaaaaaa",
           "abababab", "password", "PassWord", "qwerty123", " 583920", "58392\n0")
FINE = ("583920", "047163", "9072416", "river-stone-7", "长江大桥一九六八年", "tea at 4pm")


@pytest.mark.parametrize("secret", TRIVIAL)
def test_a_guessers_first_tries_are_refused(secret: str) -> None:
    with pytest.raises(PinTooWeak) as refused:
        check_secret(secret, local_id="alice")
    assert refused.value.code == ErrorCode.PIN_TOO_WEAK
    assert refused.value.detail == RULES  # the rule, never the PIN


@pytest.mark.parametrize("secret", FINE)
def test_other_pins_and_passwords_pass(secret: str) -> None:
    check_secret(secret, local_id="alice")


def test_the_member_number_on_the_card_is_not_a_pin() -> None:
    check_secret("13912345678")
    with pytest.raises(PinTooWeak):
        check_secret("13912345678", local_id="13912345678")


def test_a_secret_longer_than_the_limit_is_refused() -> None:
    longest = "5" + "83920" * 12 + "471"
    assert len(longest) == SECRET_CHARS_MAX
    check_secret(longest)
    with pytest.raises(PinTooWeak):
        check_secret(longest + "6")


CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def test_hash_and_verify() -> None:
    hasher = Hasher(CHEAP)
    stored = hasher.hash("583920")
    assert stored.startswith("$argon2id$")
    assert "583920" not in stored
    assert hasher.verify(stored, "583920")
    assert not hasher.verify(stored, "583921")
    assert not hasher.verify("not a hash", "583920")
    assert not hasher.verify(stored, "\ud800")  # a lone surrogate from JSON: no error


def test_with_nothing_stored_nothing_matches() -> None:
    hasher = Hasher(CHEAP)
    assert not hasher.verify(None, "583920")
    assert not hasher.verify(None, "")


def test_weaker_hashes_are_noticed_for_rehashing() -> None:
    assert Hasher(PasswordHasher()).needs_rehash(Hasher(CHEAP).hash("583920"))
    assert not Hasher(CHEAP).needs_rehash(Hasher(CHEAP).hash("583920"))


def test_a_hash_past_the_concurrency_bound_is_refused_as_overloaded() -> None:
    hasher = Hasher(CHEAP, in_flight_max=1, wait_s=0.05)
    busy = threading.Thread(target=hasher._slot)  # a slow check elsewhere holds the only slot
    busy.start()
    busy.join()
    with pytest.raises(Overloaded) as refused:
        hasher.verify(None, "583920")
    assert refused.value.code == ErrorCode.OVERLOADED
    hasher._slots.release()
    assert not hasher.verify(None, "583920")  # free again


def test_the_decoy_is_made_with_the_nodes_own_parameters() -> None:
    node_hasher = Hasher()
    assert node_hasher._decoy == DECOY_HASH  # no hashing at start-up, none on the first try
    assert not node_hasher.verify(None, "583920")
    assert Hasher(CHEAP)._decoy is None  # other parameters: a decoy of their own, when needed
