"""Before a close: what HR should look at (the pre-close checklist) and what the close would make
(a dry run with the close's own engine and inputs, nothing written), compared with the last close
of the same period when it was closed before."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef

from appraisals.models import MetricValue, Period, PeriodEvent, PolicyVersion
from appraisals.periods import QUARTER, PeriodRef
from appraisals.ratings import UnratedPerson, unrated
from appraisals.selectors import NoPolicyError, engine_policy, period_result_in_memory, policy_version_for
from closing.rules import close_problems
from roles.models import Employee

# People listed by name on the checklist; the rest are counted.
SAMPLE = 50
# A month's sales are an outlier when above this many times, or below this share of, the person's
# average of the three months before.
OUTLIER_FACTOR = Decimal(3)
SALES = "sales_actual"


@dataclass(frozen=True)
class Person:
    employee_no: str
    name: str


@dataclass(frozen=True)
class Outlier:
    employee_no: str
    name: str
    month: str
    sales: Decimal
    average: Decimal  # of the (up to) three months before

    @property
    def ratio(self) -> Decimal:
        return (self.sales / self.average).quantize(Decimal("0.01"))


@dataclass
class Checklist:
    period: PeriodRef
    problems: list[str]  # why it cannot close yet (empty: it can)
    version: PolicyVersion | None
    without_metrics: int
    without_metrics_sample: list[Person]
    outliers: list[Outlier]
    # A quarter: the people still missing a rating of it (their rating KPIs would be missing).
    unrated: list[UnratedPerson] | None = None

    @property
    def unrated_sample(self) -> list[UnratedPerson]:
        return (self.unrated or [])[:SAMPLE]


def close_checklist(*, ref: PeriodRef, today: date) -> Checklist:
    """The pre-close checklist of a period (a fixed number of queries; outliers read four months of
    sales in one)."""
    try:
        version = policy_version_for(ref)
    except NoPolicyError:
        version = None
    sub_codes = [month.code for month in ref.months()] + [quarter.code for quarter in ref.quarters()]
    recorded = MetricValue.objects.filter(employee=OuterRef("pk"), period__code__in=sub_codes)
    missing = Employee.objects.filter(is_active=True).exclude(Exists(recorded)).order_by("employee_no")
    return Checklist(
        period=ref,
        problems=close_problems(ref, today=today),
        version=version,
        without_metrics=missing.count(),
        without_metrics_sample=[Person(no, name) for no, name in missing.values_list("employee_no", "name")[:SAMPLE]],
        outliers=_outliers(ref),
        unrated=unrated(quarter=ref) if ref.kind == QUARTER else None,
    )


def _outliers(ref: PeriodRef) -> list[Outlier]:
    """Months of ``ref`` whose sales are over 3× or under a third of the person's previous three-month average."""
    months = list(ref.months())
    wanted = {month.code for month in months} | {m.code for month in months for m in month.previous_months(3)}
    sales: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for employee_id, code, value in MetricValue.objects.filter(metric_id=SALES, period__code__in=wanted).values_list(
        "employee_id", "period__code", "value"
    ):
        sales[employee_id][code] = value
    found: list[tuple[int, str, Decimal, Decimal]] = []
    for employee_id, by_month in sales.items():
        for month in months:
            value = by_month.get(month.code)
            before = [by_month[m.code] for m in month.previous_months(3) if m.code in by_month]
            if value is None or not before:
                continue
            average = sum(before, Decimal(0)) / len(before)
            if average > 0 and (value > OUTLIER_FACTOR * average or value * OUTLIER_FACTOR < average):
                found.append((employee_id, month.code, value, average.quantize(Decimal("0.01"))))
    names = {
        pk: (no, name)
        for pk, no, name in Employee.objects.filter(id__in={f[0] for f in found}).values_list(
            "id", "employee_no", "name"
        )
    }
    return sorted(
        (Outlier(*names[pk], month, value, average) for pk, month, value, average in found),
        key=lambda outlier: (outlier.employee_no, outlier.month),
    )


@dataclass(frozen=True)
class Change:
    """One figure of a dry run beside the last close's. ``kind``: scorecards, band (``key`` a letter),
    count or money (``key`` a reward code)."""

    kind: str
    key: str
    before: str
    now: str
    difference: str


@dataclass
class DryRun:
    """What closing a period now would make; ``last`` is the summary of its last close, if any."""

    period: PeriodRef
    version: PolicyVersion
    scorecards: int
    no_data: int
    bands: dict[str, int]
    reward_counts: dict[str, int]
    money: dict[str, Decimal]
    last: dict | None = None
    changes: list[Change] = field(default_factory=list)

    @property
    def reward_rows(self) -> list[tuple[str, int, Decimal | None]]:
        """(reward code, how many, money or None for a non-cash reward)."""
        return [(code, count, self.money.get(code)) for code, count in self.reward_counts.items()]


def close_dry_run(*, period: Period) -> DryRun:
    """Score and reward ``period`` as its close would, with the same engine and inputs, and write
    nothing. A month's flex time reads the closed months before it, as the close does."""
    version = policy_version_for(period)
    policy = engine_policy(version)
    result = period_result_in_memory(policy=policy, period=period)
    flags = policy.development_flag_codes()
    bands: dict[str, int] = defaultdict(int)
    for scorecard in result.scorecards.values():
        bands[scorecard.band] += 1
    counts: dict[str, int] = defaultdict(int)
    money: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for reward in result.rewards:
        if reward.code in flags:
            continue
        counts[reward.code] += 1
        if reward.amount is not None:
            money[reward.code] += reward.amount
    last_event = (
        PeriodEvent.objects.filter(period=period, action=PeriodEvent.Action.CLOSED).order_by("-at", "-id").first()
    )
    dry = DryRun(
        period=period.ref,
        version=version,
        scorecards=len(result.scorecards),
        no_data=len(result.no_data),
        bands=dict(sorted(bands.items())),
        reward_counts=dict(sorted(counts.items())),
        money=dict(sorted(money.items())),
        last=last_event.details if last_event else None,
    )
    if dry.last is not None:
        dry.changes = _changes(dry, dry.last)
    return dry


def _changes(dry: DryRun, last: dict) -> list[Change]:
    """Each figure of the dry run beside the last close's, with the difference."""
    counts = [("scorecards", "", last.get("scorecards", 0), dry.scorecards)]
    for letter in sorted(set(last.get("bands", {})) | set(dry.bands)):
        counts.append(("band", letter, last.get("bands", {}).get(letter, 0), dry.bands.get(letter, 0)))
    for code in sorted(set(last.get("reward_counts", {})) | set(dry.reward_counts)):
        counts.append(("count", code, last.get("reward_counts", {}).get(code, 0), dry.reward_counts.get(code, 0)))
    changes = [Change(kind, key, str(before), str(now), f"{now - before:+d}") for kind, key, before, now in counts]
    for code in sorted(set(last.get("money", {})) | set(dry.money)):
        before = Decimal(last.get("money", {}).get(code, "0.00"))
        now = dry.money.get(code, Decimal("0.00"))
        changes.append(Change("money", code, f"{before:.2f}", f"{now:.2f}", f"{now - before:+.2f}"))
    return changes
