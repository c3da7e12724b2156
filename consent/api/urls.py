from rest_framework.routers import SimpleRouter

urlpatterns = SimpleRouter().urls
