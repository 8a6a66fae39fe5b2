"""The electronic receipt of a fee (非税收入电子票据 in form): its number, check code, words and PDF.

The layout follows the 财政电子票据 the payer knows: 票据代码 and 票据号码, 校验码, 交款人, the items
with their amounts, the total in capitals (大写) and figures, the payee (收款单位) and the date. It is
a form, not a receipt issued by a 财政 platform: a sandbox payment's receipt says that it has no value.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.applications.constants import ApplicantKind
from yiwang.applications.models import Payment
from yiwang.core.pdf import CJK_FAMILY, new_document
from yiwang.identity.selectors import mask_id_number, mask_name

DIGITS = "零壹贰叁肆伍陆柒捌玖"
GROUP_UNITS = ("", "万", "亿", "万亿")


def receipt_number(payment: Payment) -> str:
    """票据代码 (8: region 6 + year 2) followed by 票据号码 (10: the payment's serial)."""
    year = timezone.localdate(payment.paid_at).year if payment.paid_at else timezone.localdate().year
    return f"{payment.case.region.code[:6]}{year % 100:02d}{payment.pk:010d}"


def split_receipt_number(number: str) -> tuple[str, str]:
    """(票据代码, 票据号码) of a receipt number."""
    return number[:8], number[8:]


def new_check_code() -> str:
    """Six random digits the payer quotes to have the receipt checked (校验码)."""
    return f"{secrets.randbelow(10**6):06d}"


def _group_words(group: int) -> str:
    """Capitals of 1…9999, with 零 for inner zeros (1005 → 壹仟零伍)."""
    words, pending_zero = "", False
    for place, unit in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        digit = group // place % 10
        if digit == 0:
            pending_zero = bool(words)
            continue
        if pending_zero:
            words += "零"
            pending_zero = False
        words += DIGITS[digit] + unit
    return words


def _integer_words(number: int) -> str:
    groups = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    words, pending_zero = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            pending_zero = bool(words)
            continue
        if words and (pending_zero or group < 1000):
            words += "零"
        words += _group_words(group) + GROUP_UNITS[index]
        pending_zero = False
    return words


def amount_in_words(amount: Decimal) -> str:
    """人民币大写 of ``amount`` in yuan: 120.00 → 壹佰贰拾元整, 10.05 → 壹拾元零伍分."""
    fen_total = int((amount * 100).to_integral_value())
    if fen_total < 0:
        raise ValueError("a negative amount has no receipt")
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if fen_total == 0:
        return "零元整"
    words = _integer_words(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return words + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif yuan:
        words += "零"
    if fen:
        words += DIGITS[fen] + "分"
    return words


def payer_of(payment: Payment) -> tuple[str, str]:
    """交款人 and their code as a printed receipt shows them (a person's name and ID masked)."""
    case = payment.case
    if case.applicant_kind == ApplicantKind.PERSON:
        return mask_name(case.holder_name), mask_id_number(case.holder_code)
    return case.holder_name, case.holder_code


def _row(pdf, label: str, value: str) -> None:
    pdf.cell(0, 8, f"{label}：{value}", new_x="LMARGIN", new_y="NEXT")


def receipt_pdf(payment: Payment, *, is_sandbox: bool) -> bytes:
    """The receipt of a paid ``payment`` as a one-page PDF."""
    case = payment.case
    code, serial = split_receipt_number(payment.receipt_number)
    pdf = new_document(title=f"{_('非税收入电子票据')} {payment.receipt_number}")
    pdf.add_page()
    pdf.set_font(CJK_FAMILY, size=18)
    pdf.cell(0, 12, _("非税收入电子票据"), align="C", new_x="LMARGIN", new_y="NEXT")
    if is_sandbox:
        pdf.set_text_color(190, 30, 30)
        pdf.set_font(CJK_FAMILY, size=12)
        pdf.cell(
            0,
            8,
            _("沙箱：模拟缴费，未产生真实扣款，本票据无报销效力"),
            align="C",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0, 0, 0)
    pdf.set_font(CJK_FAMILY, size=11)
    name, holder_code = payer_of(payment)
    paid_on = timezone.localtime(payment.paid_at).strftime("%Y-%m-%d %H:%M") if payment.paid_at else ""
    for label, value in [
        (_("票据代码"), code),
        (_("票据号码"), serial),
        (_("校验码"), payment.receipt_check_code),
        (_("开票日期"), paid_on),
        (_("交款人"), f"{name}（{holder_code}）"),
        (_("缴款单号"), payment.order_number),
        (_("办件编号"), case.number),
    ]:
        _row(pdf, label, value)
    pdf.ln(2)
    pdf.set_font(CJK_FAMILY, size=10)
    for item in payment.items:
        pdf.multi_cell(0, 7, f"{item['name']}    {item['amount']} {_('元')}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(CJK_FAMILY, size=11)
    _row(pdf, _("金额合计（大写）"), amount_in_words(payment.amount))
    _row(pdf, _("金额合计（小写）"), f"¥{payment.amount:.2f}")
    _row(pdf, _("收款单位"), case.department.name)
    _row(pdf, _("缴费渠道流水号"), payment.provider_reference)
    return bytes(pdf.output())
