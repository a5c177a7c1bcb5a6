from django.urls import path

from appraisals import views

urlpatterns = [
    path("team/", views.team, name="team"),
    path("team/export/", views.team_export, name="team_export"),
]
