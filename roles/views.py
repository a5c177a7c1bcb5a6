from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from roles.access import HR, LEAD, REP, get_employee_for_user, require_audience, viewer_employee


@login_required
def me(request):
    require_audience(request.user, REP, LEAD)
    return render(request, "roles/me.html", {"employee": viewer_employee(request.user)})


@login_required
def employee_detail(request, employee_no: str):
    require_audience(request.user, HR, LEAD, REP)
    employee = get_employee_for_user(request.user, employee_no)
    return render(request, "roles/employee_detail.html", {"employee": employee})
