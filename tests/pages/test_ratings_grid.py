"""The ratings grid (/team/ratings/, issue 11): a lead rates everyone they rate for a quarter in one
form; every cell is checked and named in its error, a rating of 2 or below or of 5 needs a comment,
the save is all or nothing, a closed quarter cannot change, and only the people the lead rates are in
it. Also the ``unrated`` selector the team page and HR's pre-close checklist share."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisals.models import MetricValue, Period, RatingComment
from appraisals.ratings import GridEntry, ratings_grid, ratings_grid_save, unrated
from closing.checklist import close_checklist
from roles.models import Employee, Role
from tests.builders import employee, hr_user, period, ratings, stored_metrics
from tests.factories import role

pytestmark = pytest.mark.django_db

GRID = "/team/ratings/"
Q = "2026-Q4"
# Inside 2026-Q4: the grid offers 2026-Q4 (default) and 2026-Q3.
TODAY = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(TODAY, tick=False):
        yield


def grid_rows(response) -> list[str]:
    return re.findall(r'<tr data-employee="([^"]+)"', response.content.decode())


def post(client, quarter=Q, **cells):
    """``v_R01_collaboration="4"`` → the form field ``v-R01-collaboration``."""
    data = {name.replace("_", "-", 2): value for name, value in cells.items()}
    return client.post(f"{GRID}?quarter={quarter}", data)


# --------------------------------------------------------------------------- the page


def test_a_supervisor_gets_one_row_per_person_they_rate(supervisor_client, org):
    response = supervisor_client.get(GRID)
    assert response.status_code == 200
    # S01 rates R01, R02 (reps: collaboration, skill growth) and S03 (supervisor: collaboration, team efficiency).
    assert grid_rows(response) == ["R01", "R02", "S03"]
    assert [m.code for m in response.context["grid"].metrics] == ["collaboration", "skill_growth", "team_efficiency"]
    content = response.content.decode()
    r01 = re.search(r'<tr data-employee="R01".*?</tr>', content, re.S).group(0)
    assert 'name="v-R01-collaboration"' in r01 and 'name="c-R01-skill_growth"' in r01
    assert "not rated on this" in r01  # a rep has no team efficiency rating
    assert 'id="grid-unrated" data-unrated="3"' in content


def test_a_manager_rates_their_supervisors(manager_client):
    assert grid_rows(manager_client.get(GRID)) == ["S01", "S02"]


def test_the_grid_shows_what_is_stored(supervisor_client, org):
    ratings(org.r01, quarter=Q, collaboration="4.5")
    RatingComment.objects.create(
        employee=org.r01,
        period=Period.objects.get(code=Q),
        metric_id="collaboration",
        text="steady",
        entered_at=TODAY,
    )
    content = supervisor_client.get(GRID).content.decode()
    assert 'name="v-R01-collaboration" value="4.5"' in content
    assert 'name="c-R01-collaboration" value="steady"' in content


def test_reps_and_hr_without_an_employee_record_get_no_grid(rep_client, hr_client):
    assert rep_client.get(GRID).status_code == 403
    assert hr_client.get(GRID).status_code == 403


def test_only_the_current_and_previous_quarter_are_offered(supervisor_client):
    assert supervisor_client.get(GRID, {"quarter": "2026-Q3"}).status_code == 200
    assert supervisor_client.get(GRID, {"quarter": "2026-Q2"}).status_code == 404
    assert supervisor_client.get(GRID, {"quarter": "nonsense"}).status_code == 404


# --------------------------------------------------------------------------- saving


def test_a_valid_grid_saves_every_cell_with_its_comment(supervisor_client, org):
    response = post(
        supervisor_client,
        v_R01_collaboration="4",
        v_R01_skill_growth="5",
        c_R01_skill_growth="ran the new-hire training",
        v_R02_collaboration="3.5",
        v_S03_team_efficiency="2",
        c_S03_team_efficiency="two complaints unresolved",
    )
    assert response.status_code == 302
    assert stored_metrics(org.r01, period=Q) == {"collaboration": Decimal("4"), "skill_growth": Decimal("5")}
    assert stored_metrics(org.r02, period=Q) == {"collaboration": Decimal("3.5")}
    assert stored_metrics(org.s03, period=Q) == {"team_efficiency": Decimal("2")}
    comments = dict(RatingComment.objects.values_list("employee__employee_no", "text"))
    assert comments == {"R01": "ran the new-hire training", "S03": "two complaints unresolved"}
    saved = MetricValue.objects.get(employee=org.r01, metric_id="collaboration", period__code=Q)
    assert saved.entered_by == org.s01.user
    page = supervisor_client.get(response.url)
    assert "4 ratings saved for 2026-Q4." in page.content.decode()
    assert 'data-unrated="2"' in page.content.decode()  # R02 and S03 still miss one each


def test_a_5_or_a_2_without_a_comment_saves_nothing_and_names_the_person(supervisor_client, org):
    response = post(
        supervisor_client,
        v_R01_collaboration="4",
        v_R02_skill_growth="5",
        v_S03_collaboration="1.5",
    )
    assert response.status_code == 400
    assert MetricValue.objects.filter(period__code=Q).count() == 0
    errors = response.context["errors"]
    assert (
        "Name R02 (R02), Skill growth and learning rating: a rating of 2 or below, or of 5, needs a comment." in errors
    )
    assert "Name S03 (S03), Collaboration rating: a rating of 2 or below, or of 5, needs a comment." in errors
    assert len(errors) == 2
    # What was typed stays in the form.
    assert 'name="v-R01-collaboration" value="4"' in response.content.decode()


def test_an_out_of_range_cell_is_named(supervisor_client):
    response = post(supervisor_client, v_R01_collaboration="6", v_R02_collaboration="abc")
    assert response.status_code == 400
    errors = response.context["errors"]
    assert any(
        e.startswith("Name R01 (R01), Collaboration rating: ") and "less than or equal to 5" in e for e in errors
    )
    assert any(e.startswith("Name R02 (R02), Collaboration rating: ") and "number" in e for e in errors)
    assert MetricValue.objects.count() == 0


def test_a_closed_quarter_cannot_change(supervisor_client, org):
    period("2026-Q3", status=Period.Status.CLOSED)
    ratings(org.r01, quarter="2026-Q3", collaboration="3")
    page = supervisor_client.get(GRID, {"quarter": "2026-Q3"})
    assert "2026-Q3 is closed; its ratings can no longer change." in page.content.decode()
    assert "Save all ratings" not in page.content.decode()
    response = post(supervisor_client, quarter="2026-Q3", v_R01_collaboration="5", c_R01_collaboration="great")
    assert response.status_code == 400
    assert stored_metrics(org.r01, period="2026-Q3") == {"collaboration": Decimal("3")}


def test_cells_of_people_the_lead_does_not_rate_are_ignored(supervisor_client, org):
    # R03 reports to S02 and R07 to S03: neither is in S01's grid.
    response = post(supervisor_client, v_R03_collaboration="4", v_R07_collaboration="4", v_R01_collaboration="4")
    assert response.status_code == 302
    assert MetricValue.objects.filter(period__code=Q).count() == 1


def test_the_service_refuses_people_the_lead_does_not_rate(org):
    with pytest.raises(PermissionDenied):
        ratings_grid_save(
            rater_user=org.s01.user, quarter=Q, entries={"R03": {"collaboration": GridEntry(Decimal("4"))}}
        )
    with pytest.raises(PermissionDenied):
        ratings_grid_save(
            rater_user=org.r01.user, quarter=Q, entries={"R02": {"collaboration": GridEntry(Decimal("4"))}}
        )
    assert MetricValue.objects.count() == 0


def test_the_service_checks_every_cell_before_writing_any(org):
    from appraisals.ratings import RatingsInvalid

    with pytest.raises(RatingsInvalid) as refused:
        ratings_grid_save(
            rater_user=org.s01.user,
            quarter=Q,
            entries={
                "R01": {"collaboration": GridEntry(Decimal("4")), "team_efficiency": GridEntry(Decimal("4"))},
                "R02": {"collaboration": GridEntry(Decimal("5"))},
            },
        )
    assert [(e.employee_no, e.metric) for e in refused.value.errors] == [
        ("R01", "team_efficiency"),
        ("R02", "collaboration"),
    ]
    assert MetricValue.objects.count() == 0


def test_chinese_errors_name_the_person_and_item(supervisor_client):
    supervisor_client.cookies["django_language"] = "zh-hans"
    response = post(supervisor_client, v_R02_skill_growth="5")
    assert "Name R02 (R02)，技能提升与学习评分：评分为 2 及以下或为 5 时须填写备注。" in response.context["errors"]
    assert "2026-Q4 评分" in response.content.decode()


def test_the_grid_reads_in_a_fixed_number_of_queries(org):
    def count(rater):
        with CaptureQueriesContext(connection) as captured:
            ratings_grid(rater=rater, quarter=Q)
        return len(captured)

    small = employee("SX", role=Role.SUPERVISOR)
    large = employee("SY", role=Role.SUPERVISOR)
    Employee.objects.bulk_create(
        Employee(employee_no=f"RY{n:03d}", name=f"Rep {n}", role=role(Role.REP), reports_to=large) for n in range(200)
    )
    employee("RX1", reports_to=small)
    assert count(small) == count(large)


# --------------------------------------------------------------------------- unrated


def test_unrated_lists_who_misses_a_rating_and_who_rates_them(org):
    ratings(org.r01, quarter=Q, collaboration="4", skill_growth="4")
    ratings(org.r02, quarter=Q, collaboration="4")
    mine = unrated(quarter=Q, rater=org.s01)
    assert [(p.employee_no, [m.code for m in p.missing]) for p in mine] == [
        ("R02", ["skill_growth"]),
        ("S03", ["collaboration", "team_efficiency"]),
    ]
    everyone = {p.employee_no: p for p in unrated(quarter=Q)}
    assert "R01" not in everyone and set(everyone) >= {"M01", "M09", "R02", "R03", "R09", "S01", "S02"}
    assert everyone["M01"].rater_id is None  # nobody above: HR rates them
    assert (everyone["R03"].rater_no, everyone["R03"].rater_name) == ("S02", "Name S02")


def test_unrated_leaves_out_inactive_people(org):
    Employee.objects.filter(pk=org.r02.pk).update(is_active=False)
    assert [p.employee_no for p in unrated(quarter=Q, rater=org.s01)] == ["R01", "S03"]


def test_unrated_takes_a_fixed_number_of_queries(org):
    def count(**kwargs):
        with CaptureQueriesContext(connection) as captured:
            unrated(quarter=Q, **kwargs)
        return len(captured)

    before = count()
    Employee.objects.bulk_create(
        Employee(employee_no=f"RZ{n:03d}", name=f"Rep {n}", role=role(Role.REP), reports_to=org.s02) for n in range(300)
    )
    assert count() == before == 4


def test_hrs_checklist_of_a_quarter_lists_the_unrated(hr_client, org):
    ratings(org.r01, quarter=Q, collaboration="4", skill_growth="4")
    checklist = close_checklist(ref=period(Q).ref, today=TODAY.date())
    assert "R01" not in [p.employee_no for p in checklist.unrated]
    content = hr_client.get(f"/hr/periods/{Q}/checklist/").content.decode()
    count = len(checklist.unrated)
    assert f'id="unrated-count" data-unrated="{count}"' in content
    assert f"{count} people still have no rating for 2026-Q4" in content
    assert 'data-unrated-employee="R03"' in content and "rated by Name S02 (S02)" in content


def test_a_months_checklist_has_no_ratings_section(hr_client, org):
    assert close_checklist(ref=period("2026-10").ref, today=TODAY.date()).unrated is None
    assert 'id="unrated-title"' not in hr_client.get("/hr/periods/2026-10/checklist/").content.decode()


def test_chinese_checklist(hr_client, org):
    hr_client.cookies["django_language"] = "zh-hans"
    content = hr_client.get(f"/hr/periods/{Q}/checklist/").content.decode()
    assert "仍未评分" in content and "由 Name S02（S02）评分" in content


def test_hr_user_is_no_rater_even_when_asked(org):
    with pytest.raises(PermissionDenied):
        ratings_grid_save(rater_user=hr_user(), quarter=Q, entries={"R01": {"collaboration": GridEntry(Decimal("4"))}})
