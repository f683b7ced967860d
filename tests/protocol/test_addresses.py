from __future__ import annotations

import pytest

from protocol.addresses import AddressError, MemberAddress, is_local_id, is_node_id


def test_parse_and_print() -> None:
    address = MemberAddress.parse("li.wei@sh-pudong")
    assert (address.local_id, address.node_id, str(address)) == (
        "li.wei",
        "sh-pudong",
        "li.wei@sh-pudong",
    )


@pytest.mark.parametrize("text", ["li.wei", "Li@sh-pudong", "li@SH", "li@s", ".li@sh-pudong"])
def test_refuses_bad_addresses(text: str) -> None:
    with pytest.raises(AddressError):
        MemberAddress.parse(text)


def test_predicates() -> None:
    assert is_node_id("nj-gulou") and not is_node_id("nj-")
    assert is_local_id("a") and not is_local_id("a@b")
