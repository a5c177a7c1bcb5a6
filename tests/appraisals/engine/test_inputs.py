"""The period as the engine receives it (``appraisals.engine.inputs``)."""

from __future__ import annotations

import pytest

from appraisals.engine.inputs import PeriodSpec


@pytest.mark.parametrize(
    ("code", "history", "months", "quarters", "last", "baseline", "previous"),
    [
        ("2026-01", 2, ("2026-01",), (), None, None, ("2025-12", "2025-11")),
        ("2026-03", 0, ("2026-03",), (), None, None, ()),
        ("2026-Q1", 2, ("2026-01", "2026-02", "2026-03"), ("2026-Q1",), "2026-Q1", "2025-Q4", ()),
        ("2026-Q3", 0, ("2026-07", "2026-08", "2026-09"), ("2026-Q3",), "2026-Q3", "2026-Q2", ()),
        (
            "2026",
            0,
            tuple(f"2026-{m:02d}" for m in range(1, 13)),
            ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"),
            "2026-Q4",
            "2025-Q4",
            (),
        ),
    ],
)
def test_period_spec_knows_its_months_quarters_and_baseline(code, history, months, quarters, last, baseline, previous):
    spec = PeriodSpec.from_code(code, history_months=history)

    assert (spec.months, spec.quarters, spec.last_quarter, spec.baseline_quarter, spec.previous_months) == (
        months,
        quarters,
        last,
        baseline,
        previous,
    )
