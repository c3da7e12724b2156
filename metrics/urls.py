from django.urls import path

from . import views

app_name = "metrics"

urlpatterns = [
    path("performance/", views.performance, name="performance"),
    path("performance/export.csv", views.performance_csv, name="performance_csv"),
]
