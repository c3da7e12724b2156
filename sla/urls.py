from django.urls import path

from . import views

app_name = "sla"

urlpatterns = [
    path("escalations/<uuid:pk>/acknowledge/", views.acknowledge, name="escalation_acknowledge"),
]
