"""Friendly 403, 404 and 500 pages with a way on, in English and Chinese; the favicon."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from tests.builders import client_for, user
from tests.pages.helpers import squashed

pytestmark = pytest.mark.django_db


def test_a_rep_on_an_hr_page_gets_the_friendly_403_with_their_navigation(rep_client):
    response = rep_client.get("/hr/periods/")

    page = squashed(response)
    assert response.status_code == 403
    assert "<h1" in page and "Not allowed" in page and "This page is not open to your role." in page
    assert 'href="/me/"' in page  # the rep's own menu
    assert 'href="/"' in page


def test_the_403_page_in_chinese(rep_client):
    response = rep_client.get("/team/export/", headers={"accept-language": "zh-hans"})

    page = squashed(response)
    assert response.status_code == 403
    assert '<html lang="zh-hans">' in page
    assert "Not allowed" not in page and "无权访问" in page
    assert "我的绩效" in page  # the navigation


def test_a_login_without_a_role_gets_the_friendly_403():
    response = client_for(user("nobody")).get("/me/")

    assert response.status_code == 403 and "Not allowed" in response.content.decode()


def test_404_is_friendly_and_keeps_the_navigation(rep_client):
    response = rep_client.get("/employees/R02/")

    page = squashed(response)
    assert response.status_code == 404
    assert "Page not found" in page and 'href="/me/"' in page
    assert "Name R02" not in page


def test_404_in_chinese_for_anyone(client):
    response = client.get("/no-such-page/", headers={"accept-language": "zh-hans"})

    page = squashed(response)
    assert response.status_code == 404
    assert "Page not found" not in page and "页面不存在" in page


@pytest.mark.parametrize(("language", "heading"), [("en", "Something went wrong"), ("zh-hans", "出错了")])
def test_500_renders_without_a_request_context(language, heading):
    request = RequestFactory().get("/me/")
    with translation.override(language):
        response = server_error(request)

    page = response.content.decode()
    assert response.status_code == 500
    assert heading in page and 'href="/"' in page
    assert f'<html lang="{language}">' in page


def test_favicon_is_linked_and_served(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page

    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
