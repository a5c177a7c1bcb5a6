from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from rewards.models import RewardSuggestion
from rewards.services import rewards_decide


@admin.register(RewardSuggestion)
class RewardSuggestionAdmin(admin.ModelAdmin):
    list_display = ["employee", "period", "code", "amount", "status", "decided_by", "decided_at", "recomputed_amount"]
    list_filter = ["status", "code", "period__kind"]
    search_fields = ["employee__employee_no", "employee__name", "period__code"]
    list_select_related = ["employee", "period", "decided_by"]
    # Rejecting needs a reason the employee sees: it is done on the HR rewards page.
    actions = ["approve_selected"]
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

    @admin.action(description=_("Approve selected"))
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, RewardSuggestion.Status.APPROVED)

    def _decide(self, request, queryset, decision: str) -> None:
        # The same service as the HR console: pending rewards of closed periods only.
        ids = list(queryset.values_list("pk", flat=True))
        changed = rewards_decide(
            suggestion_ids=ids, decision=decision, user=request.user, reason=f"{decision} in the admin"
        )
        self.message_user(
            request,
            ngettext("%(count)d reward decided.", "%(count)d rewards decided.", changed) % {"count": changed},
            messages.SUCCESS,
        )
        skipped = len(ids) - changed
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d skipped: already decided, or its period is not closed.",
                    "%(count)d skipped: already decided, or their period is not closed.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
