"""The close's COPY line formatters give exactly what the generic, per-value formatting gives."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from appraisals.scorecards import _kpi_score_copy_line, _scorecard_copy_line
from rewards.services import _suggestion_copy_line
from sales_perf.bulk import copy_value

NOW = datetime(2026, 11, 30, 5, 6, 7, 891011, tzinfo=UTC)


def generic(row) -> str:
    return "\t".join(map(copy_value, row)) + "\n"


@pytest.mark.parametrize(
    "row",
    [
        (7, 11, 3, 1, "rep", "S\t01\\x", Decimal("98.40"), "B", "R1;R2", "", NOW),
        (8, 12, 3, 1, "manager", "", None, "", "", "M1", NOW),
    ],
)
def test_scorecard_lines(row):
    assert _scorecard_copy_line(row) == generic(row)


@pytest.mark.parametrize(
    "row",
    [
        (7, "R1", Decimal("40.00"), Decimal("1.0000"), Decimal("1.02500000"), Decimal("102.50"), {"sales": "10.5"}),
        (7, "R2", Decimal("30.00"), Decimal("0.9000"), None, None, {"reason": "no \\ data\nat all", "月": "一"}),
    ],
)
def test_kpi_score_lines(row):
    assert _kpi_score_copy_line(row) == generic(row)


@pytest.mark.parametrize(
    "row",
    [
        (5, 3, "commission", Decimal("1234.50"), {"tiers": [{"rate": "0.03"}], "base": "9.1"}, 1, "pending", "", NOW),
        (5, 3, "flex_time", None, {}, 1, "pending", "tab\there", NOW),
    ],
)
def test_suggestion_lines(row):
    assert _suggestion_copy_line(row) == generic(row)
