"""Forms of the data administrators' pages: a request for one resource, a decision, a revocation."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import Application

from yiwang.regions.models import Department

from .constants import Grade
from .models import DataItem, Resource


class RequestForm(forms.Form):
    consumer = forms.ModelChoiceField(queryset=Department.objects.none(), label=_("使用方"))
    system = forms.ModelChoiceField(queryset=Application.objects.none(), label=_("使用系统"))
    purpose = forms.CharField(max_length=200, label=_("用途"))
    service_item_codes = forms.CharField(max_length=400, label=_("事项编码（多个以空格分隔）"))
    legal_basis = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("依据"))
    items = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, label=_("信息项"))
    full_items = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, required=False, label=_("需完整提供的敏感信息项")
    )
    ends_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), label=_("截止日期")
    )

    def __init__(self, *args, resource: Resource, departments, systems, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consumer"].queryset = departments
        self.fields["system"].queryset = systems
        items = list(resource.items.all())
        self.fields["items"].choices = [
            (item.code, f"{item.name}（{item.get_grade_display()}）") for item in items
        ]
        self.fields["full_items"].choices = [
            (item.code, item.name) for item in items if item.grade == Grade.SENSITIVE
        ]
        self.initial.setdefault("ends_on", timezone.localdate() + dt.timedelta(days=365))

    def service_input(self) -> dict:
        data = dict(self.cleaned_data)
        data["service_item_codes"] = data["service_item_codes"].split()
        data["item_codes"] = data.pop("items")
        return data


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", _("同意")), ("0", _("拒绝"))], coerce=lambda value: value == "1", label=_("审核")
    )
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("理由"))


class RevokeForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("撤销理由"))


class ResourceForm(forms.ModelForm):
    """A resource's GB/T 21063 metadata as its provider's data administrator edits it."""

    class Meta:
        model = Resource
        fields = [
            "name",
            "summary",
            "sharing_type",
            "sharing_conditions",
            "legal_basis",
            "open_type",
            "update_cycle",
            "data_format",
            "published_on",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "sharing_conditions": forms.Textarea(attrs={"rows": 2}),
            "legal_basis": forms.Textarea(attrs={"rows": 2}),
            "published_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


class DataItemForm(forms.ModelForm):
    class Meta:
        model = DataItem
        fields = ["code", "name", "data_type", "length", "grade", "is_personal", "is_sensitive_personal"]


class ResourceImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))
