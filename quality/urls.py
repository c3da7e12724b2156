from django.urls import path

from . import views

app_name = "quality"

urlpatterns = [
    path("", views.report, name="report"),
    path("export.csv", views.export, name="export"),
    path("reports/<int:pk>/", views.weekly_report, name="weekly_report"),
]
