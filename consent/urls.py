from django.urls import path

from . import views

app_name = "consent"

urlpatterns = [
    path("client/<uuid:pk>/", views.client_consents, name="client"),
    path("client/<uuid:pk>/new/", views.record, name="record"),
    path("client/<uuid:pk>/new/provision/", views.provision_form, name="provision_form"),
    path("<uuid:pk>/revoke/", views.revoke, name="revoke"),
    path("<uuid:pk>/form/", views.signed_form, name="signed_form"),
    path("break-glass/<uuid:pk>/end/", views.break_glass_end_page, name="break_glass_end"),
]
