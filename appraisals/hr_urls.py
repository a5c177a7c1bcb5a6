"""HR console pages for imports and periods; included under /hr/ by rewards/urls.py (namespace "hr")."""

urlpatterns: list = []
