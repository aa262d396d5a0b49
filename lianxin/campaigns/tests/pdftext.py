"""A minimal text extractor for the PDFs WeasyPrint writes (no PDF library in the lock file).

Decompresses every stream, reads the fonts' ToUnicode CMaps and decodes the content streams' shown
strings with each CMap; returns one decoding per CMap (the right one reads as text)."""

from __future__ import annotations

import re
import zlib

STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def _streams(pdf: bytes) -> list[bytes]:
    out = []
    for match in STREAM.finditer(pdf):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            out.append(match.group(1))
    return out


def _cmap(data: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    text = data.decode("latin-1")
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be", "replace")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(dst, 16)
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(start + offset)
    return mapping


def texts(pdf: bytes) -> list[str]:
    streams = _streams(pdf)
    cmaps = [_cmap(s) for s in streams if b"beginbfchar" in s or b"beginbfrange" in s]
    shown = [s for s in streams if b"Tj" in s or b"TJ" in s]
    results = []
    for cmap in cmaps:
        width = 2 if any(code > 255 for code in cmap) else 1
        parts = []
        for content in shown:
            for hexes in re.findall(rb"<([0-9A-Fa-f\s]*)>", content):
                raw = bytes.fromhex(hexes.decode().replace(" ", "").replace("\n", ""))
                for i in range(0, len(raw) - width + 1, width):
                    code = int.from_bytes(raw[i:i + width], "big")
                    if code in cmap:
                        parts.append(cmap[code])
        results.append("".join(parts))
    return results
