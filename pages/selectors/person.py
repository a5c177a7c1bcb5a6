"""Reads behind the person pages (``/me/`` and ``/employees/<no>/``).

Every read takes a fixed number of queries, however many months, scorecards or rewards a
person has: whole lists come back in one query each and Python does the grouping. Only
closed periods' scorecards and rewards are read (a closing period holds partial results).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.utils.translation import gettext

from appraisals.models import (
    BandDefinition,
    KpiDefinition,
    KpiScore,
    Metric,
    MetricValue,
    Period,
    RewardRule,
    Scorecard,
)
from appraisals.periods import MONTH, QUARTER, YEAR, PeriodRef
from pages.selectors.kpi_sentences import kpi_explanation, kpi_missing_reason
from rewards.models import RewardSuggestion
from roles.access import unit_ids_sql
from roles.models import Duty, Employee, Role

CLOSED = Period.Status.CLOSED
TREND_MONTHS = 12
# The completion KPI (R1, S1, M1) is the one computed from these raw inputs.
ACTUAL, TARGET = "sales_actual", "sales_target"
_KIND_ORDER = {YEAR: 0, QUARTER: 1, MONTH: 2}
_ONE_DECIMAL = Decimal("0.1")
_HUNDRED = Decimal(100)


# --------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ScorecardEntry:
    """One closed scorecard in a person's history."""

    period_code: str
    period_kind: str
    period_start: date
    composite: Decimal
    band: str


@dataclass(frozen=True)
class KpiLine:
    code: str
    label: str
    value: Decimal | None
    target: Decimal
    weight: Decimal
    score: Decimal | None
    explanation: str  # the raw figures behind the value, one sentence
    missing_reason: str

    @property
    def is_missing(self) -> bool:
        return self.score is None

    @property
    def value_places(self) -> int:
        """2 decimals, or 3 when the third one carries information (a completion of 1.052)."""
        if self.value is None:
            return 2
        return 3 if self.value.quantize(Decimal("0.001")) != self.value.quantize(Decimal("0.01")) else 2


@dataclass(frozen=True)
class ScorecardDetail:
    period_code: str
    period_kind: str
    composite: Decimal
    band: str
    band_label: str
    kpis: list[KpiLine]
    development_kpis: list[str]


@dataclass(frozen=True)
class TrendPoint:
    month: str
    completion: Decimal | None  # percent, 1 decimal
    composite: Decimal | None


@dataclass(frozen=True)
class Trend:
    points: list[TrendPoint]

    @property
    def has_data(self) -> bool:
        return any(p.completion is not None or p.composite is not None for p in self.points)

    @property
    def first_month(self) -> str:
        return self.points[0].month if self.points else ""

    @property
    def last_month(self) -> str:
        return self.points[-1].month if self.points else ""

    def chart_data(self) -> dict:
        """What static/js/person.js draws; pass it through ``json_script``."""
        return {
            "labels": [p.month for p in self.points],
            "series": [
                {
                    "key": "completion",
                    "label": gettext("Target completion %"),
                    "data": [None if p.completion is None else float(p.completion) for p in self.points],
                },
                {
                    "key": "composite",
                    "label": gettext("Composite"),
                    "data": [None if p.composite is None else float(p.composite) for p in self.points],
                },
            ],
        }


@dataclass(frozen=True)
class RewardLine:
    period_code: str
    period_kind: str
    code: str
    label: str
    kind: str
    amount: Decimal | None
    recomputed_amount: Decimal | None
    status: str
    status_label: str
    note: str  # e.g. the KPIs behind a development plan
    reason: str  # why HR rejected it
    order: int  # the reward's place in the policy's reward table

    @property
    def is_commission(self) -> bool:
        return self.kind == RewardRule.Kind.COMMISSION


@dataclass(frozen=True)
class RewardTally:
    """ "commission ×10 approved": how many suggestions of one reward are in one status."""

    label: str
    status: str
    status_label: str
    count: int
    total: Decimal | None


@dataclass(frozen=True)
class RatingsRow:
    quarter: str
    status: str
    status_label: str
    values: list[Decimal | None]  # one per column of ``PersonPage.rating_columns``


