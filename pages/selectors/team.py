"""The team page's reads: the closed scorecards of the viewer's scope, filtered, totalled, sorted, one page at a time.

By default the people most in need of attention come first: band E to A, then the lowest composite.
Each row carries the change since the previous period of the same kind (composite and band) and the
KPIs scored below the development threshold (POLICY.md §6: a development plan); the quarter view
compares this quarter with the last, biggest drop first.

The query count is fixed whatever the unit's size: filtering, totals and sorting (by a KPI score too)
happen in SQL, and only the current page's rows are materialised.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from appraisals.models import KpiDefinition, KpiScore, MetricValue, Period, RewardRule, Scorecard
from appraisals.periods import MONTH
from appraisals.ratings import grid_rater, rating_quarters, unrated
from appraisals.selectors import policy_version_for
from roles.access import HR, LEAD, audience, unit_ids_sql, viewer_employee
from roles.models import Employee, Role

BANDS = ("A", "B", "C", "D", "E")
# Bands that need a lead's attention: flagged in the table.
ATTENTION_BANDS = frozenset({"D", "E"})
PER_PAGE = 50

SALES_ACTUAL = "sales_actual"
SALES_TARGET = "sales_target"
_COMPLETION_FORMULAS = (KpiDefinition.Formula.OWN_RATIO, KpiDefinition.Formula.UNIT_RATIO)

ASC = "asc"
DESC = "desc"
# Most in need of attention first: band E to A, then the lowest composite.
ATTENTION = "attention"
DEFAULT_SORT_KEY = ATTENTION
CHANGE = "change"
_TEXT_SORTS = ("name", "role", "supervisor", "band")
_NUMBER_SORTS = ("completion", "composite", CHANGE)
SORT_LABELS = {
    "name": _("Name"),
    "role": _("Role"),
    "supervisor": _("Supervisor"),
    "completion": _("Completion"),
    "composite": _("Composite"),
    "band": _("Band"),
    CHANGE: pgettext_lazy("composite since the previous period", "Change"),
}
# The quarter view: this quarter against the last one.
VIEW_QUARTERS = "quarters"
# The development threshold when the policy version has no development rule (POLICY.md §6).
DEFAULT_DEVELOPMENT_THRESHOLD = Decimal("80")
# Short names for the table's KPI headers ("Sales (R1)"); a code not listed shows its policy label.
KPI_SHORT_NAMES = {
    "R1": _("Sales"),
    "R2": _("Service"),
    "R3": _("Teamwork"),
    "R4": _("Skills"),
    "S1": _("Team sales"),
    "S2": _("Collaboration"),
    "S3": _("Efficiency"),
    "S4": _("Team results"),
    "M1": _("Revenue"),
    "M2": _("Teams on target"),
    "M3a": _("New customers"),
    "M3b": _("Retention"),
    "M4": _("Collaboration"),
    "M5": _("Market share"),
}
_PERCENT_QUANTUM = Decimal("0.1")


@dataclass(frozen=True)
class TeamFilters:
    period: Period
    band: str = ""
    role: str = ""
    supervisor: str = ""  # employee_no of the person the rows report to
    search: str = ""
    development: bool = False  # only people with a KPI below the development threshold
    view: str = ""  # "" or VIEW_QUARTERS


@dataclass(frozen=True)
class KpiColumn:
    code: str
    label: str
    role: str

    @property
    def short_name(self) -> str:
        return str(KPI_SHORT_NAMES.get(self.code, self.label))

    @property
    def heading(self) -> str:
        """The header and download column: short name and code, "Sales (R1)"."""
        return f"{self.short_name} ({self.code})"


@dataclass(frozen=True)
class TeamColumns:
    kpis: tuple[KpiColumn, ...]
    # R1, S1, M1: the KPI per role that measures sales-target completion.
    completion_codes: tuple[str, ...]
    # A KPI score below this asks for a development plan (the policy version's development rule).
    threshold: Decimal = DEFAULT_DEVELOPMENT_THRESHOLD

    @property
    def kpi_codes(self) -> tuple[str, ...]:
        return tuple(kpi.code for kpi in self.kpis)

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(kpi.role for kpi in self.kpis))

    def for_roles(self, present: set[str]) -> TeamColumns:
        """Only the KPI columns of roles somebody in the table has: a supervisor's team needs no M columns."""
        return TeamColumns(
            kpis=tuple(kpi for kpi in self.kpis if kpi.role in present),
            completion_codes=self.completion_codes,
            threshold=self.threshold,
        )


