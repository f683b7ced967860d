"""Bulk import from the console (issue 14, item 6): the same service as `hourbridge import`.

    GET  /console/imports                          the form, the limits, recent receipts
    POST /console/imports                          a file (multipart/form-data): "check only"
                                                   (the dry run) or "import"
    GET  /console/imports/receipts/<id>            one import's signed receipt, in words
    GET  /console/imports/receipts/<id>/download   the receipt's signed JSON

Only operators (admins) import, as on the command line: the role is checked before the body is
read, so another user's upload is never parsed. The page reads the upload into a
private temporary folder under the file's own name (the receipt names it) and hands it to
node/imports' `check` or `run_import` in a worker thread: rows are checked by the same rules,
written in the same chunks, with the signed-in operator recorded as the importer. The event loop
serves other requests meanwhile; the page answers when the service is done (no progress bar: a
page without scripts cannot draw one, and the chunked writes resume if the connection drops).

Limits: UPLOAD_BYTES_MAX and UPLOAD_ROWS_MAX, each refused in words (413); the sheet's reader
stops at UPLOAD_ROWS_MAX rows (SheetTooLong, import_too_many_rows). The body guard
(node/api/limits.py) lets this path bring up to UPLOAD_BODY_BYTES_MAX, so a file a little or
twice over the limit still gets the page's words; a body beyond that is cut off by the guard
with its coded 413 before anything is read.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from node.access import Role
from node.console import i18n, import_receipts
from node.console.import_receipts import RECEIPT_ID_PATTERN
from node.console.import_view import checked_view, refusal_key, refused_view
from node.console.sessions import same_secret
from node.console.web import (
    PREFIX,
    SECURITY_HEADERS,
    ConsoleRoute,
    CsrfRefused,
    Desk,
    desk,
    redirect,
    render,
)
from node.errors import ErrorCode, FixedCodeError, NodeError
from node.http_status import status_for
from node.imports.columns import Kind
from node.imports.run import Checked, Imported, check, run_import
from node.imports.sheet import SUFFIXES, ImportRefused, SheetTooLong

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
IMPORTS_PATH = f"{PREFIX}/imports"
# 50 000 rows of service records are about 4 MB as CSV and 1.5 MB as .xlsx.
UPLOAD_BYTES_MAX = 8 * 1024 * 1024
UPLOAD_ROWS_MAX = 60_000
UPLOAD_BODY_BYTES_MAX = 2 * UPLOAD_BYTES_MAX
UPLOAD_FIELDS_MAX = 8  # csrf, kind, mode, programme, file, and a little room
UPLOAD_FIELD_BYTES_MAX = 1024  # each text field; the file has UPLOAD_BYTES_MAX
FILE_NAME_CHARS_MAX = 100
MODES = ("dry_run", "import")
Staff = Annotated[Desk, Depends(desk)]
ReceiptId = Annotated[str, PathParam(pattern=RECEIPT_ID_PATTERN, max_length=64)]
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


class UploadRefused(FixedCodeError):
    """An upload refused before the service reads it; `key` names the page's words."""

    CODE = ErrorCode.VALIDATION_FAILED

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


class UploadTooLarge(UploadRefused):
    """A file over the page's bytes or rows limit."""

    CODE = ErrorCode.BODY_TOO_LARGE


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 100 * 1024 else f"{size / 1024:.1f} KB"


def _admins_only(request: Request, staff: Desk) -> Response:
    return render(request, "error.html", lang=staff.lang, status=403, staff=staff,
                  message=staff.t("imports.admins_only"), code=str(ErrorCode.FORBIDDEN),
                  detail="", back=f"{PREFIX}/members")


