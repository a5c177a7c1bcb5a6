"""Policy versions: copy with edited figures, locking, deleting, and the preview against a closed period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appraisals.models import (
    BandDefinition,
    BandMultiplier,
    CommissionTier,
    KpiDefinition,
    Metric,
    MetricValue,
    Period,
    PolicyVersion,
    RewardRule,
    Scorecard,
)
from appraisals.policy import (
    KpiFigures,
    PolicyFigures,
    PolicyRefused,
    RuleFigures,
    policy_preview,
    policy_version_copy,
    policy_version_delete,
)
from pages.forms.hr_rewards import PolicyEditor
from roles.access import HR_GROUP
from roles.models import Employee, Role
from tests.builders import close_period
from tests.factories import EmployeeFactory, UserFactory, period, role

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hr_client(client):
    user = UserFactory()
    user.groups.add(Group.objects.get(name=HR_GROUP))
    client.force_login(user)
    return client


def default_version() -> PolicyVersion:
    return PolicyVersion.objects.get(effective_from=date(2000, 1, 1))


def kpi(version: PolicyVersion, code: str) -> KpiDefinition:
    return KpiDefinition.objects.get(policy_version=version, code=code)


def figures_of(version: PolicyVersion) -> dict:
    """Every figure of a version, to compare two versions."""
    return {
        "kpis": sorted(version.kpis.values_list("code", "role__code", "formula", "weight", "target", "cadence")),
        "bands": sorted(version.bands.values_list("letter", "min_composite", "label_en")),
        "rules": sorted(
            RewardRule.objects.filter(policy_version=version).values_list(
                "code",
                "kind",
                "roles",
                "period_kinds",
                "bands",
                "default_base",
                "window_months",
                "threshold",
                "flat_rate",
                "is_cash",
            )
        ),
        "multipliers": sorted(
            BandMultiplier.objects.filter(rule__policy_version=version).values_list("rule__code", "band", "multiplier")
        ),
        "tiers": sorted(
            CommissionTier.objects.filter(rule__policy_version=version).values_list(
                "rule__code", "up_to_multiple", "rate"
            ),
            key=str,
        ),
    }


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


# --- copying -----------------------------------------------------------------------------------


def test_copy_holds_every_figure_of_the_source_and_the_edited_weight():
    source = default_version()
    user = UserFactory()

    copy = policy_version_copy(
        source=source,
        name="2027 policy",
        effective_from=date(2027, 1, 1),
        figures=PolicyFigures(kpis={"R1": KpiFigures(weight=D("80"), target=D("1.0"))}),
        user=user,
    )

    assert copy.pk != source.pk
    assert (copy.name, copy.effective_from, copy.created_by) == ("2027 policy", date(2027, 1, 1), user)
    assert kpi(copy, "R1").weight == D("80")
    assert kpi(source, "R1").weight == D("50")
    mine, theirs = figures_of(copy), figures_of(source)
    assert [k for k in mine["kpis"] if k[0] != "R1"] == [k for k in theirs["kpis"] if k[0] != "R1"]
    assert len(mine["kpis"]) == 14
    assert {key: mine[key] for key in ("bands", "rules", "multipliers", "tiers")} == {
        key: theirs[key] for key in ("bands", "rules", "multipliers", "tiers")
    }


def test_copy_applies_band_and_reward_figures():
    copy = policy_version_copy(
        source=default_version(),
        name="Generous",
        effective_from=date(2027, 1, 1),
        figures=PolicyFigures(
            bands={"A": D("105")},
            rules={
                "commission": RuleFigures(
                    tiers=((D("1.0"), D("0.03")), (D("2.0"), D("0.05")), (None, D("0.07"))), flat_rate=D("0.01")
                ),
                "quarterly_bonus": RuleFigures(default_base=D("8000.00"), multipliers={"A": D("2"), "B": D("1.5")}),
                "flex_time": RuleFigures(window_months=2, bands="A"),
                "development_plan": RuleFigures(threshold=D("70")),
            },
        ),
    )

    assert BandDefinition.objects.get(policy_version=copy, letter="A").min_composite == D("105")
    commission = RewardRule.objects.get(policy_version=copy, code="commission")
    assert sorted(commission.tiers.values_list("up_to_multiple", "rate"), key=str) == sorted(
        [(D("1.0"), D("0.03")), (D("2.0"), D("0.05")), (None, D("0.07"))], key=str
    )
    assert commission.flat_rate == D("0.01")
    bonus = RewardRule.objects.get(policy_version=copy, code="quarterly_bonus")
    assert bonus.default_base == D("8000.00")
    assert dict(bonus.multipliers.values_list("band", "multiplier")) == {"A": D("2"), "B": D("1.5")}
    flex = RewardRule.objects.get(policy_version=copy, code="flex_time")
    assert (flex.window_months, flex.bands) == (2, "A")
    assert RewardRule.objects.get(policy_version=copy, code="development_plan").threshold == D("70")


@pytest.mark.parametrize("start", [date(2026, 3, 1), date(2026, 1, 1), date(2025, 6, 1)])
def test_copy_refuses_a_start_on_or_before_a_closed_period(start):
    period("2026-03", status=Period.Status.CLOSED)
    with pytest.raises(PolicyRefused, match="2026-03 is already closed"):
        policy_version_copy(source=default_version(), name="x", effective_from=start)
    assert PolicyVersion.objects.count() == 1


def test_copy_may_start_the_month_after_the_last_closed_period():
    period("2026-03", status=Period.Status.CLOSED)
    copy = policy_version_copy(source=default_version(), name="April on", effective_from=date(2026, 4, 1))
    assert copy.effective_from == date(2026, 4, 1)


def test_copy_refuses_a_start_another_version_has():
    policy_version_copy(source=default_version(), name="first", effective_from=date(2027, 1, 1))
    with pytest.raises(PolicyRefused, match="another version already starts in 2027-01"):
        policy_version_copy(source=default_version(), name="second", effective_from=date(2027, 1, 1))
    assert PolicyVersion.objects.count() == 2


def test_copy_refuses_band_minimums_that_do_not_fall():
    with pytest.raises(PolicyRefused, match="band B"):
        policy_version_copy(
            source=default_version(),
            name="x",
            effective_from=date(2027, 1, 1),
            figures=PolicyFigures(bands={"B": D("110")}),
        )
    assert PolicyVersion.objects.count() == 1


# --- the copy form -----------------------------------------------------------------------------


def test_copy_form_starts_with_the_source_figures(hr_client):
    response = hr_client.get(reverse("hr:policy_new", args=[default_version().pk]))
    assert response.status_code == 200
    editor = response.context["editor"]
    r1 = next(form for form in editor.kpis.forms if form.item.code == "R1")
    assert r1["weight"].value() == D("50")
    assert "Default policy (POLICY.md) (copy)" in response.content.decode()


def test_copy_form_saves_a_new_version_with_the_edited_weight(hr_client):
    source = default_version()

    response = hr_client.post(
        reverse("hr:policy_new", args=[source.pk]),
        editor_data(source, name="Heavier R1", kpis={"R1": {"weight": "80"}}),
    )

    copy = PolicyVersion.objects.get(name="Heavier R1")
    assert response.status_code == 302
    assert response["Location"] == reverse("hr:policy_detail", args=[copy.pk])
    assert copy.effective_from == date(2027, 1, 1)
    assert kpi(copy, "R1").weight == D("80")
    assert kpi(source, "R1").weight == D("50")


def test_copy_form_refuses_a_start_on_a_closed_period(hr_client):
    period("2026-05", status=Period.Status.CLOSED)
    source = default_version()

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
    source = default_version()

    response = hr_client.post(reverse("hr:policy_new", args=[source.pk]), editor_data(source, **changes))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert PolicyVersion.objects.count() == 1


def test_copy_form_ignores_a_tampered_form_count(hr_client):
    source = default_version()
    data = editor_data(source, name="Tampered")
    data["kpi-TOTAL_FORMS"] = "2"

    hr_client.post(reverse("hr:policy_new", args=[source.pk]), data)

    assert KpiDefinition.objects.filter(policy_version__name="Tampered").count() == 14


# --- locked and unused versions ----------------------------------------------------------------


def _lock(version: PolicyVersion) -> None:
    Scorecard.objects.create(
        employee=EmployeeFactory(),
        period=period("2026-01", status=Period.Status.CLOSED),
        policy_version=version,
        role="rep",
        composite=D("100"),
        band="B",
        created_at=timezone.now(),
    )


def test_a_locked_version_is_not_editable(hr_client):
    version = default_version()
    _lock(version)

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
    assert kpi(version, "R1").weight == D("50")


def test_an_unused_version_can_be_edited_in_place(hr_client):
    version = policy_version_copy(source=default_version(), name="Draft", effective_from=date(2027, 1, 1))

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
    version = policy_version_copy(source=default_version(), name="Draft", effective_from=date(2027, 1, 1))

    response = hr_client.post(reverse("hr:policy_delete", args=[version.pk]))

    assert response["Location"] == reverse("hr:policies")
    assert not PolicyVersion.objects.filter(pk=version.pk).exists()
    assert not KpiDefinition.objects.filter(policy_version_id=version.pk).exists()


def test_a_locked_version_cannot_be_deleted():
    version = policy_version_copy(source=default_version(), name="Used", effective_from=date(2025, 1, 1))
    _lock(version)
    with pytest.raises(PolicyRefused, match="in use"):
        policy_version_delete(version=version)
    assert PolicyVersion.objects.filter(pk=version.pk).exists()


def test_the_earliest_version_cannot_be_deleted():
    with pytest.raises(PolicyRefused, match="earliest"):
        policy_version_delete(version=default_version())


def test_policies_page_lists_versions_with_start_and_lock(hr_client):
    _lock(default_version())
    policy_version_copy(source=default_version(), name="Next year", effective_from=date(2027, 1, 1))

    response = hr_client.get(reverse("hr:policies"))

    rows = [(row.version.name, row.in_use, row.until) for row in response.context["rows"]]
    assert rows == [("Next year", False, None), ("Default policy (POLICY.md)", True, date(2026, 12, 31))]
    text = response.content.decode()
    assert "2027-01" in text and "2000-01" in text and "In use (locked)" in text and "Not used yet" in text


# --- preview -----------------------------------------------------------------------------------


def _value(employee, metric: str, value: str, code: str = "2026-01") -> None:
    MetricValue.objects.create(
        employee=employee,
        period=period(code),
        metric=Metric.objects.get(code=metric),
        value=D(value),
        entered_at=timezone.now(),
    )


def tiny_org_closed(django_capture_on_commit_callbacks, code: str = "2026-01"):
    """Supervisor SUP over four reps, 2026-01 closed with the default policy.

    rep  target   actual   csat   R1      R2      composite (50·R1 + 20·R2) / 70   band
    RA   100000   105000   4.4    105.00  110.00  7450 / 70 = 106.43               B
    RB   100000   120000   3.2    120.00   80.00  7600 / 70 = 108.57               B
    RC   100000    90000   4.8     90.00  120.00  6900 / 70 =  98.57               B
    RD   100000    80000   4.0     80.00  100.00  6000 / 70 =  85.71               C
    SUP: S1 = 395000 / 400000 → 98.75; S4 = (106.43 + 108.57 + 98.57 + 85.71) / 4 = 99.82;
         (35 × 98.75 + 30 × 99.82) / 65 = 99.24 → B
    """
    supervisor = EmployeeFactory(employee_no="SUP", name="Supervisor", role=role(Role.SUPERVISOR))
    for no, actual, csat in (
        ("RA", "105000", "4.4"),
        ("RB", "120000", "3.2"),
        ("RC", "90000", "4.8"),
        ("RD", "80000", "4.0"),
    ):
        rep = EmployeeFactory(employee_no=no, name=f"Rep {no}", reports_to=supervisor)
        _value(rep, "sales_target", "100000", code)
        _value(rep, "sales_actual", actual, code)
        _value(rep, "csat", csat, code)
    with django_capture_on_commit_callbacks(execute=True):
        close_period(code)
    closed = Period.objects.get(code=code)
    assert closed.status == Period.Status.CLOSED
    return closed


def test_the_tiny_org_closes_as_computed_by_hand(django_capture_on_commit_callbacks):
    closed = tiny_org_closed(django_capture_on_commit_callbacks)
    stored = {
        no: (composite, band)
        for no, composite, band in Scorecard.objects.filter(period=closed).values_list(
            "employee__employee_no", "composite", "band"
        )
    }
    assert stored == {
        "RA": (D("106.43"), "B"),
        "RB": (D("108.57"), "B"),
        "RC": (D("98.57"), "B"),
        "RD": (D("85.71"), "C"),
        "SUP": (D("99.24"), "B"),
    }


def test_preview_of_an_identical_version_changes_no_band(django_capture_on_commit_callbacks):
    closed = tiny_org_closed(django_capture_on_commit_callbacks)
    same = policy_version_copy(source=default_version(), name="Same", effective_from=date(2027, 1, 1))

    preview = policy_preview(version=same, period=closed)

    assert (preview.scored, preview.stored) == (5, 5)
    assert preview.band_changes == 0 and preview.changes == []
    assert preview.composite_changes == 0
    assert preview.old_bands == preview.new_bands == {"B": 4, "C": 1}


def test_preview_with_heavier_r1_and_lower_a_reports_who_changes_band(django_capture_on_commit_callbacks):
    """R1 weight 50 → 80 and band A from 110 → 105:

    RA (80·105 + 20·110) / 100 = 106.00 → A (was 106.43 B)
    RB (80·120 + 20·80)  / 100 = 112.00 → A (was 108.57 B)
    RC (80·90  + 20·120) / 100 =  96.00 → B
    RD (80·80  + 20·100) / 100 =  84.00 → C
    SUP S4 from the new composites = (106 + 112 + 96 + 84) / 4 = 99.50;
        (35 × 98.75 + 30 × 99.50) / 65 = 99.10 → B (with the stored ones it would stay 99.24)
    """
    closed = tiny_org_closed(django_capture_on_commit_callbacks)
    figures = PolicyFigures(kpis={"R1": KpiFigures(D("80"), D("1.0"))}, bands={"A": D("105")})

    preview = policy_preview(version=default_version(), period=closed, figures=figures)

    assert [(c.employee_no, c.old_composite, c.old_band, c.new_composite, c.new_band) for c in preview.changes] == [
        ("RA", D("106.43"), "B", D("106.00"), "A"),
        ("RB", D("108.57"), "B", D("112.00"), "A"),
    ]
    assert preview.composite_changes == 5
    assert preview.new_bands == {"A": 2, "B": 2, "C": 1}
    assert Scorecard.objects.get(period=closed, employee__employee_no="RA").band == "B"  # nothing written


def test_preview_query_count_does_not_grow_with_headcount(django_capture_on_commit_callbacks):
    closed = tiny_org_closed(django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as few:
        policy_preview(version=default_version(), period=closed)
    supervisor = EmployeeFactory(employee_no="SUP2", role=role(Role.SUPERVISOR))
    for _ in range(12):
        rep = EmployeeFactory(reports_to=supervisor)
        MetricValue.objects.create(
            employee=rep, period=closed, metric=Metric.objects.get(code="csat"), value=D("4"), entered_at=timezone.now()
        )
    with CaptureQueriesContext(connection) as many:
        preview = policy_preview(version=default_version(), period=closed)
    assert preview.scored == 5 + 13
    assert len(many) == len(few)


def test_preview_button_shows_the_changes_of_the_unsaved_figures(hr_client, django_capture_on_commit_callbacks):
    tiny_org_closed(django_capture_on_commit_callbacks)
    source = default_version()
    data = editor_data(source, kpis={"R1": {"weight": "80"}}, bands={"A": "105"})
    data["preview"] = "1"

    response = hr_client.post(reverse("hr:policy_new", args=[source.pk]), data)

    assert response.status_code == 200
    assert response.context["preview"].band_changes == 2
    text = response.content.decode()
    assert "2 people change band" in text
    assert "Rep RA" in text and "106.43" in text and "106.00" in text
    assert PolicyVersion.objects.count() == 1


def test_preview_page_scores_the_latest_closed_month_unless_asked(hr_client, django_capture_on_commit_callbacks):
    tiny_org_closed(django_capture_on_commit_callbacks)
    for employee in Employee.objects.filter(employee_no__startswith="R"):
        _value(employee, "sales_target", "100", "2026-02")
        _value(employee, "sales_actual", "100", "2026-02")
    with django_capture_on_commit_callbacks(execute=True):
        close_period("2026-02")
    url = reverse("hr:policy_preview", args=[default_version().pk])

    latest = hr_client.get(url)
    asked = hr_client.get(url, {"period": "2026-01"})

    assert latest.context["preview"].period.code == "2026-02"
    assert asked.context["preview"].period.code == "2026-01"
    assert "0 people change band" in asked.content.decode()


def test_policy_detail_shows_the_figures_in_force(hr_client):
    response = hr_client.get(reverse("hr:policy_detail", args=[default_version().pk]))
    text = response.content.decode()
    assert "Personal sales-target completion" in text and "50.00" in text
    assert "110.00" in text and "Outstanding" in text
    assert "default base 6,000.00 CNY" in text and "Sales Supervisor" in text


def test_preview_page_without_a_closed_period_says_so(hr_client):
    response = hr_client.get(reverse("hr:policy_preview", args=[default_version().pk]))
    assert response.status_code == 200
    assert response.context["preview"] is None
    assert "No period is closed yet" in response.content.decode()
