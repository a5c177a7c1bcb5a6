"""Demo data: a plausible sales org with months of metrics, for demos, manual testing and benchmarks.

``demo_seed`` is the service behind ``manage.py seed_demo``. It is deterministic for a seed
(one ``random.Random``, a fixed iteration order, no clock reads: the caller passes the last
month) and writes in bulk, so its query count does not grow with headcount: the org
(``demo.org``), its logins (``demo.logins``) and its metric values (``demo.metrics``).

``demo_reset`` deletes only demo employees (``demo.org.DEMO_EMAIL_DOMAIN``) and their figures.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from appraisals.models import MetricValue
from appraisals.periods import PeriodRef
from demo.exceptions import DemoSeedError
from demo.logins import DEMO_LOGINS, DemoLinkedLogin, demo_logins_linked, demo_logins_write
from demo.metrics import (
    demo_periods,
    demo_periods_open,
    metric_entry_times,
    metric_ranges,
    metric_rows,
    metric_values_write,
)
from demo.org import (
    demo_employees,
    demo_org_people,
    demo_org_size,
    demo_people_insert,
    first_chain,
    refuse_numbers_taken,
)
from roles.models import Employee, Role

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoSeedResult:
    managers: int
    supervisors: int
    reps: int
    periods: tuple[str, ...]
    metric_values: int
    logins: tuple[DemoLinkedLogin, ...]
    reset_employees: int = 0
    reset_metric_values: int = 0

    @property
    def employees(self) -> int:
        return self.managers + self.supervisors + self.reps


def demo_reset(*, progress: Progress | None = None) -> tuple[int, int]:
    """Delete the demo employees and their metric values; returns (employees, metric values) deleted.

    Refuses while anything else refers to a demo employee (a scorecard or reward after a close, a
    non-demo employee reporting to one, any table added later): those are records someone may
    rely on, and the deletes below run without the ORM's collector.
    """
    progress = progress or (lambda message: None)
    demo = demo_employees()
    referring = []
    for relation in Employee._meta.related_objects:
        if relation.related_model is MetricValue:
            continue  # the demo's own rows, deleted below
        references = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": demo})
        if relation.related_model is Employee:
            references = references.exclude(pk__in=demo)
        if references.exists():
            referring.append(str(relation.related_model._meta.verbose_name_plural))
    if referring:
        raise DemoSeedError(
            f"{', '.join(referring)} refer to demo employees (was a period closed?); "
            "reset refused, use a fresh database instead"
        )
    with transaction.atomic():
        # No signals or cascades remain to honour (checked above), so delete in one statement
        # each rather than loading every row into a deletion collector.
        values = MetricValue.objects.filter(employee__in=demo)._raw_delete(MetricValue.objects.db)
        demo.update(reports_to=None, user=None)
        employees = demo._raw_delete(Employee.objects.db)
    progress(f"reset: deleted {employees:,} demo employees and {values:,} metric values")
    return employees, values


def demo_seed(
    *,
    end: PeriodRef,
    employees: int = 40,
    months: int = 12,
    seed: int = 42,
    reset: bool = False,
    progress: Progress | None = None,
) -> DemoSeedResult:
    """Write a demo org of ``employees`` people with ``months`` months of metrics ending at ``end``.

    The same arguments always write the same data. Refuses (``DemoSeedError``) when demo
    employees exist, unless ``reset`` deletes them first.
    """
    progress = progress or (lambda message: None)
    managers, supervisors, reps = demo_org_size(employees)
    periods = demo_periods(end=end, months=months)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    with transaction.atomic():
        reset_counts = (0, 0)
        if reset:
            reset_counts = demo_reset(progress=progress)
        elif demo_employees().exists():
            raise DemoSeedError("demo employees already exist; run again with --reset to replace them")
        ranges = metric_ranges()
        roles = {role.code: role.pk for role in Role.objects.filter(code__in=[Role.MANAGER, Role.SUPERVISOR, Role.REP])}
        if len(roles) < 3:
            raise DemoSeedError("the roles manager, supervisor and rep are missing; run the migrations")

        people = demo_org_people(rng, employees=employees, first_month=periods.months[0].start)
        refuse_numbers_taken(people)

        period_ids = demo_periods_open(periods)
        progress(f"periods: {periods.months[0].code} … {periods.months[-1].code}, {len(periods.quarters)} quarter(s)")

        first = first_chain(people)
        users = demo_logins_write(first)
        for login in DEMO_LOGINS:
            if login.employee_role:
                first[login.employee_role].user_id = users[login.username]

        demo_people_insert(people, roles)
        progress(f"employees: managers {managers:,}, supervisors {supervisors:,}, reps {reps:,}")

        entered_at = metric_entry_times(periods, period_ids, now=timezone.now())
        rows = metric_rows(rng, people=people, periods=periods, period_ids=period_ids, ranges=ranges, progress=progress)
        written = metric_values_write(rows, entered_at=entered_at)
        progress(f"metric values: {written:,} written")

    return DemoSeedResult(
        managers=managers,
        supervisors=supervisors,
        reps=reps,
        periods=tuple(ref.code for ref in periods.all),
        metric_values=written,
        logins=demo_logins_linked(first),
        reset_employees=reset_counts[0],
        reset_metric_values=reset_counts[1],
    )
