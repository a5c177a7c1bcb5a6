from django.conf import settings

from notifications.services import unread_count
from roles.access import audience


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_audience": None}
    return {"nav_audience": audience(user), "unread_notifications": unread_count(user)}


def currency(request):
    """The currency every amount is in (``SALES_PERF_CURRENCY``), for headers and the ``money`` filter."""
    return {"currency": settings.SALES_PERF_CURRENCY}
