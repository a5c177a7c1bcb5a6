from django.urls import path

from appraisals import hr_urls
from rewards import views

app_name = "hr"

urlpatterns = [
    path("", views.hr_home, name="home"),
    *hr_urls.urlpatterns,
]
