"""The inventory API, under /api/v1/inventory/. A SimpleRouter: the API
root of /api/v1/ belongs to the customers router."""

from rest_framework.routers import SimpleRouter

from inventory.api import views

router = SimpleRouter()
router.register("inventory/equipment-models", views.EquipmentModelViewSet,
                basename="inventory-equipment-model")
router.register("inventory/locations", views.StockLocationViewSet,
                basename="inventory-location")
router.register("inventory/items", views.EquipmentItemViewSet, basename="inventory-item")
router.register("inventory/movements", views.EquipmentMovementViewSet,
                basename="inventory-movement")
router.register("inventory/transfers", views.StockTransferViewSet, basename="inventory-transfer")
router.register("inventory/receipts", views.GoodsReceiptViewSet, basename="inventory-receipt")
router.register("inventory/stock", views.StockViewSet, basename="inventory-stock")
router.register("inventory/charges", views.EquipmentChargeViewSet, basename="inventory-charge")

urlpatterns = router.urls
