"""The protocol layer's one error tree. Every error carries a stable ReasonCode.

    ProtocolError            code: ReasonCode, detail: str
    ├── DecodeError          bytes or JSON that are not a valid document of the standard
    ├── AuthError            signature, sender, key, receiver or clock checks failed
    ├── ChainError           sequence gap, replay, previous-hash mismatch, id conflict
    ├── DirectoryError       directory signature, serial or content refused
    └── UnitError            a local unit ratio or amount outside the standard's rules

Expected operating failures raise these; broken invariants inside this package are asserts.
"""

from __future__ import annotations

from protocol.reasons import ReasonCode, is_final


class ProtocolError(ValueError):
    def __init__(self, code: ReasonCode, detail: str) -> None:
        super().__init__(f"{code.value}: {detail}")
        self.code = code
        self.detail = detail

    @property
    def final(self) -> bool:
        return is_final(self.code)


class DecodeError(ProtocolError):
    pass


class AuthError(ProtocolError):
    pass


class ChainError(ProtocolError):
    pass


class DirectoryError(ProtocolError):
    pass


class UnitError(ProtocolError):
    pass
