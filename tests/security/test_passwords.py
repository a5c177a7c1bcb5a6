"""Threat: a password that leaks stays usable. Every user can change their password (the other sessions
end), reset it by email (EMAIL_URL; console by default), and the standard validators refuse weak ones."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from tests.builders import employee

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"
NEW = "Lantern-Orchard-58"


def logged_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"username": username, "password": password}).status_code == 302
    return client


def test_the_standard_password_validators_are_on():
    names = {validator["NAME"].rsplit(".", 1)[-1] for validator in settings.AUTH_PASSWORD_VALIDATORS}
    assert names == {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }


def test_a_rep_changes_their_password_and_their_other_sessions_end():
    employee("R01", login="rep1")
    here, elsewhere = logged_in("rep1"), logged_in("rep1")
    assert here.get("/accounts/password_change/").status_code == 200

    response = here.post(
        "/accounts/password_change/", {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )

    assert response.status_code == 302 and response["Location"] == "/accounts/password_change/done/"
    assert here.get("/me/").status_code == 200  # this session goes on
    assert elsewhere.get("/me/").status_code == 302  # the other one is over
    assert get_user_model().objects.get(username="rep1").check_password(NEW)


@pytest.mark.parametrize("weak", ["password", "12345678901", "short", "qwertyuiop"])
def test_a_weak_new_password_is_refused(weak):
    employee("R01", login="rep1")
    client = logged_in("rep1")

    response = client.post(
        "/accounts/password_change/", {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak}
    )

    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    assert get_user_model().objects.get(username="rep1").check_password(PASSWORD)


def test_the_password_pages_need_a_login():
    response = Client().get("/accounts/password_change/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_password_is_reset_by_email_and_the_link_works_once():
    person = employee("R01", login="rep1")
    get_user_model().objects.filter(pk=person.user_id).update(email="rep1@example.com")
    old_session = logged_in("rep1")

    response = Client().post("/accounts/password_reset/", {"email": "rep1@example.com"})

    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["rep1@example.com"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    browser = Client()
    form = browser.get(link, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    done = browser.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    logged_in("rep1", NEW)
    assert old_session.get("/me/").status_code == 302  # the session from before the reset is over
    assert "no longer valid" in Client().get(link, follow=True).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail():
    response = Client().post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


def test_the_login_page_links_to_the_reset_and_the_header_to_the_change():
    employee("R01", login="rep1")
    assert 'href="/accounts/password_reset/"' in Client().get("/accounts/login/").content.decode()
    assert 'href="/accounts/password_change/"' in logged_in("rep1").get("/me/").content.decode()


def test_a_login_lasts_a_working_day_by_default():
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
