"""Node ids and member addresses (`local-id@node-id`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

NODE_ID_PATTERN = r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$"
LOCAL_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}[a-z0-9]$|^[a-z0-9]$"
ADDRESS_BYTES_MAX = 64 + 1 + 32

_NODE_ID = re.compile(NODE_ID_PATTERN)
_LOCAL_ID = re.compile(LOCAL_ID_PATTERN)


class AddressError(ValueError):
    pass


def is_node_id(text: str) -> bool:
    return bool(_NODE_ID.fullmatch(text))


def is_local_id(text: str) -> bool:
    return bool(_LOCAL_ID.fullmatch(text))


@dataclass(frozen=True, order=True)
class MemberAddress:
    local_id: str
    node_id: str

    @classmethod
    def parse(cls, text: str) -> MemberAddress:
        local_id, sep, node_id = text.rpartition("@")
        if not sep:
            raise AddressError(f"{text!r} is not an address of the form local-id@node-id")
        if not is_local_id(local_id):
            raise AddressError(f"{local_id!r} is not a valid local id")
        if not is_node_id(node_id):
            raise AddressError(f"{node_id!r} is not a valid node id")
        return cls(local_id=local_id, node_id=node_id)

    def __str__(self) -> str:
        return f"{self.local_id}@{self.node_id}"
