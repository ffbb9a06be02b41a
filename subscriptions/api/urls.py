"""The catalog API, under /api/v1/catalog/. A SimpleRouter: the API root of
/api/v1/ belongs to the customers router."""

from rest_framework.routers import SimpleRouter

from subscriptions.api import views

router = SimpleRouter()
router.register("catalog/services", views.CatalogServiceViewSet, basename="catalog-service")
router.register("catalog/programme", views.ProgrammeEventViewSet, basename="catalog-programme")
router.register("catalog/offers", views.OffersOnSaleViewSet, basename="catalog-offer")
router.register("catalog/offer-versions", views.OfferVersionViewSet,
                basename="catalog-offer-version")

urlpatterns = router.urls