async def _page(request: Request, staff: Desk, *, status: int = 200,
                result: dict[str, Any] | None = None, dry: bool = True,
                refusal: tuple[str, dict[str, Any], str] | None = None) -> Response:
    recent = await run_in_threadpool(import_receipts.recent, staff.node)
    message = staff.t(refusal[0], **refusal[1]) if refusal else ""
    return render(request, "imports.html", lang=staff.lang, staff=staff, status=status,
                  result=result, dry=dry, recent=recent,
                  refusal={"message": message, "code": refusal[2]} if refusal else None,
                  programme=staff.node.timebank.policy.programme,
                  megabytes=UPLOAD_BYTES_MAX // (1024 * 1024), rows_max=UPLOAD_ROWS_MAX)


@router.get("/imports")
async def imports(request: Request, staff: Staff) -> Response:
    if staff.principal.role != Role.ADMIN:
        return _admins_only(request, staff)
    return await _page(request, staff)


async def _form(request: Request) -> FormData:
    try:
        return await request.form(max_files=1, max_fields=UPLOAD_FIELDS_MAX,
                                  max_part_size=UPLOAD_FIELD_BYTES_MAX)
    except HTTPException as exc:  # python-multipart's refusal of a malformed or odd body
        raise NodeError(ErrorCode.BAD_REQUEST, f"the upload cannot be read: {exc.detail}") \
            from exc


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _choice(form: FormData) -> tuple[Kind, str, str | None]:
    kind, mode = _text(form, "kind"), _text(form, "mode")
    if kind not in tuple(str(k) for k in Kind) or mode not in MODES:
        raise UploadRefused("imports.bad_choice")
    return Kind(kind), mode, _text(form, "programme") or None


def _upload(form: FormData) -> tuple[UploadFile, str]:
    """The uploaded file and the name it is read under: the browser's name, made safe."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise UploadRefused("imports.no_file")
    name = _UNSAFE_NAME.sub("_", Path(upload.filename.replace("\\", "/")).name).strip()
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadRefused("imports.suffix")
    if len(name) > FILE_NAME_CHARS_MAX:
        name = name[:FILE_NAME_CHARS_MAX - len(suffix)] + suffix
    size = upload.size or 0
    if size > UPLOAD_BYTES_MAX:
        raise UploadTooLarge("imports.too_large", size=_megabytes(size),
                             limit=_megabytes(UPLOAD_BYTES_MAX))
    return upload, name


def _save(upload: UploadFile, path: Path) -> None:
    upload.file.seek(0)
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out)


def _dry_run(staff: Desk, kind: Kind, path: Path, programme: str | None) -> Checked:
    return check(staff.node, kind, path, programme=programme, principal=staff.principal,
                 rows_max=UPLOAD_ROWS_MAX)


def _import(staff: Desk, kind: Kind, path: Path, programme: str | None) -> tuple[Imported, str]:
    done = run_import(staff.node, kind, path, programme=programme, principal=staff.principal,
                      rows_max=UPLOAD_ROWS_MAX)
    return done, import_receipts.keep(staff.node, done.receipt)


async def _run(request: Request, staff: Desk, choice: tuple[Kind, str, str | None],
               path: Path) -> Response:
    kind, mode, programme = choice
    try:
        if mode == "dry_run":
            checked = await run_in_threadpool(_dry_run, staff, kind, path, programme)
            return await _page(request, staff,
                               result=checked_view(staff.node, staff.lang, checked))
        _, receipt_id = await run_in_threadpool(_import, staff, kind, path, programme)
    except UploadRefused as exc:
        return await _page(request, staff, status=status_for(exc),
                           refusal=(exc.key, exc.values, str(exc.code)))
    except SheetTooLong as exc:  # read no further than the page's limit
        return await _page(request, staff, status=status_for(exc),
                           refusal=("imports.too_many_rows", {"limit": exc.rows_max},
                                    str(exc.code)))
    except ImportRefused as exc:
        if exc.errors:
            view = refused_view(staff.node, staff.lang, kind, path.name, exc.errors)
            return await _page(request, staff, status=422, result=view, dry=False)
        key, values = refusal_key(exc)
        return await _page(request, staff, status=422, refusal=(key, values, str(exc.code)))
    return redirect(f"{IMPORTS_PATH}/receipts/{receipt_id}?done=imported")


@router.post("/imports")
async def upload(request: Request, staff: Staff) -> Response:
    if staff.principal.role != Role.ADMIN:  # before the body is read: nothing parsed
        return _admins_only(request, staff)
    form = await _form(request)
    try:
        if not same_secret(_text(form, "csrf"), staff.session.csrf):
            raise CsrfRefused
        try:
            choice = _choice(form)
            file, name = _upload(form)
        except UploadRefused as exc:
            return await _page(request, staff, status=status_for(exc),
                               refusal=(exc.key, exc.values, str(exc.code)))
        with tempfile.TemporaryDirectory(prefix="hb-console-import-") as folder:
            path = Path(folder) / name
            await run_in_threadpool(_save, file, path)
            return await _run(request, staff, choice, path)
    finally:
        await form.close()


def _receipt_view(staff: Desk, receipt_id: str) -> dict[str, Any]:
    document = import_receipts.load(staff.node, receipt_id)
    if document is None:
        raise NodeError(ErrorCode.ROUTE_NOT_FOUND, f"no import receipt {receipt_id}")
    return {"receipt": document, "receipt_id": receipt_id,
            "download_name": f"import-receipt-{receipt_id}.json"}


@router.get("/imports/receipts/{receipt_id}")
async def receipt_page(request: Request, receipt_id: ReceiptId, staff: Staff) -> Response:
    if staff.principal.role != Role.ADMIN:
        return _admins_only(request, staff)
    view = await run_in_threadpool(_receipt_view, staff, receipt_id)
    notice = i18n.CATALOGUE[staff.lang].get(f"done.{request.query_params.get('done', '')}", "")
    return render(request, "import_receipt.html", lang=staff.lang, staff=staff, notice=notice,
                  **view)


@router.get("/imports/receipts/{receipt_id}/download")
async def receipt_download(request: Request, receipt_id: ReceiptId, staff: Staff) -> Response:
    if staff.principal.role != Role.ADMIN:
        return _admins_only(request, staff)
    data = await run_in_threadpool(import_receipts.raw, staff.node, receipt_id)
    if data is None:
        raise NodeError(ErrorCode.ROUTE_NOT_FOUND, f"no import receipt {receipt_id}")
    disposition = f'attachment; filename="import-receipt-{receipt_id}.json"'
    return Response(data, media_type="application/json",
                    headers={**SECURITY_HEADERS, "Content-Disposition": disposition})
