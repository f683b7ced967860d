"""Reading a server-rendered page's form: what the staff console and the personal centre share.

Pages post `application/x-www-form-urlencoded` bodies (the API's body guard bounds their size);
each field may appear once, in UTF-8, and at most FORM_FIELDS_MAX fields are read.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request

from node.errors import ErrorCode, NodeError

FORM_FIELDS_MAX = 20


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form: each field once, UTF-8 only, values stripped."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise NodeError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the page's form")
    try:
        pairs = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True,
                          max_num_fields=FORM_FIELDS_MAX, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise NodeError(ErrorCode.BAD_REQUEST, f"the form cannot be read: {exc}") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise NodeError(ErrorCode.BAD_REQUEST, f"the form repeats {name}")
        form[name] = value.strip()
    return form