@dataclass(frozen=True)
class OpenMonth:
    """The month in progress: sales so far against the target, for the big figure on /me/."""

    code: str
    status: str
    status_label: str  # the period's real status, translated
    actual: Decimal
    target: Decimal
    has_metrics: bool
    days_left: int
    whole_unit: bool  # a lead's figure sums their unit

    @property
    def completion(self) -> Decimal | None:
        if self.target <= 0:
            return None
        return (self.actual * _HUNDRED / self.target).quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)

    @property
    def bar_percent(self) -> int:
        """The progress bar's width: completion clamped to 0…100."""
        if self.completion is None:
            return 0
        return int(min(max(self.completion, Decimal(0)), _HUNDRED))


@dataclass
class PersonPage:
    employee: Employee
    duties: list[Duty]
    scorecards: list[ScorecardEntry]
    requested_period: str
    selected: ScorecardDetail | None
    trend: Trend
    rewards: list[RewardLine]
    rating_columns: list[Metric]
    ratings: list[RatingsRow]


@dataclass
class MyPage:
    employee: Employee
    open_month: OpenMonth
    last_month: ScorecardDetail | None
    commission_month: Decimal | None
    commission_month_status: str
    commission_ytd: Decimal
    shows_commission: bool  # reps earn commission; a lead without any sees no commission lines
    trend: Trend
    scorecards: list[ScorecardEntry]
    reward_tallies: list[RewardTally]

    @property
    def has_data(self) -> bool:
        return self.open_month.has_metrics or bool(self.scorecards) or bool(self.reward_tallies)


# --------------------------------------------------------------------------------- pages


def person_page(*, employee: Employee, period_code: str | None) -> PersonPage:
    """The person page: role and duties, the chosen closed scorecard (default: the latest closed
    month) with the raw figures behind each KPI, trend, rewards and ratings. 9 queries."""
    duties = list(Duty.objects.filter(role_id=employee.role_id).order_by("order"))
    cards = _closed_scorecards(employee)
    requested = (period_code or "").strip()
    if requested:
        card = next((c for c in cards if c.period.code == requested), None)
    else:
        card = next((c for c in cards if c.period.kind == MONTH), None) or (cards[0] if cards else None)
    selected = _scorecard_detail(card) if card is not None else None
    columns, ratings = _ratings_history(employee)
    return PersonPage(
        employee=employee,
        duties=duties,
        scorecards=[_entry(c) for c in cards],
        requested_period=requested,
        selected=selected,
        trend=_trend(cards),
        rewards=_reward_lines(employee),
        rating_columns=columns,
        ratings=ratings,
    )


def my_page(*, employee: Employee, today: date) -> MyPage:
    """/me/: the month in progress, the last closed month's scorecard and commission, the
    commission so far this year, trend, past scorecards and rewards. 8 to 10 queries."""
    open_month = _open_month(employee, today)
    cards = _closed_scorecards(employee)
    last = next((c for c in cards if c.period.kind == MONTH), None)
    rewards = _reward_lines(employee)
    commission_month = None
    commission_status = ""
    commission_ytd = Decimal("0.00")
    if last is not None:
        year = last.period.code[:4]
        for line in rewards:
            if not line.is_commission or line.period_kind != MONTH or line.amount is None:
                continue
            if line.period_code == last.period.code:
                commission_month = (commission_month or Decimal("0.00")) + line.amount
                commission_status = line.status_label
            if line.period_code.startswith(year) and line.status != RewardSuggestion.Status.REJECTED:
                commission_ytd += line.amount
    return MyPage(
        employee=employee,
        open_month=open_month,
        last_month=_scorecard_detail(last) if last is not None else None,
        commission_month=commission_month,
        commission_month_status=commission_status,
        commission_ytd=commission_ytd,
        shows_commission=employee.role.code == Role.REP or any(line.is_commission for line in rewards),
        trend=_trend(cards),
        scorecards=[_entry(c) for c in cards],
        reward_tallies=_tallies(rewards),
    )


# --------------------------------------------------------------------------------- pieces


def _closed_scorecards(employee: Employee) -> list[Scorecard]:
    """Every closed scorecard of the person, newest first (a year before its quarters before its months)."""
    cards = list(Scorecard.objects.filter(employee=employee, period__status=CLOSED).select_related("period"))
    cards.sort(key=lambda c: (c.period.end, -_KIND_ORDER[c.period.kind]), reverse=True)
    return cards


