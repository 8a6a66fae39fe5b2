from django.contrib import admin

from .models import SearchMiss


@admin.register(SearchMiss)
class SearchMissAdmin(admin.ModelAdmin):
    """Queries that found nothing, most frequent first: what the catalog or the synonyms lack."""

    list_display = ["query", "region_code", "count", "last_seen", "first_seen"]
    list_filter = ["last_seen"]
    search_fields = ["query", "region_code"]
    ordering = ["-count", "-last_seen"]
    readonly_fields = ["query", "region_code", "count", "first_seen", "last_seen"]
    list_per_page = 50

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
