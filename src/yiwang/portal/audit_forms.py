"""Forms of the data tracker, the auditor's workbench and the clerk's register lookup."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.audit.constants import Outcome, ReportStatus
from yiwang.core.identifiers import is_valid_resident_id


class DataUseFilterForm(forms.Form):
    subject = forms.ChoiceField(label=_("数据主体"), required=False)
    kind = forms.ChoiceField(
        label=_("类别"),
        required=False,
        choices=[("", _("全部")), ("read", _("数据读取")), ("license_use", _("用证"))],
    )
    since = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data, *, subjects: list[tuple[str, str]]) -> None:
        super().__init__(data)
        self.fields["subject"].choices = [("", _("全部")), *subjects]


class ReportForm(forms.Form):
    note = forms.CharField(
        label=_("说明（选填）"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class LogSearchForm(forms.Form):
    subject = forms.CharField(
        label=_("数据主体证件号或信用代码"),
        required=False,
        max_length=18,
        help_text=_("仅用于查询，系统不保存您输入的号码"),
    )
    actor = forms.CharField(label=_("操作人用户名"), required=False, max_length=150)
    department = forms.TypedChoiceField(label=_("部门"), required=False, coerce=int, empty_value=None)
    object_type = forms.CharField(label=_("对象类型"), required=False, max_length=60)
    object_id = forms.CharField(label=_("对象标识"), required=False, max_length=64)
    outcome = forms.ChoiceField(label=_("结果"), required=False, choices=[("", _("全部")), *Outcome.choices])
    since = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data, *, departments) -> None:
        super().__init__(data)
        self.fields["department"].choices = [("", _("全部"))] + [(d.pk, d.name) for d in departments]


class HandleReportForm(forms.Form):
    status = forms.ChoiceField(
        label=_("处理结果"),
        choices=[
            (ReportStatus.INVESTIGATING, ReportStatus.INVESTIGATING.label),
            (ReportStatus.CONFIRMED, ReportStatus.CONFIRMED.label),
            (ReportStatus.DISMISSED, ReportStatus.DISMISSED.label),
        ],
    )
    resolution = forms.CharField(
        label=_("处理说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RegisterLookupForm(forms.Form):
    id_number = forms.CharField(label=_("公民身份号码"), max_length=18, strip=True)
    purpose = forms.CharField(label=_("查询用途"), max_length=200, strip=True)
    case_number = forms.CharField(label=_("办件编号"), max_length=100, strip=True)

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].upper()
        if not is_valid_resident_id(value):
            raise forms.ValidationError(_("公民身份号码格式不正确"))
        return value
