"""Read-only admin view of exports: every change goes through the services, which audit it."""

from django.contrib import admin

from governance.exports.models import CohortExport


@admin.register(CohortExport)
class CohortExportAdmin(admin.ModelAdmin):
    list_display = ("id", "grant", "researcher", "state", "attempt", "subject_count", "requested_at")
    list_filter = ("state",)
    exclude = ("report",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
