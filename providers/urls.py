from django.urls import path

from . import views

app_name = "providers"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("services/<uuid:pk>/", views.service_detail, name="service-detail"),
]
