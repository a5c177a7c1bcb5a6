"""The default policy of POLICY.md §5 and §6 as the first policy version."""

import datetime
from decimal import Decimal as D

from django.db import migrations

EFFECTIVE_FROM = datetime.date(2000, 1, 1)

# role, code, English, Chinese, formula, numerator, denominator, target, weight, cadence
KPIS = [
    (
        "rep",
        "R1",
        "Personal sales-target completion",
        "个人月度销售指标完成率",
        "own_ratio",
        "sales_actual",
        "sales_target",
        "1.0",
        "50",
        "monthly",
    ),
    (
        "rep",
        "R2",
        "Customer service and feedback",
        "客户服务质量和客户反馈",
        "own_mean",
        "csat",
        None,
        "4",
        "20",
        "monthly",
    ),
    ("rep", "R3", "Teamwork", "团队协作和合作情况", "own_mean", "collaboration", None, "4", "15", "quarterly"),
    (
        "rep",
        "R4",
        "Skill growth and learning",
        "个人销售技能的提高和学习能力",
        "own_mean",
        "skill_growth",
        None,
        "4",
        "15",
        "quarterly",
    ),
    (
        "supervisor",
        "S1",
        "Team sales-target completion",
        "团队月度销售指标完成率",
        "unit_ratio",
        "sales_actual",
        "sales_target",
        "1.0",
        "35",
        "monthly",
    ),
    (
        "supervisor",
        "S2",
        "Collaboration",
        "团队内部工作协作和合作情况",
        "own_mean",
        "collaboration",
        None,
        "4",
        "15",
        "quarterly",
    ),
    (
        "supervisor",
        "S3",
        "Team quality and efficiency",
        "团队销售绩效质量和工作效率",
        "own_mean",
        "team_efficiency",
        None,
        "4",
        "20",
        "quarterly",
    ),
    (
        "supervisor",
        "S4",
        "Subordinates' performance",
        "下属工作表现和绩效",
        "team_mean_composite",
        None,
        None,
        "100",
        "30",
        "monthly",
    ),
    (
        "manager",
        "M1",
        "Revenue completion",
        "销售额完成率",
        "unit_ratio",
        "sales_actual",
        "sales_target",
        "1.0",
        "30",
        "monthly",
    ),
    (
        "manager",
        "M2",
        "Teams hitting their monthly target",
        "团队月度销售指标完成率",
        "team_target_hit_share",
        "sales_actual",
        "sales_target",
        "0.8",
        "15",
        "monthly",
    ),
    (
        "manager",
        "M3a",
        "New-customer growth",
        "新客户增长",
        "unit_ratio",
        "new_customers",
        "new_customer_target",
        "1.0",
        "10",
        "monthly",
    ),
    (
        "manager",
        "M3b",
        "Customer retention",
        "老客户维护",
        "unit_ratio",
        "customers_retained",
        "customers_start",
        "0.9",
        "10",
        "monthly",
    ),
    (
        "manager",
        "M4",
        "Collaboration",
        "团队内部协作和合作情况",
        "own_mean",
        "collaboration",
        None,
        "4",
        "15",
        "quarterly",
    ),
    (
        "manager",
        "M5",
        "Market-share growth",
        "公司市场份额的稳定增长",
        "own_delta",
        "market_share",
        None,
        "1.0",
        "20",
        "quarterly",
    ),
]

BANDS = [
    ("A", "110", "Outstanding", "优秀"),
    ("B", "95", "Strong", "良好"),
    ("C", "80", "Meets", "合格"),
    ("D", "60", "Needs improvement", "待改进"),
    ("E", "0", "Unsatisfactory", "不合格"),
]

