from django.urls import path

from .views import AuditEventViewSet

# List only: audit rows are read in bulk for reviews; there is no detail route.
urlpatterns = [
    path("audit-events/", AuditEventViewSet.as_view({"get": "list"}), name="audit-event-list"),
]
