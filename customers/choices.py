from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class CustomerStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    FORMER = "former", _("Former customer")


class Segment(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    SMALL_BUSINESS = "small_business", _("Small business")
    CORPORATE = "corporate", _("Corporate")


class DocumentType(models.TextChoices):
    NIF = "nif", _("NIF (Spanish DNI)")
    NIE = "nie", _("NIE (Spanish foreigner id)")
    CIF = "cif", _("CIF (Spanish company tax id)")
    PASSPORT = "passport", _("Passport")
    FOREIGN_ID = "foreign_id", _("Foreign identity document")


class Relationship(models.TextChoices):
    SELF = "self", _("The customer")
    FAMILY = "family", _("Family member")
    EMPLOYEE = "employee", _("Employee")
    OTHER = "other", _("Other")


class ContactKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")


class ContactLabel(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    HOME = "home", _("Home")
    WORK = "work", _("Work")
    OTHER = "other", _("Other")


class AddressPurpose(models.TextChoices):
    SERVICE = "service", _("Service address")
    BILLING = "billing", _("Billing address")


class BillFormat(models.TextChoices):
    PDF = "pdf", _("PDF")
    HTML = "html", _("HTML")
    CSV = "csv", _("CSV")


class DetailLevel(models.TextChoices):
    SUMMARY = "summary", _("Summary")
    ITEMISED = "itemised", _("Itemised")


class DeliveryMethod(models.TextChoices):
    POST = "post", _("Post")
    EMAIL = "email", _("E-mail")
    PORTAL = "portal", _("Portal")


class PaymentMethod(models.TextChoices):
    DIRECT_DEBIT = "direct_debit", _("Direct debit")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CARD = "card", _("Card")


class AccountStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("billing account status", "Active")
    CLOSED = "closed", pgettext_lazy("billing account status", "Closed")


class InteractionChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Chat")
    PORTAL = "portal", _("Portal")
    LETTER = "letter", _("Letter")
    WALK_IN = "walk_in", _("Walk-in")


class InteractionDirection(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class InteractionTopic(models.TextChoices):
    INFORMATION = "information", _("Information request")
    SALES = "sales", _("Sales")
    BILLING = "billing", _("Billing")
    TECHNICAL = "technical", _("Technical problem")
    PROVISIONING = "provisioning", _("Installation or provisioning")
    COMPLAINT = "complaint", _("Complaint")
    CONTRACT_CHANGE = "contract_change", _("Contract change")
    OTHER = "other", _("Other")


class InteractionOutcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved on the call")
    FOLLOW_UP = "follow_up", _("Follow-up needed")
    ESCALATED = "escalated", _("Escalated")
    CALLBACK = "callback", _("Call back agreed")
    NO_ANSWER = "no_answer", _("No answer")
    INFORMATION_GIVEN = "information_given", _("Information given")


class CustomerEventKind(models.TextChoices):
    CREATED = "created", _("Customer created")
    UPDATED = "updated", _("Details changed")
    STATUS_CHANGED = "status_changed", _("Status changed")
    SERVICE_USER_ADDED = "service_user_added", _("Service user added")
    SERVICE_USER_CHANGED = "service_user_changed", _("Service user changed")
    CONTACT_ADDED = "contact_added", _("Contact added")
    CONTACT_REMOVED = "contact_removed", _("Contact removed")
    ADDRESS_ADDED = "address_added", _("Address added")
    ADDRESS_CHANGED = "address_changed", _("Address changed")
    ACCOUNT_OPENED = "account_opened", _("Billing account opened")
    ACCOUNT_CHANGED = "account_changed", _("Billing account changed")
    ACCOUNT_CLOSED = "account_closed", _("Billing account closed")
    PORTAL_ACCESS = "portal_access", _("Portal access granted")
