"""Every page of the app: the people's pages, the team page and the HR console (namespace "hr")."""

from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from pages.views import (
    accounts,
    disputes,
    history,
    home,
    hr_bonus_list,
    hr_home,
    hr_imports,
    hr_payroll,
    hr_periods,
    hr_policies,
    hr_rewards,
    notifications,
    person,
    team,
)

# A period code (POLICY.md §3): YYYY-MM, YYYY-Qn or YYYY. Anything else is not a page (404).
PERIOD = r"(?P<code>\d{4}(?:-(?:0[1-9]|1[0-2]|Q[1-4]))?)"

hr_patterns = [
    path("", hr_home.hr_home, name="home"),
    path("rewards/", hr_rewards.rewards, name="rewards"),
    path("rewards/decide/", hr_rewards.rewards_decide_view, name="rewards_decide"),
    path(
        "rewards/<int:pk>/accept-recomputed/",
        hr_rewards.reward_accept_recomputed_view,
        name="reward_accept_recomputed",
    ),
    path("payroll/", hr_payroll.payroll, name="payroll"),
    path("payroll/<int:pk>/", hr_payroll.payroll_run, name="payroll_run"),
    path("payroll/<int:pk>/download/", hr_payroll.payroll_run_download, name="payroll_run_download"),
    path("bonus/<int:year>/", hr_bonus_list.bonus_list_page, name="bonus_list"),
    path("bonus/<int:year>/download/", hr_bonus_list.bonus_list_download, name="bonus_list_download"),
    path("policy/", hr_policies.policies, name="policies"),
    path("policy/<int:pk>/", hr_policies.policy_detail, name="policy_detail"),
    path("policy/<int:pk>/copy/", hr_policies.policy_new, name="policy_new"),
    path("policy/<int:pk>/edit/", hr_policies.policy_edit, name="policy_edit"),
    path("policy/<int:pk>/delete/", hr_policies.policy_delete, name="policy_delete"),
    path("policy/<int:pk>/preview/", hr_policies.policy_preview_page, name="policy_preview"),
    path("imports/", hr_imports.imports, name="imports"),
    path("imports/<int:job_id>/", hr_imports.import_job, name="import_job"),
    path("history/", history.history_page, name="history"),
    path("periods/", hr_periods.periods, name="periods"),
    path("periods/close-due/", hr_periods.close_due, name="close_due"),
    path("jobs/<int:job_id>/cancel/", hr_periods.close_cancel, name="close_cancel"),
    re_path(rf"^periods/{PERIOD}/$", hr_periods.period_detail, name="period_detail"),
    re_path(rf"^periods/{PERIOD}/close/$", hr_periods.period_close, name="period_close"),
    re_path(rf"^periods/{PERIOD}/checklist/$", hr_periods.period_checklist, name="period_checklist"),
    re_path(rf"^periods/{PERIOD}/reopen/$", hr_periods.period_reopen, name="period_reopen"),
    re_path(rf"^periods/{PERIOD}/export/$", hr_periods.period_export, name="period_export"),
    path("jobs/<int:job_id>/", hr_periods.job, name="job"),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz/", home.healthz, name="healthz"),
    path("favicon.ico", home.favicon, name="favicon"),
    path("accounts/login/", home.LoginView.as_view(), name="login"),
    path("i18n/setlang/", home.set_language, name="set_language"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/password_reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("me/", person.me, name="me"),
    path("employees/<str:employee_no>/", person.employee_detail, name="employee_detail"),
    path("employees/<str:employee_no>/ratings/", person.employee_ratings, name="employee_ratings"),
    re_path(
        rf"^employees/(?P<employee_no>[^/]+)/scorecard/{PERIOD}/print/$",
        person.scorecard_print,
        name="scorecard_print",
    ),
    path("disputes/", disputes.dispute_list, name="disputes"),
    path("disputes/new/", disputes.dispute_new, name="dispute_new"),
    path("disputes/<int:pk>/", disputes.dispute_detail, name="dispute_detail"),
    path("disputes/<int:pk>/accept/", disputes.dispute_accept_view, name="dispute_accept"),
    path("disputes/<int:pk>/reject/", disputes.dispute_reject_view, name="dispute_reject"),
    path("disputes/<int:pk>/attachment/", disputes.dispute_attachment, name="dispute_attachment"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notification_read, name="notification_read"),
    path("notifications/settings/", notifications.notification_settings, name="notification_settings"),
    path("team/", team.team, name="team"),
    path("team/export/", team.team_export, name="team_export"),
    path("team/ratings/", team.team_ratings, name="team_ratings"),
    path("hr/", include((hr_patterns, "hr"))),
]
