"""Threat: pay and personal data kept by a browser or proxy cache, injected script, leaking referrers.
Every page family and download answers ``Cache-Control: no-store``, a strict Content-Security-Policy
from django-csp (no 'unsafe-inline'), Referrer-Policy and Permissions-Policy."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.builders import client_for, close_period, hr_user, sales

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr(db):
    return client_for(hr_user(is_staff=True))


@pytest.fixture
def closed(org):
    for person in (org.r01, org.r02):
        sales(person, month="2026-01", actual="100000", target="100000")
    close_period("2026-01")


PAGES = {
    # family: (who, url)
    "login": (None, "/accounts/login/"),
    "password reset": (None, "/accounts/password_reset/"),
    "password change": ("rep", "/accounts/password_change/"),
    "my page": ("rep", "/me/"),
    "a person's page": ("supervisor", "/employees/R01/"),
    "team page": ("supervisor", "/team/?period=2026-01"),
    "team download": ("supervisor", "/team/export/?period=2026-01&format=csv"),
    "HR console": ("hr", "/hr/"),
    "HR imports": ("hr", "/hr/imports/"),
    "HR periods": ("hr", "/hr/periods/"),
    "HR rewards": ("hr", "/hr/rewards/"),
    "HR bonus list": ("hr", "/hr/bonus/2026/"),
    "bonus list download": ("hr", "/hr/bonus/2026/download/?format=xlsx"),
    "scorecard download": ("hr", "/hr/periods/2026-01/export/?format=csv"),
    "HR history": ("hr", "/hr/history/"),
    "history download": ("hr", "/hr/history/?format=csv"),
    "admin": ("hr", "/admin/"),
    "admin employees": ("hr", "/admin/roles/employee/"),
}


def _client(who, request) -> Client:
    if who is None:
        return Client()
    return request.getfixturevalue("hr") if who == "hr" else request.getfixturevalue(f"{who}_client")


@pytest.mark.parametrize("family", PAGES)
def test_every_page_family_carries_the_security_headers(request, closed, family):
    who, url = PAGES[family]

    response = _client(who, request).get(url)

    assert response.status_code == 200, (family, response.status_code)
    cache = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache, family
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_a_refused_request_is_not_cached_either(rep_client):
    response = rep_client.get("/hr/")
    assert response.status_code == 403
    assert "no-store" in response["Cache-Control"]


def test_the_health_check_stays_uncached():
    response = Client().get("/healthz/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
