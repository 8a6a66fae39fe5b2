"""HTML forms of the license pages (parse only; services decide)."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _


class ConsentForm(forms.Form):
    requester_credit_code = forms.CharField(label=_("用证部门统一社会信用代码"), max_length=18)
    purpose = forms.CharField(label=_("用途"), max_length=200)
    days = forms.IntegerField(label=_("授权天数"), min_value=1, max_value=366, initial=7)


BUNDLE_MAX_BYTES = 64 * 1024


class VerifyForm(forms.Form):
    identifier = forms.CharField(label=_("证照标识"), max_length=80, required=False)
    bundle = forms.FileField(label=_("或上传验证包（bundle.json）"), required=False)

    def clean_bundle(self) -> dict | None:
        """The uploaded bundle parsed here, so a bad file is a message on the form, not a server error."""
        upload = self.cleaned_data.get("bundle")
        if not upload:
            return None
        if upload.size > BUNDLE_MAX_BYTES:
            raise forms.ValidationError(_("验证包过大：不能超过 64 KB"))
        try:
            data = json.loads(upload.read().decode("utf-8"))
        except UnicodeDecodeError:
            raise forms.ValidationError(_("验证包不是 UTF-8 编码的文本文件")) from None
        except (ValueError, RecursionError):
            raise forms.ValidationError(_("验证包不是有效的 JSON")) from None
        if not isinstance(data, dict):
            raise forms.ValidationError(_("验证包须为 JSON 对象（平台下载的 bundle.json）"))
        return data

    def bundle_data(self) -> dict | None:
        return self.cleaned_data.get("bundle")


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
