"""HR in the admin, in the browser: the HR user fixes someone's manager and deactivates a leaver, and the
History page shows both changes with who made them."""

from __future__ import annotations

import pytest

from roles.models import Employee, Role
from tests.browser.helpers import log_in
from tests.builders import employee, hr_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people():
    """M1 over S1 and S2; R1 under S1 (a mistake: R1 works for S2); R2 under S2 (R2 has left)."""
    hr_user("hr1", is_staff=True)
    manager = employee("M1", name="Mia Manager", role=Role.MANAGER)
    s1 = employee("S1", name="Sid One", role=Role.SUPERVISOR, reports_to=manager)
    s2 = employee("S2", name="Sue Two", role=Role.SUPERVISOR, reports_to=manager)
    employee("R1", name="Rita Rep", reports_to=s1)
    employee("R2", name="Ravi Rep", reports_to=s2, login="ravi")
    return {"s2": s2}


def open_employee(tab, employee_no: str) -> None:
    tab.goto("/admin/roles/employee/")
    tab.get_by_role("link", name=employee_no, exact=True).click()
    tab.wait_for_load_state()


def test_hr_fixes_a_manager_and_deactivates_a_leaver_and_the_history_shows_both(tab, people):
    log_in(tab, "hr1", next_url="/hr/")
    tab.get_by_role("link", name="Administration (Django admin)").click()
    tab.wait_for_load_state()
    assert tab.locator("#site-name").count() == 1

    # R1's manager: S1 → S2, with the raw id field as HR would type it.
    open_employee(tab, "R1")
    tab.locator("#id_reports_to").fill(str(people["s2"].pk))
    tab.locator("input[name=_save]").click()
    tab.wait_for_load_state()
    assert tab.locator(".messagelist .success").count() == 1

    # A loop is refused with the chain: M1 cannot report to R1.
    open_employee(tab, "M1")
    tab.locator("#id_reports_to").fill(str(Employee.objects.get(employee_no="R1").pk))
    tab.locator("input[name=_save]").click()
    tab.wait_for_load_state()
    assert "This reporting line would create a cycle: M1 → R1 → S2 → M1." in tab.locator(".errorlist").inner_text()

    # R2 has left: untick active, give the end date.
    open_employee(tab, "R2")
    tab.locator("#id_is_active").uncheck()
    tab.locator("#id_end_date").fill("2026-01-31")
    tab.locator("input[name=_save]").click()
    tab.wait_for_load_state()
    assert tab.locator(".messagelist .success").count() == 1

    r1, r2 = Employee.objects.get(employee_no="R1"), Employee.objects.get(employee_no="R2")
    assert r1.reports_to.employee_no == "S2" and Employee.objects.get(employee_no="M1").reports_to is None
    assert r2.is_active is False and str(r2.end_date) == "2026-01-31" and r2.user.is_active is False

    tab.goto("/hr/history/?kind=employee")
    rows = tab.locator("tbody tr.history-employee")
    texts = rows.all_inner_texts()
    fix = next(text for text in texts if "R1 Rita Rep" in text and "changed" in text)
    assert "reports to: S1 → S2" in fix and "hr1" in fix
    leave = next(text for text in texts if "R2 Ravi Rep" in text and "changed" in text)
    assert "active: yes → no" in leave and "end date: — → 2026-01-31" in leave and "hr1" in leave

    # The leaver's login no longer works.
    tab.context.clear_cookies()
    tab.goto("/accounts/login/")
    tab.locator("#id_username").fill("ravi")
    tab.locator("#id_password").fill("pass-word-123")
    tab.locator("main form button[type=submit]").click()
    tab.wait_for_load_state()
    assert "/accounts/login/" in tab.url
