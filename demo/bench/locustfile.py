"""Load test of the pages people open most, run by ``manage.py bench_web`` (Locust, headless).

Each simulated person logs in once with a demo login and then opens their page about once a
second (``BENCH_WAIT`` seconds apart on average), as people do. Requests carry
``X-Forwarded-Proto: https``, as a TLS-terminating proxy in front of gunicorn would add, so the
app runs with its production settings (secure cookies, no SSL redirect loop).
"""

from __future__ import annotations

import os
import random
import re

from locust import HttpUser, between, task

YEAR = os.environ.get("BENCH_YEAR", "2025")
WAIT = float(os.environ.get("BENCH_WAIT", "1.0"))
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


class _LoggedIn(HttpUser):
    abstract = True
    wait_time = between(WAIT / 2, WAIT * 1.5)
    username = ""
    pages: dict[str, str] = {}  # path → the name Locust's statistics give it

    def on_start(self) -> None:
        self.client.headers.update(PROXY_HEADERS)
        page = self.client.get("/accounts/login/", name="login form")
        self._trust_cookies()
        token = TOKEN.search(page.text)
        if token is None:
            raise RuntimeError("no CSRF token on the login page")
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": f"{self.username}-demo-pass",
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={"Referer": f"https://{self.host.split('://', 1)[-1]}/accounts/login/"},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login as {self.username} answered {response.status_code}")
        self._trust_cookies()

    def _trust_cookies(self) -> None:
        """The cookies are marked Secure; the proxy would carry them over TLS. Locust talks plain
        HTTP to gunicorn, so let its cookie jar send them anyway."""
        for cookie in self.client.cookies:
            cookie.secure = False

    @task
    def open_a_page(self) -> None:
        path, name = random.choice(list(self.pages.items()))  # noqa: S311 - load, not secrets
        self.page(path, name)

    def page(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{path} answered {response.status_code}")


def _person(username: str, *, weight: int, pages: dict[str, str]) -> type[_LoggedIn]:
    """A kind of simulated person: their demo login (the password seed_demo documents for it), their
    share of the people (``weight``) and the pages they open, path → name in Locust's statistics."""
    return type(username.title(), (_LoggedIn,), {"weight": weight, "username": username, "pages": pages})


# The mix of a sales department: mostly reps, a few leads, one or two people in HR.
Rep = _person("rep", weight=14, pages={"/me/": "/me/"})
Manager = _person("manager", weight=4, pages={"/team/": "/team/ (manager's unit)"})
HR = _person(
    "hr", weight=2, pages={"/hr/": "/hr/", "/hr/rewards/": "/hr/rewards/", f"/hr/bonus/{YEAR}/": "/hr/bonus/<year>/"}
)
