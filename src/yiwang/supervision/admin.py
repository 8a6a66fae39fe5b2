"""Supervision in the Django admin: the card rule only (every other record has its own pages).

The platform administrator sets the default rule and any department's; a supervisor sees and sets the
rules of the departments within their region. Every change goes through ``services.cards`` (checked
there again, and audited as ``supervision.card_rule_changed`` with the values before and after).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from yiwang.core.errors import DomainError
from yiwang.regions.models import Department

from .models import CardRule
from .selectors.scope import OVERSEE, supervision_scope_for
from .services import cards as services


def _is_platform_admin(request: HttpRequest) -> bool:
    return services.may_set_rule(actor=request.user, department=None)


class CardRuleForm(forms.ModelForm):
    class Meta:
        model = CardRule
        fields = ("department", "yellow_days_left", "yellow_percent_left")

    def __init__(self, *args: Any, actor: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        department = data.get("department") if "department" in self.fields else self.instance.department
        days, percent = data.get("yellow_days_left"), data.get("yellow_percent_left")
        if days is not None and percent is not None:
            try:
                services.check_rule(
                    actor=self.actor,
                    department=department,
                    yellow_days_left=days,
                    yellow_percent_left=percent,
                )
            except DomainError as error:
                raise ValidationError(error.message, code=error.code) from None
        return data


@admin.register(CardRule)
class CardRuleAdmin(admin.ModelAdmin):
    form = CardRuleForm
    list_display = ("__str__", "yellow_days_left", "yellow_percent_left", "updated_at")
    fields = ("department", "yellow_days_left", "yellow_percent_left")
    list_select_related = ("department",)
    actions = None  # no bulk delete: each removal is checked and audited

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)

        class Bound(form):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, actor=request.user, **inner)

        return Bound

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("department",) if obj is not None else ()  # a rule belongs to its department for good

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        rules = super().get_queryset(request)
        if _is_platform_admin(request):
            return rules
        scope = supervision_scope_for(request.user, permission=OVERSEE)
        return rules.filter(scope.q(department_field="department", region_field="department__region"))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "department" and not _is_platform_admin(request):
            scope = supervision_scope_for(request.user, permission=OVERSEE)
            in_scope = Q(pk__in=sorted(scope.department_ids))
            for prefix in scope.region_prefixes:
                in_scope |= Q(region__pk__startswith=prefix)
            kwargs["queryset"] = Department.objects.filter(in_scope)
            kwargs["required"] = True  # the default row is the platform administrator's
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_view_permission(request, obj):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or services.may_set_rule(actor=request.user, department=obj.department)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.department is None:
            return False  # the default row is changed, never removed
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or services.may_set_rule(actor=request.user, department=obj.department)

    def save_model(self, request: HttpRequest, obj: CardRule, form: Any, change: bool) -> None:
        saved = services.set_card_rule(
            actor=request.user,
            department=obj.department,
            yellow_days_left=obj.yellow_days_left,
            yellow_percent_left=obj.yellow_percent_left,
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CardRule) -> None:
        services.remove_card_rule(actor=request.user, rule_id=obj.pk)