# code, English, Chinese, kind, roles, period kinds, bands, cash, base field, default base, extra
REWARDS = [
    (
        "commission",
        "Sales commission",
        "销售提成",
        "commission",
        "rep",
        "month",
        "",
        True,
        "",
        None,
        {"flat_rate": D("0.02"), "tiers": [(D("1.0"), D("0.02")), (D("1.5"), D("0.04")), (None, D("0.06"))]},
    ),
    (
        "flex_time",
        "Flexible working time",
        "工作时间的适度弹性",
        "consecutive_bands",
        "rep",
        "month",
        "AB",
        False,
        "",
        None,
        {"window_months": 3},
    ),
    (
        "quarterly_bonus",
        "Quarterly bonus",
        "季度奖励",
        "band_bonus",
        "supervisor",
        "quarter",
        "",
        True,
        "quarterly_bonus_base",
        D("6000.00"),
        {"multipliers": {"A": D("1.5"), "B": D("1.2"), "C": D("1.0"), "D": D("0.5"), "E": D("0")}},
    ),
    (
        "year_end_bonus",
        "Year-end bonus",
        "年终奖",
        "band_bonus",
        "manager",
        "year",
        "",
        True,
        "annual_bonus_base",
        D("60000.00"),
        {"multipliers": {"A": D("2.0"), "B": D("1.5"), "C": D("1.0"), "D": D("0.5"), "E": D("0")}},
    ),
    (
        "promotion_or_raise",
        "Promotion or raise",
        "提升职位或加薪",
        "band_flag",
        "manager,supervisor,rep",
        "year",
        "A",
        False,
        "",
        None,
        {},
    ),
    (
        "training_or_career_plan",
        "Training or career plan",
        "岗位培训或职业规划",
        "band_flag",
        "manager,supervisor,rep",
        "quarter,year",
        "AB",
        False,
        "",
        None,
        {},
    ),
    (
        "development_plan",
        "Development plan (flag)",
        "改进计划（标记）",
        "development_flag",
        "manager,supervisor,rep",
        "quarter,year",
        "",
        False,
        "",
        None,
        {"threshold": D("80")},
    ),
]


def load(apps, schema_editor):
    PolicyVersion = apps.get_model("appraisals", "PolicyVersion")
    KpiDefinition = apps.get_model("appraisals", "KpiDefinition")
    BandDefinition = apps.get_model("appraisals", "BandDefinition")
    Role = apps.get_model("roles", "Role")
    RewardRule = apps.get_model("appraisals", "RewardRule")
    BandMultiplier = apps.get_model("appraisals", "BandMultiplier")
    CommissionTier = apps.get_model("appraisals", "CommissionTier")

    if PolicyVersion.objects.filter(effective_from=EFFECTIVE_FROM).exists():
        return
    version = PolicyVersion.objects.create(
        name="Default policy (POLICY.md)",
        effective_from=EFFECTIVE_FROM,
        score_min=D("0"),
        score_max=D("150"),
        notes="Loaded from POLICY.md §5-6.",
    )
    roles = {role.code: role for role in Role.objects.all()}
    for order, (role, code, en, zh, formula, num, den, target, weight, cadence) in enumerate(KPIS, start=1):
        KpiDefinition.objects.create(
            policy_version=version,
            role=roles[role],
            code=code,
            label_en=en,
            label_zh=zh,
            formula=formula,
            numerator_metric_id=num,
            denominator_metric_id=den,
            target=D(target),
            weight=D(weight),
            cadence=cadence,
            order=order,
        )
    for letter, minimum, en, zh in BANDS:
        BandDefinition.objects.create(
            policy_version=version, letter=letter, min_composite=D(minimum), label_en=en, label_zh=zh
        )
    for order, (code, en, zh, kind, role_codes, kinds, bands, cash, base_field, base, extra) in enumerate(
        REWARDS, start=1
    ):
        rule = RewardRule.objects.create(
            policy_version=version,
            code=code,
            label_en=en,
            label_zh=zh,
            kind=kind,
            roles=role_codes,
            period_kinds=kinds,
            bands=bands,
            is_cash=cash,
            base_field=base_field,
            default_base=base,
            window_months=extra.get("window_months", 3),
            threshold=extra.get("threshold"),
            flat_rate=extra.get("flat_rate"),
            order=order,
        )
        for band, multiplier in extra.get("multipliers", {}).items():
            BandMultiplier.objects.create(rule=rule, band=band, multiplier=multiplier)
        for up_to, rate in extra.get("tiers", []):
            CommissionTier.objects.create(rule=rule, up_to_multiple=up_to, rate=rate)


def unload(apps, schema_editor):
    apps.get_model("appraisals", "PolicyVersion").objects.filter(effective_from=EFFECTIVE_FROM).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("appraisals", "0002_metric_catalogue"),
        ("roles", "0002_default_roles_and_duties"),
    ]

    operations = [migrations.RunPython(load, unload)]
