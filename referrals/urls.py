from django.urls import path

from . import views
from .views.detail import break_glass

app_name = "referrals"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("inbox/", views.inbox, name="inbox"),
    path("team/", views.team, name="team"),
    path("new/", views.new, name="new"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/transition/", views.transition, name="transition"),
    path("<uuid:pk>/edit/", views.draft_details, name="draft_details"),
    path("<uuid:pk>/service/", views.draft_service, name="draft_service"),
    path("<uuid:pk>/review/", views.draft_review, name="draft_review"),
    path("<uuid:pk>/reroute/", views.reroute, name="reroute"),
    path("<uuid:pk>/assign/", views.assign_worker, name="assign_worker"),
    path("<uuid:pk>/share/", views.share, name="share"),
    path("<uuid:pk>/break-glass/", break_glass, name="break_glass"),
]
