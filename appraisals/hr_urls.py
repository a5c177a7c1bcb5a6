"""HR console pages for imports and periods; included under /hr/ by rewards/urls.py (namespace "hr")."""

from django.urls import path, re_path

from appraisals import hr_views

# A period code (POLICY.md §3): YYYY-MM, YYYY-Qn or YYYY. Anything else is not a page (404).
PERIOD = r"(?P<code>\d{4}(?:-(?:0[1-9]|1[0-2]|Q[1-4]))?)"

urlpatterns: list = [
    path("imports/", hr_views.imports, name="imports"),
    path("periods/", hr_views.periods, name="periods"),
    re_path(rf"^periods/{PERIOD}/$", hr_views.period_detail, name="period_detail"),
    re_path(rf"^periods/{PERIOD}/close/$", hr_views.period_close, name="period_close"),
    re_path(rf"^periods/{PERIOD}/reopen/$", hr_views.period_reopen, name="period_reopen"),
    re_path(rf"^periods/{PERIOD}/export/$", hr_views.period_export, name="period_export"),
    path("jobs/<int:job_id>/", hr_views.job, name="job"),
]
