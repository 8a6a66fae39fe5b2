"""HTML forms of the license pages (parse only; services decide)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from .constants import ValidityKind

# The first option of a picker: nothing chosen yet (the field is required, so it must be changed).
_PICK = ("", _("请选择"))


def department_choices(departments: Iterable) -> list:
    """Departments by name, grouped under their region's name (a long list stays findable)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for department in departments:
        region = getattr(department, "region", None)
        groups.setdefault(region.name if region else "", []).append((department.credit_code, department.name))
    if len(groups) == 1:
        return [_PICK, *next(iter(groups.values()))]
    return [_PICK, *((region, options) for region, options in groups.items())]


class ConsentForm(forms.Form):
    """A holder grants a department the use of one license: the department is picked by name."""

    requester_credit_code = forms.ChoiceField(
        label=_("用证部门"),
        error_messages={"invalid_choice": _("请从列表中选择用证部门")},
    )
    purpose = forms.CharField(label=_("用途"), max_length=200)
    days = forms.IntegerField(label=_("授权天数"), min_value=1, max_value=366, initial=7)

    def __init__(self, *args, departments: Iterable = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requester_credit_code"].choices = department_choices(departments)


class DepartmentSearchForm(forms.Form):
    """Narrows the department picker by a part of the name (works without JavaScript)."""

    department_q = forms.CharField(label=_("查找用证部门"), max_length=50, required=False)


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


def license_type_choices(license_types: Iterable) -> list:
    return [_PICK, *((item.code, item.name) for item in license_types)]


class LicenseTypePickForm(forms.Form):
    """Step one of issuing: the license type, by name, among those the staff member may issue."""

    type = forms.ChoiceField(
        label=_("证照类型"), error_messages={"invalid_choice": _("请从列表中选择您可以签发的证照类型")}
    )

    def __init__(self, *args, license_types: Iterable = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = license_type_choices(license_types)


SURFACE_PREFIX = "surface__"


def _label(name: str, spec: dict, layout_labels: dict[str, str]) -> str:
    return str(spec.get("title") or layout_labels.get(name) or name)


def surface_field(spec: dict, *, label: str, required: bool) -> forms.Field:
    """A form field for one property of a license type's field schema (the keywords the catalog uses)."""
    kind = spec.get("type")
    if spec.get("enum"):
        choices = [_PICK, *((str(value), str(value)) for value in spec["enum"])]
        return forms.ChoiceField(label=label, required=required, choices=choices)
    if kind == "string" and spec.get("format") == "date":
        return forms.DateField(
            label=label,
            required=required,
            widget=forms.DateInput(attrs={"type": "date"}),
            help_text=_("格式：YYYY-MM-DD"),
        )
    if kind == "integer":
        return forms.IntegerField(label=label, required=required, min_value=spec.get("minimum"))
    if kind == "number":
        return forms.FloatField(label=label, required=required, min_value=spec.get("minimum"))
    if kind == "boolean":
        return forms.BooleanField(label=label, required=False)
    validators = []
    if spec.get("pattern"):
        validators.append(RegexValidator(spec["pattern"], message=_("格式不正确")))
    return forms.CharField(
        label=label,
        required=required,
        max_length=spec.get("maxLength"),
        min_length=spec.get("minLength") if required else None,
        validators=validators,
    )


class IssueForm(forms.Form):
    """Step two of issuing: the holder, the validity and one field per property of the type's schema."""

    type = forms.CharField(widget=forms.HiddenInput)
    issuer_credit_code = forms.ChoiceField(label=_("签发部门"))
    holder_code = forms.CharField(
        label=_("持证主体证件号"),
        max_length=18,
        help_text=_("自然人填18位公民身份号码，法人填18位统一社会信用代码"),
    )
    holder_name = forms.CharField(label=_("持证主体名称"), max_length=200)
    valid_until = forms.DateField(
        label=_("有效期至（可空）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, license_type, departments: Iterable = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.license_type = license_type
        self.fields["type"].initial = license_type.code
        self.fields["issuer_credit_code"].choices = [(d.credit_code, d.name) for d in departments]
        if license_type.validity_kind == ValidityKind.EXPLICIT:
            self.fields["valid_until"].required = True
            self.fields["valid_until"].label = _("有效期至")
        schema = license_type.field_schema or {}
        required = set(schema.get("required", []))
        layout_labels = {item["field"]: item["label"] for item in license_type.display_layout or []}
        for name, spec in (schema.get("properties") or {}).items():
            self.fields[SURFACE_PREFIX + name] = surface_field(
                spec, label=_label(name, spec, layout_labels), required=name in required
            )

    def clean_type(self) -> str:
        if self.cleaned_data["type"] != self.license_type.code:
            raise forms.ValidationError(_("证照类型已变化，请重新选择"))
        return self.cleaned_data["type"]

    def surface_fields(self) -> list:
        return [field for field in self if field.name.startswith(SURFACE_PREFIX)]

    def holder_fields(self) -> list:
        return [field for field in self if not field.is_hidden and not field.name.startswith(SURFACE_PREFIX)]

    def surface(self) -> dict[str, Any]:
        """The surface data as the schema expects it: dates as ISO text, empty optional fields left out."""
        surface: dict[str, Any] = {}
        for key, value in self.cleaned_data.items():
            if not key.startswith(SURFACE_PREFIX) or value in (None, ""):
                continue
            surface[key.removeprefix(SURFACE_PREFIX)] = (
                value.isoformat() if isinstance(value, dt.date) else value
            )
        return surface

    def issue_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``services.issue_license_by_staff`` (without the actor)."""
        data = self.cleaned_data
        return {
            "type_code": self.license_type.code,
            "issuer_credit_code": data["issuer_credit_code"],
            "holder_code": data["holder_code"],
            "holder_name": data["holder_name"],
            "surface": self.surface(),
            "valid_until": data.get("valid_until"),
        }


class ImportForm(forms.Form):
    type_code = forms.ChoiceField(
        label=_("证照类型"), error_messages={"invalid_choice": _("请从列表中选择您可以签发的证照类型")}
    )
    issuer_credit_code = forms.ChoiceField(label=_("签发部门"))
    file = forms.FileField(label=_("Excel（.xlsx）或 CSV 文件"))

    def __init__(self, *args, departments=(), license_types: Iterable = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type_code"].choices = license_type_choices(license_types)
        self.fields["issuer_credit_code"].choices = [(d.credit_code, d.name) for d in departments]


class ConsentRequestForm(forms.Form):
    requester_credit_code = forms.ChoiceField(label=_("用证部门"))
    type_code = forms.ChoiceField(
        label=_("证照类型"), error_messages={"invalid_choice": _("请从列表中选择证照类型")}
    )
    purpose = forms.CharField(label=_("用途"), max_length=200)
    consent_days = forms.IntegerField(label=_("授权天数"), min_value=1, max_value=366, initial=1)

    def __init__(self, *args, departments=(), license_types: Iterable = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requester_credit_code"].choices = [(d.credit_code, d.name) for d in departments]
        self.fields["type_code"].choices = license_type_choices(license_types)
