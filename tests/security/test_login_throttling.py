"""Threat: guessing a password. django-axes locks a username + address after DJANGO_LOGIN_FAILURE_LIMIT (5)
wrong passwords for DJANGO_LOGIN_LOCKOUT_MINUTES (15), on the site login and the admin alike; HR unlocks."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.builders import hr_user, user

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"  # tests/factories.py
SITE = "/accounts/login/"
ADMIN = "/admin/login/"


def attempt(client: Client, url: str, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_limits_come_from_the_settings():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_a_scripted_brute_force_is_locked_out_and_the_right_password_then_fails_too():
    hr_user(is_staff=True)
    client = Client()
    statuses = [attempt(client, SITE, "hr", f"guess-{n}").status_code for n in range(30)]

    # Five wrong passwords are answered as wrong (the form again); from then on the login is locked.
    assert statuses[:4] == [200] * 4
    assert set(statuses[5:]) == {429}
    locked = attempt(client, SITE, "hr", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "locked for 15 minutes after 5 wrong passwords" in locked.content.decode()


def test_the_admin_login_is_throttled_too():
    hr_user(is_staff=True)
    client = Client()
    for n in range(5):
        attempt(client, ADMIN, "hr", f"guess-{n}")

    response = attempt(client, ADMIN, "hr", PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_site_and_the_admin_share_one_count():
    hr_user(is_staff=True)
    client = Client()
    for n in range(3):
        attempt(client, ADMIN, "hr", f"guess-{n}")
    for n in range(2):
        attempt(client, SITE, "hr", f"guess-{n}")

    assert attempt(client, SITE, "hr", PASSWORD).status_code == 429


def test_the_lockout_is_per_username_and_address():
    hr_user()
    user("rep1")
    client = Client()
    for n in range(5):
        attempt(client, SITE, "hr", f"guess-{n}")

    # The same person from another address, and another login from the same address, still get in.
    assert attempt(Client(), SITE, "hr", PASSWORD, address="10.0.0.2").status_code == 302
    assert attempt(Client(), SITE, "rep1", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off():
    hr_user()
    for n in range(5):
        attempt(Client(), SITE, "hr", f"guess-{n}")
    assert attempt(Client(), SITE, "hr", PASSWORD).status_code == 429

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert attempt(Client(), SITE, "hr", PASSWORD).status_code == 302


def test_fewer_failures_than_the_limit_are_forgotten_at_a_good_login():
    hr_user()
    for round_ in range(3):
        for n in range(4):
            attempt(Client(), SITE, "hr", f"guess-{round_}-{n}")
        assert attempt(Client(), SITE, "hr", PASSWORD).status_code == 302


def test_hr_unlocks_a_login_in_the_admin():
    rep = user("rep1")
    for n in range(5):
        attempt(Client(), SITE, "rep1", f"guess-{n}")
    assert attempt(Client(), SITE, "rep1", PASSWORD).status_code == 429
    lock = AccessAttempt.objects.get(username="rep1")
    hr = Client()
    hr.force_login(hr_user(is_staff=True))

    assert hr.get("/admin/axes/accessattempt/").status_code == 200
    response = hr.post(f"/admin/axes/accessattempt/{lock.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="rep1").exists()
    assert attempt(Client(), SITE, rep.username, PASSWORD).status_code == 302


def test_the_lockout_message_is_translated():
    hr_user()
    for n in range(5):
        attempt(Client(), SITE, "hr", f"guess-{n}")

    response = Client().post(
        SITE, {"username": "hr", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert response.status_code == 429
    assert "15 分钟" in response.content.decode()
