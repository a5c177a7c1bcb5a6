"""The login check: Django's own (username, password, ``user.is_active``), and no leaver logs in.

A login linked to an employee who is inactive, or whose end date has passed, cannot log in, and a
session it already had ends at its next request (Django asks ``user_can_authenticate`` again
when it loads the user of a session)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from roles.models import Employee


def is_leaver(user) -> bool:
    """Whether ``user`` belongs to an employee who has left (inactive, or past their end date)."""
    try:
        employee = user.employee
    except (Employee.DoesNotExist, AttributeError):
        return False
    return employee.has_left()


class EmployeeLoginBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not is_leaver(user)

    def get_user(self, user_id):
        # The session's user and their employee in one query: every request asks both.
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("employee").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
