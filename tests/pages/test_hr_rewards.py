"""The HR console's overview and rewards pages, and who may open any page of this part of /hr/."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appraisals.models import Period, PolicyVersion
from rewards.models import RewardSuggestion
from tests.builders import default_policy_version, employee, hr_user, metrics, period, reward
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

PENDING = RewardSuggestion.Status.PENDING
APPROVED = RewardSuggestion.Status.APPROVED
REJECTED = RewardSuggestion.Status.REJECTED


def page_text(response) -> str:
    return response.content.decode()


# --- who may open what -----------------------------------------------------------------------


def _get_urls() -> list[str]:
    version = default_policy_version().pk
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
    version = default_policy_version().pk
    suggestion = reward(recomputed_amount=Decimal("1.00"))
    return [
        reverse("hr:rewards_decide"),
        reverse("hr:reward_accept_recomputed", args=[suggestion.pk]),
        reverse("hr:policy_new", args=[version]),
        reverse("hr:policy_edit", args=[version]),
        reverse("hr:policy_delete", args=[version]),
    ]


def test_anonymous_is_sent_to_login_from_every_page(client):
    for url in _get_urls() + _post_urls():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize("audience", ["rep_client", "supervisor_client"], ids=["rep", "lead"])
def test_a_non_hr_login_is_refused_every_page(request, audience):
    client = request.getfixturevalue(audience)
    for url in _get_urls():
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("audience", ["rep_client", "supervisor_client"], ids=["rep", "lead"])
def test_a_non_hr_login_is_refused_every_post_and_changes_nothing(request, audience):
    suggestion = reward()
    client = request.getfixturevalue(audience)
    urls = _post_urls()
    for url in urls:
        response = client.post(
            url, {"ids": [suggestion.pk], "decision": APPROVED, "name": "x", "effective_from": "2030-01"}
        )
        assert response.status_code == 403, url
    assert RewardSuggestion.objects.filter(status=PENDING).count() == 2
    assert PolicyVersion.objects.count() == 1


@pytest.mark.parametrize(
    "name",
    ["hr:rewards_decide", "hr:reward_accept_recomputed", "hr:policy_delete"],
)
def test_post_only_urls_refuse_a_get(hr_client, name):
    args = [] if name == "hr:rewards_decide" else [reward().pk if "reward" in name else default_policy_version().pk]
    assert hr_client.get(reverse(name, args=args)).status_code == 405


def test_read_only_pages_refuse_a_post(hr_client):
    for url in [reverse("hr:home"), reverse("hr:rewards"), reverse("hr:bonus_list", args=[2026])]:
        assert hr_client.post(url).status_code == 405, url


# --- overview ----------------------------------------------------------------------------------


def test_overview_shows_the_next_month_to_close_with_how_many_have_metrics(hr_client):
    period("2026-01", status=Period.Status.CLOSED, closed_at=timezone.now())
    february = period("2026-02")
    with_metrics = [employee(), employee()]
    employee()  # active, no metrics yet
    for person in with_metrics:
        metrics(person, period=february, sales_actual="1", sales_target="1")

    response = hr_client.get(reverse("hr:home"))

    assert response.status_code == 200
    assert response.context["next_month"] == february
    assert response.context["next_month"].people == 2
    assert "2 employees of 3 active have metrics." in page_text(response)
    assert [p.code for p in response.context["closed_periods"]] == ["2026-01"]


def test_overview_counts_pending_rewards_per_type_of_closed_periods_only(hr_client):
    reward(amount="2800.00")
    reward(amount="1200.50")
    reward(code="flex_time", amount=None)
    reward(period="2026-Q1", code="quarterly_bonus", amount="7200.00")
    reward(amount="999.00", status=APPROVED, decided_at=timezone.now())  # decided: not pending
    reward(period=period("2026-02", status=Period.Status.CLOSING), amount="5000.00")  # partial results

    response = hr_client.get(reverse("hr:home"))

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


def test_overview_links_to_bonus_list_of_this_year_policies_and_admin(hr_client):
    text = page_text(hr_client.get(reverse("hr:home")))
    assert reverse("hr:bonus_list", args=[timezone.localdate().year]) in text
    assert reverse("hr:policies") in text
    assert reverse("admin:index") in text


def test_overview_query_count_does_not_grow_with_rewards(hr_client):
    reward()
    with CaptureQueriesContext(connection) as few:
        hr_client.get(reverse("hr:home"))
    for index in range(20):
        reward(period=f"2026-{index % 12 + 1:02d}", code=["commission", "flex_time", "quarterly_bonus"][index % 3])
    with CaptureQueriesContext(connection) as many:
        hr_client.get(reverse("hr:home"))
    assert len(many) == len(few)


# --- rewards list ------------------------------------------------------------------------------


def test_rewards_lists_only_closed_periods(hr_client):
    shown = reward()
    reward(period=period("2026-02", status=Period.Status.CLOSING))
    reward(period=period("2026-03", status=Period.Status.OPEN))

    response = hr_client.get(reverse("hr:rewards"))

    assert [row.suggestion.pk for row in response.context["rows"]] == [shown.pk]
    assert response.context["form"].fields["period"].choices[1:] == [("2026-01", "2026-01")]


def test_rewards_filter_by_period_type_and_status_with_totals_of_the_filtered_set(hr_client):
    hr = hr_user()
    a = reward(amount="2800.00")
    b = reward(amount="1000.25")
    reward(amount="500.00", status=APPROVED, decided_by=hr, decided_at=timezone.now())
    reward(code="flex_time", amount=None)
    reward(period="2026-02", amount="4000.00")

    response = hr_client.get(reverse("hr:rewards"), {"period": "2026-01", "code": "commission", "status": "pending"})

    assert {row.suggestion.pk for row in response.context["rows"]} == {a.pk, b.pk}
    assert response.context["totals"] == [
        {"code": "commission", "label": "Sales commission", "n": 2, "total": Decimal("3800.25")}
    ]
    text = page_text(response)
    assert "3,800.25" in text and "2,800.00 CNY" in text and "1,000.25 CNY" in text


def test_rewards_totals_per_type_cover_every_page(hr_client):
    employees = EmployeeFactory.create_batch(101)
    closed = period("2026-01", status=Period.Status.CLOSED)
    version = default_policy_version()
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

    first = hr_client.get(reverse("hr:rewards"))
    second = hr_client.get(reverse("hr:rewards"), {"page": 2})

    assert len(first.context["rows"]) == 100 and len(second.context["rows"]) == 1
    assert second.context["totals"][0]["n"] == 101
    assert second.context["totals"][0]["total"] == Decimal("1010.00")


def test_rewards_label_comes_from_the_rule_in_the_active_language(hr_client):
    reward(code="flex_time", amount=None)

    english = hr_client.get(reverse("hr:rewards"), HTTP_ACCEPT_LANGUAGE="en")
    chinese = hr_client.get(reverse("hr:rewards"), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english.context["rows"][0].label == "Flexible working time"
    assert chinese.context["rows"][0].label == "工作时间的适度弹性"
    assert "工作时间的适度弹性" in page_text(chinese)


def test_rewards_shows_a_recomputed_amount_with_its_difference(hr_client):
    hr = hr_user()
    reward(
        amount="2800.00",
        status=APPROVED,
        decided_by=hr,
        decided_at=timezone.now(),
        recomputed_amount=Decimal("3100.00"),
        recomputed_at=timezone.now(),
    )

    text = page_text(hr_client.get(reverse("hr:rewards")))

    assert "recomputed: 3,100.00 CNY (difference +300.00)" in text
    assert "Accept recomputed amount" in text


def test_rewards_query_count_does_not_grow_with_rows(hr_client):
    reward()
    with CaptureQueriesContext(connection) as few:
        hr_client.get(reverse("hr:rewards"))
    for index in range(30):
        reward(code=["commission", "flex_time"][index % 2], amount=None if index % 2 else "5.00")
    with CaptureQueriesContext(connection) as many:
        response = hr_client.get(reverse("hr:rewards"))
    assert len(response.context["rows"]) == 31
    assert len(many) == len(few)


# --- decisions -------------------------------------------------------------------------------


def test_approve_selected_shows_what_it_changes_before_it_applies(hr_client):
    ticked = [reward(amount="1000.00"), reward(amount="234.56"), reward(code="flex_time", amount=None)]
    back = reverse("hr:rewards") + "?status=pending"

    response = hr_client.post(
        reverse("hr:rewards_decide"), {"ids": [r.pk for r in ticked], "decision": APPROVED, "next": back}
    )

    assert response.status_code == 200
    text = page_text(response)
    assert "Approve these rewards?" in text and "This decides 3 pending rewards:" in text
    assert response.context["summary"].by_code == [("commission", 2, Decimal("1234.56")), ("flex_time", 1, None)]
    assert "1,234.56" in text and "Yes, approve 3 rewards" in text
    assert not RewardSuggestion.objects.exclude(status=PENDING).exists()  # nothing applied yet


def test_approve_selected_applies_once_confirmed_and_returns_to_the_list(hr_client):
    hr = hr_user()
    ticked = [reward(), reward()]
    untouched = reward()
    back = reverse("hr:rewards") + "?status=pending"

    response = hr_client.post(
        reverse("hr:rewards_decide"),
        {"ids": [r.pk for r in ticked], "decision": APPROVED, "next": back, "confirm": "1"},
    )

    assert response.status_code == 302 and response["Location"] == back
    statuses = dict(RewardSuggestion.objects.values_list("pk", "status"))
    assert [statuses[r.pk] for r in ticked] == [APPROVED, APPROVED]
    assert statuses[untouched.pk] == PENDING
    assert set(RewardSuggestion.objects.filter(status=APPROVED).values_list("decided_by", flat=True)) == {hr.pk}


def test_reject_asks_for_the_reason_first(hr_client):
    suggestion = reward()

    response = hr_client.post(reverse("hr:rewards_decide"), {"ids": [suggestion.pk], "decision": REJECTED})

    assert response.status_code == 200
    assert "Reason the employee will see" in page_text(response)
    suggestion.refresh_from_db()
    assert suggestion.status == PENDING


def test_a_confirmed_rejection_without_a_reason_is_shown_again_with_the_error(hr_client):
    suggestion = reward()

    response = hr_client.post(
        reverse("hr:rewards_decide"), {"ids": [suggestion.pk], "decision": REJECTED, "confirm": "1", "reason": " "}
    )

    assert "A rejection needs a reason: the employee sees it." in page_text(response)
    suggestion.refresh_from_db()
    assert suggestion.status == PENDING


def test_reject_with_its_reason_rejects_the_ticked_rewards(hr_client):
    suggestion = reward()
    hr_client.post(
        reverse("hr:rewards_decide"),
        {"ids": [suggestion.pk], "decision": REJECTED, "confirm": "1", "reason": "The March target was wrong."},
    )
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.reason) == (REJECTED, "The March target was wrong.")


def test_a_row_approve_button_decides_only_its_row_at_once(hr_client):
    row, ticked = reward(), reward()

    hr_client.post(reverse("hr:rewards_decide"), {"ids": [ticked.pk], "row": f"{row.pk}:approved"})

    assert dict(RewardSuggestion.objects.values_list("pk", "status")) == {row.pk: APPROVED, ticked.pk: PENDING}


def test_a_row_undo_button_takes_the_decision_back(hr_client):
    hr = hr_user()
    suggestion = reward(status=REJECTED, decided_by=hr)

    response = hr_client.post(reverse("hr:rewards_decide"), {"row": f"{suggestion.pk}:undo"}, follow=True)

    assert "1 decision taken back: the reward is pending again." in page_text(response)
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.reason) == (PENDING, "")


def test_deciding_again_is_reported_as_skipped(hr_client):
    hr = hr_user()
    suggestion = reward(status=APPROVED, decided_by=hr, decided_at=timezone.now())

    response = hr_client.post(
        reverse("hr:rewards_decide"),
        {"ids": [suggestion.pk], "decision": REJECTED, "confirm": "1", "reason": "again"},
        follow=True,
    )

    text = page_text(response)
    assert "0 rewards rejected." in text
    assert "1 skipped: already decided, or its period is not closed." in text
    suggestion.refresh_from_db()
    assert suggestion.status == APPROVED


def test_the_list_shows_a_rejections_reason_and_an_undo_button(hr_client):
    hr = hr_user()
    suggestion = reward(status=REJECTED, decided_by=hr, reason="Sales were booked twice.")

    page = hr_client.get(reverse("hr:rewards")).content.decode()

    assert "Sales were booked twice." in page
    assert f'value="{suggestion.pk}:undo"' in page


def test_deciding_without_ticking_anything_changes_nothing(hr_client):
    reward()
    response = hr_client.post(reverse("hr:rewards_decide"), {"decision": APPROVED}, follow=True)
    assert "Tick at least one reward." in page_text(response)
    assert not RewardSuggestion.objects.exclude(status=PENDING).exists()


def test_a_next_url_of_another_site_is_not_followed(hr_client):
    suggestion = reward()
    response = hr_client.post(
        reverse("hr:rewards_decide"), {"ids": [suggestion.pk], "decision": APPROVED, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("hr:rewards")


def test_accepting_a_recomputed_amount_from_the_list(hr_client):
    hr = hr_user()
    suggestion = reward(
        amount="2800.00", status=APPROVED, decided_by=hr, decided_at=timezone.now(), recomputed_amount=Decimal("3100")
    )

    response = hr_client.post(reverse("hr:reward_accept_recomputed", args=[suggestion.pk]), follow=True)

    suggestion.refresh_from_db()
    assert (suggestion.amount, suggestion.status, suggestion.recomputed_amount) == (Decimal("3100.00"), PENDING, None)
    assert "3,100.00" in page_text(response)
    assert "recomputed amount accepted by" in page_text(response)


def test_a_reward_of_a_period_not_closed_cannot_be_accepted(hr_client):
    suggestion = reward(period=period("2026-05", status=Period.Status.OPEN), recomputed_amount=Decimal("1.00"))
    assert hr_client.post(reverse("hr:reward_accept_recomputed", args=[suggestion.pk])).status_code == 404


def test_overview_of_an_empty_system_says_there_is_nothing_yet(hr_client):
    response = hr_client.get(reverse("hr:home"))
    text = page_text(response)
    assert response.context["next_month"] is None
    assert "No month is open." in text and "No period is closed yet." in text


def test_rewards_pages_run_newest_period_first_then_by_employee_across_period_boundaries(hr_client, monkeypatch):
    monkeypatch.setattr("pages.views.hr_rewards.REWARDS_PER_PAGE", 4)
    people = [employee(f"R{n:02d}") for n in (5, 1, 3)]  # made out of order: ids differ from numbers
    for month in ("2026-01", "2026-02", "2026-03"):
        period(month, status=Period.Status.CLOSED)
        for person in people:
            reward(person, period=month, code="commission", amount="10.00")
    reward(people[0], period="2026-02", code="flex_time", amount=None)
    reward(people[0], period=period("2026-04"), code="commission", amount="99.00")  # open period: never listed

    shown = []
    for number in (1, 2, 3):
        rows = hr_client.get(reverse("hr:rewards"), {"page": number}).context["rows"]
        shown += [(r.suggestion.period.code, r.suggestion.employee.employee_no, r.suggestion.code) for r in rows]

    expected = list(
        RewardSuggestion.objects.filter(period__status=Period.Status.CLOSED)
        .order_by("-period__end", "period__start", "employee__employee_no", "code", "pk")
        .values_list("period__code", "employee__employee_no", "code")
    )
    assert shown == expected
    assert shown[:4] == [("2026-03", "R01", "commission"), ("2026-03", "R03", "commission"),
                         ("2026-03", "R05", "commission"), ("2026-02", "R01", "commission")]  # fmt: skip
    assert len(shown) == 10