@dataclass(frozen=True)
class Sort:
    key: str
    direction: str


DEFAULT_SORT = Sort(DEFAULT_SORT_KEY, ASC)
# The quarter view's default: the biggest drop since the last quarter first.
QUARTERS_SORT = Sort(CHANGE, ASC)


@dataclass(frozen=True)
class SortHeader:
    key: str
    label: str | Promise
    title: str
    numeric: bool
    active: bool
    next_direction: str
    direction: str = ""

    @property
    def aria_sort(self) -> str:
        if not self.active:
            return "none"
        return "ascending" if self.direction == ASC else "descending"


@dataclass(frozen=True)
class ScoreCell:
    score: Decimal | None
    low: bool  # below the development threshold
    heading: str = ""  # the column's "Sales (R1)"


@dataclass(frozen=True)
class TeamRow:
    employee_no: str
    name: str
    role: str
    supervisor: str
    completion: Decimal | None  # percent, 1 decimal
    scores: tuple[Decimal | None, ...]
    composite: Decimal
    band: str
    cells: tuple[ScoreCell, ...] = ()
    development: tuple[str, ...] = ()  # KPI codes below the threshold: a development plan
    previous_composite: Decimal | None = None
    previous_band: str = ""

    @property
    def needs_attention(self) -> bool:
        return self.band in ATTENTION_BANDS

    @property
    def change(self) -> Decimal | None:
        """Composite minus the previous period's, or ``None`` without a previous scorecard."""
        if self.previous_composite is None:
            return None
        return self.composite - self.previous_composite


@dataclass(frozen=True)
class TeamTotals:
    people: int
    band_counts: tuple[tuple[str, int], ...]
    role_counts: dict[str, int]
    sales_actual: Decimal
    sales_target: Decimal
    development: int = 0  # people with a development plan

    @property
    def completion(self) -> Decimal | None:
        """Σ actual ÷ Σ target as a percent with 1 decimal; ``None`` without a target."""
        if not self.sales_target:
            return None
        return (self.sales_actual * 100 / self.sales_target).quantize(_PERCENT_QUANTUM, rounding=ROUND_HALF_UP)

    @property
    def chart(self) -> dict:
        """The band bar chart's data, for ``json_script``."""
        return {
            "labels": [letter for letter, _count in self.band_counts],
            "counts": [count for _letter, count in self.band_counts],
            "label": _("People"),
        }


@dataclass(frozen=True)
class TeamPage:
    filters: TeamFilters
    columns: TeamColumns
    sort: Sort
    headers: tuple[SortHeader, ...]
    totals: TeamTotals
    page: Page
    rows: list[TeamRow]
    previous_code: str = ""  # the previous period of the same kind, compared with

    @property
    def threshold(self) -> Decimal:
        return self.columns.threshold

    @property
    def page_links(self) -> list:
        """Page numbers around the current one, with ``Paginator.ELLIPSIS`` for the gaps."""
        return list(self.page.paginator.get_elided_page_range(self.page.number, on_each_side=2, on_ends=1))

    @property
    def column_count(self) -> int:
        # The sortable headers plus the employee_no column (and the previous quarter's, in the quarter view).
        return len(self.headers) + 1 + (1 if self.is_quarter_view else 0)

    @property
    def is_quarter_view(self) -> bool:
        return self.filters.view == VIEW_QUARTERS


