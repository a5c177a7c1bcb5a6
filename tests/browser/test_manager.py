"""A manager in the browser: sorts and filters the team page of a closed month, opens a person."""

from __future__ import annotations

import pytest

from appraisals.models import Scorecard
from closing.models import CloseJob
from roles.models import Role
from tests.browser.helpers import PHONE, has_no_horizontal_scroll, log_in, wider_than_screen
from tests.builders import close_period, employee, metrics

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONTH = "2026-01"
UNIT = ["M01", "S01", "S02", "R01", "R02", "R03", "R04", "R05", "R06"]
# rep → (sales actual of a 100,000 target, customer satisfaction): every composite differs.
REP_FIGURES = {
    "R01": ("62000", "3.2"),
    "R02": ("81000", "4.6"),
    "R03": ("95500", "3.9"),
    "R04": ("103000", "4.1"),
    "R05": ("118000", "3.5"),
    "R06": ("131000", "4.8"),
}


@pytest.fixture
def unit() -> None:
    """M01 (login "manager1") over S01 (R01–R03) and S02 (R04–R06), and another unit M09 over R09;
    everyone has figures for 2026-01, which is then closed in-process."""
    manager = employee("M01", name="Mei Manager", role=Role.MANAGER, login="manager1")
    supervisors = [
        employee(employee_no, name=name, role=Role.SUPERVISOR, reports_to=manager)
        for employee_no, name in (("S01", "Sam Supervisor"), ("S02", "Sue Supervisor"))
    ]
    for i, (employee_no, (actual, csat)) in enumerate(REP_FIGURES.items()):
        rep = employee(employee_no, name=f"Rep {employee_no}", reports_to=supervisors[i // 3])
        metrics(rep, period=MONTH, sales_target="100000", sales_actual=actual, csat=csat)
    other = employee("M09", name="Other Manager", role=Role.MANAGER)
    outsider = employee("R09", name="Rep R09", reports_to=other)
    metrics(outsider, period=MONTH, sales_target="100000", sales_actual="99000")
    job = close_period(MONTH)
    job.refresh_from_db()
    assert job.status == CloseJob.Status.DONE


def unit_cards(**filters):
    return Scorecard.objects.filter(period__code=MONTH, employee__employee_no__in=UNIT, **filters)


def db_order(direction: str, **filters) -> list[str]:
    """Employee numbers as the table orders them: composite, ties by employee_no."""
    composite = "composite" if direction == "asc" else "-composite"
    return list(
        unit_cards(**filters)
        .order_by(composite, "employee__employee_no")
        .values_list("employee__employee_no", flat=True)
    )


def shown_rows(page) -> list[str]:
    return page.locator("#team-table tbody tr[data-employee]").evaluate_all(
        "rows => rows.map(row => row.dataset.employee)"
    )


def test_manager_sorts_filters_and_opens_a_person(tab, unit):
    # The whole unit scored, each composite different, so the order is the composite's alone.
    assert unit_cards().count() == len(UNIT)
    assert len(set(unit_cards().values_list("composite", flat=True))) == len(UNIT)
    log_in(tab, "manager1")

    tab.goto(f"/team/?period={MONTH}")
    # Most in need first by default: band E to A, then the lowest composite; R09 is not in the unit.
    attention = list(
        unit_cards()
        .order_by("-band", "composite", "employee__employee_no")
        .values_list("employee__employee_no", flat=True)
    )
    assert shown_rows(tab) == attention

    descending = db_order("desc")
    tab.locator("#team-table thead").get_by_role("link", name="Composite").click()
    tab.wait_for_url("**sort=composite&dir=desc**")
    assert shown_rows(tab) == descending
    tab.locator("#team-table thead").get_by_role("link", name="Composite").click()
    tab.wait_for_url("**dir=asc**")
    assert shown_rows(tab) == db_order("asc") == list(reversed(descending))
    tab.locator("#team-table thead").get_by_role("link", name="Composite").click()
    tab.wait_for_url("**dir=desc**")
    assert shown_rows(tab) == descending

    # Reps only, then reps of the band most of them are in; the chosen order stays.
    tab.locator("#id_role").select_option(Role.REP)
    tab.get_by_role("button", name="Apply").click()
    tab.wait_for_url("**role=rep**")
    assert shown_rows(tab) == db_order("desc", role=Role.REP) == [no for no in descending if no.startswith("R")]
    bands = list(unit_cards(role=Role.REP).values_list("band", flat=True))
    band = max(sorted(set(bands)), key=bands.count)
    tab.locator("#id_band").select_option(band)
    tab.get_by_role("button", name="Apply").click()
    tab.wait_for_url(f"**band={band}**")
    expected = db_order("desc", role=Role.REP, band=band)
    assert 0 < len(expected) < len(REP_FIGURES)
    assert shown_rows(tab) == expected

    employee_no = expected[-1]
    tab.locator(f'#team-table tr[data-employee="{employee_no}"] th a').click()
    tab.wait_for_url(f"**/employees/{employee_no}/**")
    card = unit_cards().get(employee__employee_no=employee_no)
    assert tab.locator("#scorecard-title").inner_text().strip() == f"Scorecard {MONTH}"
    assert tab.get_by_test_id("composite").inner_text().strip() == f"{card.composite:,.2f}"
    assert tab.locator("main h1").first.inner_text().strip().startswith(f"Rep {employee_no}")


def test_team_page_fits_a_phone_screen_without_horizontal_scrolling(new_page, unit):
    page = new_page(viewport=PHONE)
    log_in(page, "manager1")

    page.goto(f"/team/?period={MONTH}")

    assert len(shown_rows(page)) == len(UNIT)
    assert has_no_horizontal_scroll(page), wider_than_screen(page)


def test_person_page_fits_a_phone_screen_without_horizontal_scrolling(new_page, unit):
    page = new_page(viewport=PHONE)
    log_in(page, "manager1")

    page.goto(f"/employees/R03/?period={MONTH}")

    assert page.get_by_test_id("composite").is_visible()
    assert has_no_horizontal_scroll(page), wider_than_screen(page)
