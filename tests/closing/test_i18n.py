"""The close's refusals are worded in the active language: Simplified Chinese when asked, else English."""

from __future__ import annotations

import pytest
from django.utils import translation

from appraisals.models import Period
from closing.exceptions import CloseRefused
from closing.reopen import period_reopen
from tests.builders import close_period, period


def test_close_refusal_is_in_chinese_when_chinese_is_active(db):
    period("2026-01", status=Period.Status.CLOSED)
    with translation.override("zh-hans"), pytest.raises(CloseRefused, match=r"^2026-01 已结账$"):
        close_period("2026-01")


def test_close_refusal_stays_english_by_default(db):
    period("2026-01", status=Period.Status.CLOSED)
    with pytest.raises(CloseRefused, match=r"^2026-01 is already closed$"):
        close_period("2026-01")


def test_reopen_refusal_is_in_chinese(db):
    with translation.override("zh-hans"), pytest.raises(CloseRefused, match="重新开启期间必须填写原因"):
        period_reopen(code="2026-01", reason=" ")


def test_quarter_refusal_names_the_open_months_in_chinese(db):
    period("2026-01", status=Period.Status.CLOSED)
    with translation.override("zh-hans"), pytest.raises(CloseRefused) as refused:
        close_period("2026-Q1")
    assert "2026-02, 2026-03 结账之前，2026-Q1 不能结账" in str(refused.value)
