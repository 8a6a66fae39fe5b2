"""The written decisions a case ends with: 准予 (with the result issued) and 不予 (reasons, basis, rights).

Drawn with fpdf2 through ``core.pdf``; ``results`` stores them in ``Case.decision_document``. A refusal
must state its reasons, its legal basis and the remedies open to the applicant with their last days
(行政许可法 第三十八条; 行政复议法 第二十条; 行政诉讼法 第四十六条).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.catalog.constants import ItemType
from yiwang.core.pdf import CJK_FAMILY, new_document

from ..models import Case


@dataclass(frozen=True)
class Rights:
    """The remedies against a decision and the last day of each (counted from the decision date)."""

    decided_on: dt.date
    reconsideration_until: dt.date  # 行政复议: 60 days
    litigation_until: dt.date  # 行政诉讼: 6 months


@dataclass(frozen=True)
class Approval:
    decided_on: dt.date
    basis: str
    result_name: str
    license_name: str = ""
    license_identifier: str = ""


@dataclass(frozen=True)
class Refusal:
    decided_on: dt.date
    reason: str
    basis: str
    rights: Rights


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _is_licensing(case: Case) -> bool:
    implementation = case.implementation
    return bool(implementation and implementation.item.item_type == ItemType.LICENSING)


def _item_name(case: Case) -> str:
    if case.implementation is not None:
        return case.implementation.name
    return case.bundle.name if case.bundle is not None else ""


def _opening(case: Case) -> str:
    submitted = chinese_date(timezone.localdate(case.submitted_at))
    text = _("你（单位）于%(submitted)s提出的%(item)s申请（办件编号：%(number)s）") % {
        "submitted": submitted,
        "item": _item_name(case),
        "number": case.number,
    }
    if case.accepted_at:
        text += _("，本机关已于%(accepted)s依法受理") % {
            "accepted": chinese_date(timezone.localdate(case.accepted_at))
        }
    return text + "。"


def _document(case: Case, title: str, paragraphs: list[str], decided_on: dt.date) -> bytes:
    pdf = new_document(title=f"{title} {case.number}")
    pdf.add_page()
    pdf.set_font(CJK_FAMILY, size=18)
    pdf.cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(CJK_FAMILY, size=10)
    pdf.cell(
        0, 7, _("文书编号：%(number)s") % {"number": case.number}, align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)
    pdf.set_font(CJK_FAMILY, size=12)
    pdf.multi_cell(
        0,
        8,
        _("%(name)s（证件号码：%(code)s）：") % {"name": case.holder_name, "code": case.holder_code},
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for paragraph in paragraphs:
        pdf.multi_cell(0, 8, "　　" + paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.ln(8)
    pdf.cell(0, 8, case.department.name, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, chinese_date(decided_on), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(CJK_FAMILY, size=9)
    pdf.multi_cell(
        0,
        6,
        _("本文书由一网通办平台生成并电子送达，可凭办件编号在平台查询。"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def approval_pdf(*, case: Case, approval: Approval) -> bytes:
    """准予行政许可决定书 (an item of type 行政许可) or 准予办理决定书 (any other item)."""
    title = _("准予行政许可决定书") if _is_licensing(case) else _("准予办理决定书")
    paragraphs = [
        _opening(case)
        + _("经审查，申请符合法定条件、标准，根据%(basis)s的规定，决定准予%(result)s。")
        % {"basis": approval.basis or _("有关法律、法规"), "result": approval.result_name}
    ]
    if approval.license_identifier:
        paragraphs.append(
            _(
                "办理结果“%(license)s”已作为电子证照签发至你的电子证照夹（证照标识：%(identifier)s），"
                "与纸质证照具有同等法律效力，可在平台核验真伪。"
            )
            % {"license": approval.license_name, "identifier": approval.license_identifier}
        )
    return _document(case, title, paragraphs, approval.decided_on)


def rights_text(rights: Rights) -> list[str]:
    """The remedies paragraph every refusal carries, with the last day of each."""
    return [
        _(
            "如不服本决定，可以自收到本决定书之日起六十日内（最后一日为%(reconsideration)s）依照"
            "《中华人民共和国行政复议法》第二十条的规定申请行政复议；也可以自收到本决定书之日起六个月内"
            "（最后一日为%(litigation)s）依照《中华人民共和国行政诉讼法》第四十六条的规定向人民法院提起行政诉讼。"
        )
        % {
            "reconsideration": chinese_date(rights.reconsideration_until),
            "litigation": chinese_date(rights.litigation_until),
        },
        _(
            "以上期限按本决定作出之日（%(decided)s）起算，开始之日不计入；期间最后一日为法定节假日的，"
            "以节假日后的第一个工作日为最后一日。"
        )
        % {"decided": chinese_date(rights.decided_on)},
    ]


def refusal_pdf(*, case: Case, refusal: Refusal) -> bytes:
    """不予行政许可决定书 (or 不予办理决定书): reasons, legal basis, and the applicant's rights."""
    title = _("不予行政许可决定书") if _is_licensing(case) else _("不予办理决定书")
    paragraphs = [
        _opening(case)
        + (
            _("经审查，申请不符合法定条件、标准，决定不予行政许可。")
            if _is_licensing(case)
            else _("经审查，申请不符合法定条件、标准，决定不予办理。")
        ),
        _("理由：%(reason)s") % {"reason": refusal.reason},
        _("依据：%(basis)s") % {"basis": refusal.basis},
        *rights_text(refusal.rights),
    ]
    return _document(case, title, paragraphs, refusal.decided_on)
