"""Read-only admin views: every change goes through the services, which audit it."""

from django.contrib import admin

from governance.access.models import AccessGrant, AccessRequest, ResearcherKey


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ResearcherKey)
class ResearcherKeyAdmin(_ReadOnly):
    list_display = ("id", "user", "fingerprint", "is_active", "created_at")


@admin.register(AccessRequest)
class AccessRequestAdmin(_ReadOnly):
    list_display = ("id", "title", "requester", "status", "submitted_at")
    list_filter = ("status",)


@admin.register(AccessGrant)
class AccessGrantAdmin(_ReadOnly):
    list_display = ("id", "researcher", "status", "k", "expires_at")
    list_filter = ("status",)
