from django.urls import path

from .views import ReferralMetricsViewSet

urlpatterns = [
    path(
        "metrics/referrals/",
        ReferralMetricsViewSet.as_view({"get": "summary"}, basename="referral-metrics", detail=False),
        name="referral-metrics",
    ),
]