def _entry(card: Scorecard) -> ScorecardEntry:
    return ScorecardEntry(
        period_code=card.period.code,
        period_kind=card.period.kind,
        period_start=card.period.start,
        composite=card.composite,
        band=card.band,
    )


def _scorecard_detail(card: Scorecard) -> ScorecardDetail:
    """A scorecard with its KPI lines (3 queries)."""
    scores = list(KpiScore.objects.filter(scorecard=card).order_by("id"))
    definitions = {
        kpi.code: kpi
        for kpi in KpiDefinition.objects.filter(
            policy_version_id=card.policy_version_id, role__code=card.role
        ).select_related("numerator_metric", "denominator_metric")
    }
    band_label = next(
        (b.label for b in BandDefinition.objects.filter(policy_version_id=card.policy_version_id, letter=card.band)),
        "",
    )
    order = {code: i for i, code in enumerate(definitions)}
    scores.sort(key=lambda s: (order.get(s.code, len(order)), s.id))
    lines = []
    for score in scores:
        definition = definitions.get(score.code)
        lines.append(
            KpiLine(
                code=score.code,
                label=definition.label if definition else score.code,
                value=score.value,
                target=score.target,
                weight=score.weight,
                score=score.score,
                explanation=kpi_explanation(score.code, definition, score.inputs) if not score.is_missing else "",
                missing_reason=kpi_missing_reason(score.inputs, definition) if score.is_missing else "",
            )
        )
    return ScorecardDetail(
        period_code=card.period.code,
        period_kind=card.period.kind,
        composite=card.composite,
        band=card.band,
        band_label=band_label,
        kpis=lines,
        development_kpis=[code for code in card.development_kpis.split(";") if code],
    )


def _trend(cards: list[Scorecard]) -> Trend:
    """The 12 months up to the latest closed month: completion % of the completion KPI and the
    monthly composite (1 query; none without a closed month)."""
    months = {c.period.code: c for c in cards if c.period.kind == MONTH}
    if not months:
        return Trend(points=[])
    latest = PeriodRef.parse(max(months))
    codes = [latest.code, *(ref.code for ref in latest.previous_months(TREND_MONTHS - 1))][::-1]
    shown = [months[code].pk for code in codes if code in months]
    completion: dict[int, Decimal] = {}
    for scorecard_id, value in KpiScore.objects.filter(
        scorecard_id__in=shown, inputs__has_keys=[ACTUAL, TARGET], value__isnull=False
    ).values_list("scorecard_id", "value"):
        completion.setdefault(scorecard_id, (value * _HUNDRED).quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP))
    points = []
    for code in codes:
        card = months.get(code)
        points.append(
            TrendPoint(
                month=code,
                completion=completion.get(card.pk) if card else None,
                composite=card.composite if card else None,
            )
        )
    return Trend(points=points)


def _reward_lines(employee: Employee) -> list[RewardLine]:
    """The person's reward suggestions of closed periods, newest first (2 queries)."""
    suggestions = list(
        RewardSuggestion.objects.filter(employee=employee, period__status=CLOSED).select_related("period")
    )
    if not suggestions:
        return []
    rules = {
        (rule.policy_version_id, rule.code): rule
        for rule in RewardRule.objects.filter(
            policy_version_id__in={s.policy_version_id for s in suggestions},
            code__in={s.code for s in suggestions},
        )
    }

    def newest_first(s: RewardSuggestion) -> tuple:
        rule = rules.get((s.policy_version_id, s.code))
        return (s.period.end, -_KIND_ORDER[s.period.kind], -(rule.order if rule else 0))

    suggestions.sort(key=newest_first, reverse=True)
    lines = []
    for suggestion in suggestions:
        rule = rules.get((suggestion.policy_version_id, suggestion.code))
        lines.append(
            RewardLine(
                period_code=suggestion.period.code,
                period_kind=suggestion.period.kind,
                code=suggestion.code,
                label=rule.label if rule else suggestion.code,
                kind=rule.kind if rule else "",
                amount=suggestion.amount,
                recomputed_amount=suggestion.recomputed_amount,
                status=suggestion.status,
                status_label=suggestion.get_status_display(),
                reason=suggestion.reason,
                note=_reward_note(suggestion),
                order=rule.order if rule else 0,
            )
        )
    return lines


