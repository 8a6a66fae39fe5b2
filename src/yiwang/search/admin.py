from django.contrib import admin

from .models import LearnedKeyword, LearnedSynonym, SearchMiss


@admin.register(SearchMiss)
class SearchMissAdmin(admin.ModelAdmin):
    """Queries that found nothing, most frequent first: what the catalog or the synonyms lack."""

    list_display = ["query", "region_code", "kind", "count", "last_seen", "first_seen", "resolution"]
    list_filter = ["kind", "resolution", "last_seen"]
    search_fields = ["query", "region_code"]
    ordering = ["-count", "-last_seen"]
    readonly_fields = [
        "query",
        "region_code",
        "kind",
        "count",
        "first_seen",
        "last_seen",
        "resolution",
        "resolved_at",
    ]
    list_per_page = 50

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class LearnedAdmin(admin.ModelAdmin):
    """What curators learned from missed queries (added on the search-miss screen, /search-misses/)."""

    list_per_page = 50

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a removal would have to reach the index too: not built yet


@admin.register(LearnedSynonym)
class LearnedSynonymAdmin(LearnedAdmin):
    list_display = ["phrase", "official", "added_by", "added_at"]
    search_fields = ["phrase", "official"]


@admin.register(LearnedKeyword)
class LearnedKeywordAdmin(LearnedAdmin):
    list_display = ["keyword", "implementation", "added_by", "added_at"]
    search_fields = ["keyword", "implementation__name", "implementation__code"]
    list_select_related = ["implementation", "added_by"]
