"""The engine's enums and codes mirror the choices the models store: every value HR can save is one
the engine knows, and every value the engine knows can be saved."""

from __future__ import annotations

import dataclasses

import pytest

from appraisals.engine.base import MONTHLY, QUARTERLY
from appraisals.engine.inputs import EmployeeInput
from appraisals.engine.policy import BONUS_BASE_FIELDS, Formula, RewardKind
from appraisals.models import Cadence, KpiDefinition, Period, RewardRule
from appraisals.periods import PERIOD_KINDS


@pytest.mark.parametrize(
    ("engine_values", "stored_values"),
    [
        pytest.param({str(formula) for formula in Formula}, set(KpiDefinition.Formula.values), id="formula"),
        pytest.param({str(kind) for kind in RewardKind}, set(RewardRule.Kind.values), id="reward-kind"),
        pytest.param({MONTHLY, QUARTERLY}, set(Cadence.values), id="cadence"),
        pytest.param(set(BONUS_BASE_FIELDS), set(RewardRule.BaseField.values), id="bonus-base-field"),
        pytest.param(set(PERIOD_KINDS), {kind for kind, _label in Period.KIND_CHOICES}, id="period-kind"),
    ],
)
def test_engine_values_match_the_model_choices(engine_values, stored_values):
    assert engine_values == stored_values


def test_every_bonus_base_field_is_an_employee_input():
    fields = {field.name for field in dataclasses.fields(EmployeeInput)}

    assert set(BONUS_BASE_FIELDS) <= fields
