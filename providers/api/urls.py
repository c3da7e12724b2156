from rest_framework.routers import SimpleRouter

from .views import OrganizationViewSet, ServiceViewSet

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("services", ServiceViewSet, basename="service")

urlpatterns = router.urls
