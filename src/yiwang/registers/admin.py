"""Admin: the register catalog (reads of records are logged in the one audit log).

Register records are deliberately absent: personal data is read only through the logged gate.
"""

from __future__ import annotations

from django.contrib import admin

from .models import Register


@admin.register(Register)
class RegisterAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "department"]
    autocomplete_fields = ["department"]
