"""The import receipt: what a node imported from one file, signed by the node, checkable
offline by an auditor who holds the federation directory and the spreadsheet.

The receipt is a signed document of the standard (`standard`, `issued_at_ms`, the node's
signature: docs/standard.md §5), written as its canonical (RFC 8785) bytes like a report, so
`verify_receipt` needs no node:

 1. the file is exactly its canonical encoding (an edit that still parses is caught);
 2. it is signed by the node it names, with a key the directory lists valid at `issued_at_ms`;
 3. it has exactly the members below (and `row_errors` when rows were refused at write
    time: over the balance cap by then; `rows.refused` counts them);
 4. given the spreadsheet: its SHA-256, its row count, its minute total and its first and
    last source id are recomputed (columns.py's `totals`) and compared.

Every problem found is reported, not only the first.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from node.errors import ErrorCode, FixedCodeError
from node.imports.columns import Kind, totals
from node.imports.sheet import ImportRefused, RowError, Sheet, read_sheet
from protocol.canonical import CanonicalError, canonical_bytes
from protocol.directory import Directory
from protocol.envelope import verify_evidence
from protocol.errors import ProtocolError
from protocol.signing import SigningKey, sign_object
from protocol.version import STANDARD
from protocol.wire import parse_object

RECEIPT_KIND = "import.receipt"
RECEIPT_BYTES_MAX = 64 * 1024
MEMBERS = ("standard", "kind", "node_id", "issued_at_ms", "import_kind", "programme",
           "file_name", "file_sha256", "file_bytes", "rows", "total_minutes",
           "imported_minutes", "first_source_id", "last_source_id", "signatures")
ROW_COUNTS = ("read", "imported", "already_there")
# Only in a receipt some of whose rows were refused as they were written (store.py's `over_cap`):
# rows.refused and the list row_errors of {row, column, problem}. Older receipts have neither.
REFUSED, ROW_ERRORS = "refused", "row_errors"
ROW_ERROR_MEMBERS = ("row", "column", "problem")


class ReceiptInvalid(FixedCodeError):
    """An import receipt that does not verify; `problems` names every reason."""

    CODE = ErrorCode.IMPORT_RECEIPT_INVALID

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path = path
        self.problems = problems


@dataclass(frozen=True)
class Counts:
    imported: int
    already_there: int
    imported_minutes: int
    refused: list[RowError] = field(default_factory=list)


def build(sheet: Sheet, *, kind: Kind, programme: str, node_id: str, issued_at_ms: int,
          counts: Counts, key: SigningKey) -> dict[str, Any]:
    """The signed receipt of importing `sheet` (every row of it valid)."""
    read, minutes, first, last = totals(kind, sheet)
    document = {
        "standard": STANDARD, "kind": RECEIPT_KIND, "node_id": node_id,
        "issued_at_ms": issued_at_ms, "import_kind": str(kind), "programme": programme,
        "file_name": sheet.name, "file_sha256": sheet.sha256, "file_bytes": sheet.size_bytes,
        "rows": {"read": read, "imported": counts.imported,
                 "already_there": counts.already_there},
        "total_minutes": minutes, "imported_minutes": counts.imported_minutes,
        "first_source_id": first, "last_source_id": last,
    }
    if counts.refused:
        document["rows"] = {"read": read, "imported": counts.imported,
                            "already_there": counts.already_there,
                            REFUSED: len(counts.refused)}
        document[ROW_ERRORS] = [{"row": e.row, "column": e.column, "problem": e.problem}
                                for e in counts.refused]
    return sign_object(document, signer=node_id, key=key)


def write(path: Path, receipt: dict[str, Any]) -> None:
    """The receipt's canonical bytes, written whole or not at all."""
    raw = canonical_bytes(receipt)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ReceiptInvalid(path, ["no such file"])
    raw = path.read_bytes()
    try:
        document = parse_object(raw, bytes_max=RECEIPT_BYTES_MAX)
        canonical = canonical_bytes(document)
    except (ProtocolError, CanonicalError) as exc:
        raise ReceiptInvalid(path, [f"not a receipt: {exc}"]) from exc
    if canonical != raw:
        raise ReceiptInvalid(path, ["not its canonical encoding: the file was edited"])
    if document.get("kind") != RECEIPT_KIND:
        raise ReceiptInvalid(path, [f"not an import receipt (kind {document.get('kind')!r})"])
    return document


