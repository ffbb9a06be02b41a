from rest_framework.routers import DefaultRouter

from customers.api import views

router = DefaultRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("service-users", views.ServiceUserViewSet, basename="service-user")
router.register("billing-accounts", views.BillingAccountViewSet, basename="billing-account")
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("contacts", views.ContactPointViewSet, basename="contact")
router.register("addresses", views.AddressViewSet, basename="address")

urlpatterns = router.urls
