from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils import translation
from django.views import i18n as i18n_views
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from notifications.services import preference_update
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


@require_GET
def favicon(request):
    """``/favicon.ico``, which browsers ask for by themselves: the app's icon among the static files."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


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


class LoginView(auth_views.LoginView):
    """Django's login, which also remembers the language the person signs in with, for their mail."""

    def form_valid(self, form):
        response = super().form_valid(form)
        preference_update(user=form.get_user(), language=translation.get_language())
        return response


@require_POST
def set_language(request):
    """Django's language switch, which also remembers the choice for a signed-in person's mail."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and translation.check_for_language(language):
        preference_update(user=request.user, language=language)
    return response
