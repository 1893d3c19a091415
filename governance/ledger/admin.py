"""Read-only admin views of the ledger: nothing can be added, changed or deleted here."""

from django.contrib import admin

from governance.ledger.models import AuditEvent, Checkpoint


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}


@admin.register(AuditEvent)
class AuditEventAdmin(_ReadOnly):
    list_display = (
        "seq",
        "occurred_at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "subject_code",
        "outcome",
    )
    list_filter = ("action", "outcome")
    search_fields = ("=seq", "=subject_code", "=actor", "=object_id")
    date_hierarchy = "occurred_at"
    show_full_result_count = False


@admin.register(Checkpoint)
class CheckpointAdmin(_ReadOnly):
    list_display = ("tree_size", "root_hash", "created_at", "origin")
    show_full_result_count = False
