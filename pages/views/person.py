from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisals.ratings import RatingRefused, can_rate, rating_options, ratings_enter
from pages.forms.person import RatingsForm
from pages.selectors.pay_preview import pay_preview
from pages.selectors.person import my_page, person_page
from pages.views.decorators import login_view, require, view_for
from roles.access import HR, LEAD, REP, get_employee_for_user, viewer_employee


@login_view("GET", "HEAD")
def me(request):
    employee = viewer_employee(request.user)
    require(employee is not None and employee.is_active)
    page = my_page(employee=employee, today=timezone.localdate())
    preview = pay_preview(employee=employee, month_code=page.open_month.code)
    return render(request, "people/me.html", {"page": page, "preview": preview})


@view_for((HR, LEAD, REP), "GET", "HEAD")
def employee_detail(request, employee_no: str):
    employee = get_employee_for_user(request.user, employee_no)
    return _person_response(request, employee, ratings_form=None)


@view_for((HR, LEAD, REP), "GET", "HEAD")
def scorecard_print(request, employee_no: str, code: str):
    """A closed scorecard on one printable sheet, seen by exactly who may see the person page."""
    employee = get_employee_for_user(request.user, employee_no)
    page = person_page(employee=employee, period_code=code)
    if page.selected is None:
        raise Http404("No closed scorecard for this period")
    rewards = [line for line in page.rewards if line.period_code == code]
    context = {"page": page, "card": page.selected, "rewards": rewards, "printed_on": timezone.localdate()}
    return render(request, "people/scorecard_print.html", context)


@view_for((HR, LEAD), "POST")
def employee_ratings(request, employee_no: str):
    employee = get_employee_for_user(request.user, employee_no)
    require(can_rate(request.user, employee))
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
