"""Helpers for the `hourbridge directory` tests: run a command in-process, read what it signed,
and check it the way a node does (protocol.directory.accept_directory)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from node.cli.main import app
from node.errors import ConfigError
from protocol.directory import Directory, NodeEntry, accept_directory, parse_key_text
from protocol.errors import ProtocolError
from protocol.reasons import ReasonCode
from protocol.signing import VerifyKey

NODES = {
    "sh-pudong": ("310115", "http://127.0.0.1:8711", "上海市浦东新区时间银行"),
    "nj-gulou": ("320106", "http://127.0.0.1:8712", "南京市鼓楼区时间银行"),
    "hz-xihu": ("330106", "http://127.0.0.1:8713", "杭州市西湖区时间银行"),
}
# Variables from the developer's shell must not leak into the commands under test.
CLEAN_ENV: dict[str, str | None] = {"HOURBRIDGE_KEY_PASSPHRASE": None, "HOURBRIDGE_AUTHORITY": None}


def hb(*args: object, env: Mapping[str, str | None] | None = None) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args], env={**CLEAN_ENV, **(env or {})})
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def hb_refuses(*args: object, env: Mapping[str, str | None] | None = None) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args], env={**CLEAN_ENV, **(env or {})})
    assert isinstance(result.exception, ConfigError), (result.output, result.exception)
    return result.exception.detail


def anchor_of(folder: Path) -> VerifyKey:
    return parse_key_text(hb("directory", "anchor", "--authority", folder).stdout)


def signed(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_bytes())
    return document


def accept(folder: Path, document: object, current: Directory | None = None) -> Directory:
    return accept_directory(document, anchors=[anchor_of(folder)], current=current)


def node_in(directory: Directory, node_id: str) -> NodeEntry:
    node = directory.node(node_id)
    assert node is not None, node_id
    return node


def refusal(folder: Path, document: object, current: Directory | None = None) -> ReasonCode:
    with pytest.raises(ProtocolError) as refused:
        accept(folder, document, current)
    return refused.value.code
