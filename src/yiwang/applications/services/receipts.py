"""The submission receipt (申报回执 / 受理回执): a one-page PDF the applicant keeps and can scan to track.

It names the case, the item, the applicant (masked: the receipt is printed and shared), when it was
submitted, what materials it holds and how each was provided, the planned end dates once the clock
runs, and a QR code of the public status query (办件查询: number plus the query code, without login).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.pdf import CJK_FAMILY, new_document, qr_image
from yiwang.identity.selectors import mask_id_number, mask_name

from ..constants import OPEN_STATUSES, ApplicantKind, CaseStatus, MaterialSource
from ..models import Case

QUERY_PATH = "/cases/query/"


def status_query_url(case: Case) -> str:
    """The public status-query page of the case (the query code is asked there, never put in the QR)."""
    return f"{settings.SITE_URL}{QUERY_PATH}?{urlencode({'number': case.number})}"


def masked_holder(case: Case) -> tuple[str, str]:
    """The holder's name and code as a printed page may show them (a person's name and ID masked)."""
    if case.applicant_kind == ApplicantKind.PERSON:
        return mask_name(case.holder_name), mask_id_number(case.holder_code)
    return case.holder_name, case.holder_code


def _item_name(case: Case) -> str:
    if case.bundle is not None:
        return case.bundle.name
    return case.implementation.name if case.implementation is not None else ""


def _receipt_title(case: Case) -> str:
    accepted = case.status not in (CaseStatus.SUBMITTED, CaseStatus.NOT_ACCEPTED) and case.accepted_at
    return _("受理回执") if accepted else _("申报回执")


def _header_rows(case: Case) -> list[tuple[str, str]]:
    name, code = masked_holder(case)
    local = timezone.localtime(case.submitted_at)
    rows = [
        (_("办件编号"), case.number),
        (_("办理事项"), _item_name(case)),
        (_("受理部门"), case.department.name),
        (_("申请人"), f"{name}（{code}）"),
        (_("提交时间"), local.strftime("%Y-%m-%d %H:%M")),
        (_("办件状态"), str(CaseStatus(case.status).label)),
    ]
    if case.accepted_at:
        rows.append((_("受理时间"), timezone.localtime(case.accepted_at).strftime("%Y-%m-%d %H:%M")))
    if case.promised_due:
        rows.append((_("承诺办结日期"), case.promised_due.isoformat()))
    if case.statutory_due:
        rows.append((_("法定办结日期"), case.statutory_due.isoformat()))
    if not case.promised_due and not case.statutory_due and case.status in OPEN_STATUSES:
        rows.append((_("办结日期"), _("受理后按工作日计算并告知")))
    return rows


def _material_lines(case: Case) -> list[str]:
    materials = case.materials.filter(superseded=False).order_by("pk")
    return [
        f"{index}. {material.name}（{MaterialSource(material.source).label}）"
        for index, material in enumerate(materials, start=1)
    ]


def _part_lines(case: Case) -> list[str]:
    """For a bundle: each part, its department and its own planned date."""
    lines = []
    for child in case.children.select_related("implementation", "department").order_by("number"):
        planned = child.promised_due.isoformat() if child.promised_due else _("受理后告知")
        lines.append(
            _("%(number)s %(item)s（%(department)s，承诺办结 %(planned)s）")
            % {
                "number": child.number,
                "item": child.implementation.name if child.implementation is not None else "",
                "department": child.department.name,
                "planned": planned,
            }
        )
    return lines


def _section(pdf, title: str, lines: list[str]) -> None:
    pdf.ln(3)
    pdf.set_font(CJK_FAMILY, size=12)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(CJK_FAMILY, size=10)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")


def receipt_pdf(*, case: Case) -> bytes:
    """The receipt of ``case`` as PDF bytes (the caller checked that the reader may see the case)."""
    title = _receipt_title(case)
    pdf = new_document(title=f"{title} {case.number}")
    pdf.add_page()
    pdf.set_font(CJK_FAMILY, size=18)
    pdf.cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(CJK_FAMILY, size=11)
    pdf.set_right_margin(55)  # the QR code sits top right
    for label, value in _header_rows(case):
        pdf.multi_cell(0, 7, f"{label}：{value}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_right_margin(10)
    materials = _material_lines(case)
    _section(pdf, _("申请材料"), materials or [_("无")])
    if case.bundle_id:
        _section(pdf, _("分办事项"), _part_lines(case) or [_("提交后分送各部门办理")])
    url = status_query_url(case)
    _section(
        pdf,
        _("办件查询"),
        [
            _("扫描右上角二维码或访问 %(url)s，输入办件编号和查询码即可查询办理进度，无需登录。")
            % {"url": url},
            _("查询码已在提交成功时告知申请人，请妥善保管，不要转交他人。"),
        ],
    )
    pdf.image(qr_image(url), x=160, y=25, w=38)
    return bytes(pdf.output())
