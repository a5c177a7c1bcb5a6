"""Templates are ready for a strict Content-Security-Policy (no 'unsafe-inline'), and arranged one way.

Every template file, and every main page as the test client renders it (crispy forms included), has no
style attribute, no inline script (a ``json_script`` data block is fine: it is JSON, not code) and no
``on…=`` event handler attribute. Partials live in a ``partials/`` folder and have no leading underscore.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import get_template
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from appraisals.models import Metric, MetricValue, Period, PolicyVersion
from appraisals.policy import policy_version_copy
from closing.models import CloseJob
from rewards.models import RewardSuggestion
from tests.builders import close_period, hr_user, period, sales, this_month
from uploads.tasks import import_job_enqueue

TEMPLATES = Path(settings.BASE_DIR) / "templates"

STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
INCLUDE = re.compile(r"""\{%\s*include\s+["']([^"']+)["']""")
EXTENDS = re.compile(r"""\{%\s*extends\s+["']([^"']+)["']""")
# Every template a template names: {% include %}, {% extends %}, and names passed on (body="hr/partials/….html").
TEMPLATE_NAME = re.compile(r"""["']([\w/]+\.html)["']""")


def _inline_scripts(html: str) -> list[str]:
    """Script tags that hold code: not ``<script src=…>``, not a ``type="application/json"`` data block."""
    return [
        tag
        for tag in SCRIPT_TAG.findall(html)
        if not re.search(r"\ssrc\s*=", tag) and not re.search(r"""\stype\s*=\s*["']application/json["']""", tag)
    ]


def _csp_problems(html: str) -> list[str]:
    problems = [f"style attribute: {m.group(0)[:120]}" for m in STYLE_ATTRIBUTE.finditer(html)]
    problems += [f"event handler: {m.group(0)[:120]}" for m in HANDLER_ATTRIBUTE.finditer(html)]
    problems += [f"inline script: {tag}" for tag in _inline_scripts(html)]
    return problems


def _template_files() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def _name(path: Path) -> str:
    return path.relative_to(TEMPLATES).as_posix()


# --- the template files ----------------------------------------------------------------------------


def test_the_checks_catch_what_they_look_for():
    assert _csp_problems('<div class="x" style="width: 5%">') != []
    assert _csp_problems('<select onchange="this.form.submit()">') != []
    assert _csp_problems("<script>alert(1)</script>") != []
    assert _csp_problems('<script src="/static/js/app.js"></script>') == []
    assert _csp_problems('<script id="data" type="application/json">{}</script>') == []
    assert _csp_problems('<form action="/x" method="post"><option value="1">') == []


@pytest.mark.parametrize("path", _template_files(), ids=_name)
def test_template_has_no_inline_style_script_or_handler(path):
    assert _csp_problems(path.read_text(encoding="utf-8")) == []


def test_partials_live_in_partials_folders_without_an_underscore():
    included, used = set(), set()
    for path in _template_files():
        assert not path.name.startswith("_"), _name(path)
        text = path.read_text(encoding="utf-8")
        included.update(INCLUDE.findall(text))
        used.update(TEMPLATE_NAME.findall(text))
    assert included
    assert sorted(name for name in included if "/partials/" not in f"/{name}") == []
    partials = {_name(path) for path in _template_files() if "partials" in path.parts}
    assert sorted(partials - used) == []  # no partial is left over


def test_every_template_a_template_names_exists():
    checked = set()
    for path in _template_files():
        text = path.read_text(encoding="utf-8")
        names = TEMPLATE_NAME.findall(text)
        # The walk is only worth something if the pattern sees at least what {% extends %} and {% include %} name.
        assert set(EXTENDS.findall(text)) | set(INCLUDE.findall(text)) <= set(names), _name(path)
        for name in names:
            get_template(name)
        checked.update(names)
    assert len(checked) >= 50  # 92 distinct names when this was written: a pattern that finds none fails here


@pytest.mark.parametrize("area", ["hr", "people"])
def test_every_page_of_an_area_extends_its_base(area):
    pages = [path for path in (TEMPLATES / area).glob("*.html") if path.name != "base.html"]
    assert pages
    for path in pages:
        assert path.read_text(encoding="utf-8").startswith(f'{{% extends "{area}/base.html" %}}'), _name(path)


# --- the rendered pages ----------------------------------------------------------------------------


def bad_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("metrics.csv", b"employee_no,period,metric,value\nR01,2026-13,csat,9\n", "text/csv")


@pytest.fixture
def site(db, org):
    """A closed month with scorecards and rewards in every status, the month in progress with sales,
    a running close, a draft policy version: enough for every partial of the main pages to show."""
    hr = hr_user()
    for employee in (org.r01, org.r02, org.r03, org.r07):
        for metric, value in (("sales_target", "100000"), ("sales_actual", "104000"), ("csat", "4")):
            MetricValue.objects.create(
                employee=employee,
                period=period("2026-01"),
                metric=Metric.objects.get(code=metric),
                value=Decimal(value),
                entered_at=timezone.now(),
            )
    close_period("2026-01", user=hr)
    rewards = list(RewardSuggestion.objects.filter(period__code="2026-01").order_by("pk"))
    statuses = [RewardSuggestion.Status.APPROVED, RewardSuggestion.Status.REJECTED]
    for suggestion, status in zip(rewards, statuses, strict=False):
        suggestion.status, suggestion.decided_by, suggestion.decided_at = status, hr, timezone.now()
        suggestion.reason = "not earned" if status == RewardSuggestion.Status.REJECTED else ""
        suggestion.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    sales(org.r01, month=this_month(), actual="87400", target="100000")
    running = CloseJob.objects.create(
        period=period("2026-02", status=Period.Status.CLOSING),
        status=CloseJob.Status.RUNNING,
        steps_total=4,
        steps_done=1,
        attempt=1,
        lease_expires_at=timezone.now() + timedelta(seconds=60),
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        refused_import = import_job_enqueue(kind="metrics", upload=bad_file(), user=hr)
    draft = policy_version_copy(
        source=PolicyVersion.objects.get(effective_from=date(2000, 1, 1)),
        name="Draft",
        effective_from=date(2099, 1, 1),
    )
    return {
        "org": org,
        "hr": hr,
        "done_job": CloseJob.objects.get(period__code="2026-01"),
        "running_job": running,
        "draft": draft,
        "refused_import": refused_import,
    }


def _pages(site) -> list[tuple[object, str]]:
    org, hr, default = site["org"], site["hr"], PolicyVersion.objects.get(effective_from=date(2000, 1, 1))
    return [
        (None, reverse("login")),
        (org.r01.user, reverse("me")),
        (org.s01.user, reverse("me")),
        (org.s01.user, reverse("employee_detail", args=["R01"])),
        (hr, reverse("employee_detail", args=["R01"]) + "?period=2026-01"),
        (org.s01.user, reverse("team")),
        (hr, reverse("team") + "?period=2026-01"),
        (hr, reverse("hr:home")),
        (hr, reverse("hr:imports")),
        (hr, reverse("hr:import_job", args=[site["refused_import"].pk])),
        (hr, reverse("hr:history")),
        (hr, reverse("hr:periods")),
        (hr, reverse("hr:period_detail", args=["2026-01"])),
        (hr, reverse("hr:period_detail", args=[this_month()])),
        (hr, reverse("hr:job", args=[site["done_job"].pk])),
        (hr, reverse("hr:job", args=[site["running_job"].pk])),
        (hr, reverse("hr:rewards")),
        (hr, reverse("hr:bonus_list", args=[2026])),
        (hr, reverse("hr:payroll")),
        (hr, reverse("hr:policies")),
        (hr, reverse("hr:policy_detail", args=[default.pk])),
        (hr, reverse("hr:policy_new", args=[default.pk])),
        (hr, reverse("hr:policy_edit", args=[site["draft"].pk])),
        (hr, reverse("hr:policy_preview", args=[default.pk]) + "?period=2026-01"),
    ]


def test_rendered_pages_have_no_inline_style_script_or_handler(client, site):
    for user, url in _pages(site):
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert _csp_problems(html) == [], url


def test_pages_showing_form_errors_have_no_inline_style_script_or_handler(client, site):
    posts = [  # who, where, what, and a sign that the page shows the errors
        (None, reverse("login"), {"username": "nobody", "password": "wrong"}, "alert-danger"),
        (site["hr"], reverse("hr:imports"), {"kind": "metrics"}, "invalid-feedback"),
        (site["hr"], reverse("hr:period_reopen", args=["2026-01"]), {"reason": ""}, "invalid-feedback"),
        (site["hr"], reverse("hr:policy_edit", args=[site["draft"].pk]), {"save": "1"}, "invalid-feedback"),
    ]
    for user, url, data, shown in posts:
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.post(url, data)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert shown in html, url
        assert _csp_problems(html) == [], url


def test_the_pages_render_what_the_checks_must_see(client, site):
    """The walk above is only worth something if the pages show their forms, bars and data blocks."""
    client.force_login(site["org"].r01.user)
    me = client.get(reverse("me")).content.decode()
    assert 'class="progress-bar progress-step-17" data-percent="87"' in me
    assert '<script id="trend-data" type="application/json">' in me
    client.force_login(site["hr"])
    job = client.get(reverse("hr:job", args=[site["running_job"].pk])).content.decode()
    assert 'data-percent="25"' in job and '<script id="close-progress-config" type="application/json">' in job
    team = client.get(reverse("team") + "?period=2026-01").content.decode()
    assert '<script id="band-chart-data" type="application/json">' in team and "<form" in team
    rewards = client.get(reverse("hr:rewards")).content.decode()
    assert "text-bg-success" in rewards and "text-bg-danger" in rewards and "text-bg-warning" in rewards
    edit = client.get(reverse("hr:policy_edit", args=[site["draft"].pk])).content.decode()
    assert 'class="num col-figure"' in edit and 'name="name"' in edit
