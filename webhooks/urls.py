from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("new/", views.endpoint_add, name="add"),
    path("<uuid:pk>/", views.endpoint_detail, name="detail"),
    path("<uuid:pk>/edit/", views.endpoint_edit, name="edit"),
    path("<uuid:pk>/rotate-secret/", views.endpoint_rotate, name="rotate"),
    path("<uuid:pk>/delete/", views.endpoint_delete, name="delete"),
]
