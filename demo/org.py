"""The demo org: its size and shape (about 1 manager : 8 supervisors : 64 reps), its people in
memory, and their insert, level by level (managers, then supervisors, then reps, so ``reports_to``
is known on insert).

Demo employees are recognised by their e-mail domain (``DEMO_EMAIL_DOMAIN``), so a reset never
touches employees or logins that someone imported or created by hand.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import QuerySet

from demo.exceptions import DemoSeedError
from demo.names import SURNAMES, given_name
from roles.models import Employee, Role

DEMO_EMAIL_DOMAIN = "demo.example.com"

# A manager leads about this many supervisors, a supervisor about this many reps.
SUPERVISORS_PER_MANAGER = 8
REPS_PER_SUPERVISOR = 8


@dataclass
class DemoPerson:
    """One person of the demo org before (and, with ``pk``, after) the insert."""

    employee_no: str
    role: str
    name: str
    given_pinyin: str
    surname_pinyin: str
    email: str
    hire_date: date
    boss: int | None = None  # index into the people list
    quarterly_bonus_base: Decimal | None = None
    annual_bonus_base: Decimal | None = None
    user_id: int | None = None
    pk: int | None = field(default=None, repr=False)


def demo_org_size(employees: int) -> tuple[int, int, int]:
    """Managers, supervisors and reps for a headcount: about 1 : 8 : 64, at least one of each."""
    if employees < 3:
        raise DemoSeedError("the demo org needs at least 3 employees (a manager, a supervisor and a rep)")
    managers = max(1, round(employees / (1 + SUPERVISORS_PER_MANAGER * (1 + REPS_PER_SUPERVISOR))))
    supervisors = max(1, round((employees - managers) / (1 + REPS_PER_SUPERVISOR)))
    supervisors = min(supervisors, employees - managers - 1)
    return managers, supervisors, employees - managers - supervisors


def _employee_numbers(managers: int, supervisors: int, reps: int) -> list[tuple[str, str]]:
    return (
        [(f"M{n:04d}", Role.MANAGER) for n in range(1, managers + 1)]
        + [(f"S{n:05d}", Role.SUPERVISOR) for n in range(1, supervisors + 1)]
        + [(f"R{n:05d}", Role.REP) for n in range(1, reps + 1)]
    )


def demo_org_people(rng: random.Random, *, employees: int, first_month: date) -> list[DemoPerson]:
    """The org in memory, top-down; each level's members split into contiguous, even teams."""
    managers, supervisors, reps = demo_org_size(employees)
    # Years of service before the first seeded month, by role.
    tenure_days = {Role.MANAGER: (3 * 365, 15 * 365), Role.SUPERVISOR: (540, 10 * 365), Role.REP: (30, 6 * 365)}
    emails_taken: dict[str, int] = {}
    people: list[DemoPerson] = []
    for index, (employee_no, role) in enumerate(_employee_numbers(managers, supervisors, reps)):
        surname_zh, surname_py = rng.choice(SURNAMES)
        given_zh, given_py = given_name(rng)
        local = f"{given_py}.{surname_py}".lower().replace("'", "")
        emails_taken[local] = emails_taken.get(local, 0) + 1
        if emails_taken[local] > 1:
            local = f"{local}{emails_taken[local]}"
        low, high = tenure_days[role]
        person = DemoPerson(
            employee_no=employee_no,
            role=role,
            name=f"{surname_zh}{given_zh} {surname_py} {given_py}",
            given_pinyin=given_py,
            surname_pinyin=surname_py,
            email=f"{local}@{DEMO_EMAIL_DOMAIN}",
            hire_date=first_month - timedelta(days=rng.randint(low, high)),
        )
        # Most people take the policy default bonus base; a few have their own.
        if role == Role.SUPERVISOR and rng.random() < 0.15:
            person.quarterly_bonus_base = Decimal(rng.choice(("5000.00", "7000.00", "8000.00", "9000.00")))
        if role == Role.MANAGER and rng.random() < 0.2:
            person.annual_bonus_base = Decimal(rng.choice(("50000.00", "80000.00", "100000.00")))
        if role == Role.SUPERVISOR:
            person.boss = (index - managers) * managers // supervisors
        elif role == Role.REP:
            person.boss = managers + (index - managers - supervisors) * supervisors // reps
        people.append(person)
    return people


def demo_employees() -> QuerySet[Employee]:
    """The demo's employees, known by their e-mail domain."""
    return Employee.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")


def refuse_numbers_taken(people: list[DemoPerson]) -> None:
    """Refuse (``DemoSeedError``) when a non-demo employee holds one of the demo's employee numbers."""
    taken = set(
        Employee.objects.filter(employee_no__regex=r"^[MSR][0-9]+$")
        .exclude(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")
        .values_list("employee_no", flat=True)
    ).intersection(person.employee_no for person in people)
    if taken:
        raise DemoSeedError(f"employee numbers {', '.join(sorted(taken)[:5])} … belong to non-demo employees")


def first_chain(people: list[DemoPerson]) -> dict[str, DemoPerson]:
    """The first manager, that manager's first supervisor and that supervisor's first rep."""
    manager = 0
    supervisor = next(i for i, p in enumerate(people) if p.role == Role.SUPERVISOR and p.boss == manager)
    rep = next(i for i, p in enumerate(people) if p.role == Role.REP and p.boss == supervisor)
    return {Role.MANAGER: people[manager], Role.SUPERVISOR: people[supervisor], Role.REP: people[rep]}


def demo_people_insert(people: list[DemoPerson], roles: dict[str, int]) -> None:
    """Insert level by level so every reports_to id is known when its rows go in."""
    for role in (Role.MANAGER, Role.SUPERVISOR, Role.REP):
        level = [person for person in people if person.role == role]
        objs = [
            Employee(
                employee_no=person.employee_no,
                name=person.name,
                email=person.email,
                role_id=roles[role],
                reports_to_id=people[person.boss].pk if person.boss is not None else None,
                hire_date=person.hire_date,
                quarterly_bonus_base=person.quarterly_bonus_base,
                annual_bonus_base=person.annual_bonus_base,
                user_id=person.user_id,
            )
            for person in level
        ]
        Employee.objects.bulk_create(objs, batch_size=5000)
        if any(obj.pk is None for obj in objs):  # databases that return no ids from bulk inserts
            ids = dict(demo_employees().filter(role_id=roles[role]).values_list("employee_no", "pk"))
            for obj in objs:
                obj.pk = ids[obj.employee_no]
        for person, obj in zip(level, objs, strict=True):
            person.pk = obj.pk
