"""The employee import's errors are worded in the active language (here Simplified Chinese)."""

from __future__ import annotations

import pytest
from django.utils import translation

from roles.employee_import import employees_import
from sales_perf.tabular import ImportFailed


def test_employee_import_header_errors_are_in_chinese(db):
    text = "employee_no,name,colour\n"
    with translation.override("zh-hans"), pytest.raises(ImportFailed) as failed:
        employees_import(source=text.encode(), filename="employees.csv")
    reasons = {(error.field, error.reason) for error in failed.value.errors}
    assert ("colour", "未知列") in reasons
    assert ("email", "缺少列") in reasons
