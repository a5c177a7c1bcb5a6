from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from roles.models import Duty, Employee, Role


class DutyInline(admin.TabularInline):
    model = Duty
    extra = 0
    ordering = ["order"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_zh", "order"]
    inlines = [DutyInline]


class EmployeeAdminForm(admin.ModelAdmin.form):
    def clean(self):
        cleaned = super().clean()
        manager = cleaned.get("reports_to")
        if manager is not None and self.instance.pk:
            # Walk up from the new manager; meeting this employee means the change closes a loop.
            seen = set()
            node = manager
            while node is not None and node.pk not in seen:
                if node.pk == self.instance.pk:
                    raise ValidationError({"reports_to": _("This reporting line would create a cycle.")})
                seen.add(node.pk)
                node = node.reports_to
        return cleaned


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    form = EmployeeAdminForm
    list_display = ["employee_no", "name", "role", "reports_to", "is_active", "hire_date"]
    list_filter = ["role", "is_active"]
    search_fields = ["employee_no", "name", "email"]
    list_select_related = ["role", "reports_to"]
    raw_id_fields = ["reports_to", "user"]
