"""Platform pages: login, logout, the role router, health and the public keys."""

from django.contrib.auth import logout
from django.contrib.auth.views import LoginView
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from governance import health, keys
from governance.roles import Role, user_roles


class HelixLoginView(LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_view(request):
    logout(request)
    return redirect("login")


@never_cache
def home(request):
    """Send each user to the home page of their first role."""
    if not request.user.is_authenticated:
        return redirect("login")
    roles = user_roles(request.user)
    for role in Role.ALL:
        if role in roles:
            return redirect(Role.HOME[role])
    return render(request, "no_role.html", status=200)


@require_GET
@never_cache
def healthz(request):
    state = {"database": health.database_state(), "broker": health.broker_state()}
    healthy = state["database"] == "ok" and state["broker"] in ("ok", "eager")
    return JsonResponse({"status": "ok" if healthy else "degraded", **state}, status=200 if healthy else 503)


@require_GET
def jwks(request):
    response = JsonResponse(keys.public_jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response
