"""What every document the federation authority signs shares: whose key signed it, whether the
signature verifies, and which of two serials a node holds (the directory §13, the link map §22).

The rules live here once so that a later authority document cannot drift from the directory's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from protocol.errors import DirectoryError
from protocol.reasons import ReasonCode
from protocol.signing import SignatureError, VerifyKey, verify_object

if TYPE_CHECKING:
    from protocol.directory import KeyRecord


class AuthorityDocument(Protocol):
    """A decoded document signed by the authority under the signer name `federation_id`."""

    @property
    def federation_id(self) -> str: ...

    @property
    def serial(self) -> int: ...

    @property
    def issued_at_ms(self) -> int: ...

    @property
    def signatures(self) -> Mapping[str, Mapping[str, str]]: ...

    def content_hash(self) -> str: ...


Held = TypeVar("Held", bound=AuthorityDocument)


def authority_key(
    document: AuthorityDocument,
    *,
    anchors: Sequence[VerifyKey],
    held_keys: Sequence[KeyRecord],
) -> VerifyKey:
    """The key of the document's single authority signature: an anchor, or a held authority key
    valid at the document's `issued_at_ms` (`missing_signature`, `unknown_key` otherwise)."""
    by_signer = document.signatures.get(document.federation_id, {})
    if len(by_signer) != 1:
        raise DirectoryError(
            ReasonCode.MISSING_SIGNATURE, "exactly one signature by the federation authority"
        )
    (key_id,) = by_signer
    for anchor in anchors:
        if anchor.key_id == key_id:
            return anchor
    # A key the held directory lists for the authority, valid when the new document was issued:
    # this is how the authority rotates its own key without touching every node's config.
    for record in held_keys:
        if record.key_id == key_id and record.valid_at(document.issued_at_ms):
            return record.verify_key()
    raise DirectoryError(ReasonCode.UNKNOWN_KEY, f"authority key {key_id} is not trusted")


def verify_authority(obj: object, document: AuthorityDocument, key: VerifyKey) -> None:
    """The signature over `obj` (the document as received) verifies under `key`."""
    assert isinstance(obj, dict)  # the caller decoded it
    try:
        verify_object(obj, signer=document.federation_id, key=key)
    except SignatureError as exc:
        raise DirectoryError(ReasonCode.BAD_SIGNATURE, str(exc)) from exc


def held_after(candidate: Held, current: Held | None) -> Held:
    """The serial rules: the document to hold from now on, given a verified `candidate`.

    A greater serial replaces the held one unless it was issued earlier; a smaller one is stale;
    the same serial is a repeat (the held one stays) or, with other content, a conflict.
    """
    if current is None or candidate.serial > current.serial:
        if current is not None and candidate.issued_at_ms < current.issued_at_ms:
            raise DirectoryError(ReasonCode.DIRECTORY_STALE, "newer serial issued earlier")
        return candidate
    if candidate.serial < current.serial:
        raise DirectoryError(
            ReasonCode.DIRECTORY_STALE, f"serial {candidate.serial} < held {current.serial}"
        )
    if candidate.content_hash() != current.content_hash():
        raise DirectoryError(ReasonCode.DIRECTORY_CONFLICT, "same serial, different content")
    return current
