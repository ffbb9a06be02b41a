"""The catalog and subscriptions API, under /api/v1/catalog/,
/api/v1/subscriptions/ and /api/v1/subscription-orders/. A SimpleRouter:
the API root of /api/v1/ belongs to the customers router. TMF622 product
orders have their own URLs (subscriptions.api.tmf622), outside /api/v1/."""

from rest_framework.routers import SimpleRouter

from subscriptions.api import views

router = SimpleRouter()
router.register("catalog/services", views.CatalogServiceViewSet, basename="catalog-service")
router.register("catalog/programme", views.ProgrammeEventViewSet, basename="catalog-programme")
router.register("catalog/offers", views.OffersOnSaleViewSet, basename="catalog-offer")
router.register("catalog/offer-versions", views.OfferVersionViewSet,
                basename="catalog-offer-version")
router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")
router.register("subscription-orders", views.SubscriptionOrderViewSet,
                basename="subscription-order")

urlpatterns = router.urls