def _reward_note(suggestion: RewardSuggestion) -> str:
    details = suggestion.details or {}
    if details.get("kpis"):
        return gettext("KPIs below target: %(kpis)s") % {"kpis": ", ".join(details["kpis"].split(";"))}
    return ""


def _tallies(lines: list[RewardLine]) -> list[RewardTally]:
    """Reward suggestions counted per reward and status, in the order of the policy's reward table."""
    groups: dict[tuple[str, str], list[RewardLine]] = defaultdict(list)
    for line in sorted(lines, key=lambda line: line.order):
        groups[(line.label, line.status)].append(line)
    tallies = []
    for (label, status), members in groups.items():
        amounts = [m.amount for m in members if m.amount is not None]
        tallies.append(
            RewardTally(
                label=label,
                status=status,
                status_label=members[0].status_label,
                count=len(members),
                total=sum(amounts, Decimal("0.00")) if amounts else None,
            )
        )
    return tallies


def _ratings_history(employee: Employee) -> tuple[list[Metric], list[RatingsRow]]:
    """Quarterly ratings per quarter, newest first, one column per rating metric seen (1 query)."""
    values = list(
        MetricValue.objects.filter(
            employee=employee, metric__unit=Metric.Unit.RATING, metric__cadence=Metric.Cadence.QUARTERLY
        ).select_related("period", "metric")
    )
    columns: dict[str, Metric] = {}
    for value in sorted(values, key=lambda v: (v.metric.order, v.metric.code)):
        columns.setdefault(value.metric.code, value.metric)
    by_quarter: dict[str, dict[str, Decimal]] = defaultdict(dict)
    periods: dict[str, Period] = {}
    for value in values:
        by_quarter[value.period.code][value.metric_id] = value.value
        periods[value.period.code] = value.period
    rows = [
        RatingsRow(
            quarter=code,
            status=periods[code].status,
            status_label=periods[code].get_status_display(),
            values=[by_quarter[code].get(metric) for metric in columns],
        )
        for code in sorted(by_quarter, reverse=True)
    ]
    return list(columns.values()), rows


def _open_month(employee: Employee, today: date) -> OpenMonth:
    """The month whose pay is next: the earliest month after the last closed one that has begun and
    has sales figures for the person (their unit, for a lead); before any month has closed, the
    latest such month; without figures, the current calendar month. 2 queries, 3 without figures.

    Months close in order, so every unclosed month with figures comes after the last closed one."""
    whole_unit = employee.role.code != Role.REP
    rows = (
        MetricValue.objects.filter(
            employee_id__in=unit_ids_sql(employee.pk),
            metric_id__in=[ACTUAL, TARGET],
            period__kind=MONTH,
            period__start__lte=today,
        )
        .exclude(period__status=CLOSED)
        .values("period__code", "period__status", "metric_id")
        .annotate(total=Sum("value"))
        .order_by()
    )
    sums: dict[str, dict[str, Decimal]] = defaultdict(dict)
    statuses: dict[str, str] = {}
    for row in rows:
        sums[row["period__code"]][row["metric_id"]] = row["total"]
        statuses[row["period__code"]] = row["period__status"]
    if sums:
        any_closed = Period.objects.filter(kind=MONTH, status=CLOSED).exists()
        code = min(sums) if any_closed else max(sums)
        status = statuses[code]
    else:
        code = PeriodRef.month(today.year, today.month).code
        status = Period.objects.filter(code=code).values_list("status", flat=True).first() or Period.Status.OPEN
    ref = PeriodRef.parse(code)
    if today < ref.start:
        days_left = (ref.end - ref.start).days + 1
    elif today <= ref.end:
        days_left = (ref.end - today).days + 1
    else:
        days_left = 0
    figures = sums.get(code, {})
    return OpenMonth(
        code=code,
        status=status,
        status_label=Period.Status(status).label,
        actual=(figures.get(ACTUAL) or Decimal(0)).quantize(Decimal("0.01")),
        target=(figures.get(TARGET) or Decimal(0)).quantize(Decimal("0.01")),
        has_metrics=bool(figures),
        days_left=days_left,
        whole_unit=whole_unit,
    )
