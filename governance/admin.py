from django.contrib import admin

from governance.auth.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("user", "name", "prefix", "digest", "created_at", "expires_at")
    search_fields = ("name", "prefix", "user__username")

    def has_add_permission(self, request):
        return False  # tokens are issued with `manage.py issue_api_token`, shown once
