"""Catalog administration (Chinese). Every save and delete goes through the catalog services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.validators import FileExtensionValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from . import services
from .citations import guides_needing_review
from .models import (
    FAQ,
    Bundle,
    BundleItem,
    Citation,
    Fee,
    Implementation,
    LegalInstrument,
    Material,
    ProcessStep,
    ServiceItem,
    SituationOption,
    SituationQuestion,
    SpecialStep,
    Topic,
)
from .spreadsheets import export_implementations, import_implementations

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ThroughServicesAdmin(admin.ModelAdmin):
    """Saves and deletes call the catalog services: completeness is refreshed and search is told."""

    def save_model(self, request, obj, form, change):
        services.save_catalog_record(
            record=obj, changed_by=request.user, changed=form.changed_data, settle=False
        )

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        changed = {id(part_form.instance): part_form.changed_data for part_form in formset.forms}
        services.save_catalog_parts(
            saved=[(obj, changed.get(id(obj), [])) for obj in instances],
            deleted=formset.deleted_objects,
            changed_by=request.user,
        )
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.settle_catalog_change(record=form.instance)

    def delete_model(self, request, obj):
        services.delete_catalog_records(records=[obj], deleted_by=request.user)

    def delete_queryset(self, request, queryset):
        services.delete_catalog_records(records=list(queryset), deleted_by=request.user)


class CompletenessFilter(admin.SimpleListFilter):
    title = _("要素完整度")
    parameter_name = "completeness"
    buckets = {"low": (0, 29), "medium": (30, 59), "high": (60, 99), "full": (100, 100)}

    def lookups(self, request, model_admin):
        return [("low", _("低于30%")), ("medium", _("30%–59%")), ("high", _("60%–99%")), ("full", _("100%"))]

    def queryset(self, request, queryset):
        if self.value() in self.buckets:
            low, high = self.buckets[self.value()]
            return queryset.filter(completeness__gte=low, completeness__lte=high)
        return queryset


class MaterialInline(admin.StackedInline):
    model = Material
    extra = 0
    fields = [
        ("order", "key", "name"),
        ("form", "copies", "medium"),
        ("requirement", "source", "source_detail"),
        ("blank_form_url", "sample_url"),
        ("license_type_code", "license_type_name"),
        "notes",
    ]


class FeeInline(admin.TabularInline):
    model = Fee
    extra = 0


class ProcessStepInline(admin.TabularInline):
    model = ProcessStep
    extra = 0


class SpecialStepInline(admin.TabularInline):
    model = SpecialStep
    extra = 0


class CitationInline(admin.TabularInline):
    model = Citation
    extra = 0
    fields = [
        "instrument",
        "article",
        "statement",
        "checked_on",
        "source_url",
        "needs_review",
        "review_reason",
    ]
    readonly_fields = ["needs_review", "review_reason"]
    autocomplete_fields = ["instrument"]


class FAQInline(admin.StackedInline):
    model = FAQ
    extra = 0


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel 文件"),
        validators=[FileExtensionValidator(["xlsx"])],
        help_text=_(
            "与“导出 Excel”格式相同：工作表“实施清单”和（可选）“申请材料”。有任何一处错误则全部不导入。"
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件不能超过 10 MB"))
        if upload.read(4) != b"PK\x03\x04":  # an .xlsx is a zip archive, whatever its name says
            raise forms.ValidationError(_("文件不是有效的 Excel（.xlsx）文件"))
        upload.seek(0)
        return upload


@admin.register(Implementation)
class ImplementationAdmin(ThroughServicesAdmin):
    list_display = ["code", "name", "department", "region", "completeness", "view_count", "is_active"]
    list_filter = [CompletenessFilter, "is_active", "online_depth", "item__item_type"]
    search_fields = ["code", "name", "item__code", "item__name"]
    ordering = ["completeness", "code"]  # administrators see the least complete guides first
    list_select_related = ["department", "region"]
    autocomplete_fields = ["item", "department"]
    raw_id_fields = ["region"]
    readonly_fields = [
        "completeness",
        "missing_elements",
        "consistency_report",
        "view_count",
        "created_at",
        "updated_at",
    ]
    inlines = [MaterialInline, ProcessStepInline, SpecialStepInline, FeeInline, FAQInline, CitationInline]
    actions = ["export_excel"]
    change_list_template = "admin/catalog/implementation/change_list.html"
    fieldsets = [
        (None, {"fields": ["code", "item", "name", "region", "department", "is_active"]}),
        (
            _("受理与流程"),
            {
                "fields": [
                    "conditions",
                    "process_description",
                    ("statutory_limit_days", "statutory_limit_unit"),
                    ("promised_limit_days", "promised_limit_unit"),
                    ("supplement_notice_days", "supplement_notice_unit"),
                ]
            },
        ),
        (_("收费"), {"fields": ["is_free", "fee_basis"]}),
        (
            _("办理渠道"),
            {"fields": ["place", "hours", "phone", "complaint_channel", ("online_depth", "visits")]},
        ),
        (_("办理结果"), {"fields": ["result_name", "result_license_type"]}),
        (
            _("完整度与热度"),
            {
                "fields": [
                    "completeness",
                    "missing_elements",
                    "consistency_report",
                    "view_count",
                    ("created_at", "updated_at"),
                ]
            },
        ),
    ]

    @admin.action(description=_("导出 Excel"))
    def export_excel(self, request, queryset):
        response = HttpResponse(export_implementations(queryset=queryset), content_type=XLSX_TYPE)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="implementations-{stamp}.xlsx"'
        return response

    def get_urls(self):
        own = [
            path(
                "import-excel/",
                self.admin_site.admin_view(self.import_view),
                name="catalog_implementation_import",
            ),
            path(
                "review/",
                self.admin_site.admin_view(self.review_view),
                name="catalog_implementation_review",
            ),
        ]
        return own + super().get_urls()

    @admin.display(description=_("自洽检查"))
    def consistency_report(self, obj):
        if not obj.consistency_problems:
            return _("未发现问题")
        labels = {"error": _("错误"), "flag": _("待核实")}
        return format_html_join(
            mark_safe("<br>"),
            "{}：{}",
            ((labels.get(p["severity"], p["severity"]), p["message"]) for p in obj.consistency_problems),
        )

    def review_view(self, request: HttpRequest):
        """Guides needing review: unchecked, stale (over a year) or revised citations, failed checks."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "items": guides_needing_review(),
            "title": _("需要复核的指南"),
        }
        return TemplateResponse(request, "admin/catalog/implementation/review.html", context)

    def import_view(self, request: HttpRequest):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            report = import_implementations(data=form.cleaned_data["file"].read())
            if report.is_valid:
                self.message_user(
                    request,
                    _("导入成功：新增 %(c)d 条，更新 %(u)d 条，材料 %(m)d 条")
                    % {"c": report.created, "u": report.updated, "m": report.materials},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:catalog_implementation_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "title": _("导入 Excel"),
        }
        return TemplateResponse(request, "admin/catalog/implementation/import.html", context)


