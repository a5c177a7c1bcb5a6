import importlib

import pytest

from tests.builders import EXAMPLE_DIR

# Reference data that data migrations load: roles and duties, the metric catalogue, the default policy.
_DATA_MIGRATIONS = [
    "roles.migrations.0002_default_roles_and_duties",
    "appraisals.migrations.0002_metric_catalogue",
    "appraisals.migrations.0003_default_policy",
]


@pytest.fixture(autouse=True)
def _reference_data_for_transactional_tests(request):
    """A transactional test database is flushed after each test, which drops what the data
    migrations loaded; load it again (the loaders are idempotent) before such a test."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    if marker is not None and (marker.kwargs.get("transaction") or (len(marker.args) > 0 and marker.args[0])):
        transactional = True
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps
    from django.db import connection

    for name in _DATA_MIGRATIONS:
        importlib.import_module(name).load(apps, connection.schema_editor())
    yield


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A test client request leaves its language active in the thread (LocaleMiddleware), and
    service messages follow the active language: put every test back in the default language."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashers are slow on purpose; tests log in many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def example_dir():
    """The worked example of docs/policy.md: input files and the exports it implies."""
    return EXAMPLE_DIR


@pytest.fixture
def close(django_capture_on_commit_callbacks):
    """Close a period in-process (Celery is eager in tests): the close is done when this returns."""
    from closing.tasks import close_period_enqueue

    def run(code: str, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return close_period_enqueue(code=code, **kwargs)

    return run


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Tests run the period-end job in-process, even when CELERY_BROKER_URL points at Redis;
    only tests marked ``celery_worker`` send tasks to a real worker."""
    from sales_perf.celery import app

    eager = request.node.get_closest_marker("celery_worker") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous
