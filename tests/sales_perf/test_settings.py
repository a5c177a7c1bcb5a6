"""Configuration from the environment: the strict django-environ layer in sales_perf/environment.py,
and the settings module imported in a fresh Python with a controlled environment (the way a laptop,
CI and production start it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from sales_perf.environment import StrictEnv

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_SECRET = "prod-like-secret-" + "k3Yq9vLm2x" * 5

# --- StrictEnv.bool -----------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "True", "YES", "on", " yes "])
def test_env_bool_reads_true_spellings(raw: str) -> None:
    assert StrictEnv({"FLAG": raw}).bool("FLAG", False) is True


@pytest.mark.parametrize("raw", ["0", "false", "FALSE", "no", "off", ""])
def test_env_bool_reads_false_spellings(raw: str) -> None:
    assert StrictEnv({"FLAG": raw}).bool("FLAG", True) is False


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_unset_gives_default(default: bool) -> None:
    assert StrictEnv({}).bool("FLAG", default) is default


# django-environ alone reads "ok", "y" and any non-zero number as true and anything else as false.
@pytest.mark.parametrize("raw", ["banana", "2", "y", "ok", "enabled", "-1"])
def test_env_bool_refuses_other_values_naming_the_variable(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"FLAG=.* is not a boolean"):
        StrictEnv({"FLAG": raw}).bool("FLAG", True)


# --- StrictEnv.int ------------------------------------------------------------------------------


@pytest.mark.parametrize(("environ", "expected"), [({}, 7), ({"N": ""}, 7), ({"N": "  "}, 7), ({"N": " 42 "}, 42)])
def test_env_int_reads_value_or_default(environ: dict[str, str], expected: int) -> None:
    assert StrictEnv(environ).int("N", 7) == expected


@pytest.mark.parametrize("raw", ["abc", "4.5", "1e3", "ten"])
def test_env_int_refuses_non_integers(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"N=.* is not an integer"):
        StrictEnv({"N": raw}).int("N", 7)


@pytest.mark.parametrize("raw", ["5", "60"])
def test_env_int_accepts_the_bounds_themselves(raw: str) -> None:
    assert StrictEnv({"N": raw}).int("N", 7, minimum=5, maximum=60) == int(raw)


def test_env_int_refuses_below_minimum() -> None:
    with pytest.raises(ImproperlyConfigured, match="N=4 is below the minimum 5"):
        StrictEnv({"N": "4"}).int("N", 7, minimum=5, maximum=60)


def test_env_int_refuses_above_maximum() -> None:
    with pytest.raises(ImproperlyConfigured, match="N=61 is above the maximum 60"):
        StrictEnv({"N": "61"}).int("N", 7, minimum=5, maximum=60)


# --- StrictEnv.list and .str --------------------------------------------------------------------


def test_env_list_splits_on_commas_and_drops_blanks() -> None:
    assert StrictEnv({"HOSTS": " a.example.com, ,b.example.com,"}).list("HOSTS", ["x"]) == [
        "a.example.com",
        "b.example.com",
    ]


def test_env_list_set_but_empty_is_empty_and_unset_gives_default() -> None:
    assert StrictEnv({"HOSTS": ""}).list("HOSTS", ["x"]) == []
    assert StrictEnv({}).list("HOSTS", ["x"]) == ["x"]


def test_env_str_reads_value_or_default() -> None:
    assert StrictEnv({"S": "CNY"}).str("S", "USD") == "CNY"
    assert StrictEnv({}).str("S", "USD") == "USD"
    assert StrictEnv({}).str("S") == ""


def test_values_starting_with_a_dollar_are_used_as_written() -> None:
    """django-environ would read `$X` as "the value of variable X"; a secret key from Django's
    get_random_secret_key() may start with `$`, so values are never proxied."""
    env = StrictEnv({"DJANGO_SECRET_KEY": "$HOME-and-the-rest", "N": "$N2", "N2": "3", "HOME": "/root"})

    assert env.str("DJANGO_SECRET_KEY") == "$HOME-and-the-rest"
    with pytest.raises(ImproperlyConfigured, match=r"N='\$N2' is not an integer"):
        env.int("N", 7)


def test_reads_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALES_PERF_TEST_FLAG", "off")

    assert StrictEnv().bool("SALES_PERF_TEST_FLAG", True) is False


# --- StrictEnv.db_url ---------------------------------------------------------------------------


def parse_database_url(url: str) -> dict:
    return StrictEnv({"DATABASE_URL": url}).db_url("DATABASE_URL")


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "pgsql"])
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


def test_parse_database_url_refuses_a_bad_port_naming_the_variable() -> None:
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL could not be parsed"):
        parse_database_url("postgres://sales@db.internal:port/sales_perf")


# --- StrictEnv.email_url ------------------------------------------------------------------------


@pytest.mark.parametrize("environ", [{}, {"EMAIL_URL": ""}, {"EMAIL_URL": "consolemail://"}])
def test_email_url_defaults_to_the_console(environ: dict[str, str]) -> None:
    assert StrictEnv(environ).email_url("EMAIL_URL", "consolemail://") == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }


def test_email_url_smtp_with_percent_encoded_password() -> None:
    config = StrictEnv({"EMAIL_URL": "smtp+tls://mailer:p%40ss@mail.example.com:587"}).email_url()

    assert config == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_TLS": True,
    }


def test_email_url_smtp_ssl_leaves_out_what_the_url_does_not_say() -> None:
    config = StrictEnv({"EMAIL_URL": "smtp+ssl://mail.example.com"}).email_url()

    assert config == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_USE_SSL": True,
    }


@pytest.mark.parametrize("url", ["pigeon://loft", "mail.example.com", "smtp:mail.example.com"])
def test_email_url_refuses_other_schemes_naming_the_variable(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL must start with smtp://"):
        StrictEnv({"EMAIL_URL": url}).email_url()


def test_email_url_refuses_a_bad_port_naming_the_variable() -> None:
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL could not be parsed"):
        StrictEnv({"EMAIL_URL": "smtp://mail.example.com:port"}).email_url()


@pytest.mark.parametrize("query", ["email_use_tls=False", "timeout=10"])
def test_email_url_refuses_options_naming_the_variable(query: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL takes no"):
        StrictEnv({"EMAIL_URL": f"smtp://mail.example.com?{query}"}).email_url()


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
    "CONN_MAX_AGE": db.get("CONN_MAX_AGE"),
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "CSRF_TRUSTED_ORIGINS": settings.CSRF_TRUSTED_ORIGINS,
    "TIME_ZONE": settings.TIME_ZONE,
    "DATA_UPLOAD_MAX_MEMORY_SIZE": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    "SALES_PERF_CURRENCY": settings.SALES_PERF_CURRENCY,
    "SALES_PERF_AUTO_CLOSE_DAYS": settings.SALES_PERF_AUTO_CLOSE_DAYS,
    "SALES_PERF_CLOSE_CHUNK_SIZE": settings.SALES_PERF_CLOSE_CHUNK_SIZE,
    "SALES_PERF_CLOSE_LEASE_SECONDS": settings.SALES_PERF_CLOSE_LEASE_SECONDS,
    "SQLITE_OPTIONS": db.get("OPTIONS", {}) if "sqlite" in db["ENGINE"] else {},
    "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
    "CELERY_TASK_ALWAYS_EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "app_task_always_eager": app.conf.task_always_eager,
    "app_broker_url": app.conf.broker_url,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "EMAIL_BACKEND": settings.EMAIL_BACKEND,
    "EMAIL_HOST": settings.EMAIL_HOST,
    "EMAIL_PORT": settings.EMAIL_PORT,
    "EMAIL_HOST_USER": settings.EMAIL_HOST_USER,
    "EMAIL_HOST_PASSWORD": settings.EMAIL_HOST_PASSWORD,
    "EMAIL_USE_TLS": settings.EMAIL_USE_TLS,
    "EMAIL_USE_SSL": settings.EMAIL_USE_SSL,
    "DEFAULT_FROM_EMAIL": settings.DEFAULT_FROM_EMAIL,
    "SESSION_COOKIE_AGE": settings.SESSION_COOKIE_AGE,
    "PASSWORD_RESET_TIMEOUT": settings.PASSWORD_RESET_TIMEOUT,
    "AXES_FAILURE_LIMIT": settings.AXES_FAILURE_LIMIT,
    "AXES_COOLOFF_MINUTES": settings.AXES_COOLOFF_TIME.total_seconds() / 60,
    "AXES_IPWARE_PROXY_COUNT": getattr(settings, "AXES_IPWARE_PROXY_COUNT", None),
    "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    "SALES_PERF_UPLOAD_MAX_BYTES": settings.SALES_PERF_UPLOAD_MAX_BYTES,
    "SALES_PERF_XLSX_MAX_UNPACKED_BYTES": settings.SALES_PERF_XLSX_MAX_UNPACKED_BYTES,
    "SALES_PERF_XLSX_MAX_RATIO": settings.SALES_PERF_XLSX_MAX_RATIO,
    "CSP": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "MIDDLEWARE": settings.MIDDLEWARE,
    "AUTHENTICATION_BACKENDS": settings.AUTHENTICATION_BACKENDS,
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


def test_defaults_of_the_other_variables() -> None:
    loaded = load_settings()

    assert loaded["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]"]
    assert loaded["CSRF_TRUSTED_ORIGINS"] == []
    assert loaded["TIME_ZONE"] == "Asia/Shanghai"
    assert loaded["DATA_UPLOAD_MAX_MEMORY_SIZE"] == 200 * 1024 * 1024
    assert loaded["SALES_PERF_CURRENCY"] == "CNY"
    assert loaded["SALES_PERF_AUTO_CLOSE_DAYS"] == 5
    assert loaded["SALES_PERF_CLOSE_CHUNK_SIZE"] == 20000
    assert loaded["SALES_PERF_CLOSE_LEASE_SECONDS"] == 60
    # concurrent closes on the embedded default: IMMEDIATE transactions, a write-ahead log, a wait
    assert loaded["SQLITE_OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in loaded["SQLITE_OPTIONS"]["init_command"]
    assert loaded["SQLITE_OPTIONS"]["timeout"] == 30
    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert loaded["DEFAULT_FROM_EMAIL"] == "sales-perf@localhost"
    assert loaded["SESSION_COOKIE_AGE"] == 8 * 60 * 60
    assert loaded["PASSWORD_RESET_TIMEOUT"] == 24 * 60 * 60
    assert loaded["AXES_FAILURE_LIMIT"] == 5
    assert loaded["AXES_COOLOFF_MINUTES"] == 15
    assert loaded["AXES_IPWARE_PROXY_COUNT"] is None
    assert Path(loaded["MEDIA_ROOT"]) == PROJECT_ROOT / "media"
    assert loaded["SALES_PERF_UPLOAD_MAX_BYTES"] == 200 * 1024 * 1024
    assert loaded["SALES_PERF_XLSX_MAX_UNPACKED_BYTES"] == 500 * 1024 * 1024
    assert loaded["SALES_PERF_XLSX_MAX_RATIO"] == 100


def test_security_middleware_and_backends_are_in_place() -> None:
    loaded = load_settings()

    assert loaded["MIDDLEWARE"][-1] == "axes.middleware.AxesMiddleware"
    assert "csp.middleware.CSPMiddleware" in loaded["MIDDLEWARE"]
    assert "sales_perf.middleware.PrivateResponseMiddleware" in loaded["MIDDLEWARE"]
    assert loaded["AUTHENTICATION_BACKENDS"] == [
        "axes.backends.AxesStandaloneBackend",
        "roles.backends.EmployeeLoginBackend",
    ]
    assert all("'unsafe-inline'" not in sources for sources in loaded["CSP"].values())
    assert loaded["CSP"]["script-src"] == ["'self'"] and loaded["CSP"]["frame-ancestors"] == ["'none'"]


def test_security_variables_reach_the_settings() -> None:
    loaded = load_settings(
        DJANGO_LOGIN_FAILURE_LIMIT="10",
        DJANGO_LOGIN_LOCKOUT_MINUTES="60",
        DJANGO_PASSWORD_RESET_HOURS="2",
        DJANGO_PROXY_COUNT="1",
        DJANGO_MEDIA_ROOT="/srv/uploads",
        DJANGO_UPLOAD_MAX_MB="50",
        SALES_PERF_XLSX_MAX_UNPACKED_MB="300",
        SALES_PERF_XLSX_MAX_RATIO="50",
    )

    assert loaded["AXES_FAILURE_LIMIT"] == 10
    assert loaded["AXES_COOLOFF_MINUTES"] == 60
    assert loaded["PASSWORD_RESET_TIMEOUT"] == 2 * 60 * 60
    assert loaded["AXES_IPWARE_PROXY_COUNT"] == 1
    assert loaded["MEDIA_ROOT"] == "/srv/uploads"
    assert loaded["SALES_PERF_UPLOAD_MAX_BYTES"] == 50 * 1024 * 1024
    assert loaded["SALES_PERF_XLSX_MAX_UNPACKED_BYTES"] == 300 * 1024 * 1024
    assert loaded["SALES_PERF_XLSX_MAX_RATIO"] == 50


@pytest.mark.parametrize("hours", [1, 24, 720])
def test_session_hours_set_the_session_cookie_age(hours: int) -> None:
    assert load_settings(DJANGO_SESSION_HOURS=str(hours))["SESSION_COOKIE_AGE"] == hours * 60 * 60


def test_email_url_and_from_address_reach_the_settings() -> None:
    loaded = load_settings(
        EMAIL_URL="smtps://mailer:p%40ss@mail.example.com:587", DJANGO_DEFAULT_FROM_EMAIL="hr@example.com"
    )

    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert loaded["EMAIL_HOST"] == "mail.example.com"
    assert loaded["EMAIL_PORT"] == 587
    assert loaded["EMAIL_HOST_USER"] == "mailer"
    assert loaded["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert loaded["EMAIL_USE_TLS"] is True
    assert loaded["EMAIL_USE_SSL"] is False
    assert loaded["DEFAULT_FROM_EMAIL"] == "hr@example.com"


def test_email_url_without_port_or_login_keeps_django_defaults() -> None:
    loaded = load_settings(EMAIL_URL="smtp://mail.example.com")

    assert loaded["EMAIL_HOST"] == "mail.example.com"
    assert loaded["EMAIL_PORT"] == 25
    assert loaded["EMAIL_HOST_USER"] == ""
    assert loaded["EMAIL_HOST_PASSWORD"] == ""
    assert loaded["EMAIL_USE_TLS"] is False


def test_variables_reach_the_settings() -> None:
    loaded = load_settings(
        DJANGO_ALLOWED_HOSTS="a.example.com, b.example.com",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://a.example.com",
        DJANGO_TIME_ZONE="UTC",
        DJANGO_UPLOAD_MAX_MB=" 5 ",
        SALES_PERF_CURRENCY="USD",
        SALES_PERF_AUTO_CLOSE_DAYS="0",
        SALES_PERF_CLOSE_CHUNK_SIZE="100",
        SALES_PERF_CLOSE_LEASE_SECONDS="5",
        SQLITE_NAME="other.sqlite3",
    )

    assert loaded["ALLOWED_HOSTS"] == ["a.example.com", "b.example.com"]
    assert loaded["CSRF_TRUSTED_ORIGINS"] == ["https://a.example.com"]
    assert loaded["TIME_ZONE"] == "UTC"
    assert loaded["DATA_UPLOAD_MAX_MEMORY_SIZE"] == 5 * 1024 * 1024
    assert loaded["SALES_PERF_CURRENCY"] == "USD"
    assert loaded["SALES_PERF_AUTO_CLOSE_DAYS"] == 0
    assert loaded["SALES_PERF_CLOSE_CHUNK_SIZE"] == 100
    assert loaded["SALES_PERF_CLOSE_LEASE_SECONDS"] == 5
    assert Path(loaded["NAME"]) == PROJECT_ROOT / "other.sqlite3"


def test_database_url_postgres_selects_postgresql() -> None:
    loaded = load_settings(DATABASE_URL="postgres://sales:pw@db.internal:5432/sales_perf")

    assert loaded["ENGINE"] == "django.db.backends.postgresql"
    assert loaded["NAME"] == "sales_perf"
    assert loaded["HOST"] == "db.internal"
    assert loaded["CONN_MAX_AGE"] == 60


def test_redis_broker_turns_off_eager_tasks() -> None:
    loaded = load_settings(CELERY_BROKER_URL="redis://broker.internal:6379/3")

    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is False
    assert loaded["app_task_always_eager"] is False
    assert loaded["app_broker_url"] == "redis://broker.internal:6379/3"
    assert loaded["CELERY_RESULT_BACKEND"] == "redis://broker.internal:6379/3"


def test_production_mode_loads_with_secret_and_hosts() -> None:
    loaded = load_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=PRODUCTION_SECRET, DJANGO_ALLOWED_HOSTS="example.com")

    assert loaded["DEBUG"] is False
    assert loaded["SECURE_SSL_REDIRECT"] is True
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["SECURE_HSTS_SECONDS"] == 31536000


def test_production_secret_key_starting_with_a_dollar_is_used_as_written() -> None:
    secret = "$" + PRODUCTION_SECRET
    loaded = load_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secret, DJANGO_ALLOWED_HOSTS="example.com")

    assert loaded["SECRET_KEY"] == secret


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


PRODUCTION = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": PRODUCTION_SECRET, "DJANGO_ALLOWED_HOSTS": "example.com"}
POSTGRES = {"DATABASE_URL": "postgres://sales@db.internal:5432/sales_perf"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG='maybe' is not a boolean"),
        ({**PRODUCTION, "DJANGO_SECURE_SSL_REDIRECT": "y"}, "DJANGO_SECURE_SSL_REDIRECT='y' is not a boolean"),
        ({**PRODUCTION, "DJANGO_HSTS_SECONDS": "a year"}, "DJANGO_HSTS_SECONDS='a year' is not an integer"),
        ({**PRODUCTION, "DJANGO_HSTS_SECONDS": "-1"}, "DJANGO_HSTS_SECONDS=-1 is below the minimum 0"),
        ({"DJANGO_UPLOAD_MAX_MB": "abc"}, "DJANGO_UPLOAD_MAX_MB='abc' is not an integer"),
        ({"DJANGO_UPLOAD_MAX_MB": "0"}, "DJANGO_UPLOAD_MAX_MB=0 is below the minimum 1"),
        ({**POSTGRES, "DATABASE_CONN_MAX_AGE": "1.5"}, "DATABASE_CONN_MAX_AGE='1.5' is not an integer"),
        ({**POSTGRES, "DATABASE_CONN_MAX_AGE": "-1"}, "DATABASE_CONN_MAX_AGE=-1 is below the minimum 0"),
        ({"DATABASE_URL": "postgres://sales@db.internal:5432/"}, "DATABASE_URL names no database"),
        ({"DATABASE_URL": "postgres://db.internal:port/x"}, "DATABASE_URL could not be parsed"),
        ({"SALES_PERF_AUTO_CLOSE_DAYS": "61"}, "SALES_PERF_AUTO_CLOSE_DAYS=61 is above the maximum 60"),
        ({"SALES_PERF_AUTO_CLOSE_DAYS": "five"}, "SALES_PERF_AUTO_CLOSE_DAYS='five' is not an integer"),
        ({"SALES_PERF_CLOSE_CHUNK_SIZE": "9"}, "SALES_PERF_CLOSE_CHUNK_SIZE=9 is below the minimum 10"),
        ({"SALES_PERF_CLOSE_LEASE_SECONDS": "0"}, "SALES_PERF_CLOSE_LEASE_SECONDS=0 is below the minimum 1"),
        ({"DJANGO_SESSION_HOURS": "0"}, "DJANGO_SESSION_HOURS=0 is below the minimum 1"),
        ({"DJANGO_SESSION_HOURS": "721"}, "DJANGO_SESSION_HOURS=721 is above the maximum 720"),
        ({"DJANGO_SESSION_HOURS": "8h"}, "DJANGO_SESSION_HOURS='8h' is not an integer"),
        ({"EMAIL_URL": "pigeon://loft"}, "EMAIL_URL must start with smtp://"),
        ({"EMAIL_URL": "smtp://mail.example.com:port"}, "EMAIL_URL could not be parsed"),
        ({"EMAIL_URL": "smtp://mail.example.com?email_use_tls=False"}, "EMAIL_URL takes no ?options"),
        ({"DJANGO_LOGIN_FAILURE_LIMIT": "0"}, "DJANGO_LOGIN_FAILURE_LIMIT=0 is below the minimum 1"),
        ({"DJANGO_LOGIN_FAILURE_LIMIT": "five"}, "DJANGO_LOGIN_FAILURE_LIMIT='five' is not an integer"),
        ({"DJANGO_LOGIN_LOCKOUT_MINUTES": "0"}, "DJANGO_LOGIN_LOCKOUT_MINUTES=0 is below the minimum 1"),
        ({"DJANGO_PASSWORD_RESET_HOURS": "169"}, "DJANGO_PASSWORD_RESET_HOURS=169 is above the maximum 168"),
        ({"DJANGO_PROXY_COUNT": "6"}, "DJANGO_PROXY_COUNT=6 is above the maximum 5"),
        ({"SALES_PERF_XLSX_MAX_UNPACKED_MB": "0"}, "SALES_PERF_XLSX_MAX_UNPACKED_MB=0 is below the minimum 1"),
        ({"SALES_PERF_XLSX_MAX_RATIO": "5"}, "SALES_PERF_XLSX_MAX_RATIO=5 is below the minimum 10"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(env: dict[str, str], message: str) -> None:
    assert settings_error(**env).startswith(f"django.core.exceptions.ImproperlyConfigured: {message}")


def test_production_deploy_check_is_clean() -> None:
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=PRODUCTION_SECRET,
        DJANGO_ALLOWED_HOSTS="example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
