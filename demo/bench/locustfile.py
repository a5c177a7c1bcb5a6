"""Load test of the pages people open most, run by ``manage.py bench_web`` (Locust, headless).

Each simulated person logs in once with a demo login and then opens their page about once a
second (``BENCH_WAIT`` seconds apart on average), as people do. Requests carry
``X-Forwarded-Proto: https``, as a TLS-terminating proxy in front of gunicorn would add, so the
app runs with its production settings (secure cookies, no SSL redirect loop).
"""

from __future__ import annotations

import os
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
    password = ""

    def on_start(self) -> None:
        self.client.headers.update(PROXY_HEADERS)
        page = self.client.get("/accounts/login/", name="login form")
        self._trust_cookies()
        token = TOKEN.search(page.text)
        if token is None:
            raise RuntimeError("no CSRF token on the login page")
        with self.client.post(
            "/accounts/login/",
            data={"username": self.username, "password": self.password, "csrfmiddlewaretoken": token.group(1)},
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

    def page(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{path} answered {response.status_code}")


# The mix of a sales department: mostly reps, a few leads, one or two people in HR.
class Rep(_LoggedIn):
    weight = 14
    username, password = "rep", "rep-demo-pass"

    @task
    def me(self) -> None:
        self.page("/me/", "/me/")


class Manager(_LoggedIn):
    weight = 4
    username, password = "manager", "manager-demo-pass"

    @task
    def team(self) -> None:
        self.page("/team/", "/team/ (manager's unit)")


class HR(_LoggedIn):
    weight = 2
    username, password = "hr", "hr-demo-pass"

    @task
    def home(self) -> None:
        self.page("/hr/", "/hr/")

    @task
    def rewards(self) -> None:
        self.page("/hr/rewards/", "/hr/rewards/")

    @task
    def bonus_list(self) -> None:
        self.page(f"/hr/bonus/{YEAR}/", "/hr/bonus/<year>/")
