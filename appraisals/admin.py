from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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


class MetricValueAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        period = cleaned.get("period")
        if period is not None and period.status != Period.Status.OPEN:
            raise ValidationError(
                {"period": _("%(code)s is closed: its values cannot change.") % {"code": period.code}}
            )
        if self.instance.pk is not None and self.instance.period.status != Period.Status.OPEN:
            raise ValidationError(_("This value's period is closed: it cannot change."))
        return cleaned


@admin.register(MetricValue)
class MetricValueAdmin(admin.ModelAdmin):
    """One value at a time, in an open period only (a closed period's values are its scorecards' inputs)."""

    form = MetricValueAdminForm
    list_display = ["employee", "period", "metric", "value", "entered_by", "entered_at"]
    list_filter = ["metric", "period__kind", "period__status"]
    search_fields = ["employee__employee_no", "employee__name", "period__code"]
    list_select_related = ["employee", "period", "metric", "entered_by"]
    raw_id_fields = ["employee", "period"]
    readonly_fields = ["entered_by", "entered_at"]

    @staticmethod
    def _is_open(obj) -> bool:
        return obj is None or obj.period.status == Period.Status.OPEN

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._is_open(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._is_open(obj)

    def get_actions(self, request):
        # Bulk deletion would skip the per-value check above.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            # Held so a close cannot claim the period between the check and the write.
            period = Period.objects.select_for_update().get(pk=obj.period_id)
            if period.status != Period.Status.OPEN:
                raise PermissionDenied
            obj.entered_by = request.user
            obj.entered_at = timezone.now()
            obj._change_reason = "admin"
            super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        with transaction.atomic():
            period = Period.objects.select_for_update().get(pk=obj.period_id)
            if period.status != Period.Status.OPEN:
                raise PermissionDenied
            obj._change_reason = "admin"
            super().delete_model(request, obj)


class _RowsInline(admin.TabularInline):
    """A version's or a rule's rows, without blank forms for new ones (the add link makes one)."""

    extra = 0


class KpiInline(_RowsInline):
    model = KpiDefinition


class BandInline(_RowsInline):
    model = BandDefinition


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


class BandMultiplierInline(_RowsInline):
    model = BandMultiplier


class CommissionTierInline(_RowsInline):
    model = CommissionTier


@admin.register(RewardRule)
class RewardRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "policy_version", "kind", "roles", "period_kinds", "bands", "default_base"]
    list_filter = ["policy_version", "kind"]
    inlines = [BandMultiplierInline, CommissionTierInline]

    def has_change_permission(self, request, obj=None):
        in_use = obj is not None and obj.policy_version.scorecards.exists()
        return super().has_change_permission(request, obj) and not in_use
