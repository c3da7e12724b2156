from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("", views.search, name="search"),
    path("new/", views.create, name="create"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/edit/", views.edit, name="edit"),
]
