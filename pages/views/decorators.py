"""The checks a view makes before its own work."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.views.decorators.cache import never_cache as no_cache
from django.views.decorators.http import require_http_methods

from roles.access import HR, require_audience


def view_for(audiences: Sequence[str], *methods: str, never_cache: bool = False) -> Callable:
    """Logged in (else the login page), one of ``methods`` (else 405), never cached if asked, and one of
    ``audiences`` (else 403): in that order, as ``login_required``, ``require_http_methods``,
    ``never_cache`` and ``require_audience(request.user, *audiences)`` stacked on the view."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def for_audiences_only(request, *args, **kwargs):
            require_audience(request.user, *audiences)
            return view(request, *args, **kwargs)

        checked = no_cache(for_audiences_only) if never_cache else for_audiences_only
        return login_required(require_http_methods(list(methods))(checked))

    return decorate


def hr_view(*methods: str, never_cache: bool = False) -> Callable:
    """A view of the HR console: ``view_for`` HR only."""
    return view_for((HR,), *methods, never_cache=never_cache)
