"""The pages speak Simplified Chinese when the browser or the language switcher asks, English otherwise."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from appraisals.models import BandDefinition, KpiDefinition, Period
from appraisals.selectors import policy_version_for
from roles.models import Role
from tests.builders import rep_month_scorecard, scorecard
from tests.pages.helpers import squashed

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
# The navigation of base.html and the HR console's own menu, in English.
ENGLISH_NAV = ("My performance", "My team", "Scorecards", "HR console", "Log out", "Skip to content")
HR_NAV_ZH = ("概览", "数据导入", "期间", "奖励", "奖金名单", "考核政策")


@pytest.fixture
def org(org):
    """The default org with R01's last closed month, written the way the close writes it (band C),
    and S01's (band A)."""
    rep_month_scorecard(org.r01, period="2026-01", composite="91.71", band="C")
    scorecard(org.s01, period="2026-01", composite="112.00", band="A")
    return org


def kpi_label_zh(code: str, period_code: str = "2026-01") -> str:
    version = policy_version_for(Period.objects.get(code=period_code))
    return KpiDefinition.objects.get(policy_version=version, role__code=Role.REP, code=code).label_zh


def band_label_zh(letter: str, period_code: str = "2026-01") -> str:
    version = policy_version_for(Period.objects.get(code=period_code))
    return BandDefinition.objects.get(policy_version=version, letter=letter).label_zh


def test_rep_page_is_in_chinese_for_a_chinese_browser(rep_client):
    page = squashed(rep_client.get("/me/", **CHINESE))
    assert '<html lang="zh-hans">' in page
    assert "销售代表" in page
    assert "我的绩效" in page
    assert "退出登录" in page
    assert "最近结账月份 2026-01" in page
    assert kpi_label_zh("R1") in page
    assert band_label_zh("C") == "合格"
    assert "合格" in page
    assert "综合得分" in page


def test_rep_page_has_no_english_navigation_in_chinese(rep_client):
    page = squashed(rep_client.get("/me/", **CHINESE))
    assert [label for label in ENGLISH_NAV if label in page] == []
    assert "Sales Representative" not in page


def test_manager_team_page_is_in_chinese(manager_client):
    page = squashed(manager_client.get("/team/?period=2026-01", **CHINESE))
    assert "我的绩效" in page
    assert "我的团队" in page
    assert "哪些人需要我关注？" in page
    assert "销售代表" in page
    assert "销售主管" in page
    assert "各等级人数" in page
    assert [label for label in ENGLISH_NAV if label in page] == []
    assert "Sales Supervisor" not in page


def test_hr_console_is_in_chinese(hr_client, org):
    page = squashed(hr_client.get("/hr/", **CHINESE))
    assert "人力资源工作台" in page
    assert "考核表" in page
    assert all(label in page for label in HR_NAV_ZH)
    assert [label for label in (*ENGLISH_NAV, "Overview", "Imports", "Bonus list") if label in page] == []


def test_english_stays_the_default_for_an_english_browser(rep_client):
    page = squashed(rep_client.get("/me/", **ENGLISH))
    assert '<html lang="en">' in page
    assert "My performance" in page
    assert "Sales Representative" in page
    assert "我的绩效" not in page


def test_english_is_the_default_without_accept_language(rep_client):
    page = squashed(rep_client.get("/me/"))
    assert "My performance" in page
    assert "我的绩效" not in page


def test_language_switcher_turns_an_english_browser_chinese_and_back(rep_client):
    assert "My performance" in squashed(rep_client.get("/me/", **ENGLISH))

    response = rep_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/me/"}, **ENGLISH)
    assert response.status_code == 302
    assert response.url == "/me/"
    chinese = squashed(rep_client.get("/me/", **ENGLISH))
    assert "我的绩效" in chinese
    assert "My performance" not in chinese

    rep_client.post("/i18n/setlang/", {"language": "en", "next": "/me/"}, **ENGLISH)
    english = squashed(rep_client.get("/me/", **ENGLISH))
    assert "My performance" in english
    assert "我的绩效" not in english


def test_login_page_is_translated(client, db):
    page = squashed(client.get("/accounts/login/", **CHINESE))
    assert '<h1 class="h4 mb-3" id="account-title">登录</h1>' in page
    assert "销售绩效" in page
    assert "用户名" in page  # Django's own catalogue labels the form
    assert "Log in" not in page


def test_login_page_is_english_by_default(client, db):
    page = squashed(client.get("/accounts/login/", **ENGLISH))
    assert "Log in" in page
    assert "登录" not in page


def test_imports_page_lists_bad_rows_in_chinese(hr_client):
    upload = SimpleUploadedFile(
        "metrics.csv", b"employee_no,period,metric,value\nNOBODY,2026-01,sales_actual,12\n", content_type="text/csv"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        posted = hr_client.post("/hr/imports/", {"kind": "metrics", "metrics-file": upload}, **CHINESE)
    response = hr_client.get(posted["Location"], **CHINESE)
    page = squashed(response)
    assert response.status_code == 200
    assert "metrics.csv：1 行有误 — 未导入任何数据。" in page
    assert "未知员工（&#x27;NOBODY&#x27;）" in page
