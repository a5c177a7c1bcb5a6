"""The HR group's permissions: exactly what HR needs in the admin.

- employees (view, add, change: deactivating a leaver is a change; deleting is for superusers),
  roles and duties;
- metric values (the admin allows changes in open periods only);
- read-only: periods, metrics, scorecards and KPI rows, reward suggestions, import jobs, the
  admin's view of logins (to link one to an employee);
- login lockouts (django-axes): view and delete, which unlocks.

Nothing of the policy (versions, KPIs, bands, reward rules): HR edits the policy on the HR policy
pages, which keep closed periods' figures frozen. Reward decisions go through the HR rewards page.
"""

from django.db import migrations

HR_GROUP = "HR"

HR_PERMISSIONS = {
    "roles": ["view_employee", "add_employee", "change_employee", "view_role", "change_role", "view_duty",
              "add_duty", "change_duty", "delete_duty"],
    "appraisals": ["view_metricvalue", "add_metricvalue", "change_metricvalue", "delete_metricvalue",
                   "view_period", "view_metric", "view_scorecard", "view_kpiscore"],
    "rewards": ["view_rewardsuggestion"],
    "uploads": ["view_importjob"],
    "auth": ["view_user"],
    "axes": ["view_accessattempt", "delete_accessattempt", "view_accessfailurelog"],
}  # fmt: skip


def load(apps, schema_editor):
    """Give the HR group exactly ``HR_PERMISSIONS`` (idempotent; the tests call it again after a flush)."""
    from django.contrib.auth.management import create_permissions

    # Permissions are made after migrate; this migration needs them now.
    for app_config in apps.get_app_configs():
        previous = getattr(app_config, "models_module", None)
        app_config.models_module = previous or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = previous
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=HR_GROUP)
    wanted = []
    for app_label, codenames in HR_PERMISSIONS.items():
        found = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
        missing = set(codenames) - {permission.codename for permission in found}
        if missing:
            raise RuntimeError(f"permissions missing for the HR group: {app_label}.{sorted(missing)}")
        wanted += found
    group.permissions.set(wanted)


def unload(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=HR_GROUP).first()
    if group is not None:
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("roles", "0003_employee_end_date_and_history"),
        ("appraisals", "0005_history"),
        ("rewards", "0003_history"),
        ("uploads", "0001_initial"),
        ("axes", "0010_accessattemptexpiration"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(load, unload)]
