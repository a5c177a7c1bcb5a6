"""The metric catalogue of POLICY.md §4."""

from decimal import Decimal

from django.db import migrations

# code, English, Chinese, cadence, unit, min, max, integer only, at most metric
METRICS = [
    ("sales_target", "Monthly sales target", "个人月度销售指标", "monthly", "money", "0", None, False, None),
    ("sales_actual", "Monthly sales", "个人月度销售额", "monthly", "money", "0", None, False, None),
    ("new_customers", "New customers won", "新增客户数", "monthly", "count", "0", None, True, None),
    ("new_customer_target", "New-customer target", "新客户目标", "monthly", "count", "0", None, True, None),
    ("customers_start", "Customers at month start", "月初老客户数", "monthly", "count", "0", None, True, None),
    (
        "customers_retained",
        "Customers retained at month end",
        "月末保留客户数",
        "monthly",
        "count",
        "0",
        None,
        True,
        "customers_start",
    ),
    ("csat", "Customer feedback (service quality)", "客户反馈评分", "monthly", "rating", "1", "5", False, None),
    ("collaboration", "Collaboration rating", "团队协作评分", "quarterly", "rating", "1", "5", False, None),
    (
        "skill_growth",
        "Skill growth and learning rating",
        "技能提升与学习评分",
        "quarterly",
        "rating",
        "1",
        "5",
        False,
        None,
    ),
    (
        "team_efficiency",
        "Team quality and efficiency rating",
        "团队绩效质量与效率评分",
        "quarterly",
        "rating",
        "1",
        "5",
        False,
        None,
    ),
    ("market_share", "Market share (%)", "市场份额（%）", "quarterly", "percent", "0", "100", False, None),
]


def load(apps, schema_editor):
    Metric = apps.get_model("appraisals", "Metric")
    for order, (code, name_en, name_zh, cadence, unit, low, high, integer_only, _at_most) in enumerate(METRICS, 1):
        Metric.objects.update_or_create(
            code=code,
            defaults={
                "name_en": name_en,
                "name_zh": name_zh,
                "cadence": cadence,
                "unit": unit,
                "min_value": Decimal(low),
                "max_value": Decimal(high) if high is not None else None,
                "integer_only": integer_only,
                "order": order,
            },
        )
    for code, *_rest, at_most in METRICS:
        if at_most:
            Metric.objects.filter(code=code).update(at_most_metric_id=at_most)


def unload(apps, schema_editor):
    apps.get_model("appraisals", "Metric").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("appraisals", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
