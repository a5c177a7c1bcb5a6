"""factory_boy factories for the domain objects: the layer under tests/builders.py.

Tests build what they talk about with the builders (``tests.builders.period``, ``employee``, ``metrics``…);
the factories only make model rows with defaults, for the builders and for a test that needs a bare row.
"""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from appraisals.models import Metric, MetricValue, Period
from appraisals.periods import PeriodRef
from roles.models import Employee, Role


def role(code: str) -> Role:
    return Role.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pass-word-123")


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee
        django_get_or_create = ("employee_no",)

    employee_no = factory.Sequence(lambda n: f"E{n:05d}")
    name = factory.Sequence(lambda n: f"Employee {n}")
    email = factory.LazyAttribute(lambda o: f"{o.employee_no.lower()}@example.com")
    role = factory.LazyFunction(lambda: role(Role.REP))
    reports_to = None


class PeriodFactory(factory.django.DjangoModelFactory):
    """The period ``code`` (the same row for the same code), its kind, year and dates read from the code.

    Other fields given apply only when the period is made; ``tests.builders.period`` also changes an existing one."""

    class Meta:
        model = Period
        django_get_or_create = ("code",)

    code = "2026-01"

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        return {**Period.fields_for(PeriodRef.parse(kwargs["code"])), **kwargs}


class MetricValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetricValue

    employee = factory.SubFactory(EmployeeFactory)
    period = factory.SubFactory(PeriodFactory)
    metric = factory.LazyFunction(lambda: Metric.objects.get(code="sales_actual"))
    value = Decimal("100.00")
    entered_at = factory.LazyFunction(timezone.now)
