"""Reads behind the HR console's policy pages (/hr/policy/…): a version and what it holds, its KPIs,
bands and reward rules, as the detail page lists them."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from appraisals.models import BandDefinition, KpiDefinition, Period, PolicyVersion, RewardRule
from roles.models import Role


def get_version_for_hr(pk: int) -> PolicyVersion:
    """A policy version, or 404 (HR sees every version; the caller has checked the audience)."""
    return get_object_or_404(PolicyVersion.objects.select_related("created_by"), pk=pk)


def version_reward_rules(version: PolicyVersion) -> list[tuple[RewardRule, str, str]]:
    """The version's reward rules in their order, each with the names of its roles and of its
    period kinds (4 queries: the roles, the rules, their multipliers and their tiers)."""
    rules = RewardRule.objects.filter(policy_version=version).prefetch_related("multipliers", "tiers")
    role_names = {role.code: role.name for role in Role.objects.all()}
    kind_names = dict(Period.KIND_CHOICES)
    return [
        (
            rule,
            ", ".join(str(role_names.get(code, code)) for code in rule.role_codes),
            ", ".join(str(kind_names.get(kind, kind)) for kind in rule.period_kind_list),
        )
        for rule in rules.order_by("order")
    ]


def version_kpis(version: PolicyVersion) -> QuerySet[KpiDefinition]:
    """The version's KPIs by role, then in their order (read when shown)."""
    return version.kpis.select_related("role", "numerator_metric", "denominator_metric").order_by(
        "role__order", "order", "id"
    )


def version_bands(version: PolicyVersion) -> QuerySet[BandDefinition]:
    """The version's bands, A first (read when shown)."""
    return BandDefinition.objects.filter(policy_version=version).order_by("letter")
