"""The signed receipts of imports made from the console, kept in the node's data folder.

The command line writes a receipt beside the file it imported; a browser has no such place, and
a receipt shown once would be lost with the tab. So the page keeps each one as its canonical
bytes (node/imports/receipt.py `write`: whole or not at all) in `<data>/import-receipts/`, a
private folder like the rest of the data folder, names it by its time, kind and a random tail, and
offers it for download and in the page's list of recent imports. A receipt holds counts, the
file's name and hash, and the node's signature: no member's personal data.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

from node.datadir import make_private_dir
from node.imports import receipt
from node.runtime import Node

RECEIPTS_FOLDER = "import-receipts"
RECEIPTS_LISTED_MAX = 20
RECEIPT_ID_PATTERN = r"^[0-9]{1,16}-(members|records)-[0-9a-f]{8}$"
_RECEIPT_ID = re.compile(RECEIPT_ID_PATTERN)


def _folder(node: Node) -> Path:
    return node.config.data_path / RECEIPTS_FOLDER


def keep(node: Node, document: dict[str, Any]) -> str:
    """Write the receipt into the data folder; its id (also its file's stem). A random tail
    keeps two imports of one file in the same millisecond apart."""
    receipt_id = f"{document['issued_at_ms']}-{document['import_kind']}-{secrets.token_hex(4)}"
    assert _RECEIPT_ID.match(receipt_id), receipt_id
    folder = _folder(node)
    make_private_dir(folder)
    receipt.write(folder / f"{receipt_id}.json", document)
    return receipt_id


def raw(node: Node, receipt_id: str) -> bytes | None:
    """The receipt's bytes as signed, or None when there is no such receipt."""
    if not _RECEIPT_ID.match(receipt_id):
        return None
    path = _folder(node) / f"{receipt_id}.json"
    return path.read_bytes() if path.is_file() else None


def load(node: Node, receipt_id: str) -> dict[str, Any] | None:
    data = raw(node, receipt_id)
    if data is None:
        return None
    document: dict[str, Any] = json.loads(data)
    return document


def recent(node: Node) -> list[tuple[str, dict[str, Any]]]:
    """The newest receipts first (their ids start with the time), at most RECEIPTS_LISTED_MAX."""
    folder = _folder(node)
    if not folder.is_dir():
        return []
    ids = sorted((path.stem for path in folder.glob("*.json") if _RECEIPT_ID.match(path.stem)),
                 key=lambda stem: int(stem.split("-", 1)[0]), reverse=True)
    found = [(receipt_id, load(node, receipt_id)) for receipt_id in ids[:RECEIPTS_LISTED_MAX]]
    return [(receipt_id, document) for receipt_id, document in found if document is not None]
