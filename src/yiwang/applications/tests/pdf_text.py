"""Read back what our fpdf2 documents print: their text (through the fonts' ToUnicode maps) and images.

Enough for tests of PDFs drawn by ``yiwang.core.pdf`` (Identity-H fonts, Flate streams); not a general
PDF reader.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

_STREAM_START = re.compile(rb">>\s*stream\r?\n")
_LENGTH = re.compile(rb"/Length\s+(\d+)(?!\s+\d+\s+R)")
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>")
_SHOW = re.compile(rb"\((?P<text>(?:\\.|[^\\)])*)\)\s*Tj", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    colour_space: str
    bits: int
    pixels: bytes


def _streams(pdf: bytes) -> list[tuple[bytes, bytes]]:
    """Each stream's dictionary and data, the data cut by its /Length (never by searching for
    ``endstream``: compressed bytes may end in a carriage return, or hold anything at all)."""
    found = []
    position = 0
    while match := _STREAM_START.search(pdf, position):
        header = pdf[pdf.rfind(b" obj", 0, match.start()) : match.start()]
        length = int(_LENGTH.findall(header)[-1])
        data = pdf[match.end() : match.end() + length]
        position = match.end() + length
        if b"FlateDecode" in header:
            data = zlib.decompress(data)
        found.append((header, data))
    return found


def _unescape(raw: bytes) -> bytes:
    out = bytearray()
    index = 0
    while index < len(raw):
        char = raw[index : index + 1]
        if char == b"\\":
            following = raw[index + 1 : index + 2]
            if following.isdigit():
                digits = re.match(rb"[0-7]{1,3}", raw[index + 1 :]).group(0)
                out.append(int(digits, 8))
                index += 1 + len(digits)
                continue
            out += _ESCAPES.get(following, following)
            index += 2
            continue
        out += char
        index += 1
    return bytes(out)


def pdf_text(pdf: bytes) -> str:
    """Every shown string of the document, one per line, decoded through the ToUnicode maps."""
    streams = _streams(pdf)
    mapping: dict[int, str] = {}
    for _, data in streams:
        if b"/Ordering (UCS)" in data:
            for code, unicode in _BFCHAR.findall(data):
                mapping[int(code, 16)] = bytes.fromhex(unicode.decode()).decode("utf-16-be")
    lines = []
    for _, data in streams:
        for match in _SHOW.finditer(data):
            raw = _unescape(match.group("text"))
            codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
            lines.append("".join(mapping.get(code, "\ufffd") for code in codes))
    return "\n".join(lines)


def pdf_images(pdf: bytes) -> list[Image]:
    """The image XObjects of the document with their decoded pixels."""
    images = []
    for header, data in _streams(pdf):
        if b"/Subtype /Image" not in header:
            continue

        def number(name: bytes, header: bytes = header) -> int:
            return int(re.search(rb"/" + name + rb"\s+(\d+)", header).group(1))

        space = re.search(rb"/ColorSpace\s*/(\w+)", header)
        images.append(
            Image(
                width=number(b"Width"),
                height=number(b"Height"),
                colour_space=space.group(1).decode() if space else "",
                bits=number(b"BitsPerComponent"),
                pixels=data,
            )
        )
    return images


def qr_modules(image: Image, *, box_size: int = 6) -> list[list[bool]]:
    """The dark/light modules of a greyscale QR image (as ``core.pdf.qr_image`` draws it), border included."""
    width = image.width
    pixels = image.pixels
    if len(pixels) == (width + 1) * image.height:  # PNG predictor rows: a filter byte each (0 = none)
        rows = [pixels[row * (width + 1) : (row + 1) * (width + 1)] for row in range(image.height)]
        assert {row[0] for row in rows} == {0}
        pixels = b"".join(row[1:] for row in rows)
    count = width // box_size
    centre = box_size // 2
    return [
        [pixels[(y * box_size + centre) * width + x * box_size + centre] < 128 for x in range(count)]
        for y in range(count)
    ]


def expected_qr_modules(text: str, *, border: int = 2) -> list[list[bool]]:
    import qrcode

    code = qrcode.QRCode(border=border)
    code.add_data(text)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]
