"""The demo logins: the documented usernames and passwords (README, the command's output), each
linked to the first person of its role in the demo org; hr in the HR group.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from demo.exceptions import DemoSeedError
from demo.org import DEMO_EMAIL_DOMAIN, DemoPerson
from roles.models import Employee, Role

HR_GROUP = "HR"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    description: str
    # The role of the employee the login is linked to; empty for hr and admin.
    employee_role: str = ""
    is_staff: bool = False
    is_superuser: bool = False
    in_hr_group: bool = False


# The documented demo passwords (README, the command's output). Demo only: never on a real database.
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin", "admin-demo-pass", "superuser", is_staff=True, is_superuser=True),
    DemoLogin("hr", "hr-demo-pass", "HR (HR group, admin site)", is_staff=True, in_hr_group=True),
    DemoLogin("manager", "manager-demo-pass", "the first manager", employee_role=Role.MANAGER),
    DemoLogin("supervisor", "supervisor-demo-pass", "the manager's first supervisor", employee_role=Role.SUPERVISOR),
    DemoLogin("rep", "rep-demo-pass", "the supervisor's first rep", employee_role=Role.REP),
)


@dataclass(frozen=True)
class DemoLinkedLogin(DemoLogin):
    """A demo login as seeded: with the employee it is linked to (none for hr and admin)."""

    employee_no: str = ""
    employee_name: str = ""


def demo_logins_write(people_by_role: dict[str, DemoPerson]) -> dict[str, int]:
    """Create or refresh the demo logins; returns username → user id."""
    user_model = get_user_model()
    existing = {
        user.username: user for user in user_model.objects.filter(username__in=[d.username for d in DEMO_LOGINS])
    }
    foreign = sorted(name for name, user in existing.items() if not user.email.endswith(f"@{DEMO_EMAIL_DOMAIN}"))
    if foreign:
        raise DemoSeedError(
            f"user(s) {', '.join(foreign)} already exist and are not demo logins; use a database without them"
        )
    # A PBKDF2 hash costs ~0.5 s and releases the GIL: on a multi-core machine, hash side by side.
    passwords = sorted({login.password for login in DEMO_LOGINS})
    with ThreadPoolExecutor(max_workers=len(passwords)) as pool:
        hashes = dict(zip(passwords, pool.map(make_password, passwords), strict=True))
    to_create, to_update = [], []
    for login in DEMO_LOGINS:
        user = existing.get(login.username) or user_model(username=login.username)
        person = people_by_role.get(login.employee_role)
        user.password = hashes[login.password]
        user.email = f"{login.username}@{DEMO_EMAIL_DOMAIN}"
        if person:
            # The header shows get_full_name() ("first last"): keep the employee's own name order.
            user.first_name, user.last_name = person.name[:150], ""
        else:
            user.first_name, user.last_name = "Demo", login.username.upper() if login.in_hr_group else "Admin"
        user.is_staff = login.is_staff
        user.is_superuser = login.is_superuser
        user.is_active = True
        (to_update if user.pk else to_create).append(user)
    user_model.objects.bulk_create(to_create)
    if to_update:
        user_model.objects.bulk_update(
            to_update, ["password", "email", "first_name", "last_name", "is_staff", "is_superuser", "is_active"]
        )
        # A login links one employee at most; the new demo employee takes it over.
        Employee.objects.filter(user__in=to_update).update(user=None)
    users = {user.username: user.pk for user in [*to_create, *to_update]}
    if any(pk is None for pk in users.values()):  # databases that return no ids from bulk inserts
        users = dict(user_model.objects.filter(username__in=list(users)).values_list("username", "pk"))
    hr_group, _ = Group.objects.get_or_create(name=HR_GROUP)
    membership = user_model.groups.through
    membership.objects.bulk_create(
        [membership(user_id=users[login.username], group_id=hr_group.pk) for login in DEMO_LOGINS if login.in_hr_group],
        ignore_conflicts=True,
    )
    return users


def demo_logins_linked(first: dict[str, DemoPerson]) -> tuple[DemoLinkedLogin, ...]:
    """Every demo login with the employee it is linked to (``first``: the first person of each role)."""
    return tuple(
        DemoLinkedLogin(
            **asdict(login),
            employee_no=first[login.employee_role].employee_no if login.employee_role else "",
            employee_name=first[login.employee_role].name if login.employee_role else "",
        )
        for login in DEMO_LOGINS
    )
