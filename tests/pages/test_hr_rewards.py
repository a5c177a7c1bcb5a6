"""The HR console's overview and rewards pages, and who may open any page of this part of /hr/."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appraisals.models import Metric, MetricValue, Period, PolicyVersion
from rewards.models import RewardSuggestion
from roles.access import HR_GROUP
from roles.models import Role
from tests.factories import EmployeeFactory, UserFactory, period, role

pytestmark = pytest.mark.django_db

PENDING = RewardSuggestion.Status.PENDING
APPROVED = RewardSuggestion.Status.APPROVED
REJECTED = RewardSuggestion.Status.REJECTED


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def hr_user():
    user = UserFactory()
    user.groups.add(Group.objects.get(name=HR_GROUP))
    return user


def rep_user():
    return EmployeeFactory(user=UserFactory()).user


def lead_user():
    return EmployeeFactory(role=role(Role.SUPERVISOR), user=UserFactory()).user


def default_version() -> PolicyVersion:
    return PolicyVersion.objects.get(effective_from=date(2000, 1, 1))


def suggestion(*, code="2026-01", period_status=Period.Status.CLOSED, reward="commission", amount="2800.00", **fields):
    return RewardSuggestion.objects.create(
        employee=fields.pop("employee", None) or EmployeeFactory(),
        period=period(code, status=period_status),
        code=reward,
        amount=None if amount is None else Decimal(amount),
        policy_version=default_version(),
        created_at=timezone.now(),
        **fields,
    )


def page_text(response) -> str:
    return response.content.decode()


# --- who may open what -----------------------------------------------------------------------


def _get_urls() -> list[str]:
    version = default_version().pk
    return [
        reverse("hr:home"),
        reverse("hr:rewards"),
        reverse("hr:bonus_list", args=[2026]),
        reverse("hr:bonus_list_download", args=[2026]) + "?format=csv",
        reverse("hr:policies"),
        reverse("hr:policy_detail", args=[version]),
        reverse("hr:policy_new", args=[version]),
        reverse("hr:policy_edit", args=[version]),
        reverse("hr:policy_preview", args=[version]),
    ]


def _post_urls() -> list[str]:
    version = default_version().pk
    reward = suggestion(recomputed_amount=Decimal("1.00"))
    return [
        reverse("hr:rewards_decide"),
        reverse("hr:reward_accept_recomputed", args=[reward.pk]),
        reverse("hr:policy_new", args=[version]),
        reverse("hr:policy_edit", args=[version]),
        reverse("hr:policy_delete", args=[version]),
    ]


def test_anonymous_is_sent_to_login_from_every_page(client):
    for url in _get_urls() + _post_urls():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize("make_user", [rep_user, lead_user], ids=["rep", "lead"])
def test_a_non_hr_login_gets_403_on_every_page(client, make_user):
    client.force_login(make_user())
    for url in _get_urls():
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("make_user", [rep_user, lead_user], ids=["rep", "lead"])
def test_a_non_hr_login_gets_403_on_every_post_and_changes_nothing(client, make_user):
    reward = suggestion()
    client.force_login(make_user())
    urls = _post_urls()
    for url in urls:
        response = client.post(
            url, {"ids": [reward.pk], "decision": APPROVED, "name": "x", "effective_from": "2030-01"}
        )
        assert response.status_code == 403, url
    assert RewardSuggestion.objects.filter(status=PENDING).count() == 2
    assert PolicyVersion.objects.count() == 1


@pytest.mark.parametrize(
    "name",
    ["hr:rewards_decide", "hr:reward_accept_recomputed", "hr:policy_delete"],
)
def test_get_on_a_post_only_url_is_405(client, name):
    client.force_login(hr_user())
    args = [] if name == "hr:rewards_decide" else [suggestion().pk if "reward" in name else default_version().pk]
    assert client.get(reverse(name, args=args)).status_code == 405


def test_post_on_a_read_only_page_is_405(client):
    client.force_login(hr_user())
    for url in [reverse("hr:home"), reverse("hr:rewards"), reverse("hr:bonus_list", args=[2026])]:
        assert client.post(url).status_code == 405, url


# --- overview ----------------------------------------------------------------------------------


def test_overview_shows_the_next_month_to_close_with_how_many_have_metrics(client):
    period("2026-01", status=Period.Status.CLOSED, closed_at=timezone.now())
    february = period("2026-02")
    sales = Metric.objects.get(code="sales_actual")
    target = Metric.objects.get(code="sales_target")
    with_metrics = [EmployeeFactory(), EmployeeFactory()]
    EmployeeFactory()  # active, no metrics yet
    for employee in with_metrics:
        for metric in (sales, target):
            MetricValue.objects.create(
                employee=employee, period=february, metric=metric, value=Decimal("1"), entered_at=timezone.now()
            )
    client.force_login(hr_user())

    response = client.get(reverse("hr:home"))

    assert response.status_code == 200
    assert response.context["next_month"] == february
    assert response.context["next_month"].people == 2
    assert "2 employees of 3 active have metrics." in page_text(response)
    assert [p.code for p in response.context["closed_periods"]] == ["2026-01"]


def test_overview_counts_pending_rewards_per_type_of_closed_periods_only(client):
    suggestion(amount="2800.00")
    suggestion(amount="1200.50")
    suggestion(reward="flex_time", amount=None)
    suggestion(reward="quarterly_bonus", code="2026-Q1", amount="7200.00")
    suggestion(amount="999.00", status=APPROVED, decided_at=timezone.now())  # decided: not pending
    suggestion(code="2026-02", period_status=Period.Status.CLOSING, amount="5000.00")  # partial results
    client.force_login(hr_user())

    response = client.get(reverse("hr:home"))

    pending = {row["code"]: (row["n"], row["total"]) for row in response.context["pending"]}
    assert pending == {
        "commission": (2, Decimal("4000.50")),
        "flex_time": (1, None),
        "quarterly_bonus": (1, Decimal("7200.00")),
    }
    assert response.context["pending_count"] == 4
    text = page_text(response)
    assert "11,200.50 CNY in cash" in text
    assert "4,000.50" in text and "Sales commission" in text


def test_overview_links_to_bonus_list_of_this_year_policies_and_admin(client):
    client.force_login(hr_user())
    text = page_text(client.get(reverse("hr:home")))
    assert reverse("hr:bonus_list", args=[timezone.localdate().year]) in text
    assert reverse("hr:policies") in text
    assert reverse("admin:index") in text


def test_overview_query_count_does_not_grow_with_rewards(client):
    client.force_login(hr_user())
    suggestion(reward="commission")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("hr:home"))
    for index in range(20):
        suggestion(reward=["commission", "flex_time", "quarterly_bonus"][index % 3], code=f"2026-{index % 12 + 1:02d}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("hr:home"))
    assert len(many) == len(few)


# --- rewards list ------------------------------------------------------------------------------


def test_rewards_lists_only_closed_periods(client):
    shown = suggestion(code="2026-01")
    suggestion(code="2026-02", period_status=Period.Status.CLOSING)
    suggestion(code="2026-03", period_status=Period.Status.OPEN)
    client.force_login(hr_user())

    response = client.get(reverse("hr:rewards"))

    assert [row.suggestion.pk for row in response.context["rows"]] == [shown.pk]
    assert response.context["form"].fields["period"].choices[1:] == [("2026-01", "2026-01")]


def test_rewards_filter_by_period_type_and_status_with_totals_of_the_filtered_set(client):
    hr = hr_user()
    a = suggestion(code="2026-01", amount="2800.00")
    b = suggestion(code="2026-01", amount="1000.25")
    suggestion(code="2026-01", amount="500.00", status=APPROVED, decided_by=hr, decided_at=timezone.now())
    suggestion(code="2026-01", reward="flex_time", amount=None)
    suggestion(code="2026-02", period_status=Period.Status.CLOSED, amount="4000.00")
    client.force_login(hr)

    response = client.get(reverse("hr:rewards"), {"period": "2026-01", "code": "commission", "status": "pending"})

    assert {row.suggestion.pk for row in response.context["rows"]} == {a.pk, b.pk}
    assert response.context["totals"] == [
        {"code": "commission", "label": "Sales commission", "n": 2, "total": Decimal("3800.25")}
    ]
    text = page_text(response)
    assert "3,800.25" in text and "2,800.00 CNY" in text and "1,000.25 CNY" in text


def test_rewards_totals_per_type_cover_every_page(client):
    employees = EmployeeFactory.create_batch(101)
    closed = period("2026-01", status=Period.Status.CLOSED)
    version = default_version()
    RewardSuggestion.objects.bulk_create(
        RewardSuggestion(
            employee=e,
            period=closed,
            code="commission",
            amount=Decimal("10.00"),
            policy_version=version,
            created_at=timezone.now(),
        )
        for e in employees
    )
    client.force_login(hr_user())

    first = client.get(reverse("hr:rewards"))
    second = client.get(reverse("hr:rewards"), {"page": 2})

    assert len(first.context["rows"]) == 100 and len(second.context["rows"]) == 1
    assert second.context["totals"][0]["n"] == 101
    assert second.context["totals"][0]["total"] == Decimal("1010.00")


def test_rewards_label_comes_from_the_rule_in_the_active_language(client):
    suggestion(reward="flex_time", amount=None)
    client.force_login(hr_user())

    english = client.get(reverse("hr:rewards"), HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get(reverse("hr:rewards"), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english.context["rows"][0].label == "Flexible working time"
    assert chinese.context["rows"][0].label == "工作时间的适度弹性"
    assert "工作时间的适度弹性" in page_text(chinese)


def test_rewards_shows_a_recomputed_amount_with_its_difference(client):
    hr = hr_user()
    suggestion(
        amount="2800.00",
        status=APPROVED,
        decided_by=hr,
        decided_at=timezone.now(),
        recomputed_amount=Decimal("3100.00"),
        recomputed_at=timezone.now(),
    )
    client.force_login(hr)

    text = page_text(client.get(reverse("hr:rewards")))

    assert "recomputed: 3,100.00 CNY (difference +300.00)" in text
    assert "Accept recomputed amount" in text


def test_rewards_query_count_does_not_grow_with_rows(client):
    client.force_login(hr_user())
    suggestion()
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("hr:rewards"))
    for index in range(30):
        suggestion(reward=["commission", "flex_time"][index % 2], amount=None if index % 2 else "5.00")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("hr:rewards"))
    assert len(response.context["rows"]) == 31
    assert len(many) == len(few)


# --- decisions -------------------------------------------------------------------------------


def test_approve_selected_approves_the_ticked_rewards_and_returns_to_the_list(client):
    hr = hr_user()
    ticked = [suggestion(), suggestion()]
    untouched = suggestion()
    client.force_login(hr)
    back = reverse("hr:rewards") + "?status=pending"

    response = client.post(
        reverse("hr:rewards_decide"), {"ids": [r.pk for r in ticked], "decision": APPROVED, "next": back}
    )

    assert response.status_code == 302 and response["Location"] == back
    statuses = dict(RewardSuggestion.objects.values_list("pk", "status"))
    assert [statuses[r.pk] for r in ticked] == [APPROVED, APPROVED]
    assert statuses[untouched.pk] == PENDING
    assert set(RewardSuggestion.objects.filter(status=APPROVED).values_list("decided_by", flat=True)) == {hr.pk}


def test_reject_selected_rejects_the_ticked_rewards(client):
    reward = suggestion()
    client.force_login(hr_user())
    client.post(reverse("hr:rewards_decide"), {"ids": [reward.pk], "decision": REJECTED})
    reward.refresh_from_db()
    assert reward.status == REJECTED


def test_a_row_button_decides_only_its_row(client):
    row, ticked = suggestion(), suggestion()
    client.force_login(hr_user())

    client.post(reverse("hr:rewards_decide"), {"ids": [ticked.pk], "row": f"{row.pk}:rejected"})

    assert dict(RewardSuggestion.objects.values_list("pk", "status")) == {row.pk: REJECTED, ticked.pk: PENDING}


def test_deciding_again_is_reported_as_skipped(client):
    hr = hr_user()
    reward = suggestion(status=APPROVED, decided_by=hr, decided_at=timezone.now())
    client.force_login(hr)

    response = client.post(reverse("hr:rewards_decide"), {"ids": [reward.pk], "decision": REJECTED}, follow=True)

    text = page_text(response)
    assert "0 rewards rejected." in text
    assert "1 skipped: already decided, or its period is not closed." in text
    reward.refresh_from_db()
    assert reward.status == APPROVED


def test_deciding_without_ticking_anything_changes_nothing(client):
    suggestion()
    client.force_login(hr_user())
    response = client.post(reverse("hr:rewards_decide"), {"decision": APPROVED}, follow=True)
    assert "Tick at least one reward." in page_text(response)
    assert not RewardSuggestion.objects.exclude(status=PENDING).exists()


def test_a_next_url_of_another_site_is_not_followed(client):
    reward = suggestion()
    client.force_login(hr_user())
    response = client.post(
        reverse("hr:rewards_decide"), {"ids": [reward.pk], "decision": APPROVED, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("hr:rewards")


def test_accepting_a_recomputed_amount_from_the_list(client):
    hr = hr_user()
    reward = suggestion(
        amount="2800.00", status=APPROVED, decided_by=hr, decided_at=timezone.now(), recomputed_amount=Decimal("3100")
    )
    client.force_login(hr)

    response = client.post(reverse("hr:reward_accept_recomputed", args=[reward.pk]), follow=True)

    reward.refresh_from_db()
    assert (reward.amount, reward.status, reward.recomputed_amount) == (Decimal("3100.00"), PENDING, None)
    assert "3,100.00" in page_text(response)
    assert "recomputed amount accepted by" in page_text(response)


def test_accepting_a_reward_of_a_period_that_is_not_closed_is_404(client):
    reward = suggestion(code="2026-05", period_status=Period.Status.OPEN, recomputed_amount=Decimal("1.00"))
    client.force_login(hr_user())
    assert client.post(reverse("hr:reward_accept_recomputed", args=[reward.pk])).status_code == 404


def test_overview_of_an_empty_system_says_there_is_nothing_yet(client):
    client.force_login(hr_user())
    response = client.get(reverse("hr:home"))
    text = page_text(response)
    assert response.context["next_month"] is None
    assert "No month is open." in text and "No period is closed yet." in text
