"""What the engine gives back: scorecards with their KPI results, rewards, and a period's whole result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class MissingReason(StrEnum):
    """Why a KPI could not be computed; the pages turn a reason and its parameters into a sentence."""

    NO_VALUES = "no_values"  # metric: nothing of it recorded in the period
    ZERO_TOTAL = "zero_total"  # metric: the denominator's total is 0
    NO_POINT = "no_point"  # metric, quarter: no value at the quarter a delta needs
    NO_TEAM_SCORECARDS = "no_team_scorecards"
    NO_SUBTEAM_TARGETS = "no_subteam_targets"
    TARGET_NOT_POSITIVE = "target_not_positive"


@dataclass(frozen=True, slots=True)
class Missing:
    reason: MissingReason
    metric: str = ""
    quarter: str = ""

    def as_inputs(self) -> dict[str, str]:
        """The reason as it is kept beside the KPI's raw figures (``KpiScore.inputs``)."""
        kept = {"reason": str(self.reason)}
        if self.metric:
            kept["reason_metric"] = self.metric
        if self.quarter:
            kept["reason_quarter"] = self.quarter
        return kept


@dataclass(frozen=True, slots=True)
class KpiResult:
    code: str
    weight: Decimal
    target: Decimal
    value: Decimal | None
    score: Decimal | None
    inputs: Mapping[str, str]
    missing_reason: Missing | None = None

    @property
    def missing(self) -> bool:
        return self.score is None


@dataclass(frozen=True, slots=True)
class ScorecardResult:
    key: int
    role: str
    composite: Decimal
    band: str
    kpis: tuple[KpiResult, ...]
    missing_kpis: tuple[str, ...]
    development_kpis: tuple[str, ...]

    def kpi(self, code: str) -> KpiResult | None:
        return next((result for result in self.kpis if result.code == code), None)


@dataclass(frozen=True, slots=True)
class RewardResult:
    key: int
    code: str
    amount: Decimal | None
    details: Mapping[str, object]  # plain JSON values: what the reward was computed from


@dataclass(frozen=True, slots=True)
class PeriodResult:
    scorecards: dict[int, ScorecardResult]
    rewards: list[RewardResult]
    no_data: list[int]
