from django.urls import path

from roles import views

urlpatterns = [
    path("me/", views.me, name="me"),
    path("employees/<str:employee_no>/", views.employee_detail, name="employee_detail"),
    path("employees/<str:employee_no>/ratings/", views.employee_ratings, name="employee_ratings"),
]
