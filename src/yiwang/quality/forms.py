"""Forms of the quality pages: a citizen's objection, a department's decision, a finding's handling."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .constants import EVIDENCE_MAX_BYTES, TEXT_MAX_LENGTH, VALUE_MAX_LENGTH
from .objections import OBJECTABLE_ITEMS, REGISTER_LABELS, item_label


def item_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (str(REGISTER_LABELS[register]), [(item, item_label(item)) for item in items])
        for register, items in OBJECTABLE_ITEMS.items()
    ]


class ObjectionForm(forms.Form):
    record = forms.ChoiceField(label=_("哪条登记记录"))
    item = forms.ChoiceField(label=_("哪一项有误"))
    proposed_value = forms.CharField(
        max_length=VALUE_MAX_LENGTH, label=_("正确的值"), help_text=_("日期请写成 YYYY-MM-DD")
    )
    description = forms.CharField(
        max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}), label=_("哪里有误（说明）")
    )
    evidence_text = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("证明材料说明"),
        help_text=_("例如：出生医学证明编号、户口簿所在页；或上传文件"),
    )
    evidence_file = forms.FileField(
        required=False,
        label=_("证明材料文件"),
        help_text=_("PDF、PNG 或 JPEG，不超过 %(mb)d MB") % {"mb": EVIDENCE_MAX_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )

    def __init__(self, *args, records: list[tuple[str, str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["record"].choices = [(f"{register}|{key}", label) for register, key, label in records]
        self.fields["item"].choices = item_choices()

    def service_input(self) -> dict:
        data = dict(self.cleaned_data)
        data["register"], data["record_key"] = data.pop("record").split("|", 1)
        return data


class ObjectionDecisionForm(forms.Form):
    accept = forms.TypedChoiceField(
        choices=[("1", _("核实无误，予以更正")), ("0", _("不予更正"))],
        coerce=lambda value: value == "1",
        label=_("处理结果"),
    )
    value = forms.CharField(
        max_length=VALUE_MAX_LENGTH, required=False, label=_("更正后的值（不填则采用申请人提供的值）")
    )
    reason = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("处理意见（不予更正时必填）"),
    )


class FixedForm(forms.Form):
    note = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("整改说明"),
    )


class DismissForm(forms.Form):
    explanation = forms.CharField(
        max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}), label=_("误报理由")
    )
