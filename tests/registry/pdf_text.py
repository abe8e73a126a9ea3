"""Read the text back out of a PDF that fpdf2 wrote, without a PDF library.

fpdf2 embeds Unicode fonts as Type0/Identity-H: text operators carry 2-byte
glyph codes, and each font's ``/ToUnicode`` CMap says which character each
code stands for. Streams may be Flate-compressed. This reads just enough of
the format for fpdf2's own output: objects, streams, fonts and ``Tj``/``TJ``.
"""

from __future__ import annotations

import re
import zlib

_OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_FONT_RESOURCE = re.compile(rb"/(F\d+) (\d+) 0 R")
_TO_UNICODE = re.compile(rb"/ToUnicode (\d+) 0 R")
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_CONTENT_TOKEN = re.compile(rb"/(F\d+)\s+[\d.]+\s+Tf|\((?:\\.|[^\\)])*\)|\bTJ\b|\bTj\b|\[|\]|ET\b", re.S)


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number → (dictionary text, decoded stream or ``None``)."""
    found = {}
    for match in _OBJECT.finditer(pdf):
        body = match.group(2)
        stream = _STREAM.search(body)
        data = None
        if stream:
            data = stream.group(1)
            if b"/FlateDecode" in body[: stream.start()]:
                data = zlib.decompress(data)
        found[int(match.group(1))] = (body[: stream.start()] if stream else body, data)
    return found


def _unescape(literal: bytes) -> bytes:
    """The bytes of a PDF literal string (without its parentheses)."""
    out = bytearray()
    i = 0
    simple = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    while i < len(literal):
        char = literal[i : i + 1]
        if char != b"\\":
            out += char
            i += 1
            continue
        nxt = literal[i + 1 : i + 2]
        if nxt in simple:
            out += simple[nxt]
            i += 2
        elif nxt.isdigit():
            digits = re.match(rb"[0-7]{1,3}", literal[i + 1 : i + 4])
            assert digits is not None
            out.append(int(digits.group(0), 8))
            i += 1 + len(digits.group(0))
        elif nxt in (b"\r", b"\n"):
            i += 2
        else:
            out += nxt
            i += 2
    return bytes(out)


def pdf_text(pdf: bytes) -> str:
    """All the text drawn on the pages, one line per text object, plus the document title."""
    assert pdf.startswith(b"%PDF-"), "not a PDF"
    objects = _objects(pdf)
    cmaps: dict[int, dict[int, str]] = {}
    for number, (head, _data) in objects.items():
        to_unicode = _TO_UNICODE.search(head)
        if b"/Type /Font" in head and to_unicode:
            cmap_data = objects[int(to_unicode.group(1))][1] or b""
            cmaps[number] = {
                int(src, 16): bytes.fromhex(dst.decode()).decode("utf-16-be")
                for src, dst in _BFCHAR.findall(cmap_data)
            }
    fonts = {name.decode(): cmaps.get(int(ref), {}) for name, ref in _FONT_RESOURCE.findall(pdf)}
    lines: list[str] = []
    for _number, (head, data) in sorted(objects.items()):
        if data is None or b"/Type" in head or b"/Length1" in head or b"BT" not in data:
            continue
        font: dict[int, str] = {}
        line: list[str] = []
        for token in _CONTENT_TOKEN.finditer(data):
            text = token.group(0)
            if token.group(1):
                font = fonts.get(token.group(1).decode(), {})
            elif text.startswith(b"("):
                raw = _unescape(text[1:-1])
                line.append(
                    "".join(
                        font.get(int.from_bytes(raw[i : i + 2], "big"), "") for i in range(0, len(raw), 2)
                    )
                )
            elif text == b"ET" and line:
                lines.append("".join(line))
                line = []
    return "\n".join(lines)
