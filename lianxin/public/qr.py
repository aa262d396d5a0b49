"""QR codes (码上见代表) rendered with segno, as SVG for print layouts and PNG for anything else."""

from __future__ import annotations

import io

import segno
from django.http import HttpResponse
from django.utils.cache import patch_cache_control

# Level Q (25% of the code may be damaged) survives a poster that is scuffed, folded or partly
# covered by a thumb; the URLs are short, so the symbol stays small enough to scan from a metre.
ERROR_LEVEL = "q"
# PNG: 16 px per module; a version 3–4 code with its quiet zone is ~600–700 px, about 5.5 cm at
# 300 dpi. SVG scales freely; its nominal size only matters for programs that ignore the viewBox.
PNG_SCALE = 16
SVG_SCALE = 10
QUIET_ZONE = 4  # modules of white border, as the standard asks
CACHE_SECONDS = 24 * 3600

CONTENT_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def render(payload: str, fmt: str) -> bytes:
    """The QR code for ``payload`` as SVG or PNG bytes."""
    code = segno.make(payload, error=ERROR_LEVEL, boost_error=False, micro=False)
    buffer = io.BytesIO()
    if fmt == "svg":
        code.save(buffer, kind="svg", scale=SVG_SCALE, border=QUIET_ZONE, xmldecl=True, svgclass="lx-qr-code")
    elif fmt == "png":
        code.save(buffer, kind="png", scale=PNG_SCALE, border=QUIET_ZONE)
    else:
        raise ValueError(f"unknown QR format {fmt!r}")
    return buffer.getvalue()


def qr_response(payload: str, fmt: str, filename: str) -> HttpResponse:
    """An inline image response, cacheable by browsers and proxies (the payload never changes for a code)."""
    response = HttpResponse(render(payload, fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'inline; filename="{filename}.{fmt}"'
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response
