"""Response headers every page and download of the app carries.

- ``Cache-Control: no-store, private``: nearly every page shows somebody's pay, scores or personal
  data (and the rest carry a CSRF token), so no browser or proxy keeps a copy. Static files are
  served before this middleware (WhiteNoise, or runserver's handler) and stay cacheable.
- ``Permissions-Policy``: browser features no page uses are switched off (``PERMISSIONS_POLICY``).

The Content-Security-Policy comes from django-csp, Referrer-Policy and the other security headers
from Django's SecurityMiddleware (settings.py).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import patch_cache_control


class PrivateResponseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, no_store=True, private=True)
        # A cached copy is forbidden, so its validity markers mean nothing.
        response.headers.pop("Expires", None)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response.headers:
            response.headers["Permissions-Policy"] = policy
        return response
