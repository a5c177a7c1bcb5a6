from django.contrib import admin

from appraisals.models import (
    BandDefinition,
    BandMultiplier,
    CommissionTier,
    KpiDefinition,
    KpiScore,
    Metric,
    MetricValue,
    Period,
    PeriodEvent,
    PolicyVersion,
    RewardRule,
    Scorecard,
)
from sales_perf.admin import ReadOnlyAdmin


class PeriodEventInline(admin.TabularInline):
    model = PeriodEvent
    extra = 0
    fields = ["action", "actor", "at", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "status", "closed_at", "closed_by"]
    list_filter = ["kind", "status", "year"]
    search_fields = ["code"]
    readonly_fields = ["status", "closed_at", "closed_by"]
    inlines = [PeriodEventInline]


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_zh", "cadence", "unit", "min_value", "max_value", "integer_only"]


@admin.register(MetricValue)
class MetricValueAdmin(admin.ModelAdmin):
    list_display = ["employee", "period", "metric", "value", "entered_by", "entered_at"]
    list_filter = ["metric", "period__kind"]
    search_fields = ["employee__employee_no", "employee__name", "period__code"]
    list_select_related = ["employee", "period", "metric", "entered_by"]
    raw_id_fields = ["employee", "period", "entered_by"]
    readonly_fields = ["entered_by", "entered_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.period.is_closed:
            return ["employee", "period", "metric", "value", "entered_by", "entered_at"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.period.is_closed

    def save_model(self, request, obj, form, change):
        from django.utils import timezone

        obj.entered_by = request.user
        obj.entered_at = timezone.now()
        super().save_model(request, obj, form, change)


class KpiInline(admin.TabularInline):
    model = KpiDefinition
    extra = 0


class BandInline(admin.TabularInline):
    model = BandDefinition
    extra = 0


class RewardRuleInline(admin.StackedInline):
    model = RewardRule
    extra = 0
    show_change_link = True


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "effective_from", "created_at", "created_by"]
    inlines = [KpiInline, BandInline, RewardRuleInline]

    def _in_use(self, obj) -> bool:
        # A version that scored a closed period is frozen: editing it would change history.
        return obj is not None and obj.scorecards.exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._in_use(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._in_use(obj)


class KpiScoreInline(admin.TabularInline):
    model = KpiScore
    extra = 0
    can_delete = False
    readonly_fields = ["code", "weight", "target", "value", "score", "inputs"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnlyAdmin):
    list_display = ["employee", "period", "role", "composite", "band", "missing_kpis", "policy_version"]
    list_filter = ["period__kind", "band", "role"]
    search_fields = ["employee__employee_no", "employee__name", "period__code"]
    list_select_related = ["employee", "period", "policy_version"]
    inlines = [KpiScoreInline]


class BandMultiplierInline(admin.TabularInline):
    model = BandMultiplier
    extra = 0


class CommissionTierInline(admin.TabularInline):
    model = CommissionTier
    extra = 0


@admin.register(RewardRule)
class RewardRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "policy_version", "kind", "roles", "period_kinds", "bands", "default_base"]
    list_filter = ["policy_version", "kind"]
    inlines = [BandMultiplierInline, CommissionTierInline]

    def has_change_permission(self, request, obj=None):
        in_use = obj is not None and obj.policy_version.scorecards.exists()
        return super().has_change_permission(request, obj) and not in_use
