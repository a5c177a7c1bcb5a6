"""The checks a view makes before its own work, in one style: declared on the view when they depend
on who asks (``hr_view``, ``view_for``, ``login_view``), and ``require(...)`` in its body only when
they depend on the object it asks for (may this viewer rate this employee?)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.views.decorators.cache import never_cache as no_cache
from django.views.decorators.http import require_http_methods

from roles.access import HR, require_audience


def login_view(*methods: str, never_cache: bool = False) -> Callable:
    """Logged in (else the login page), one of ``methods`` (else 405) and never cached if asked: in that
    order, as ``login_required``, ``require_http_methods`` and ``never_cache`` stacked on the view. For
    a page any signed-in person may open (their own page, the bell)."""

    def decorate(view: Callable) -> Callable:
        checked = no_cache(view) if never_cache else view
        return login_required(require_http_methods(list(methods))(checked))

    return decorate


def view_for(audiences: Sequence[str], *methods: str, never_cache: bool = False) -> Callable:
    """``login_view``, then one of ``audiences`` (else 403), as ``require_audience(request.user,
    *audiences)`` would check it first thing in the view."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def for_audiences_only(request, *args, **kwargs):
            require_audience(request.user, *audiences)
            return view(request, *args, **kwargs)

        return login_view(*methods, never_cache=never_cache)(for_audiences_only)

    return decorate


def hr_view(*methods: str, never_cache: bool = False) -> Callable:
    """A view of the HR console: ``view_for`` HR only."""
    return view_for((HR,), *methods, never_cache=never_cache)


def require(allowed: bool) -> None:
    """The check that depends on the object a view asks for, once it has it: 403 unless ``allowed``."""
    if not allowed:
        raise PermissionDenied
