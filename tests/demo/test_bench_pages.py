"""bench_pages times the busiest pages on the database it is pointed at."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from appraisals.periods import PeriodRef
from demo.seed import demo_seed
from tests.builders import close_period

pytestmark = pytest.mark.django_db


def test_it_prints_each_page_with_its_time_and_queries():
    demo_seed(end=PeriodRef.parse("2026-03"), employees=20, months=3, seed=3)
    close_period("2026-01")
    out = io.StringIO()

    call_command("bench_pages", year=2026, repeat=1, stdout=out)

    lines = out.getvalue().splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert list(rows) == ["/me/", "/team/", "/hr/", "/hr/rewards/", "/hr/bonus/2026/"]
    assert all(re.fullmatch(r"\d+", value) for values in rows.values() for value in values)
    assert all(int(values[1]) > 0 for values in rows.values())  # every page ran queries


def test_without_demo_logins_it_says_what_to_run():
    with pytest.raises(CommandError, match="no demo logins"):
        call_command("bench_pages", stdout=io.StringIO())
