"""Threat: HR editing what must not change, or a reporting loop through the admin. The "HR" group (a data
migration) holds exactly what HR needs: employees, roles and duties, metric values of open periods, and
unlocking logins; no policy (only through the HR policy pages), no direct edit of scorecards, KPI rows,
rewards or closed periods' values. A manager changed in the admin goes through the import's cycle check."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from appraisals.models import MetricValue, Scorecard
from rewards.models import RewardSuggestion
from roles.access import HR_GROUP
from roles.models import Employee, Role
from tests.builders import client_for, employee, hr_user, metrics, period, reward, tiny_org_closed

pytestmark = pytest.mark.django_db

EXPECTED = {
    "roles.view_employee",
    "roles.add_employee",
    "roles.change_employee",
    "roles.view_role",
    "roles.change_role",
    "roles.view_duty",
    "roles.add_duty",
    "roles.change_duty",
    "roles.delete_duty",
    "appraisals.view_metricvalue",
    "appraisals.add_metricvalue",
    "appraisals.change_metricvalue",
    "appraisals.delete_metricvalue",
    "appraisals.view_period",
    "appraisals.view_metric",
    "appraisals.view_scorecard",
    "appraisals.view_kpiscore",
    "rewards.view_rewardsuggestion",
    "uploads.view_importjob",
    "auth.view_user",
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "axes.view_accessfailurelog",
}


@pytest.fixture
def hr():
    return client_for(hr_user(is_staff=True))


def employee_form(person: Employee, **changes) -> dict:
    data = {
        "employee_no": person.employee_no,
        "name": person.name,
        "email": person.email,
        "role": person.role_id,
        "reports_to": person.reports_to_id or "",
        "hire_date": "",
        "is_active": "on" if person.is_active else "",
        "end_date": "",
        "quarterly_bonus_base": "",
        "annual_bonus_base": "",
        "user": person.user_id or "",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not False}


def test_the_hr_group_has_exactly_the_permissions_hr_needs():
    group = Group.objects.get(name=HR_GROUP)
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
    assert granted == EXPECTED


@pytest.mark.parametrize(
    "url",
    [
        "/admin/appraisals/policyversion/",
        "/admin/appraisals/rewardrule/",
        "/admin/auth/user/add/",
        "/admin/auth/group/",
    ],
)
def test_hr_cannot_open_the_policy_or_the_logins_in_the_admin(hr, url):
    assert hr.get(url).status_code == 403


@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/roles/employee/", "/admin/roles/role/", "/admin/appraisals/metricvalue/"]
)
def test_hr_can_open_what_it_looks_after(hr, url):
    assert hr.get(url).status_code == 200


def test_a_manager_change_that_closes_a_loop_is_refused_with_the_chain(hr, org):
    # M01 ─ S01 ─ S03 ─ R07: making S03 M01's manager closes M01 → S03 → S01 → M01.
    response = hr.post(f"/admin/roles/employee/{org.m01.pk}/change/", employee_form(org.m01, reports_to=org.s03.pk))

    assert response.status_code == 200
    assert "This reporting line would create a cycle: M01 → S03 → S01 → M01." in response.content.decode()
    org.m01.refresh_from_db()
    assert org.m01.reports_to_id is None


def test_a_manager_change_without_a_loop_is_saved_and_recorded(hr, org):
    response = hr.post(f"/admin/roles/employee/{org.r03.pk}/change/", employee_form(org.r03, reports_to=org.s01.pk))

    assert response.status_code == 302
    org.r03.refresh_from_db()
    assert org.r03.reports_to == org.s01
    latest = Employee.history.filter(id=org.r03.pk).latest("history_id")
    assert latest.reports_to_id == org.s01.pk and latest.history_user.username == "hr"


def test_a_leaver_needs_an_end_date_then_loses_the_login(hr, org):
    refused = hr.post(f"/admin/roles/employee/{org.r01.pk}/change/", employee_form(org.r01, is_active=False))
    assert refused.status_code == 200 and "Give a leaver&#x27;s end date" in refused.content.decode()

    response = hr.post(
        f"/admin/roles/employee/{org.r01.pk}/change/", employee_form(org.r01, is_active=False, end_date="2026-01-31")
    )

    assert response.status_code == 302
    org.r01.refresh_from_db()
    assert org.r01.is_active is False and str(org.r01.end_date) == "2026-01-31"
    org.r01.user.refresh_from_db()
    assert org.r01.user.is_active is False


def test_hr_cannot_delete_an_employee(hr, org):
    assert hr.post(f"/admin/roles/employee/{org.r09.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Employee.objects.filter(pk=org.r09.pk).exists()


def test_a_value_of_an_open_period_can_be_fixed_in_the_admin(hr):
    rep = employee("R01")
    [value] = metrics(rep, period="2026-03", sales_actual="1000")

    response = hr.post(
        f"/admin/appraisals/metricvalue/{value.pk}/change/",
        {"employee": rep.pk, "period": value.period_id, "metric": "sales_actual", "value": "1250"},
    )

    assert response.status_code == 302
    value.refresh_from_db()
    assert value.value == Decimal("1250")


def test_a_closed_periods_values_cannot_change_or_be_added_in_the_admin(hr):
    closed = tiny_org_closed(month="2026-01")
    value = MetricValue.objects.filter(period=closed).first()
    url = f"/admin/appraisals/metricvalue/{value.pk}/change/"
    data = {"employee": value.employee_id, "period": closed.pk, "metric": value.metric_id, "value": "1"}

    assert hr.post(url, data).status_code == 403
    assert hr.post(f"/admin/appraisals/metricvalue/{value.pk}/delete/", {"post": "yes"}).status_code == 403
    added = hr.post("/admin/appraisals/metricvalue/add/", {**data, "metric": "new_customers"})
    assert added.status_code == 200 and "2026-01 is closed" in added.content.decode()
    value.refresh_from_db()
    assert value.value != Decimal("1")


def test_scorecards_and_rewards_are_read_only_in_the_admin(hr):
    tiny_org_closed(month="2026-01")
    card = Scorecard.objects.first()
    suggestion = reward(employee("R77"), period=period("2026-01"))

    assert hr.get(f"/admin/appraisals/scorecard/{card.pk}/change/").status_code == 200  # to look at
    assert hr.post(f"/admin/appraisals/scorecard/{card.pk}/change/", {}).status_code == 403
    assert hr.post(f"/admin/appraisals/scorecard/{card.pk}/delete/", {"post": "yes"}).status_code == 403
    assert hr.post(f"/admin/rewards/rewardsuggestion/{suggestion.pk}/change/", {}).status_code == 403
    assert RewardSuggestion.objects.filter(pk=suggestion.pk, status="pending").exists()


def test_roles_and_duties_are_editable(hr):
    role = Role.objects.get(code=Role.REP)
    assert hr.get(f"/admin/roles/role/{role.pk}/change/").status_code == 200