@admin.register(ServiceItem)
class ServiceItemAdmin(ThroughServicesAdmin):
    list_display = ["code", "name", "kind", "item_type", "exercise_level", "is_active"]
    list_filter = ["kind", "item_type", "exercise_level", "is_active"]
    search_fields = ["code", "name", "keywords"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["topics"]
    list_select_related = ["parent"]


class SituationOptionInline(admin.StackedInline):
    model = SituationOption
    extra = 0
    fields = [
        ("order", "code", "label"),
        "explanation",
        "adds_materials",
        "removes_materials",
        "adds_fees",
        "skips_implementations",
        ("waives_fees", "promised_limit_days", "promised_limit_unit"),
    ]

    def get_formset(self, request, obj=None, **kwargs):
        request._situation_question = obj  # the options may only name materials and fees of this guide
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        question = getattr(request, "_situation_question", None)
        implementation_id = question.implementation_id if question else None
        # A bundle's question names its members' materials and may skip members; a guide's never skips.
        members = Implementation.objects.filter(
            bundle_items__bundle_id=question.bundle_id if question else None
        )
        if db_field.name in ("adds_materials", "removes_materials"):
            owners = members if question and question.bundle_id else [implementation_id]
            kwargs["queryset"] = Material.objects.filter(implementation__in=owners)
        elif db_field.name == "adds_fees":
            kwargs["queryset"] = Fee.objects.filter(implementation_id=implementation_id)
        elif db_field.name == "skips_implementations":
            kwargs["queryset"] = members
        kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(SituationQuestion)
class SituationQuestionAdmin(ThroughServicesAdmin):
    list_display = ["text", "code", "implementation", "bundle", "order"]
    search_fields = ["text", "code", "implementation__code", "implementation__name", "bundle__name"]
    list_select_related = ["implementation", "bundle"]
    autocomplete_fields = ["implementation", "bundle"]
    raw_id_fields = ["shown_when"]
    inlines = [SituationOptionInline]


class BundleItemInline(admin.TabularInline):
    model = BundleItem
    extra = 0
    autocomplete_fields = ["implementation"]


@admin.register(Bundle)
class BundleAdmin(ThroughServicesAdmin):
    list_display = ["code", "name", "audience", "region", "lead_department", "view_count", "is_active"]
    list_filter = ["audience", "is_active"]
    search_fields = ["code", "name", "keywords"]
    list_select_related = ["region", "lead_department"]
    autocomplete_fields = ["lead_department"]
    raw_id_fields = ["region"]
    filter_horizontal = ["topics"]
    readonly_fields = ["view_count"]
    inlines = [BundleItemInline]


@admin.register(Topic)
class TopicAdmin(ThroughServicesAdmin):
    list_display = ["code", "name", "audience", "kind", "order"]
    list_filter = ["audience", "kind"]
    search_fields = ["code", "name"]


class ImplementationPartAdmin(ThroughServicesAdmin):
    """Guide parts are edited inline on their implementation; these lists help find them across guides."""

    list_select_related = ["implementation"]
    autocomplete_fields = ["implementation"]


@admin.register(Material)
class MaterialAdmin(ImplementationPartAdmin):
    list_display = ["name", "implementation", "requirement", "license_type_code"]
    list_filter = ["requirement", "source", "medium"]
    search_fields = ["name", "key", "implementation__code"]


@admin.register(Fee)
class FeeAdmin(ImplementationPartAdmin):
    list_display = ["name", "implementation", "amount", "is_by_situation"]
    search_fields = ["name", "implementation__code"]


@admin.register(ProcessStep)
class ProcessStepAdmin(ImplementationPartAdmin):
    list_display = ["name", "implementation", "order", "limit_days", "limit_unit"]
    search_fields = ["name", "implementation__code"]


@admin.register(SpecialStep)
class SpecialStepAdmin(ImplementationPartAdmin):
    list_display = ["name", "implementation", "limit_days", "limit_unit", "counts_toward_limit"]
    search_fields = ["name", "implementation__code"]


@admin.register(FAQ)
class FAQAdmin(ImplementationPartAdmin):
    list_display = ["question", "implementation", "order"]
    search_fields = ["question", "implementation__code"]


@admin.register(SituationOption)
class SituationOptionAdmin(ThroughServicesAdmin):
    list_display = ["label", "code", "question", "waives_fees", "promised_limit_days"]
    search_fields = ["label", "code", "question__code", "question__text"]
    list_select_related = ["question"]
    autocomplete_fields = ["question", "adds_materials", "removes_materials", "adds_fees"]


@admin.register(BundleItem)
class BundleItemAdmin(ThroughServicesAdmin):
    list_display = ["bundle", "implementation", "order"]
    list_select_related = ["bundle", "implementation"]
    autocomplete_fields = ["bundle", "implementation"]
    search_fields = ["bundle__code", "implementation__code"]


@admin.register(LegalInstrument)
class LegalInstrumentAdmin(admin.ModelAdmin):
    """Laws and documents the guides cite. A later revision date marks the citing guides for review."""

    list_display = ["name", "document_number", "revised_on", "is_in_force", "citation_count"]
    list_filter = ["is_in_force"]
    search_fields = ["name", "document_number", "code"]
    autocomplete_fields = ["replaced_by"]

    @admin.display(description=_("被引用次数"))
    def citation_count(self, obj):
        return obj.citations.count()

    def save_model(self, request, obj, form, change):
        revised = "revised_on" in form.changed_data and obj.revised_on is not None and change
        if revised:
            previous = LegalInstrument.objects.get(pk=obj.pk)
            obj.revised_on, new_date = previous.revised_on, obj.revised_on
            super().save_model(request, obj, form, change)  # the other fields
            marked = services.record_instrument_revision(
                instrument=obj, revised_on=new_date, actor=request.user
            )
            self.message_user(
                request, _("已登记修订，%(n)d 条引用标记为待复核") % {"n": marked}, messages.WARNING
            )
        else:
            super().save_model(request, obj, form, change)


@admin.register(Citation)
class CitationAdmin(admin.ModelAdmin):
    list_display = ["implementation", "instrument", "article", "statement", "checked_on", "needs_review"]
    list_filter = ["needs_review", "instrument"]
    search_fields = ["implementation__code", "implementation__name", "instrument__name", "statement"]
    list_select_related = ["implementation", "instrument"]
    autocomplete_fields = ["instrument"]
    raw_id_fields = ["implementation"]
    readonly_fields = ["needs_review", "review_reason"]
    actions = ["mark_checked_today"]

    @admin.action(description=_("标记为今日已核对"))
    def mark_checked_today(self, request, queryset):
        today = timezone.localdate()
        for citation in queryset.select_related("implementation__department"):
            services.record_citation_checked(citation=citation, checked_on=today, actor=request.user)
        self.message_user(request, _("已核对 %(n)d 条引用") % {"n": queryset.count()}, messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        services.save_catalog_record(record=obj, changed_by=request.user, changed=form.changed_data)
