from django.contrib import admin

from rewards.models import BandMultiplier, CommissionTier, RewardRule, RewardSuggestion


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


@admin.register(RewardSuggestion)
class RewardSuggestionAdmin(admin.ModelAdmin):
    list_display = ["employee", "period", "code", "amount", "status", "decided_by", "decided_at", "recomputed_amount"]
    list_filter = ["status", "code", "period__kind"]
    search_fields = ["employee__employee_no", "employee__name", "period__code"]
    list_select_related = ["employee", "period", "decided_by"]
    readonly_fields = [
        "employee",
        "period",
        "code",
        "amount",
        "details",
        "policy_version",
        "status",
        "decided_by",
        "decided_at",
        "recomputed_amount",
        "recomputed_at",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False
