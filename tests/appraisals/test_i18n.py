"""The metric import's row errors are worded in the active language: Simplified Chinese when asked, else English."""

from __future__ import annotations

import pytest
from django.utils import translation

from appraisals.metric_import import metrics_import
from sales_perf.tabular import ImportFailed


def test_metrics_import_row_errors_are_in_chinese(db):
    text = "employee_no,period,metric,value\nNOBODY,2026-01,sales_actual,12\n"
    with translation.override("zh-hans"), pytest.raises(ImportFailed) as failed:
        metrics_import(source=text.encode(), filename="metrics.csv")
    assert [(error.line, error.field, error.reason) for error in failed.value.errors] == [
        (2, "employee_no", "未知员工（'NOBODY'）")
    ]
    with translation.override("zh-hans"):
        assert failed.value.message == "1 行有误"


def test_metrics_import_row_errors_stay_english_by_default(db):
    text = "employee_no,period,metric,value\nNOBODY,2026-01,sales_actual,12\n"
    with pytest.raises(ImportFailed) as failed:
        metrics_import(source=text.encode(), filename="metrics.csv")
    assert failed.value.errors[0].reason == "unknown employee ('NOBODY')"
