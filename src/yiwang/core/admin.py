from django.contrib import admin

from .models import Holiday, HolidayYear


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "is_off_day", "source"]
    list_filter = ["is_off_day"]
    date_hierarchy = "date"
    search_fields = ["name"]


@admin.register(HolidayYear)
class HolidayYearAdmin(admin.ModelAdmin):
    list_display = ["year", "is_published"]
    list_filter = ["is_published"]
