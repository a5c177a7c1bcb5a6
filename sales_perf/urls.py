"""The project's URLs: the pages app (the language switch included) and the admin.

The pages are named by module path, not imported, so this floor package imports no app."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("pages.urls")),
]