def team_columns(period: Period) -> TeamColumns:
    """The KPI columns of the period's policy version (2 queries).

    A month's scorecards only hold the monthly KPIs (POLICY.md §5), so a month shows only those columns."""
    version = policy_version_for(period)
    kpis = KpiDefinition.objects.filter(policy_version=version).select_related("role").order_by("order", "id")
    if period.kind == MONTH:
        kpis = kpis.filter(cadence=KpiDefinition.Cadence.MONTHLY)
    columns, completion = [], []
    for kpi in kpis:
        columns.append(KpiColumn(kpi.code, kpi.label, kpi.role.code))
        if (
            kpi.formula in _COMPLETION_FORMULAS
            and kpi.numerator_metric_id == SALES_ACTUAL
            and kpi.denominator_metric_id == SALES_TARGET
        ):
            completion.append(kpi.code)
    threshold = (
        RewardRule.objects.filter(policy_version=version, kind=RewardRule.Kind.DEVELOPMENT_FLAG)
        .exclude(threshold__isnull=True)
        .values_list("threshold", flat=True)
        .first()
    )
    return TeamColumns(
        kpis=tuple(columns),
        completion_codes=tuple(completion),
        threshold=DEFAULT_DEVELOPMENT_THRESHOLD if threshold is None else threshold,
    )


def below_threshold(threshold: Decimal):
    """``Exists``: the scorecard has a KPI scored below ``threshold`` (a development plan)."""
    return Exists(KpiScore.objects.filter(scorecard=OuterRef("pk"), score__lt=threshold))


def previous_period_code(period: Period) -> str:
    """The previous period of the same kind: month, quarter or year before."""
    return period.ref.previous().code


def scorecards_in_scope(user, period: Period) -> QuerySet[Scorecard]:
    """The period's scorecards the viewer may see: everyone for HR, unit(viewer) for a lead, nobody else."""
    cards = Scorecard.objects.filter(period=period)
    kind = audience(user)
    if kind == HR:
        return cards
    if kind == LEAD:
        return cards.filter(employee_id__in=unit_ids_sql(viewer_employee(user).pk))
    return cards.none()


def team_scorecards(
    *, user, filters: TeamFilters, threshold: Decimal = DEFAULT_DEVELOPMENT_THRESHOLD
) -> QuerySet[Scorecard]:
    """The filtered scope, unordered: the page's table, its totals and its download all read this."""
    if not filters.period.is_closed:
        # A closing period holds partial results; nothing of it is shown.
        return Scorecard.objects.none()
    cards = scorecards_in_scope(user, filters.period)
    if filters.band:
        cards = cards.filter(band=filters.band)
    if filters.role:
        cards = cards.filter(role=filters.role)
    if filters.supervisor:
        cards = cards.filter(reports_to=filters.supervisor)
    if filters.search:
        cards = cards.filter(
            Q(employee__employee_no__icontains=filters.search) | Q(employee__name__icontains=filters.search)
        )
    if filters.development:
        cards = cards.filter(below_threshold(threshold))
    return cards


def team_totals(
    cards: QuerySet[Scorecard],
    period: Period,
    roles: Sequence[str] = (),
    threshold: Decimal = DEFAULT_DEVELOPMENT_THRESHOLD,
) -> TeamTotals:
    """Head count, counts per band (and per role of ``roles``) and sales completion over the whole
    filtered scope (2 queries)."""
    counts = cards.aggregate(
        people=Count("pk"),
        **{f"band_{b}": Count("pk", filter=Q(band=b)) for b in BANDS},
        **{f"role_{i}": Count("pk", filter=Q(role=code)) for i, code in enumerate(roles)},
        development=Count("pk", filter=Q(below_threshold(threshold))),
    )
    # Completion is summed from the metric values of the period's months, not read from the
    # viewer's own S1/M1 inputs: those cover the viewer's whole unit only, while the totals follow
    # the filters (a band, a role, one supervisor's team), and HR has no S1/M1 at all. It is one
    # aggregate over the (period, metric) index, restricted to the filtered people by a subquery.
    month_codes = [month.code for month in period.ref.months()]
    sums = dict(
        MetricValue.objects.filter(
            employee_id__in=cards.values("employee_id"),
            period__code__in=month_codes,
            metric_id__in=(SALES_ACTUAL, SALES_TARGET),
        )
        .order_by()
        .values("metric_id")
        .annotate(total=Sum("value"))
        .values_list("metric_id", "total")
    )
    return TeamTotals(
        people=counts["people"],
        band_counts=tuple((b, counts[f"band_{b}"]) for b in BANDS),
        role_counts={code: counts[f"role_{i}"] for i, code in enumerate(roles)},
        sales_actual=sums.get(SALES_ACTUAL) or Decimal("0"),
        sales_target=sums.get(SALES_TARGET) or Decimal("0"),
        development=counts["development"],
    )


