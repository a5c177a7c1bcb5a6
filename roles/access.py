"""Who may see what. Every view and download goes through these helpers.

- HR (the "HR" group, or a superuser) sees everyone.
- A manager or supervisor sees their unit: themself and everyone below them, at any depth.
- A rep sees only themself.

An object outside the viewer's scope answers 404 (it might as well not exist); a page for
another audience answers 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404

from roles.models import Employee, Role

HR_GROUP = "HR"
HR = "hr"
LEAD = "lead"  # managers and supervisors
REP = "rep"

_UNIT_SQL = """
WITH RECURSIVE unit(id) AS (
    SELECT id FROM roles_employee WHERE id = %s
    UNION ALL
    SELECT e.id FROM roles_employee e JOIN unit ON e.reports_to_id = unit.id
)
SELECT id FROM unit
"""


def viewer_employee(user) -> Employee | None:
    if not user.is_authenticated:
        return None
    try:
        return user.employee
    except Employee.DoesNotExist:
        return None


def is_hr(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_is_hr", None)
    if cached is None:
        cached = user.groups.filter(name=HR_GROUP).exists()
        user._is_hr = cached
    return cached


def audience(user) -> str | None:
    """HR, LEAD or REP; ``None`` for a login that is neither HR nor linked to an employee."""
    if is_hr(user):
        return HR
    employee = viewer_employee(user)
    if employee is None or not employee.is_active:
        return None
    return REP if employee.role.code == Role.REP else LEAD


def unit_ids_sql(employee_id: int) -> RawSQL:
    """A subquery of the ids in unit(e), for ``filter(employee_id__in=...)``."""
    return RawSQL(_UNIT_SQL, [employee_id])  # noqa: S611 - fixed SQL, the id is a parameter


def visible_employees(user) -> QuerySet[Employee]:
    """The employees ``user`` may see."""
    kind = audience(user)
    if kind == HR:
        return Employee.objects.all()
    if kind is None:
        return Employee.objects.none()
    employee = viewer_employee(user)
    if kind == REP:
        return Employee.objects.filter(pk=employee.pk)
    return Employee.objects.filter(pk__in=unit_ids_sql(employee.pk))


def get_employee_for_user(user, employee_no: str) -> Employee:
    """The employee page's object, or 404 when it is outside the viewer's scope."""
    employee = visible_employees(user).select_related("role", "reports_to").filter(employee_no=employee_no).first()
    if employee is None:
        raise Http404("No such employee")
    return employee


def require_audience(user, *allowed: str) -> str:
    kind = audience(user)
    if kind not in allowed:
        raise PermissionDenied
    return kind
