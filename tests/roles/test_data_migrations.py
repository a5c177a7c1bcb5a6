"""The roles data migration loads POLICY.md §1 exactly: the roles and their duties."""

from __future__ import annotations

import pytest

from roles.models import Duty, Role

pytestmark = pytest.mark.django_db


def test_the_roles_are_loaded_with_english_and_chinese_names():
    assert list(Role.objects.values_list("code", "name_en", "name_zh")) == [
        ("manager", "Sales Manager", "销售经理"),
        ("supervisor", "Sales Supervisor", "销售主管"),
        ("rep", "Sales Representative", "销售代表"),
    ]


def test_the_duties_are_loaded_in_the_policy_order():
    assert Duty.objects.count() == 12
    manager = list(Duty.objects.filter(role__code="manager").values_list("order", "text_zh"))
    assert manager[0] == (1, "制定公司销售计划和实施方案，并通过明确的销售目标和衡量指标来监控销售工作执行情况")
    assert manager[3][1].endswith("确保公司市场份额的稳定增长")
    rep = list(Duty.objects.filter(role__code="rep").values_list("text_en", flat=True))
    assert rep[3] == "Report customer needs and market feedback promptly."
    supervisor = Duty.objects.get(role__code="supervisor", order=2)
    assert supervisor.text_zh == "负责制定和实施营销策略，实现销售目标"


def test_admin_lists_roles_and_their_duties(admin_client):
    assert "Sales Representative" in admin_client.get("/admin/roles/role/").content.decode()
    role = Role.objects.get(code="rep")
    page = admin_client.get(f"/admin/roles/role/{role.pk}/change/").content.decode()
    assert "推销公司产品和服务" in page
