"""HTML forms of the license pages (parse only; services decide)."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _


class ConsentForm(forms.Form):
    requester_credit_code = forms.CharField(label=_("用证部门统一社会信用代码"), max_length=18)
    purpose = forms.CharField(label=_("用途"), max_length=200)
    days = forms.IntegerField(label=_("授权天数"), min_value=1, max_value=366, initial=7)


class VerifyForm(forms.Form):
    identifier = forms.CharField(label=_("证照标识"), max_length=80, required=False)
    bundle = forms.FileField(label=_("或上传验证包（bundle.json）"), required=False)

    def bundle_data(self) -> dict | None:
        upload = self.cleaned_data.get("bundle")
        if not upload:
            return None
        if upload.size > 64 * 1024:
            raise forms.ValidationError(_("验证包过大"))
        try:
            data = json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise forms.ValidationError(_("验证包不是有效的 JSON")) from None
        return data if isinstance(data, dict) else None


class IssueForm(forms.Form):
    type_code = forms.CharField(label=_("证照类型代码"), max_length=32)
    issuer_credit_code = forms.ChoiceField(label=_("签发部门"))
    holder_code = forms.CharField(label=_("持证主体证件号"), max_length=18)
    holder_name = forms.CharField(label=_("持证主体名称"), max_length=200)
    surface = forms.CharField(label=_("照面信息（JSON）"), widget=forms.Textarea(attrs={"rows": 8}))
    valid_until = forms.DateField(label=_("有效期至（可空）"), required=False)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer_credit_code"].choices = [(d.credit_code, d.name) for d in departments]

    def clean_surface(self) -> dict:
        try:
            value = json.loads(self.cleaned_data["surface"])
        except json.JSONDecodeError:
            raise forms.ValidationError(_("照面信息须为 JSON 对象")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("照面信息须为 JSON 对象"))
        return value


class ImportForm(forms.Form):
    type_code = forms.CharField(label=_("证照类型代码"), max_length=32)
    issuer_credit_code = forms.ChoiceField(label=_("签发部门"))
    file = forms.FileField(label=_("Excel（.xlsx）或 CSV 文件"))

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer_credit_code"].choices = [(d.credit_code, d.name) for d in departments]


class ConsentRequestForm(forms.Form):
    requester_credit_code = forms.ChoiceField(label=_("用证部门"))
    type_code = forms.CharField(label=_("证照类型代码"), max_length=32)
    purpose = forms.CharField(label=_("用途"), max_length=200)
    consent_days = forms.IntegerField(label=_("授权天数"), min_value=1, max_value=366, initial=1)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requester_credit_code"].choices = [(d.credit_code, d.name) for d in departments]
