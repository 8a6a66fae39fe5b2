"""What a holder sees and downloads: the A-level watermark text, the QR code, and the signed PDF.

The PDF is drawn with fpdf2 (WeasyPrint was judged too heavy: it needs Pango). "Signed" means the PDF
carries the issuer's SM2 signature: the verification bundle (canonical JSON, DER signature, PEM key) is
embedded as a file attachment, and the page prints the key id, the signature digest and a QR code to
the public verification page. The PDF file itself is not a PAdES signature.
"""

from __future__ import annotations

import io
import json

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.utils.translation import gettext as _

from yiwang.core.crypto import sm3_hex
from yiwang.core.pdf import CJK_FAMILY, new_document, qr_png

from .models import License
from .presenters import surface_rows
from .selectors import get_bundle


def watermark_text(license: License) -> str:
    """The A-level usage statement printed across every rendering of a license."""
    until = license.valid_until.strftime("%Y年%m月%d日") if license.valid_until else _("长期")
    return _("此件由%(issuer)s提供，仅供办理政务服务事项时使用，有效期至%(until)s") % {
        "issuer": license.issuer.name,
        "until": until,
    }


def qr_svg(text: str) -> str:
    """An inline SVG QR code of ``text`` (no external requests, works offline)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def verify_url(license: License) -> str:
    return f"{settings.SITE_URL}/licenses/verify?identifier={license.identifier}"


def license_pdf(license: License) -> bytes:
    """The license as a one-page PDF with its verification bundle attached."""
    bundle = get_bundle(license=license)
    pdf = new_document(title=f"{license.license_type.name} {license.identifier}")
    pdf.add_page()
    pdf.set_font(CJK_FAMILY, size=20)
    pdf.cell(0, 14, license.license_type.name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(CJK_FAMILY, size=11)
    for label, value in [
        (_("证照标识"), license.identifier),
        (_("签发机构"), license.issuer.name),
        (_("签发日期"), license.issued_on.isoformat()),
        (_("有效期至"), license.valid_until.isoformat() if license.valid_until else _("长期")),
    ]:
        pdf.cell(0, 8, f"{label}：{value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for label, value in surface_rows(license):
        pdf.multi_cell(0, 8, f"{label}：{value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_text_color(190, 30, 30)
    pdf.multi_cell(0, 7, watermark_text(license), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(CJK_FAMILY, size=8)
    digest = sm3_hex(bytes(license.signature))
    pdf.multi_cell(
        0,
        5,
        _("SM2 签名（密钥 %(key)s，签名 SM3 摘要 %(digest)s）；附件 bundle.json 可用 OpenSSL 3 验证。")
        % {"key": license.signing_key.key_id, "digest": digest},
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.image(io.BytesIO(qr_png(verify_url(license))), x=160, y=15, w=35)
    pdf.embed_file(
        basename="bundle.json",
        bytes=json.dumps(bundle, ensure_ascii=False, indent=1).encode(),
        desc="Yiwang license verification bundle (RFC 8785 canonical JSON, SM2 signature, public key)",
    )
    return bytes(pdf.output())
