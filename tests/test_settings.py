"""Configuration from the environment: the parsers in sales_perf/env.py, and the settings module
imported in a fresh Python with a controlled environment (the way a laptop, CI and production
start it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from sales_perf.env import env_bool, env_int, env_list, parse_database_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_SECRET = "prod-like-secret-" + "k3Yq9vLm2x" * 5

# --- env_bool -----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "True", "YES", "on", " yes "])
def test_env_bool_reads_true_spellings(raw: str) -> None:
    assert env_bool("FLAG", False, environ={"FLAG": raw}) is True


@pytest.mark.parametrize("raw", ["0", "false", "FALSE", "no", "off", ""])
def test_env_bool_reads_false_spellings(raw: str) -> None:
    assert env_bool("FLAG", True, environ={"FLAG": raw}) is False


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_unset_gives_default(default: bool) -> None:
    assert env_bool("FLAG", default, environ={}) is default


@pytest.mark.parametrize("raw", ["banana", "2", "y", "enabled", "-1"])
def test_env_bool_refuses_other_values_naming_the_variable(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"FLAG=.* is not a boolean"):
        env_bool("FLAG", True, environ={"FLAG": raw})


# --- env_int ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("environ", "expected"), [({}, 7), ({"N": ""}, 7), ({"N": "  "}, 7), ({"N": " 42 "}, 42)])
def test_env_int_reads_value_or_default(environ: dict[str, str], expected: int) -> None:
    assert env_int("N", 7, environ=environ) == expected


@pytest.mark.parametrize("raw", ["abc", "4.5", "1e3", "ten"])
def test_env_int_refuses_non_integers(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"N=.* is not an integer"):
        env_int("N", 7, environ={"N": raw})


@pytest.mark.parametrize("raw", ["5", "60"])
def test_env_int_accepts_the_bounds_themselves(raw: str) -> None:
    assert env_int("N", 7, environ={"N": raw}, minimum=5, maximum=60) == int(raw)


def test_env_int_refuses_below_minimum() -> None:
    with pytest.raises(ImproperlyConfigured, match="N=4 is below the minimum 5"):
        env_int("N", 7, environ={"N": "4"}, minimum=5, maximum=60)


def test_env_int_refuses_above_maximum() -> None:
    with pytest.raises(ImproperlyConfigured, match="N=61 is above the maximum 60"):
        env_int("N", 7, environ={"N": "61"}, minimum=5, maximum=60)


def test_env_list_splits_on_commas_and_drops_blanks() -> None:
    assert env_list("HOSTS", ["x"], environ={"HOSTS": " a.example.com, ,b.example.com,"}) == [
        "a.example.com",
        "b.example.com",
    ]


# --- parse_database_url -------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_parse_database_url_postgres(scheme: str) -> None:
    config = parse_database_url(f"{scheme}://sales:s3cret@db.internal:5433/sales_perf")

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "sales_perf"
    assert config["USER"] == "sales"
    assert config["PASSWORD"] == "s3cret"
    assert config["HOST"] == "db.internal"
    assert int(config["PORT"]) == 5433


def test_parse_database_url_sqlite_absolute_path() -> None:
    config = parse_database_url("sqlite:////var/lib/sales_perf/db.sqlite3")

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/var/lib/sales_perf/db.sqlite3"


@pytest.mark.parametrize("url", ["mysql://root@localhost/sales_perf", "redis://localhost:6379/0", "sales_perf.db"])
def test_parse_database_url_refuses_other_schemes(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must start with postgres://"):
        parse_database_url(url)


@pytest.mark.parametrize("url", ["postgres://sales@db.internal:5432/", "postgres://sales@db.internal:5432"])
def test_parse_database_url_refuses_postgres_without_database_name(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL names no database"):
        parse_database_url(url)


# --- the settings module in a fresh interpreter -------------------------------------------------

PRINT_SETTINGS = """
import json
import django
from django.conf import settings
django.setup()
from sales_perf.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "HOST": db.get("HOST", ""),
    "CELERY_TASK_ALWAYS_EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "app_task_always_eager": app.conf.task_always_eager,
    "app_broker_url": app.conf.broker_url,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
}))
"""


def run_python(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """Run this venv's Python in the project folder with only `env` set, not the caller's
    environment (CI sets DATABASE_URL and CELERY_BROKER_URL for the test run itself)."""
    environ = {name: os.environ[name] for name in ("PATH", "HOME", "SYSTEMROOT") if name in os.environ}
    environ.update(DJANGO_SETTINGS_MODULE="sales_perf.settings", **env)
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load_settings(**env: str) -> dict:
    result = run_python(["-c", PRINT_SETTINGS], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def settings_error(**env: str) -> str:
    result = run_python(["-c", PRINT_SETTINGS], **env)
    assert result.returncode != 0, f"settings loaded, expected a failure: {result.stdout}"
    assert "ImproperlyConfigured" in result.stderr, result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_defaults_use_sqlite_in_project_folder_and_eager_celery() -> None:
    loaded = load_settings()

    assert loaded["DEBUG"] is True
    assert loaded["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(loaded["NAME"]) == PROJECT_ROOT / "db.sqlite3"
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is True
    assert loaded["app_task_always_eager"] is True


def test_database_url_postgres_selects_postgresql() -> None:
    loaded = load_settings(DATABASE_URL="postgres://sales:pw@db.internal:5432/sales_perf")

    assert loaded["ENGINE"] == "django.db.backends.postgresql"
    assert loaded["NAME"] == "sales_perf"
    assert loaded["HOST"] == "db.internal"


def test_redis_broker_turns_off_eager_tasks() -> None:
    loaded = load_settings(CELERY_BROKER_URL="redis://broker.internal:6379/3")

    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is False
    assert loaded["app_task_always_eager"] is False
    assert loaded["app_broker_url"] == "redis://broker.internal:6379/3"


def test_production_mode_loads_with_secret_and_hosts() -> None:
    loaded = load_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=PRODUCTION_SECRET, DJANGO_ALLOWED_HOSTS="example.com")

    assert loaded["DEBUG"] is False
    assert loaded["SECURE_SSL_REDIRECT"] is True
    assert loaded["SESSION_COOKIE_SECURE"] is True


def test_production_without_secret_key_fails_naming_it() -> None:
    assert "DJANGO_SECRET_KEY" in settings_error(DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="example.com")


def test_production_with_short_secret_key_fails_naming_it() -> None:
    error = settings_error(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="short", DJANGO_ALLOWED_HOSTS="example.com")

    assert "DJANGO_SECRET_KEY" in error


def test_production_without_allowed_hosts_fails_naming_it() -> None:
    assert "DJANGO_ALLOWED_HOSTS" in settings_error(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=PRODUCTION_SECRET)


def test_unparseable_debug_fails_naming_it() -> None:
    assert "DJANGO_DEBUG" in settings_error(DJANGO_DEBUG="banana")


@pytest.mark.parametrize("broker", ["amqp://guest:guest@localhost:5672//", "sqs://", "localhost:6379"])
def test_non_redis_broker_fails_naming_it(broker: str) -> None:
    assert "CELERY_BROKER_URL" in settings_error(CELERY_BROKER_URL=broker)


def test_bad_database_url_fails_naming_it() -> None:
    assert "DATABASE_URL" in settings_error(DATABASE_URL="mysql://root@localhost/sales_perf")


def test_production_deploy_check_is_clean() -> None:
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=PRODUCTION_SECRET,
        DJANGO_ALLOWED_HOSTS="example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
