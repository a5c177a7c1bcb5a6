from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from roles.models import Duty, Employee, Role
from roles.tree import org_find_cycle


class DutyInline(admin.TabularInline):
    model = Duty
    extra = 0
    ordering = ["order"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_zh", "order"]
    inlines = [DutyInline]


def reporting_cycle(employee: Employee, manager: Employee | None) -> list[str] | None:
    """The reporting cycle that making ``manager`` the boss of ``employee`` would close, as
    employee numbers (``["A", "B", "A"]``), or None. The same check as the import's: the one
    cycle finder (``roles.tree``) over the stored reporting lines with this change applied."""
    if manager is None or employee.pk is None:
        return None
    edges = dict(Employee.objects.values_list("id", "reports_to_id"))
    edges[employee.pk] = manager.pk
    cycle = org_find_cycle(edges)
    if cycle is None:
        return None
    numbers = dict(Employee.objects.filter(pk__in=set(cycle)).values_list("id", "employee_no"))
    return [numbers[pk] for pk in cycle]


class EmployeeAdminForm(admin.ModelAdmin.form):
    def clean(self):
        cleaned = super().clean()
        cycle = reporting_cycle(self.instance, cleaned.get("reports_to"))
        if cycle is not None:
            raise ValidationError(
                {"reports_to": _("This reporting line would create a cycle: %(chain)s.") % {"chain": " → ".join(cycle)}}
            )
        if cleaned.get("is_active") is False and not cleaned.get("end_date"):
            raise ValidationError({"end_date": _("Give a leaver's end date (their last working day).")})
        return cleaned


@admin.register(Employee)
class EmployeeAdmin(SimpleHistoryAdmin):
    form = EmployeeAdminForm
    list_display = ["employee_no", "name", "role", "reports_to", "is_active", "end_date", "hire_date"]
    list_filter = ["role", "is_active"]
    search_fields = ["employee_no", "name", "email"]
    list_select_related = ["role", "reports_to"]
    raw_id_fields = ["reports_to", "user"]
    history_list_display = ["reports_to", "role", "is_active", "end_date"]

    def has_delete_permission(self, request, obj=None):
        # A leaver is deactivated, not deleted: their history stays.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A leaver's login stops working at once; a returning employee's works again.
        if obj.user_id is not None:
            can_log_in = not obj.has_left()
            type(obj.user).objects.filter(pk=obj.user_id).exclude(is_active=can_log_in).update(is_active=can_log_in)
