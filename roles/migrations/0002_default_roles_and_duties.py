"""Roles and duties exactly as POLICY.md §1, and the HR group."""

from django.db import migrations

ROLES = [
    (
        "manager",
        "Sales Manager",
        "销售经理",
        [
            (
                "Draw up the company's sales plan and how it is carried out; monitor execution through clear "
                "sales targets and metrics.",
                "制定公司销售计划和实施方案，并通过明确的销售目标和衡量指标来监控销售工作执行情况",
            ),
            (
                "Maintain and manage customers, build customer relationships, raise loyalty and keep a good "
                "repeat-customer rate.",
                "对客户进行维护和管理，建立和加强客户关系，提高公司的客户忠诚度，确保实现良好的客户回头率",
            ),
            (
                "Lead the sales team to better results and follow the team's progress closely.",
                "带领销售团队提高销售业绩，并及时跟进团队销售进展",
            ),
            (
                "Analyse competition and set strategy to keep market share growing steadily.",
                "分析市场竞争情况，制定相应的销售策略和方案，以应对市场变化，确保公司市场份额的稳定增长",
            ),
        ],
    ),
    (
        "supervisor",
        "Sales Supervisor",
        "销售主管",
        [
            (
                "Help the manager direct and coordinate the team; report sales progress to the manager.",
                "帮助销售经理指导协调销售团队的工作，并向经理报告销售进展情况",
            ),
            (
                "Set and carry out marketing strategy to reach sales targets.",
                "负责制定和实施营销策略，实现销售目标",
            ),
            (
                "Run metric- and performance-based supervision of team members' work and quality.",
                "在销售团队中运用指标和绩效监管机制，确保团队成员的有效工作执行和业绩质量",
            ),
            (
                "Keep improving sales process, methods, resources and efficiency.",
                "持续优化销售流程和方法，优化销售资源和效率，确保公司销售质量和效益合理增长",
            ),
        ],
    ),
    (
        "rep",
        "Sales Representative",
        "销售代表",
        [
            (
                "Prospect for customers, build relationships, widen and improve sales channels.",
                "负责开拓潜在客户，建立和加强客户关系，促进销售渠道的扩张和优化",
            ),
            (
                "Sell the company's products and services, raise satisfaction and loyalty, win orders.",
                "推销公司产品和服务，提升客户满意度和忠诚度，获取客户订单",
            ),
            (
                "Take part in sales planning; help the supervisor carry out marketing strategy; reach targets.",
                "参与制定销售计划和协助销售主管执行营销策略，达成销售业绩目标",
            ),
            (
                "Report customer needs and market feedback promptly.",
                "及时反馈客户需求和市场反馈，为公司销售业务调整提供指导",
            ),
        ],
    ),
]

HR_GROUP = "HR"


def load(apps, schema_editor):
    Role = apps.get_model("roles", "Role")
    Duty = apps.get_model("roles", "Duty")
    Group = apps.get_model("auth", "Group")
    for order, (code, name_en, name_zh, duties) in enumerate(ROLES, start=1):
        role, _ = Role.objects.update_or_create(
            code=code, defaults={"name_en": name_en, "name_zh": name_zh, "order": order}
        )
        for duty_order, (text_en, text_zh) in enumerate(duties, start=1):
            Duty.objects.update_or_create(
                role=role, order=duty_order, defaults={"text_en": text_en, "text_zh": text_zh}
            )
    Group.objects.get_or_create(name=HR_GROUP)


def unload(apps, schema_editor):
    apps.get_model("roles", "Duty").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("roles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(load, unload)]
