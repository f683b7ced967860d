"""The report document (docs/standard.md §19): a signed JSON object like every other document of
the standard, written as its canonical (RFC 8785) bytes beside the CSV and HTML renderings whose
SHA-256 it carries, so an edit to any of the three files is detected."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from protocol.canonical import canonical_bytes
from protocol.signing import SigningKey, sign_object
from protocol.version import STANDARD

NODE_KIND = "report.node"
FEDERATION_KIND = "report.federation"
KINDS = (NODE_KIND, FEDERATION_KIND)
JSON_NAME, CSV_NAME, HTML_NAME = "report.json", "report.csv", "report.html"
# A federation of 1 000 nodes with a few links each stays far below this.
REPORT_BYTES_MAX = 64 * 1024 * 1024


def sha256_file_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def envelope(kind: str, *, issued_at_ms: int) -> dict[str, Any]:
    assert kind in KINDS, kind
    return {"standard": STANDARD, "kind": kind, "issued_at_ms": issued_at_ms}


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def seal(body: dict[str, Any], *, csv_text: str, html_text: str, signer: str,
         key: SigningKey) -> dict[str, Any]:
    """The signed report: `body` with the hashes of its CSV and HTML renderings."""
    document = {**body, "files": {
        "csv_sha256": sha256_file_hex(csv_text.encode("utf-8")),
        "html_sha256": sha256_file_hex(html_text.encode("utf-8"))}}
    return sign_object(document, signer=signer, key=key)


def write_report(out_dir: Path, body: dict[str, Any], *, csv_text: str, html_text: str,
                 signer: str, key: SigningKey) -> tuple[Path, dict[str, Any]]:
    """Write report.csv and report.html, then report.json signed with their hashes.

    The JSON is written last, so a crash midway never leaves a signed report whose files are
    missing. Returns the JSON's path and the signed document."""
    signed = seal(body, csv_text=csv_text, html_text=html_text, signer=signer, key=key)
    raw = canonical_bytes(signed)
    assert len(raw) <= REPORT_BYTES_MAX, f"report of {len(raw)} bytes"
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(out_dir / CSV_NAME, csv_text.encode("utf-8"))
    _write_atomic(out_dir / HTML_NAME, html_text.encode("utf-8"))
    path = out_dir / JSON_NAME
    _write_atomic(path, raw)
    return path, signed
