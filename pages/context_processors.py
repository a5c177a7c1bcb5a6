from roles.access import audience


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_audience": None}
    return {"nav_audience": audience(user)}
