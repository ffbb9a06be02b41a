"""The field work API, under /api/v1/field/. A SimpleRouter: the API root
of /api/v1/ belongs to the customers router."""

from rest_framework.routers import SimpleRouter

from workforce.api import views

router = SimpleRouter()
router.register("field/work-orders", views.WorkOrderViewSet, basename="field-work-order")
router.register("field/appointments", views.AppointmentViewSet, basename="field-appointment")
router.register("field/technicians", views.TechnicianViewSet, basename="field-technician")
router.register("field/schedule-runs", views.ScheduleRunViewSet, basename="field-schedule-run")

urlpatterns = router.urls
