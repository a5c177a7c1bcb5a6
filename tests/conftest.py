"""Fixtures for every test: reference data, language, fast hashing, in-process Celery, and one
logged-in client per audience (rep, supervisor, manager, HR) with the org behind them."""

import warnings

import pytest
from django.test import Client

from tests.builders import EXAMPLE_DIR, Org, client_for, close_period, hr_user, load_reference_data, org_from


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
    load_reference_data()
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


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings, tmp_path_factory):
    """Uploaded import files are stored (default storage) until their job has read them: in tests,
    in a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture
def example_dir():
    """The worked example of docs/policy.md: input files and the exports it implies."""
    return EXAMPLE_DIR


@pytest.fixture
def close():
    """``tests.builders.close_period`` as a fixture: the close is done when it returns."""
    return close_period


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


# --------------------------------------------------------------------------- the audience clients


@pytest.fixture
def org(db) -> Org:
    """The org behind the audience clients, who log in as its first manager, supervisor and rep
    (M01, S01, R01). A module may override ``org``; the clients then log in as the first of its people.

    M01 (manager) ─ S01 (supervisor) ─ R01, R02
                                      └ S03 (supervisor) ─ R07
                  └ S02 (supervisor) ─ R03
    M09 (manager, another unit) ─ R09
    Everyone but R09 can log in, as their employee_no in lower case; everyone is "Name <employee_no>"."""
    return org_from(
        {
            "M01": None,
            "S01": "M01",
            "S02": "M01",
            "S03": "S01",
            "M09": None,
            "R01": "S01",
            "R02": "S01",
            "R03": "S02",
            "R07": "S03",
            "R09": "M09",
        },
        logins={"M01", "S01", "S02", "S03", "M09", "R01", "R02", "R03", "R07"},
    )


@pytest.fixture
def rep_client(org) -> Client:
    """A client logged in as ``org.rep`` (R01 of the default org)."""
    return client_for(org.rep)


@pytest.fixture
def supervisor_client(org) -> Client:
    """A client logged in as ``org.supervisor`` (S01 of the default org)."""
    return client_for(org.supervisor)


@pytest.fixture
def manager_client(org) -> Client:
    """A client logged in as ``org.manager`` (M01 of the default org)."""
    return client_for(org.manager)


@pytest.fixture
def hr_client(db) -> Client:
    """A client logged in as the HR user ``hr`` (``tests.builders.hr_user()``)."""
    return client_for(hr_user())


# --------------------------------------------------------------------------- pytest-xdist


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Keep ``--dist loadgroup`` (bin/test) grouping: pytest-xdist 3.8 names a test's xdist_group by
    suffixing its node id, which pytest 9.2's structured node ids ignore, so the groups would be spread
    over the workers (pytest-dev/pytest-xdist#1386). Remove this once an xdist release fixes that."""
    if not getattr(config.option, "loadgroup", False):  # set on xdist workers under --dist loadgroup
        return
    for item in items:
        marks = item.iter_markers("xdist_group")
        groups = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default")) for mark in marks})
        nodeid = item.nodeid
        if not groups or nodeid.rfind("@") > nodeid.rfind("]"):  # not grouped, or xdist has done it
            continue
        if not hasattr(item, "_id"):
            warnings.warn(f"cannot put {nodeid} in its xdist_group: it may run on any worker", stacklevel=1)
            continue
        item._id = type(item._id).parse(f"{nodeid}@{'_'.join(groups)}")
