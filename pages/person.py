"""Reads behind the person pages (``/me/`` and ``/employees/<no>/``).

Every read takes a fixed number of queries, however many months, scorecards or rewards a
person has: whole lists come back in one query each and Python does the grouping. Only
closed periods' scorecards and rewards are read (a closing period holds partial results).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import Sum
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from appraisals.engine.results import MissingReason
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

# Short words for the raw-input sentence ("R1 = 354,000.00 actual ÷ 300,000.00 target …");
# any other metric reads with its catalogue name.
_SENTENCE_WORDS = {
    "sales_actual": _("actual"),
    "sales_target": _("target"),
    "new_customers": _("new customers"),
    "new_customer_target": _("new-customer target"),
    "customers_retained": _("customers retained"),
    "customers_start": _("customers at month start"),
}


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
                missing_reason=_missing_reason(score.inputs, definition) if score.is_missing else "",
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


# --------------------------------------------------------------------------------- sentences


def _number(text: str, metric: Metric | None = None) -> str:
    try:
        amount = Decimal(text)
    except (InvalidOperation, TypeError):
        return text or "—"
    places = 0 if metric is not None and metric.integer_only and amount == amount.to_integral_value() else 2
    return number_format(amount, decimal_pos=places, force_grouping=True)


def _span_text(span: str) -> str:
    """``2026-07..2026-09`` → ``2026-07…09``; ``2025-12..2026-02`` → ``2025-12…2026-02``."""
    first, _sep, last = span.partition("..")
    if not last:
        return first
    if first[:5] == last[:5]:
        return f"{first}…{last[5:]}"
    return f"{first}…{last}"


def _word(metric: Metric | None, code: str) -> str:
    if code in _SENTENCE_WORDS:
        return str(_SENTENCE_WORDS[code])
    return metric.name if metric is not None else code


def kpi_explanation(code: str, definition: KpiDefinition | None, inputs: dict) -> str:
    """The raw figures behind a KPI's value in one sentence, from ``KpiScore.inputs``:
    "R1 = 354,000.00 actual ÷ 300,000.00 target over 2026-07…09"."""
    span = _span_text(inputs.get("months") or inputs.get("quarters") or "")
    formula = definition.formula if definition else ""
    top = definition.numerator_metric if definition else None
    bottom = definition.denominator_metric if definition else None
    F = KpiDefinition.Formula
    if formula in (F.OWN_RATIO, F.UNIT_RATIO) and top and bottom:
        params = {
            "code": code,
            "top": _number(inputs.get(top.code, ""), top),
            "top_name": _word(top, top.code),
            "bottom": _number(inputs.get(bottom.code, ""), bottom),
            "bottom_name": _word(bottom, bottom.code),
            "span": span,
        }
        if formula == F.UNIT_RATIO:
            sentence = gettext("%(code)s = %(top)s %(top_name)s ÷ %(bottom)s %(bottom_name)s over %(span)s, whole unit")
        else:
            sentence = gettext("%(code)s = %(top)s %(top_name)s ÷ %(bottom)s %(bottom_name)s over %(span)s")
        return sentence % params
    if formula == F.OWN_MEAN and top:
        count = inputs.get(f"{top.code}_count", "0")
        sentence = ngettext(
            "%(code)s = %(total)s %(metric)s ÷ %(count)s value over %(span)s",
            "%(code)s = %(total)s %(metric)s ÷ %(count)s values over %(span)s",
            int(count) if count.isdigit() else 0,
        )
        return sentence % {
            "code": code,
            "total": _number(inputs.get(f"{top.code}_total", "")),
            "metric": top.name,
            "count": count,
            "span": span,
        }
    if formula == F.TEAM_MEAN_COMPOSITE:
        count = inputs.get("team_scorecards", "0")
        sentence = ngettext(
            "%(code)s = %(total)s composite ÷ %(count)s team scorecard over %(span)s",
            "%(code)s = %(total)s composite ÷ %(count)s team scorecards over %(span)s",
            int(count) if count.isdigit() else 0,
        )
        return sentence % {
            "code": code,
            "total": _number(inputs.get("composites_total", "")),
            "count": count,
            "span": span,
        }
    if formula == F.TEAM_TARGET_HIT_SHARE:
        return gettext("%(code)s = %(hits)s of %(pairs)s team-months on target over %(span)s") % {
            "code": code,
            "hits": inputs.get("hits", "0"),
            "pairs": inputs.get("pairs", "0"),
            "span": span,
        }
    if formula == F.OWN_DELTA and top:
        points = sorted((key.partition("@")[2], text) for key, text in inputs.items() if "@" in key)
        if len(points) == 2:
            (baseline_quarter, baseline), (last_quarter, last) = points
            sentence = gettext(
                "%(code)s = %(metric)s %(last)s at %(last_quarter)s − %(baseline)s at %(baseline_quarter)s"
            )
            return sentence % {
                "code": code,
                "metric": top.name,
                "last": _number(last, top),
                "last_quarter": last_quarter,
                "baseline": _number(baseline, top),
                "baseline_quarter": baseline_quarter,
            }
    figures = ", ".join(f"{key} = {text}" for key, text in sorted(inputs.items()) if not key.startswith("reason"))
    return f"{code}: {figures}" if figures else code


_MISSING_REASONS = {
    MissingReason.NO_VALUES: _("no %(metric)s recorded"),
    MissingReason.ZERO_TOTAL: _("%(metric)s total is 0"),
    MissingReason.NO_POINT: _("no %(metric)s at %(quarter)s"),
    MissingReason.NO_TEAM_SCORECARDS: _("no team member has a scorecard"),
    MissingReason.NO_SUBTEAM_TARGETS: _("no team with its own team had a target"),
    MissingReason.TARGET_NOT_POSITIVE: _("the KPI target is not positive"),
}


def missing_reason_text(inputs: dict, metric_names: dict[str, str]) -> str:
    """Why a KPI is missing, in the reader's language, from the reason code the engine kept."""
    try:
        message = _MISSING_REASONS[MissingReason(inputs.get("reason", ""))]
    except ValueError:
        return ""
    metric = inputs.get("reason_metric", "")
    return str(message) % {"metric": metric_names.get(metric, metric), "quarter": inputs.get("reason_quarter", "")}


def _missing_reason(inputs: dict, definition: KpiDefinition | None) -> str:
    names = {}
    if definition is not None:
        for metric in (definition.numerator_metric, definition.denominator_metric):
            if metric is not None:
                names[metric.code] = metric.name
    return missing_reason_text(inputs, names)
