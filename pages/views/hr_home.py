"""HR console: the overview (/hr/): is this month ready to close, and who gets paid what?"""

from __future__ import annotations

from decimal import Decimal

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from appraisals.models import Period
from closing.rules import close_problems
from pages.selectors.hr_home import (
    active_employee_count,
    open_months,
    pending_rewards_by_code,
    recently_closed_periods,
)
from pages.views.decorators import hr_view


@hr_view("GET")
def hr_home(request):
    """Is this month ready to close, and who gets paid what?"""
    months = open_months()
    # Months close oldest first (a month's flex time reads the bands before it).
    next_month = next((month for month in months if month.status == Period.Status.OPEN), None)
    pending = pending_rewards_by_code()
    year = timezone.localdate().year
    return render(
        request,
        "hr/home.html",
        {
            "hr_section": "home",
            "next_month": next_month,
            "next_month_problems": close_problems(next_month.ref, today=timezone.localdate()) if next_month else [],
            "next_month_ended": next_month is not None and next_month.end < timezone.localdate(),
            "open_months": months,
            "active_employees": active_employee_count(),
            "closed_periods": recently_closed_periods(),
            "pending": pending,
            "pending_count": sum(row["n"] for row in pending),
            "pending_amount": sum((row["total"] or Decimal("0") for row in pending), Decimal("0")),
            "year": year,
            "links": {
                "imports": reverse("hr:imports"),
                "periods": reverse("hr:periods"),
                "period_detail": reverse("hr:period_detail", args=[next_month.code]) if next_month else None,
            },
        },
    )
