from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from appraisals.fields import period_ref
from appraisals.periods import MONTH, QUARTER, YEAR, PeriodRef
from roles.fields import employee_ref
from sales_perf.fields import money, optional_moment, user_ref

RATING_METRICS = ("csat", "collaboration", "skill_growth", "team_efficiency")


class Cadence(models.TextChoices):
    """How often a metric is entered and a KPI scored (``Metric.Cadence`` and ``KpiDefinition.Cadence``)."""

    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")


def _localised(en: str, zh: str) -> str:
    return zh if (get_language() or "").startswith("zh") else en


class Period(models.Model):
    KIND_CHOICES = [(MONTH, _("month")), (QUARTER, _("quarter")), (YEAR, _("year"))]

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSING = "closing", _("closing")
        CLOSED = "closed", _("closed")

    code = models.CharField(_("code"), max_length=7, unique=True)
    kind = models.CharField(_("kind"), max_length=7, choices=KIND_CHOICES)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveSmallIntegerField(_("number"), help_text=_("month 1-12, quarter 1-4, 0 for a year"))
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    status = models.CharField(_("status"), max_length=7, choices=Status.choices, default=Status.OPEN)
    closed_at = optional_moment(_("closed at"))
    closed_by = user_ref()

    class Meta:
        ordering = ["start", "-end"]
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        constraints = [
            models.UniqueConstraint(fields=["year", "kind", "number"], name="period_unique_kind_number"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="period_end_after_start"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def ref(self) -> PeriodRef:
        return PeriodRef(year=self.year, kind=self.kind, number=self.number)

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @classmethod
    def fields_for(cls, ref: PeriodRef) -> dict:
        return {
            "code": ref.code,
            "kind": ref.kind,
            "year": ref.year,
            "number": ref.number,
            "start": ref.start,
            "end": ref.end,
        }


class PeriodEvent(models.Model):
    """The kept history of a period: every close, failed close and reopen, with who, when and why."""

    class Action(models.TextChoices):
        CLOSE_REQUESTED = "close_requested", _("close requested")
        CLOSE_REFUSED = "close_refused", _("close refused")
        CLOSE_STARTED = "close_started", _("close started")
        CLOSE_TAKEN_OVER = "close_taken_over", _("close taken over")
        CLOSE_CANCELLED = "close_cancelled", _("close cancelled")
        CLOSED = "closed", _("closed")
        CLOSE_FAILED = "close_failed", _("close failed")
        REOPENED = "reopened", _("reopened")
        REOPEN_REFUSED = "reopen_refused", _("reopen refused")

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="events", verbose_name=_("period"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = user_ref(_("by"), help_text=_("empty when the scheduler acted"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("period event")
        verbose_name_plural = _("period events")
        constraints = [
            models.CheckConstraint(
                condition=~Q(action="reopened") | ~Q(reason=""), name="period_event_reopen_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.action}"


class Metric(models.Model):
    """A raw input of POLICY.md §4; the catalogue is data."""

    Cadence = Cadence

    class Unit(models.TextChoices):
        MONEY = "money", _("money")
        COUNT = "count", _("count")
        RATING = "rating", _("rating")
        PERCENT = "percent", _("percent")

    code = models.SlugField(_("code"), max_length=40, primary_key=True)
    name_en = models.CharField(_("English name"), max_length=100)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    cadence = models.CharField(_("cadence"), max_length=9, choices=Cadence.choices)
    unit = models.CharField(_("unit"), max_length=7, choices=Unit.choices)
    min_value = models.DecimalField(_("minimum"), max_digits=18, decimal_places=4, default=Decimal("0"))
    max_value = models.DecimalField(_("maximum"), max_digits=18, decimal_places=4, null=True, blank=True)
    integer_only = models.BooleanField(_("whole numbers only"), default=False)
    # customers_retained may not exceed customers_start of the same employee and month.
    at_most_metric = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("at most the value of"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        return _localised(self.name_en, self.name_zh)

    @property
    def period_kind(self) -> str:
        return MONTH if self.cadence == self.Cadence.MONTHLY else QUARTER


class MetricValueChangeFields(models.Model):
    """What a history row of a metric value holds beyond the value itself: the value it replaced."""

    previous_value = models.DecimalField(_("previous value"), max_digits=18, decimal_places=4, null=True, blank=True)

    class Meta:
        abstract = True


class MetricValue(models.Model):
    # This is the one table that takes millions of rows per import, so it carries no single-column
    # indexes (the unique (employee, period, metric) and the (period, metric) index serve every
    # lookup) and no database foreign keys: PostgreSQL checks those row by row, which tripled the
    # time of a 1,000,000-row import (measured: 24 s of 33 s). References stay sound because the
    # only writers are metrics_import and ratings_enter, which check every reference inside the
    # transaction that writes (with the periods locked), and deletes go through the ORM, which
    # applies CASCADE / PROTECT / SET_NULL below itself.
    employee = employee_ref("metric_values", on_delete=models.CASCADE, db_index=False, db_constraint=False)
    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        related_name="metric_values",
        verbose_name=_("period"),
        db_index=False,
        db_constraint=False,
    )
    metric = models.ForeignKey(
        Metric,
        on_delete=models.PROTECT,
        related_name="values",
        verbose_name=_("metric"),
        db_index=False,
        db_constraint=False,
    )
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    entered_by = user_ref(_("entered by"), db_index=False, db_constraint=False)
    entered_at = models.DateTimeField(_("entered at"))

    class Meta:
        verbose_name = _("metric value")
        verbose_name_plural = _("metric values")
        constraints = [
            models.UniqueConstraint(fields=["employee", "period", "metric"], name="metric_value_unique"),
            models.CheckConstraint(condition=Q(value__gte=Decimal("0")), name="metric_value_not_negative"),
            models.CheckConstraint(
                condition=~Q(metric__in=RATING_METRICS) | Q(value__gte=Decimal("1"), value__lte=Decimal("5")),
                name="metric_value_rating_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(metric="market_share") | Q(value__lte=Decimal("100")),
                name="metric_value_share_at_most_100",
            ),
        ]
        indexes = [
            # The close's selectors aggregate one period's values for a whole org.
            models.Index(fields=["period", "metric"], name="metric_value_period_metric"),
        ]

    # The audit trail: one row per write (old → new value, who, when, through which import). An import
    # writes its rows in bulk (appraisals.metric_import); indexes only for the History page's filters.
    history = HistoricalRecords(
        verbose_name=_("metric value change"),
        verbose_name_plural=_("metric value changes"),
        bases=[MetricValueChangeFields],
        # Who and when are the row's history_user and history_date: not kept twice.
        excluded_fields=["entered_by", "entered_at"],
        no_db_index=["id", "metric"],
        history_user_id_field=models.IntegerField(null=True, blank=True),
    )

    def __str__(self) -> str:
        return f"{self.employee_id} {self.period_id} {self.metric_id}={self.value}"


class PolicyVersion(models.Model):
    """One version of the policy figures; it applies to periods starting on or after ``effective_from``."""

    name = models.CharField(_("name"), max_length=200)
    effective_from = models.DateField(
        _("effective from"),
        unique=True,
        help_text=_("first day of the first month it applies to"),
    )
    score_min = models.DecimalField(_("lowest KPI score"), max_digits=7, decimal_places=2, default=Decimal("0"))
    score_max = models.DecimalField(_("highest KPI score"), max_digits=7, decimal_places=2, default=Decimal("150"))
    # POLICY.md §8: an employee may question a closed period's figures this many days after its close.
    dispute_window_days = models.PositiveSmallIntegerField(_("days to question a closed period"), default=30)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = user_ref()

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints = [
            models.CheckConstraint(condition=Q(score_max__gt=models.F("score_min")), name="policy_score_range"),
            models.CheckConstraint(condition=Q(effective_from__day=1), name="policy_starts_on_first_of_month"),
        ]

    # The audit trail: created, renamed, moved, figures edited (the change reason lists them), deleted.
    history = HistoricalRecords(
        verbose_name=_("policy version change"),
        verbose_name_plural=_("policy version changes"),
        user_db_constraint=False,
        history_change_reason_field=models.TextField(null=True),
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from:%Y-%m})"


class KpiDefinition(models.Model):
    class Formula(models.TextChoices):
        OWN_RATIO = "own_ratio", _("own Σ numerator ÷ own Σ denominator")
        OWN_MEAN = "own_mean", _("mean of own values")
        UNIT_RATIO = "unit_ratio", _("unit Σ numerator ÷ unit Σ denominator")
        TEAM_MEAN_COMPOSITE = "team_mean_composite", _("mean composite of the team")
        TEAM_TARGET_HIT_SHARE = "team_target_hit_share", _("share of teams hitting their monthly target")
        OWN_DELTA = "own_delta", _("own value at the last quarter minus one period earlier")

    Cadence = Cadence

    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="kpis")
    role = models.ForeignKey("roles.Role", on_delete=models.PROTECT, related_name="kpis", verbose_name=_("role"))
    code = models.CharField(_("code"), max_length=10)
    label_en = models.CharField(_("English label"), max_length=200)
    label_zh = models.CharField(_("Chinese label"), max_length=200)
    formula = models.CharField(_("formula"), max_length=24, choices=Formula.choices)
    numerator_metric = models.ForeignKey(
        Metric, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("numerator metric")
    )
    denominator_metric = models.ForeignKey(
        Metric,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("denominator metric"),
    )
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=4)
    weight = models.DecimalField(_("weight"), max_digits=7, decimal_places=2)
    cadence = models.CharField(_("cadence"), max_length=9, choices=Cadence.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["policy_version", "role__order", "order"]
        verbose_name = _("KPI definition")
        verbose_name_plural = _("KPI definitions")
        constraints = [
            models.UniqueConstraint(fields=["policy_version", "code"], name="kpi_unique_code_per_version"),
            models.CheckConstraint(condition=Q(weight__gt=Decimal("0")), name="kpi_weight_positive"),
            models.CheckConstraint(condition=Q(target__gt=Decimal("0")), name="kpi_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label_en}"

    @property
    def label(self) -> str:
        return _localised(self.label_en, self.label_zh)


class BandDefinition(models.Model):
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="bands")
    letter = models.CharField(_("letter"), max_length=1)
    min_composite = models.DecimalField(_("minimum composite"), max_digits=7, decimal_places=2)
    label_en = models.CharField(_("English label"), max_length=100)
    label_zh = models.CharField(_("Chinese label"), max_length=100)

    class Meta:
        ordering = ["policy_version", "-min_composite"]
        verbose_name = _("band")
        verbose_name_plural = _("bands")
        constraints = [
            models.UniqueConstraint(fields=["policy_version", "letter"], name="band_unique_letter_per_version"),
            models.UniqueConstraint(fields=["policy_version", "min_composite"], name="band_unique_min_per_version"),
            models.CheckConstraint(condition=Q(min_composite__gte=Decimal("0")), name="band_min_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.letter} ≥ {self.min_composite}"

    @property
    def label(self) -> str:
        return _localised(self.label_en, self.label_zh)


class RewardRule(models.Model):
    """One reward of POLICY.md §6 with its figures, as part of a policy version."""

    class Kind(models.TextChoices):
        COMMISSION = "commission", _("commission on sales (tiers)")
        CONSECUTIVE_BANDS = "consecutive_bands", _("bands held for consecutive months")
        BAND_BONUS = "band_bonus", _("bonus base × band multiplier")
        BAND_FLAG = "band_flag", _("suggested for bands")
        DEVELOPMENT_FLAG = "development_flag", _("KPI below threshold (flag)")

    class BaseField(models.TextChoices):
        QUARTERLY = "quarterly_bonus_base", _("quarterly bonus base")
        ANNUAL = "annual_bonus_base", _("annual bonus base")

    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="reward_rules")
    code = models.SlugField(_("code"), max_length=40)
    label_en = models.CharField(_("English label"), max_length=200)
    label_zh = models.CharField(_("Chinese label"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    roles = models.CharField(_("roles"), max_length=100, help_text=_("role codes separated by commas"))
    period_kinds = models.CharField(
        _("made at close of"), max_length=30, help_text=_("month, quarter, year separated by commas")
    )
    bands = models.CharField(_("bands"), max_length=10, blank=True, help_text=_("eligible band letters, e.g. AB"))
    is_cash = models.BooleanField(_("cash"), default=False)
    base_field = models.CharField(_("base"), max_length=24, choices=BaseField.choices, blank=True)
    default_base = money(_("default base"), null=True, blank=True)
    window_months = models.PositiveSmallIntegerField(_("months in a row"), default=3)
    threshold = models.DecimalField(_("score threshold"), max_digits=7, decimal_places=2, null=True, blank=True)
    flat_rate = models.DecimalField(_("rate without a target"), max_digits=7, decimal_places=4, null=True, blank=True)
    actual_metric = models.CharField(_("actual metric"), max_length=40, default="sales_actual")
    target_metric = models.CharField(_("target metric"), max_length=40, default="sales_target")
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["policy_version", "order"]
        verbose_name = _("reward rule")
        verbose_name_plural = _("reward rules")
        constraints = [
            models.UniqueConstraint(fields=["policy_version", "code"], name="reward_rule_unique_code_per_version"),
            models.CheckConstraint(
                condition=Q(default_base__isnull=True) | Q(default_base__gte=Decimal("0")),
                name="reward_rule_default_base_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(flat_rate__isnull=True) | Q(flat_rate__gte=Decimal("0")),
                name="reward_rule_flat_rate_not_negative",
            ),
            models.CheckConstraint(condition=Q(window_months__gte=1), name="reward_rule_window_positive"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        return self.label_zh if (get_language() or "").startswith("zh") else self.label_en

    @property
    def role_codes(self) -> list[str]:
        return [code.strip() for code in self.roles.split(",") if code.strip()]

    @property
    def period_kind_list(self) -> list[str]:
        return [kind.strip() for kind in self.period_kinds.split(",") if kind.strip()]


class BandMultiplier(models.Model):
    rule = models.ForeignKey(RewardRule, on_delete=models.CASCADE, related_name="multipliers")
    band = models.CharField(_("band"), max_length=1)
    multiplier = models.DecimalField(_("multiplier"), max_digits=7, decimal_places=4)

    class Meta:
        ordering = ["rule", "band"]
        verbose_name = _("band multiplier")
        verbose_name_plural = _("band multipliers")
        constraints = [
            models.UniqueConstraint(fields=["rule", "band"], name="band_multiplier_unique"),
            models.CheckConstraint(condition=Q(multiplier__gte=Decimal("0")), name="band_multiplier_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.band} × {self.multiplier}"


class CommissionTier(models.Model):
    """The rate on the slice of sales up to ``up_to_multiple`` × target (empty: everything above)."""

    rule = models.ForeignKey(RewardRule, on_delete=models.CASCADE, related_name="tiers")
    up_to_multiple = models.DecimalField(_("up to × target"), max_digits=7, decimal_places=4, null=True, blank=True)
    rate = models.DecimalField(_("rate"), max_digits=7, decimal_places=4)

    class Meta:
        ordering = ["rule", models.F("up_to_multiple").asc(nulls_last=True)]
        verbose_name = _("commission tier")
        verbose_name_plural = _("commission tiers")
        constraints = [
            models.UniqueConstraint(fields=["rule", "up_to_multiple"], name="commission_tier_unique"),
            models.CheckConstraint(condition=Q(rate__gte=Decimal("0")), name="commission_tier_rate_not_negative"),
            models.CheckConstraint(
                condition=Q(up_to_multiple__isnull=True) | Q(up_to_multiple__gt=Decimal("0")),
                name="commission_tier_multiple_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"≤ {self.up_to_multiple or '∞'} × target: {self.rate}"


class Scorecard(models.Model):
    """One employee's closed result for one period, frozen with the policy version used."""

    # Indexed through the unique (employee, period) and the (period, band) index.
    employee = employee_ref("scorecards", db_index=False)
    period = period_ref("scorecards", db_index=False)
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="scorecards")
    role = models.CharField(_("role"), max_length=32, help_text=_("the role code when the period closed"))
    reports_to = models.CharField(_("reports to"), max_length=32, blank=True)
    composite = models.DecimalField(_("composite"), max_digits=7, decimal_places=2)
    band = models.CharField(_("band"), max_length=1)
    missing_kpis = models.CharField(_("missing KPIs"), max_length=200, blank=True)
    development_kpis = models.CharField(_("KPIs below the development threshold"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [
            models.UniqueConstraint(fields=["employee", "period"], name="scorecard_unique_employee_period"),
            models.CheckConstraint(condition=Q(composite__gte=Decimal("0")), name="scorecard_composite_not_negative"),
        ]
        indexes = [
            # Team pages and exports list one period's scorecards.
            models.Index(fields=["period", "band"], name="scorecard_period_band"),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.period_id} {self.composite} {self.band}"

    @property
    def missing_list(self) -> list[str]:
        return [code for code in self.missing_kpis.split(";") if code]


class KpiScore(models.Model):
    """One KPI of a scorecard, with the raw figures its value was computed from."""

    # Indexed through the unique (scorecard, code). No database foreign key: a close writes several
    # KPI rows per scorecard (400,000 for a 100,000-person month), and PostgreSQL checked each at
    # commit (a few seconds of every close). The one writer, scorecards_write, inserts them with the
    # ids of the scorecards it has just inserted in the same transaction; scorecards_discard deletes
    # both, and ORM deletes apply CASCADE themselves.
    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="kpi_scores", db_index=False, db_constraint=False
    )
    code = models.CharField(_("code"), max_length=10)
    weight = models.DecimalField(_("weight"), max_digits=7, decimal_places=2)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=4)
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=8, null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    inputs = models.JSONField(_("inputs"), default=dict, blank=True)

    class Meta:
        ordering = ["scorecard", "id"]
        verbose_name = _("KPI score")
        verbose_name_plural = _("KPI scores")
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "code"], name="kpi_score_unique_code"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__gte=0), name="kpi_score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code}={self.score}"

    @property
    def is_missing(self) -> bool:
        return self.score is None


class RatingComment(models.Model):
    """Why a lead gave a quarterly rating (POLICY.md §4): required for a rating of 2 or below, or of 5."""

    employee = employee_ref("rating_comments", on_delete=models.CASCADE)
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("period"))
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="+", verbose_name=_("metric"))
    text = models.TextField(_("comment"))
    entered_by = user_ref(_("entered by"))
    entered_at = models.DateTimeField(_("entered at"))

    class Meta:
        verbose_name = _("rating comment")
        verbose_name_plural = _("rating comments")
        constraints = [
            models.UniqueConstraint(fields=["employee", "period", "metric"], name="rating_comment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.period_id} {self.metric_id}"