def resolve_sort(key: str | None, direction: str | None, columns: TeamColumns, view: str = "") -> Sort:
    """The requested order when it names a column of this period; otherwise most in need of attention
    first (the quarter view: biggest drop first)."""
    if key not in _TEXT_SORTS + _NUMBER_SORTS + columns.kpi_codes:
        return QUARTERS_SORT if view == VIEW_QUARTERS else DEFAULT_SORT
    if direction not in (ASC, DESC):
        direction = ASC if key in _TEXT_SORTS else DESC
    return Sort(key, direction)


def sort_headers(columns: TeamColumns, sort: Sort) -> tuple[SortHeader, ...]:
    """The table's sortable headers, in display order; clicking the active one flips its direction."""
    keys = [
        ("name", SORT_LABELS["name"], ""),
        ("role", SORT_LABELS["role"], ""),
        ("supervisor", SORT_LABELS["supervisor"], ""),
        ("completion", SORT_LABELS["completion"], ""),
        # Composite and band first: they answer "who needs my attention" without scrolling sideways.
        ("composite", SORT_LABELS["composite"], ""),
        ("band", SORT_LABELS["band"], ""),
        (CHANGE, SORT_LABELS[CHANGE], ""),
        *((kpi.code, kpi.heading, kpi.label) for kpi in columns.kpis),
    ]
    headers = []
    for key, label, title in keys:
        numeric = key not in _TEXT_SORTS
        active = key == sort.key
        # Clicking the active header flips it; another header starts at its natural order.
        flipped = DESC if sort.direction == ASC else ASC
        next_direction = flipped if active else (DESC if numeric else ASC)
        headers.append(
            SortHeader(
                key=key,
                label=label,
                title=title,
                numeric=numeric,
                active=active,
                next_direction=next_direction,
                direction=sort.direction if active else "",
            )
        )
    return tuple(headers)


def team_ordered(
    cards: QuerySet[Scorecard], columns: TeamColumns, sort: Sort, previous_code: str = ""
) -> QuerySet[Scorecard]:
    """The filtered scope with the table's columns annotated and in the requested order, all in SQL."""
    # Each subquery finds at most one row through a unique index: (employee_no), (scorecard, code),
    # (code), (employee, period).
    completion = KpiScore.objects.filter(scorecard=OuterRef("pk"), code__in=columns.completion_codes)
    supervisor = Employee.objects.filter(employee_no=OuterRef("reports_to"))
    previous = Scorecard.objects.filter(
        employee_id=OuterRef("employee_id"), period__code=previous_code, period__status=Period.Status.CLOSED
    ).order_by()
    cards = cards.select_related("employee").annotate(
        supervisor_name=Subquery(supervisor.order_by().values("name")[:1]),
        completion=Subquery(completion.order_by().values("value")[:1]),
        previous_composite=Subquery(previous.values("composite")[:1]),
        previous_band=Subquery(previous.values("band")[:1]),
    )
    if sort.key in columns.kpi_codes:
        score = KpiScore.objects.filter(scorecard=OuterRef("pk"), code=sort.key).order_by().values("score")[:1]
        cards = cards.annotate(sort_score=Subquery(score))
        field = F("sort_score")
    elif sort.key == "role":
        role_order = Role.objects.filter(code=OuterRef("role")).order_by().values("order")[:1]
        cards = cards.annotate(role_order=Subquery(role_order))
        field = F("role_order")
    elif sort.key == ATTENTION:
        # Band E to A (letters sort A < E), then the lowest composite.
        return cards.order_by(F("band").desc(), F("composite").asc(), "employee__employee_no")
    elif sort.key == CHANGE:
        cards = cards.annotate(change=F("composite") - F("previous_composite"))
        field = F("change")
    else:
        field = {
            "name": F("employee__name"),
            "supervisor": F("supervisor_name"),
            "completion": F("completion"),
            "composite": F("composite"),
            "band": F("band"),
        }[sort.key]
    # People without a value ("—") go last both ways; employee_no makes the order total.
    order = field.asc(nulls_last=True) if sort.direction == ASC else field.desc(nulls_last=True)
    return cards.order_by(order, "employee__employee_no")


