"""The project's URLs: the pages app, the admin and the language switcher.

The pages are named by module path, not imported, so this floor package imports no app."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("pages.urls")),
]
