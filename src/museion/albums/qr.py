"""QR codes of the visitors' links, as inline SVG (segno: pure Python, nothing fetched from elsewhere)."""

from __future__ import annotations

import io

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(url: str) -> SafeString:
    """An SVG of the link's QR code that scales to its box (no fixed size), dark on white.

    Error correction "M" (15%): readable through a print's smudges and glare while the code stays
    coarse enough for a phone a metre away. The SVG holds only paths, never the text of the link,
    so it is safe to put in a page as it is.
    """
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", border=2, xmldecl=False, omitsize=True, nl=False, dark="#000", light="#fff"
    )
    return mark_safe(out.getvalue().decode("ascii"))  # segno's own markup: no user text in it
