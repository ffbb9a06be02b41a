"""Choice lists of the workforce app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Skill(models.TextChoices):
    SATELLITE_INSTALL = "satellite_install", _("Satellite TV installation")
    CABLE_INSTALL = "cable_install", _("Cable installation")
    COPPER_INSTALL = "copper_install", _("Copper / ADSL installation")
    SATELLITE_REPAIR = "satellite_repair", _("Satellite repair")
    CABLE_REPAIR = "cable_repair", _("Cable repair")
    COPPER_REPAIR = "copper_repair", _("Copper / ADSL repair")
    EQUIPMENT_RECOVERY = "equipment_recovery", _("Equipment recovery")
    SITE_SURVEY = "site_survey", _("Site survey")


class WorkOrderKind(models.TextChoices):
    INSTALL = "install", _("Installation")
    REPAIR = "repair", _("Repair")
    SWAP = "swap", _("Equipment swap")
    RECOVER = "recover", _("Equipment recovery")
    SURVEY = "survey", _("Site survey")


class OriginKind(models.TextChoices):
    SUBSCRIPTION_ORDER = "subscription_order", _("Subscription order")
    TICKET = "ticket", _("Ticket")
    MANUAL = "manual", _("Created by hand")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class WorkOrderState(models.TextChoices):
    GENERATED = "generated", _("Generated")
    SCHEDULED = "scheduled", _("Scheduled")
    ASSIGNED = "assigned", _("Assigned")
    DISPATCHED = "dispatched", _("Dispatched")
    EN_ROUTE = "en_route", _("En route")
    ON_SITE = "on_site", _("On site")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = (
    WorkOrderState.GENERATED, WorkOrderState.SCHEDULED, WorkOrderState.ASSIGNED,
    WorkOrderState.DISPATCHED, WorkOrderState.EN_ROUTE, WorkOrderState.ON_SITE,
)
CLOSED_STATES = (WorkOrderState.COMPLETED, WorkOrderState.FAILED, WorkOrderState.CANCELLED)
# Orders the scheduler may still move between technicians.
PLANNABLE_STATES = (WorkOrderState.SCHEDULED, WorkOrderState.ASSIGNED)


class EquipmentDirection(models.TextChoices):
    INSTALL = "install", _("To install")
    RECOVER = "recover", _("To recover")


class FailureReason(models.TextChoices):
    CUSTOMER_ABSENT = "customer_absent", _("Customer not at home")
    NO_ACCESS = "no_access", _("No access to the site")
    TECHNICAL = "technical", _("Technical problem")
    MISSING_EQUIPMENT = "missing_equipment", _("Equipment missing or wrong")
    CUSTOMER_REFUSED = "customer_refused", _("Customer refused")
    OTHER = "other", _("Other")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    CANCELLED = "cancelled", _("Cancelled")
