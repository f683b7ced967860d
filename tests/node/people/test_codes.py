"""Activation codes: what a person types is read back forgivingly; anything else is not a code."""

from __future__ import annotations

import re

from node.people import codes


def test_a_new_code_is_twelve_characters_of_the_alphabet_in_three_groups() -> None:
    made = {codes.new_code() for _ in range(200)}
    assert len(made) == 200  # 60 random bits: no repeats in a handful
    for code in made:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}",
                            code), code


def test_typing_slips_are_forgiven() -> None:
    assert codes.normalised("K7QM-3XRA-9PTD") == "K7QM3XRA9PTD"
    assert codes.normalised(" k7qm 3xra 9ptd ") == "K7QM3XRA9PTD"
    # O, I and L are not in the alphabet: typed by mistake they count as 0, 1 and 1.
    assert codes.normalised("KOQM-3XRA-9PTI") == "K0QM3XRA9PT1"
    assert codes.normalised("kl00-0000-0000") == "K1000000000 0".replace(" ", "")


def test_what_cannot_be_a_code_is_none() -> None:
    for typed in ("", "K7QM-3XRA-9PT", "K7QM-3XRA-9PTDD", "K7QM-3XRA-9PTU", "K7QM_3XRA_9PTD",
                  "K7QM-3XRA-9PT\u00e9", "-" * 50 + "K7QM3XRA9PTD"):
        assert codes.normalised(typed) is None, typed


def test_the_stored_hash_is_of_the_normalised_code_and_not_the_code() -> None:
    raw = codes.normalised("k7qm-3xra-9ptd")
    assert raw is not None
    assert codes.code_hash(raw) == codes.code_hash("K7QM3XRA9PTD")
    assert len(codes.code_hash(raw)) == 64
    assert "K7QM3XRA9PTD" not in codes.code_hash(raw)
    assert codes.code_hash(raw) != codes.code_hash("K7QM3XRA9PTE")
