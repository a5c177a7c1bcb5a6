from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from roles.access import HR, LEAD, REP, audience


@login_required
def home(request):
    """Send each audience to the page that answers its question first."""
    kind = audience(request.user)
    if kind == HR:
        return redirect("hr:home")
    if kind == LEAD:
        return redirect("team")
    if kind == REP:
        return redirect("me")
    raise PermissionDenied


@never_cache
@require_GET
def healthz(request):
    """Liveness and database check for load balancers and docker-compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means unhealthy
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return HttpResponse("ok", content_type="text/plain")
