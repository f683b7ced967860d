"""The visit-code key: a private file of its own, made at the first sealing; a sealed code
opens only under its own member and card; a lost key reads as no code, and staff make anew."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from node.errors import ConfigError, ErrorCode, NodeError
from node.runtime import Node
from node.timebank.visit_codes import sealing_context
from node.timebank.visit_key import KEY_FILE, VisitKey
from tests.node.timebank.conftest import STAFF, PolicyNode, member, people


def test_the_key_is_made_private_at_the_first_sealing(tmp_path: Path) -> None:
    key = VisitKey(tmp_path / KEY_FILE)
    assert key.open("AAAA", context="x") is None  # reading makes no key
    assert not (tmp_path / KEY_FILE).exists()

    sealed = key.seal("482913", context=sealing_context("gran", 1))

    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE]  # no temporary left
    assert "482913" not in sealed
    again = VisitKey(tmp_path / KEY_FILE)  # another process, the same file
    assert again.open(sealed, context=sealing_context("gran", 1)) == "482913"


def test_a_sealed_code_opens_only_for_its_member_and_card(tmp_path: Path) -> None:
    key = VisitKey(tmp_path / KEY_FILE)
    sealed = key.seal("482913", context=sealing_context("gran", 2))
    assert key.open(sealed, context=sealing_context("grandpa", 2)) is None
    assert key.open(sealed, context=sealing_context("gran", 1)) is None
    assert key.open(sealed[:-4] + "AAAA", context=sealing_context("gran", 2)) is None
    assert key.open("not base64!", context=sealing_context("gran", 2)) is None


def test_racing_makers_end_with_one_key(tmp_path: Path) -> None:
    keys = [VisitKey(tmp_path / KEY_FILE) for _ in range(8)]
    sealed: list[str] = []
    threads = [threading.Thread(target=lambda k=k: sealed.append(k.seal("1", context="c")))
               for k in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reader = VisitKey(tmp_path / KEY_FILE)
    assert [reader.open(s, context="c") for s in sealed] == ["1"] * len(keys)


def test_a_key_file_that_is_not_a_key_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("not a key\n")
    key = VisitKey(tmp_path / KEY_FILE)
    assert key.open("AAAA", context="c") is None
    with pytest.raises(ConfigError) as err:
        key.seal("482913", context="c")
    assert KEY_FILE in err.value.detail
    assert (tmp_path / KEY_FILE).read_text() == "not a key\n"


def test_a_lost_key_reads_as_no_code_until_a_new_one_is_made(policy_node: PolicyNode) -> None:
    node: Node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990))
    codes = node.timebank.visit_codes
    codes.rotate(STAFF, "gran")
    (node.config.data_path / KEY_FILE).unlink()  # a database restored without its folder
    codes.key = VisitKey(node.config.data_path / KEY_FILE)

    shown = codes.show(STAFF, "gran")
    assert (shown["code"], shown["card"]) == (None, 1)
    node.timebank.requests.post(STAFF, request_id="r1", recipient="gran",
                                category="daily_living", item=None, description="")
    node.timebank.requests.accept(member("vol"), "r1", volunteer="vol")
    with pytest.raises(NodeError) as err:
        node.timebank.requests.check_in(member("vol"), "r1", code="123456")
    assert err.value.code == ErrorCode.VISIT_CODE_UNSET

    made = codes.rotate(member("gran"), "gran")
    assert made["card"] == 2 and made["code"] is not None
    arrived = node.timebank.requests.check_in(member("vol"), "r1", code=made["code"])
    assert arrived["state"] == "in_progress"
