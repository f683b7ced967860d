"""The activation link as a QR code, in SVG, for the member's paper card (segno: pure Python,
no network). Error correction level M survives a crease or a smudge on a printed card."""

from __future__ import annotations

import io

import segno

QR_SCALE = 4  # SVG units per module: about 3.3 cm wide at 96 dpi for a typical link
QR_BORDER = 4  # the quiet zone QR readers need, in modules
URL_CHARS_MAX = 500


def qr_svg(url: str, *, title: str = "activation link", scalable: bool = False) -> str:
    """A standalone SVG document (no XML declaration) encoding `url`: of a fixed size for the
    printed card, or `scalable` (a viewBox and no size) for a page whose CSS sizes it."""
    assert len(url) <= URL_CHARS_MAX, "a node's base URL plus a code is short"
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", scale=QR_SCALE, border=QR_BORDER, xmldecl=False, title=title,
        omitsize=scalable)
    return out.getvalue().decode("utf-8")
