from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from roles.access import HR, require_audience


@login_required
def hr_home(request):
    require_audience(request.user, HR)
    return render(request, "rewards/hr_home.html", {})