def team_rows(cards: Sequence[Scorecard], columns: TeamColumns) -> list[TeamRow]:
    """The current page's rows: their KPI scores and role names in one query each."""
    scores: dict[int, dict[str, Decimal | None]] = defaultdict(dict)
    for scorecard_id, code, score in KpiScore.objects.filter(scorecard_id__in=[c.pk for c in cards]).values_list(
        "scorecard_id", "code", "score"
    ):
        scores[scorecard_id][code] = score
    role_names = {r.code: r.name for r in Role.objects.all()}
    rows = []
    for card in cards:
        completion = card.completion
        mine = scores[card.pk]
        row_scores = tuple(mine.get(code) for code in columns.kpi_codes)
        rows.append(
            TeamRow(
                employee_no=card.employee.employee_no,
                name=card.employee.name,
                role=role_names.get(card.role, card.role),
                supervisor=card.supervisor_name or "",
                completion=None
                if completion is None
                else (Decimal(completion) * 100).quantize(_PERCENT_QUANTUM, rounding=ROUND_HALF_UP),
                scores=row_scores,
                composite=card.composite,
                band=card.band,
                cells=tuple(
                    ScoreCell(score, score is not None and score < columns.threshold, kpi.heading)
                    for score, kpi in zip(row_scores, columns.kpis, strict=True)
                ),
                development=tuple(
                    code for code, score in mine.items() if score is not None and score < columns.threshold
                ),
                previous_composite=None if card.previous_composite is None else Decimal(card.previous_composite),
                previous_band=card.previous_band or "",
            )
        )
    return rows


def team_page(*, user, filters: TeamFilters, sort_key: str | None, direction: str | None, page_number) -> TeamPage:
    """Everything the team page shows, in a fixed number of queries whatever the unit's size (tested
    with two org sizes)."""
    all_columns = team_columns(filters.period)
    cards = team_scorecards(user=user, filters=filters, threshold=all_columns.threshold)
    totals = team_totals(cards, filters.period, all_columns.roles, all_columns.threshold)
    columns = all_columns.for_roles({code for code, count in totals.role_counts.items() if count})
    sort = resolve_sort(sort_key, direction, columns, filters.view)
    previous_code = previous_period_code(filters.period)
    paginator = Paginator(team_ordered(cards, columns, sort, previous_code), PER_PAGE)
    # The totals have just counted the very same rows; spare the paginator a second count.
    paginator.count = totals.people
    page = paginator.get_page(page_number)
    return TeamPage(
        filters=filters,
        columns=columns,
        sort=sort,
        headers=sort_headers(columns, sort),
        totals=totals,
        page=page,
        rows=team_rows(list(page.object_list), columns),
        previous_code=previous_code,
    )


@dataclass(frozen=True)
class UnratedQuarter:
    """The people of the viewer's still missing a rating of an open quarter (the team page's panel)."""

    quarter: str
    people: list  # appraisals.ratings.UnratedPerson
    can_rate: bool  # the viewer is a lead with a ratings grid

    @property
    def count(self) -> int:
        return len(self.people)

    @property
    def sample(self) -> list:
        return self.people[:UNRATED_SAMPLE]


UNRATED_SAMPLE = 20


def unrated_for_viewer(*, user, today) -> list[UnratedQuarter]:
    """The open rating quarters (this one and the one before, until it closes) with who is still
    unrated: the people a lead rates, everyone for HR (a fixed number of queries)."""
    kind = audience(user)
    if kind not in (HR, LEAD):
        return []
    rater = grid_rater(user)
    current, previous = rating_quarters(today)
    statuses = dict(Period.objects.filter(code__in=[current.code, previous.code]).values_list("code", "status"))
    found = []
    for quarter in (previous, current):
        if statuses.get(quarter.code, Period.Status.OPEN) != Period.Status.OPEN:
            continue  # closed or closing: its ratings are frozen
        people = unrated(quarter=quarter, rater=None if kind == HR else rater)
        found.append(UnratedQuarter(quarter.code, people, can_rate=rater is not None and kind == LEAD))
    return found
