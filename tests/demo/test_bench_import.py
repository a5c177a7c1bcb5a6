"""``manage.py bench_import``: times a metric import of generated rows and leaves nothing behind."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from appraisals.models import MetricValue, Period
from roles.models import Employee

pytestmark = pytest.mark.django_db


def test_bench_command_times_an_import_and_cleans_up(capsys):
    call_command("bench_import", rows=250)

    assert "metrics_import: 250 rows (250 created, 0 updated)" in capsys.readouterr().out
    assert not Employee.objects.filter(employee_no__startswith="BENCH").exists()
    assert not MetricValue.objects.exists()
    assert not Period.objects.exists()
