from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from appraisals.ratings import RatingRefused, can_rate, rating_options, ratings_enter
from pages.forms.person import RatingsForm
from pages.selectors.pay_preview import pay_preview
from pages.selectors.person import my_page, person_page
from roles.access import HR, LEAD, REP, get_employee_for_user, require_audience, viewer_employee


@login_required
@require_safe
def me(request):
    employee = viewer_employee(request.user)
    if employee is None or not employee.is_active:
        raise PermissionDenied
    page = my_page(employee=employee, today=timezone.localdate())
    preview = pay_preview(employee=employee, month_code=page.open_month.code)
    return render(request, "people/me.html", {"page": page, "preview": preview})


@login_required
@require_safe
def employee_detail(request, employee_no: str):
    require_audience(request.user, HR, LEAD, REP)
    employee = get_employee_for_user(request.user, employee_no)
    return _person_response(request, employee, ratings_form=None)


@login_required
@require_safe
def scorecard_print(request, employee_no: str, code: str):
    """A closed scorecard on one printable sheet, seen by exactly who may see the person page."""
    require_audience(request.user, HR, LEAD, REP)
    employee = get_employee_for_user(request.user, employee_no)
    page = person_page(employee=employee, period_code=code)
    if page.selected is None:
        raise Http404("No closed scorecard for this period")
    rewards = [line for line in page.rewards if line.period_code == code]
    context = {"page": page, "card": page.selected, "rewards": rewards, "printed_on": timezone.localdate()}
    return render(request, "people/scorecard_print.html", context)


@login_required
@require_POST
def employee_ratings(request, employee_no: str):
    require_audience(request.user, HR, LEAD)
    employee = get_employee_for_user(request.user, employee_no)
    if not can_rate(request.user, employee):
        raise PermissionDenied
    form = _ratings_form(employee, data=request.POST)
    if form.is_valid():
        try:
            ratings_enter(
                rater_user=request.user,
                employee=employee,
                quarter_code=form.cleaned_data["quarter"],
                values=form.ratings(),
                comments=form.comments(),
            )
        except RatingRefused as refusal:
            form.add_refusal(refusal.field, refusal.message)
        else:
            messages.success(
                request,
                _("Ratings for %(quarter)s saved.") % {"quarter": form.cleaned_data["quarter"]},
            )
            return redirect(reverse("employee_detail", args=[employee.employee_no]) + "#ratings")
    return _person_response(request, employee, ratings_form=form)


def _ratings_form(employee, data=None) -> RatingsForm:
    return RatingsForm(
        data,
        options=rating_options(employee=employee, today=timezone.localdate()),
        action=reverse("employee_ratings", args=[employee.employee_no]),
    )


def _person_response(request, employee, *, ratings_form: RatingsForm | None):
    """The person page; after a refused ratings POST it carries the bound form with its errors."""
    may_rate = can_rate(request.user, employee)
    if may_rate and ratings_form is None:
        ratings_form = _ratings_form(employee)
    page = person_page(employee=employee, period_code=request.GET.get("period"))
    context = {
        "is_self": viewer_employee(request.user) == employee,
        "page": page,
        "may_rate": may_rate,
        "ratings_form": ratings_form,
    }
    return render(request, "people/employee_detail.html", context)
