from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from roles.access import HR, LEAD, require_audience


@login_required
def team(request):
    require_audience(request.user, HR, LEAD)
    return render(request, "appraisals/team.html", {})