def _refused_shape(document: dict[str, Any], rows: dict[str, Any]) -> list[str]:
    """rows.refused and row_errors come together, agree, and name rows and columns."""
    errors = document.get(ROW_ERRORS)
    if (REFUSED in rows) != (errors is not None):
        return [f"rows.{REFUSED} and {ROW_ERRORS} come together"]
    if errors is None:
        return []
    if not isinstance(rows[REFUSED], int) or not isinstance(errors, list) or not all(
            isinstance(e, dict) and sorted(e) == sorted(ROW_ERROR_MEMBERS) for e in errors):
        return [f"{ROW_ERRORS} must list {{{', '.join(ROW_ERROR_MEMBERS)}}} objects"]
    if rows[REFUSED] != len(errors) or not errors:
        return [f"rows.{REFUSED} is not the number of {ROW_ERRORS}"]
    return []


def _shape(document: dict[str, Any]) -> list[str]:
    problems = []
    members = sorted(MEMBERS + ((ROW_ERRORS,) if ROW_ERRORS in document else ()))
    if sorted(document) != members:
        problems.append(f"the receipt must have exactly the members {', '.join(MEMBERS)} "
                        f"(and {ROW_ERRORS} when rows were refused)")
    rows = document.get("rows")
    names = sorted(ROW_COUNTS + ((REFUSED,) if isinstance(rows, dict) and REFUSED in rows
                                 else ()))
    if not isinstance(rows, dict) or sorted(rows) != names or not all(
            isinstance(rows[name], int) for name in ROW_COUNTS):
        problems.append(f"rows must hold the whole numbers {', '.join(ROW_COUNTS)}")
    elif refused := _refused_shape(document, rows):
        problems += refused
    elif rows["imported"] + rows["already_there"] + rows.get(REFUSED, 0) != rows["read"]:
        problems.append("rows imported, already there and refused do not add up to the rows "
                        "read")
    if document.get("import_kind") not in tuple(str(kind) for kind in Kind):
        problems.append(f"import_kind {document.get('import_kind')!r} is not members or records")
    return problems


def check_against(sheet: Sheet, document: dict[str, Any]) -> list[str]:
    """The spreadsheet's own figures against the receipt's."""
    if sheet.sha256 != document.get("file_sha256"):
        return [f"{sheet.name} is not the file the receipt was made from (its SHA-256 is "
                f"{sheet.sha256}, the receipt says {document.get('file_sha256')})"]
    read, minutes, first, last = totals(Kind(document["import_kind"]), sheet)
    stated = document["rows"]["read"], document["total_minutes"]
    ends = document["first_source_id"], document["last_source_id"]
    problems = []
    if (read, minutes) != stated:
        problems.append(f"{sheet.name} has {read} rows and {minutes} minutes; the receipt says "
                        f"{stated[0]} rows and {stated[1]} minutes")
    if (first, last) != ends:
        problems.append(f"{sheet.name} runs from source id {first} to {last}; the receipt says "
                        f"{ends[0]} to {ends[1]}")
    return problems


@dataclass(frozen=True)
class Verified:
    receipt: dict[str, Any]
    summary: str


def verify_receipt(path: Path, *, directory: Directory,
                   spreadsheet: Path | None = None) -> Verified:
    """Raise ReceiptInvalid naming every problem, or return what was verified."""
    document = _load(path)
    problems = _shape(document)
    signer = document.get("node_id")
    try:
        verify_evidence(document, directory=directory, time_member="issued_at_ms",
                        signer=str(signer))
    except ProtocolError as exc:
        problems.append(f"signature by {signer}: {exc.code.value}: {exc.detail}")
    if spreadsheet is not None and not problems:
        try:
            problems += check_against(read_sheet(spreadsheet), document)
        except ImportRefused as exc:
            problems.append(f"the spreadsheet cannot be read: {exc.detail}")
    if problems:
        raise ReceiptInvalid(path, problems)
    rows = document["rows"]
    checked = f"; {spreadsheet.name} matches" if spreadsheet is not None else \
        "; no spreadsheet given: its hash, rows and minutes were not recomputed"
    summary = (f"import receipt signed by {signer}: {document['import_kind']} of "
               f"{document['file_name']} (programme {document['programme']}), {rows['read']} "
               f"rows read, {rows['imported']} imported, {rows['already_there']} already "
               f"there, {document['total_minutes']} minutes{checked}")
    return Verified(document, summary)
