"""What must never be stored about an employee is refused by the database itself (and by the admin)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from roles.models import Employee
from tests.builders import employee

pytestmark = pytest.mark.django_db


def test_negative_bonus_base_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        employee(quarterly_bonus_base=Decimal("-1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        employee(annual_bonus_base=Decimal("-0.01"))


def test_employee_cannot_report_to_themself():
    person = employee()
    person.reports_to_id = person.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        person.save()


def test_admin_refuses_a_reporting_cycle(admin_client):
    top = employee("T1")
    middle = employee("T2", reports_to=top)
    bottom = employee("T3", reports_to=middle)
    response = admin_client.post(
        f"/admin/roles/employee/{top.pk}/change/",
        {
            "employee_no": "T1",
            "name": top.name,
            "email": top.email,
            "role": top.role_id,
            "reports_to": bottom.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "cycle" in response.content.decode()
    assert Employee.objects.get(pk=top.pk).reports_to is None
