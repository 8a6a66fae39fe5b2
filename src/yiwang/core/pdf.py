"""The one set-up of a printable PDF (fpdf2) with a Chinese font, and the QR code image PDFs carry.

E-licenses, decision documents, receipts and payment receipts all draw with fpdf2 (WeasyPrint was judged
too heavy: it needs Pango). The CJK font is looked up once among the system fonts; without one the
platform cannot print Chinese and says so instead of printing empty boxes.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import qrcode

if TYPE_CHECKING:
    from fpdf import FPDF
    from PIL.Image import Image

CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
# The family name documents use with ``pdf.set_font(CJK_FAMILY, size=…)``.
CJK_FAMILY = "cjk"


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    return next((path for path in CJK_FONT_CANDIDATES if Path(path).exists()), None)


def new_document(*, title: str) -> FPDF:
    """An A4 fpdf2 document with the CJK font registered as ``CJK_FAMILY`` and selected (11 pt)."""
    from fpdf import FPDF

    font = cjk_font_path()
    if font is None:
        raise RuntimeError("no CJK font installed (apt-get install fonts-noto-cjk)")
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("一网通办 Yiwang")
    pdf.add_font(CJK_FAMILY, fname=font, collection_font_number=0)
    pdf.set_font(CJK_FAMILY, size=11)
    return pdf


def qr_png(text: str, *, box_size: int = 6, border: int = 2) -> bytes:
    """A PNG QR code of ``text`` (made here, no external requests)."""
    buffer = io.BytesIO()
    qrcode.make(text, box_size=box_size, border=border).save(buffer, format="PNG")
    return buffer.getvalue()


def qr_image(text: str, *, box_size: int = 6, border: int = 2) -> Image:
    """A greyscale QR code of ``text`` to draw with ``pdf.image``: stored Flate-compressed row by row,
    so the document's QR can be read back and checked (a 1-bit image would be stored as CCITT fax)."""
    return qrcode.make(text, box_size=box_size, border=border).get_image().convert("L")
