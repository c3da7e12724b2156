from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from coordination import health, views
from coordination.api.auth import TokenObtainView, TokenRevokeView

api_v1 = [
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/revoke/", TokenRevokeView.as_view(), name="token-revoke"),
    path("", include("providers.api.urls")),
    path("", include("clients.api.urls")),
    path("", include("referrals.api.urls")),
    path("", include("consent.api.urls")),
    path("", include("audit.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("exceptionqueue.api.urls")),
    path("", include("sla.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("metrics.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("directory/", include("providers.urls")),
    path("clients/", include("clients.urls")),
    path("referrals/", include("referrals.urls")),
    path("consents/", include("consent.urls")),
    path("exceptions/", include("exceptionqueue.urls")),
    path("notifications/", include("notifications.urls")),
    path("sla/", include("sla.urls")),
    path("health/", health.health, name="health"),
    path("settings/webhooks/", include("webhooks.urls")),
    path("dashboard/", include("metrics.urls")),
    path("quality/", include("quality.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler403 = "coordination.views.permission_denied"
