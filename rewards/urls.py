from django.urls import path

from appraisals import hr_urls
from rewards import views

app_name = "hr"

urlpatterns = [
    path("", views.hr_home, name="home"),
    path("rewards/", views.rewards, name="rewards"),
    path("rewards/decide/", views.rewards_decide_view, name="rewards_decide"),
    path(
        "rewards/<int:pk>/accept-recomputed/",
        views.reward_accept_recomputed_view,
        name="reward_accept_recomputed",
    ),
    path("bonus/<int:year>/", views.bonus_list_page, name="bonus_list"),
    path("bonus/<int:year>/download/", views.bonus_list_download, name="bonus_list_download"),
    path("policy/", views.policies, name="policies"),
    path("policy/<int:pk>/", views.policy_detail, name="policy_detail"),
    path("policy/<int:pk>/copy/", views.policy_new, name="policy_new"),
    path("policy/<int:pk>/edit/", views.policy_edit, name="policy_edit"),
    path("policy/<int:pk>/delete/", views.policy_delete, name="policy_delete"),
    path("policy/<int:pk>/preview/", views.policy_preview_page, name="policy_preview"),
    *hr_urls.urlpatterns,
]
