from django.urls import path

from . import views

app_name = "exceptionqueue"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/transition/", views.transition, name="transition"),
    path("<uuid:pk>/assign/", views.assign, name="assign"),
]
