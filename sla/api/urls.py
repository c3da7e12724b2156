"""Escalation routes, spelled out (nested under the referral, like the consent routes under the client)."""

from django.urls import re_path

from .views import SlaEscalationViewSet

ID = r"[^/.]+"

urlpatterns = [
    re_path(
        rf"^referrals/(?P<referral_pk>{ID})/escalations/$",
        SlaEscalationViewSet.as_view({"get": "list"}, basename="referral-escalation", detail=False),
        name="referral-escalation-list",
    ),
    re_path(
        rf"^referrals/(?P<referral_pk>{ID})/escalations/(?P<pk>{ID})/acknowledge/$",
        SlaEscalationViewSet.as_view(
            {"post": "acknowledge"}, basename="referral-escalation", **SlaEscalationViewSet.acknowledge.kwargs
        ),
        name="referral-escalation-acknowledge",
    ),
]
