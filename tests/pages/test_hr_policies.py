"""The HR console's policy pages: the copy form and its checks, editing and deleting unused versions,
the versions list, the detail page and the preview of a version's figures against a closed period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from appraisals.models import KpiDefinition, Period, PolicyVersion
from appraisals.policy import policy_version_copy
from pages.forms.hr_policies import PolicyEditor
from roles.models import Employee
from tests.builders import (
    close_period,
    default_policy_version,
    employee,
    metrics,
    period,
    scorecard,
    tiny_org_closed,
)

pytestmark = pytest.mark.django_db

D = Decimal


def editor_data(source: PolicyVersion, *, name="Next version", effective_from="2027-01", **changes) -> dict:
    """The copy form as the page sends it, with ``kpis={code: {field: value}}``, ``bands={letter: value}``
    and ``rules={code: {field: value}}`` changed."""
    editor = PolicyEditor(source)
    data = {"name": name, "effective_from": effective_from}
    for part in (editor.kpis, editor.bands, editor.rules):
        management = part.management_form
        for field in management.fields:
            data[management.add_prefix(field)] = management[field].value()
        for form in part.forms:
            for field in form.fields:
                value = form[field].value()
                data[form.add_prefix(field)] = "" if value is None else value
    for part, key, field_of in (
        (editor.kpis, "kpis", lambda f: f.item.code),
        (editor.rules, "rules", lambda f: f.item.code),
    ):
        for form in part.forms:
            for field, value in changes.get(key, {}).get(field_of(form), {}).items():
                data[form.add_prefix(field)] = value
    for form in editor.bands.forms:
        if form.item.letter in changes.get("bands", {}):
            data[form.add_prefix("min_composite")] = changes["bands"][form.item.letter]
    return data


# --- the copy form ----------------------------------------------------------------------------


def test_copy_form_starts_with_the_source_figures(hr_client):
    response = hr_client.get(reverse("hr:policy_new", args=[default_policy_version().pk]))
    assert response.status_code == 200
    editor = response.context["editor"]
    r1 = next(form for form in editor.kpis.forms if form.item.code == "R1")
    assert r1["weight"].value() == D("50")
    assert "Default policy (POLICY.md) (copy)" in response.content.decode()


def test_copy_form_saves_a_new_version_with_the_edited_weight(hr_client):
    source = default_policy_version()

    response = hr_client.post(
        reverse("hr:policy_new", args=[source.pk]),
        editor_data(source, name="Heavier R1", kpis={"R1": {"weight": "80"}}),
    )

    copy = PolicyVersion.objects.get(name="Heavier R1")
    assert response.status_code == 302
    assert response["Location"] == reverse("hr:policy_detail", args=[copy.pk])
    assert copy.effective_from == date(2027, 1, 1)
    assert KpiDefinition.objects.get(policy_version=copy, code="R1").weight == D("80")
    assert KpiDefinition.objects.get(policy_version=source, code="R1").weight == D("50")


def test_copy_form_refuses_a_start_on_a_closed_period(hr_client):
    period("2026-05", status=Period.Status.CLOSED)
    source = default_policy_version()

    response = hr_client.post(reverse("hr:policy_new", args=[source.pk]), editor_data(source, effective_from="2026-05"))

    assert response.status_code == 200
    assert "2026-05 is already closed" in response.content.decode()
    assert PolicyVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kpis": {"R1": {"weight": "0"}}}, "Must be greater than 0."),
        ({"kpis": {"S1": {"target": "-1"}}}, "Must be greater than 0."),
        ({"kpis": {"M1": {"weight": "heavy"}}}, "Enter a number."),
        ({"bands": {"C": "96"}}, "Band minimums must fall strictly from A to E"),
        ({"bands": {"A": "95"}}, "Band minimums must fall strictly from A to E"),
        ({"rules": {"commission": {"tier_1_rate": "-0.01"}}}, "greater than or equal to 0"),
        ({"rules": {"commission": {"tier_1_up_to": "0.5"}}}, "Tier limits must rise"),
        ({"rules": {"quarterly_bonus": {"multiplier_A": "-1"}}}, "greater than or equal to 0"),
        ({"rules": {"year_end_bonus": {"default_base": ""}}}, "This field is required."),
        ({"rules": {"flex_time": {"window_months": "0"}}}, "greater than or equal to 1"),
    ],
    ids=[
        "zero-weight",
        "negative-target",
        "not-a-number",
        "band-not-falling",
        "band-equal",
        "negative-rate",
        "tiers-not-rising",
        "negative-multiplier",
        "no-base",
        "no-window",
    ],
)
def test_copy_form_refuses_bad_figures_with_errors(hr_client, changes, message):
    source = default_policy_version()

    response = hr_client.post(reverse("hr:policy_new", args=[source.pk]), editor_data(source, **changes))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert PolicyVersion.objects.count() == 1


def test_copy_form_ignores_a_tampered_form_count(hr_client):
    source = default_policy_version()
    data = editor_data(source, name="Tampered")
    data["kpi-TOTAL_FORMS"] = "2"

    hr_client.post(reverse("hr:policy_new", args=[source.pk]), data)

    assert KpiDefinition.objects.filter(policy_version__name="Tampered").count() == 14


# --- locked and unused versions ---------------------------------------------------------------


def test_a_locked_version_is_not_editable(hr_client):
    version = default_policy_version()
    scorecard(employee(), period="2026-01", composite="100", policy_version=version)  # in use: locked

    page = hr_client.get(reverse("hr:policy_detail", args=[version.pk]))
    get = hr_client.get(reverse("hr:policy_edit", args=[version.pk]))
    post = hr_client.post(
        reverse("hr:policy_edit", args=[version.pk]),
        editor_data(version, name="Changed", effective_from="2000-01", kpis={"R1": {"weight": "99"}}),
    )

    assert reverse("hr:policy_edit", args=[version.pk]) not in page.content.decode()
    assert "In use (locked)" in page.content.decode()
    assert get.status_code == 302 and post.status_code == 302
    version.refresh_from_db()
    assert version.name == "Default policy (POLICY.md)"
    assert KpiDefinition.objects.get(policy_version=version, code="R1").weight == D("50")


def test_an_unused_version_can_be_edited_in_place(hr_client):
    version = policy_version_copy(source=default_policy_version(), name="Draft", effective_from=date(2027, 1, 1))

    response = hr_client.post(
        reverse("hr:policy_edit", args=[version.pk]),
        editor_data(version, name="Draft 2", effective_from="2027-02", bands={"A": "108", "B": "90"}),
    )

    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.name, version.effective_from) == ("Draft 2", date(2027, 2, 1))
    assert dict(version.bands.values_list("letter", "min_composite"))["A"] == D("108")
    assert PolicyVersion.objects.count() == 2


def test_an_unused_version_can_be_deleted(hr_client):
    version = policy_version_copy(source=default_policy_version(), name="Draft", effective_from=date(2027, 1, 1))

    response = hr_client.post(reverse("hr:policy_delete", args=[version.pk]))

    assert response["Location"] == reverse("hr:policies")
    assert not PolicyVersion.objects.filter(pk=version.pk).exists()
    assert not KpiDefinition.objects.filter(policy_version_id=version.pk).exists()


def test_policies_page_lists_versions_with_start_and_lock(hr_client):
    scorecard(employee(), period="2026-01", composite="100", policy_version=default_policy_version())  # in use: locked
    policy_version_copy(source=default_policy_version(), name="Next year", effective_from=date(2027, 1, 1))

    response = hr_client.get(reverse("hr:policies"))

    rows = [(row.version.name, row.in_use, row.until) for row in response.context["rows"]]
    assert rows == [("Next year", False, None), ("Default policy (POLICY.md)", True, date(2026, 12, 31))]
    text = response.content.decode()
    assert "2027-01" in text and "2000-01" in text and "In use (locked)" in text and "Not used yet" in text


# --- preview and detail -----------------------------------------------------------------------


def test_preview_button_shows_the_changes_of_the_unsaved_figures(hr_client):
    tiny_org_closed()
    source = default_policy_version()
    data = editor_data(source, kpis={"R1": {"weight": "80"}}, bands={"A": "105"})
    data["preview"] = "1"

    response = hr_client.post(reverse("hr:policy_new", args=[source.pk]), data)

    assert response.status_code == 200
    assert response.context["preview"].band_changes == 2
    text = response.content.decode()
    assert "2 people change band" in text
    assert "Rep RA" in text and "106.43" in text and "106.00" in text
    assert PolicyVersion.objects.count() == 1


def test_preview_page_scores_the_latest_closed_month_unless_asked(hr_client):
    tiny_org_closed()
    for rep in Employee.objects.filter(employee_no__startswith="R"):
        metrics(rep, period="2026-02", sales_target="100", sales_actual="100")
    close_period("2026-02")
    url = reverse("hr:policy_preview", args=[default_policy_version().pk])

    latest = hr_client.get(url)
    asked = hr_client.get(url, {"period": "2026-01"})

    assert latest.context["preview"].period.code == "2026-02"
    assert asked.context["preview"].period.code == "2026-01"
    assert "0 people change band" in asked.content.decode()


def test_policy_detail_shows_the_figures_in_force(hr_client):
    response = hr_client.get(reverse("hr:policy_detail", args=[default_policy_version().pk]))
    text = response.content.decode()
    assert "Personal sales-target completion" in text and "50.00" in text
    assert "110.00" in text and "Outstanding" in text
    assert "default base 6,000.00 CNY" in text and "Sales Supervisor" in text


def test_preview_page_without_a_closed_period_says_so(hr_client):
    response = hr_client.get(reverse("hr:policy_preview", args=[default_policy_version().pk]))
    assert response.status_code == 200
    assert response.context["preview"] is None
    assert "No period is closed yet" in response.content.decode()
