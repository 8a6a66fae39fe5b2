"""Admin: halls and their windows (with the items each handles). Bookings and tickets are the people's and
the clerks' own: they are changed only through the services, not here."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from yiwang.core.errors import DomainError

from .models import Hall, Window
from .schedule import clean_opening_hours


class HallForm(forms.ModelForm):
    class Meta:
        model = Hall
        fields = (
            "name",
            "kind",
            "region",
            "address",
            "phone",
            "opening_hours",
            "slot_minutes",
            "latitude",
            "longitude",
            "is_active",
        )

    def clean_opening_hours(self):
        try:
            return clean_opening_hours(self.cleaned_data.get("opening_hours") or {})
        except DomainError as error:
            raise ValidationError(error.message) from None


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    fields = ("number", "name", "department", "capacity", "is_active")
    autocomplete_fields = ("department",)


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    form = HallForm
    list_display = ("name", "kind", "region", "phone", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "address", "region__name")
    autocomplete_fields = ("region",)
    inlines = [WindowInline]


@admin.register(Window)
class WindowAdmin(admin.ModelAdmin):
    list_display = ("hall", "number", "name", "department", "capacity", "is_active")
    list_filter = ("is_active",)
    search_fields = ("hall__name", "name")
    autocomplete_fields = ("hall", "department", "implementations")
