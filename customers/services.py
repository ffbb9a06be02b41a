"""Write paths of the customers app. Every change is validated, locked,
recorded on the customer's timeline and in the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from callcenter.models import CallCenter, OperatorProfile
from customers import errors
from customers.banking import mask_iban
from customers.choices import (
    AccountStatus,
    ContactKind,
    ContactLabel,
    CustomerEventKind,
    CustomerKind,
)
from customers.contacts import normalise_email
from customers.models import (
    Address,
    BillingAccount,
    ContactPoint,
    Customer,
    CustomerEvent,
    Interaction,
    PortalAccount,
    ServiceUser,
)
from sesmu.audit import audit_record, diff
from sesmu.choices import UserKind
from sesmu.errors import field_error
from sesmu.models import AuditAction, User
from sesmu.numbering import series_next

CUSTOMER_EDITABLE_FIELDS = (
    "kind",
    "given_name",
    "family_name",
    "organisation_name",
    "document_type",
    "document_number",
    "document_country",
    "birth_date",
    "language",
    "segment",
    "is_vip",
    "consent_marketing_email",
    "consent_marketing_phone",
    "consent_marketing_post",
    "notes",
)
CONSENT_FIELDS = ("consent_marketing_email", "consent_marketing_phone", "consent_marketing_post")
SERVICE_USER_EDITABLE_FIELDS = (
    "relationship", "given_name", "family_name", "email", "phone", "language", "is_active",
)
ADDRESS_EDITABLE_FIELDS = (
    "purpose", "street", "street_number", "details", "postal_code", "city", "province",
    "country", "is_active",
)
ACCOUNT_EDITABLE_FIELDS = (
    "name", "currency", "bill_language", "bill_format", "detail_level", "delivery_method",
    "delivery_email", "billing_address", "payment_method", "iban", "bill_day",
)


def _snapshot(instance, fields) -> dict[str, Any]:
    return {field: getattr(instance, field) for field in fields}


def _event(
    *,
    customer: Customer,
    kind: str,
    actor: User | None,
    description: str = "",
    changes: dict | None = None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
) -> CustomerEvent:
    return CustomerEvent.objects.create(
        customer=customer,
        kind=kind,
        description=description[:300],
        changes=changes or {},
        from_status=from_status,
        to_status=to_status,
        reason=reason[:300],
        actor=actor,
    )


def _mask_sensitive(changes: dict[str, list]) -> dict[str, list]:
    if "iban" in changes:
        changes["iban"] = [mask_iban(value or "") for value in changes["iban"]]
    return changes


def _check_document_free(customer: Customer) -> None:
    existing = (
        Customer.objects.filter(
            document_type=customer.document_type,
            document_country=customer.document_country,
            document_number=customer.document_number,
        )
        .exclude(pk=customer.pk)
        .values_list("number", flat=True)
        .first()
    )
    if existing:
        raise field_error(
            "document_number",
            _("Customer %(number)s already has this document.") % {"number": existing},
            code=errors.DUPLICATE_DOCUMENT,
        )


def _save_customer(customer: Customer, **save_kwargs) -> None:
    # The unique constraint is the real guard: two operators creating the same
    # person at once both pass the check above, and one of them lands here.
    try:
        with transaction.atomic():
            customer.save(**save_kwargs)
    except IntegrityError:
        _check_document_free(customer)
        raise


@transaction.atomic
def customer_create(
    *,
    actor: User | None,
    document_type: str,
    document_number: str,
    kind: str = CustomerKind.PERSON,
    given_name: str = "",
    family_name: str = "",
    organisation_name: str = "",
    document_country: str = "ES",
    birth_date=None,
    language: str = "es",
    segment: str = "residential",
    is_vip: bool = False,
    consent_marketing_email: bool = False,
    consent_marketing_phone: bool = False,
    consent_marketing_post: bool = False,
    notes: str = "",
    phone: str = "",
    email: str = "",
) -> Customer:
    """A new customer (a prospect until a contract is signed), with its first
    phone and e-mail if given."""
    customer = Customer(
        kind=kind,
        given_name=given_name or "",
        family_name=family_name or "",
        organisation_name=organisation_name or "",
        document_type=document_type,
        document_number=document_number or "",
        document_country=document_country or "ES",
        birth_date=birth_date,
        language=language,
        segment=segment,
        is_vip=is_vip,
        consent_marketing_email=consent_marketing_email,
        consent_marketing_phone=consent_marketing_phone,
        consent_marketing_post=consent_marketing_post,
        notes=notes or "",
        created_by=actor if actor is not None and actor.pk else None,
        number="pending",
    )
    problems: dict[str, list] = {}
    try:
        customer.full_clean(exclude=["number"], validate_constraints=False)
    except ValidationError as error:
        problems.update(error.error_dict)
    contacts = []
    for kind_, value, field in ((ContactKind.PHONE, phone, "phone"),
                                (ContactKind.EMAIL, email, "email")):
        if not value:
            continue
        contact = ContactPoint(kind=kind_, value=value, is_primary=True,
                               label=ContactLabel.MOBILE if field == "phone" else ContactLabel.HOME)
        try:
            contact.clean()
        except ValidationError as error:
            problems[field] = error.error_dict["value"]
        contacts.append(contact)
    if problems:
        raise ValidationError(problems)
    _check_document_free(customer)
    if any((consent_marketing_email, consent_marketing_phone, consent_marketing_post)):
        customer.consent_updated_at = timezone.now()

    customer.number = series_next(name="customer")
    _save_customer(customer)
    for contact in contacts:
        contact.customer = customer
        contact.save()
    _event(customer=customer, kind=CustomerEventKind.CREATED, actor=actor,
           description=customer.display_name, to_status=customer.status)
    audit_record(actor=actor, action=AuditAction.CREATE, target=customer, customer_id=customer.pk,
                 changes={"number": [None, customer.number]})
    return customer


@transaction.atomic
def customer_update(*, actor: User | None, customer: Customer, data: dict[str, Any]) -> Customer:
    unknown = set(data) - set(CUSTOMER_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {field: ValidationError(_("This field cannot be changed here."), code="not_editable")
             for field in sorted(unknown)}
        )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = _snapshot(customer, CUSTOMER_EDITABLE_FIELDS)
    for field, value in data.items():
        setattr(customer, field, "" if value is None and field != "birth_date" else value)
    customer.full_clean(exclude=["number"], validate_constraints=False)
    changes = diff(before, _snapshot(customer, CUSTOMER_EDITABLE_FIELDS))
    if not changes:
        return customer
    if {"document_type", "document_number", "document_country"} & set(changes):
        _check_document_free(customer)
    update_fields = [*changes, "search_name", "updated_at"]
    if set(CONSENT_FIELDS) & set(changes):
        customer.consent_updated_at = timezone.now()
        update_fields.append("consent_updated_at")
    _save_customer(customer, update_fields=update_fields)
    _event(customer=customer, kind=CustomerEventKind.UPDATED, actor=actor, changes=changes,
           description=", ".join(str(Customer._meta.get_field(f).verbose_name) for f in changes))
    audit_record(actor=actor, action=AuditAction.UPDATE, target=customer, customer_id=customer.pk,
                 changes=changes)
    return customer


def _customer_transition(*, actor, customer: Customer, method: str, reason: str) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    from_status = customer.status
    try:
        getattr(customer, method)()
    except TransitionNotAllowed:
        raise ValidationError(
            _("A customer who is %(status)s cannot make this change.")
            % {"status": customer.get_status_display().lower()},
            code=errors.INVALID_TRANSITION,
        )
    customer.save(update_fields=["status", "updated_at"])
    _event(customer=customer, kind=CustomerEventKind.STATUS_CHANGED, actor=actor,
           from_status=from_status, to_status=customer.status, reason=reason)
    audit_record(actor=actor, action=AuditAction.TRANSITION, target=customer,
                 customer_id=customer.pk, changes={"status": [from_status, customer.status]})
    return customer


@transaction.atomic
def customer_activate(*, actor: User | None, customer: Customer, reason: str = "") -> Customer:
    return _customer_transition(actor=actor, customer=customer, method="activate", reason=reason)


@transaction.atomic
def customer_make_former(*, actor: User | None, customer: Customer, reason: str = "") -> Customer:
    return _customer_transition(actor=actor, customer=customer, method="make_former",
                                reason=reason)


@transaction.atomic
def service_user_create(*, actor: User | None, customer: Customer, given_name: str,
                        family_name: str = "", relationship: str = "self", email: str = "",
                        phone: str = "", language: str = "es") -> ServiceUser:
    service_user = ServiceUser(customer=customer, given_name=given_name or "",
                               family_name=family_name or "", relationship=relationship,
                               email=email or "", phone=phone or "", language=language)
    service_user.full_clean()
    service_user.save()
    _event(customer=customer, kind=CustomerEventKind.SERVICE_USER_ADDED, actor=actor,
           description=str(service_user))
    audit_record(actor=actor, action=AuditAction.CREATE, target=service_user,
                 customer_id=customer.pk)
    return service_user


@transaction.atomic
def service_user_update(*, actor: User | None, service_user: ServiceUser,
                        data: dict[str, Any]) -> ServiceUser:
    service_user = ServiceUser.objects.select_for_update().get(pk=service_user.pk)
    before = _snapshot(service_user, SERVICE_USER_EDITABLE_FIELDS)
    for field in SERVICE_USER_EDITABLE_FIELDS:
        if field in data:
            setattr(service_user, field, data[field] if data[field] is not None else "")
    service_user.full_clean()
    changes = diff(before, _snapshot(service_user, SERVICE_USER_EDITABLE_FIELDS))
    if changes:
        service_user.save(update_fields=[*changes, "updated_at"])
        _event(customer=service_user.customer, kind=CustomerEventKind.SERVICE_USER_CHANGED,
               actor=actor, description=str(service_user), changes=changes)
        audit_record(actor=actor, action=AuditAction.UPDATE, target=service_user,
                     customer_id=service_user.customer_id, changes=changes)
    return service_user


@transaction.atomic
def contact_point_add(*, actor: User | None, customer: Customer, kind: str, value: str,
                      label: str = ContactLabel.MOBILE, is_primary: bool = False) -> ContactPoint:
    contact = ContactPoint(customer=customer, kind=kind, value=value or "", label=label,
                           is_primary=is_primary)
    contact.full_clean(validate_constraints=False)
    if ContactPoint.objects.filter(customer=customer, kind=kind, value=contact.value).exists():
        raise field_error("value", _("This customer already has this contact."),
                          code=errors.DUPLICATE_CONTACT)
    if is_primary:
        ContactPoint.objects.filter(customer=customer, kind=kind, is_primary=True).update(
            is_primary=False
        )
    contact.save()
    _event(customer=customer, kind=CustomerEventKind.CONTACT_ADDED, actor=actor,
           description=contact.display_value)
    audit_record(actor=actor, action=AuditAction.CREATE, target=contact, customer_id=customer.pk)
    return contact


@transaction.atomic
def contact_point_remove(*, actor: User | None, contact: ContactPoint) -> None:
    contact = ContactPoint.objects.select_for_update().get(pk=contact.pk)
    customer = contact.customer
    description = contact.display_value
    audit_record(actor=actor, action=AuditAction.DELETE, target=contact, customer_id=customer.pk,
                 changes={"value": [contact.value, None]})
    contact.delete()
    _event(customer=customer, kind=CustomerEventKind.CONTACT_REMOVED, actor=actor,
           description=description)


@transaction.atomic
def address_create(*, actor: User | None, customer: Customer, street: str, postal_code: str,
                   city: str, purpose: str = "service", street_number: str = "",
                   details: str = "", province: str = "", country: str = "ES") -> Address:
    address = Address(customer=customer, purpose=purpose, street=street or "",
                      street_number=street_number or "", details=details or "",
                      postal_code=postal_code or "", city=city or "", province=province or "",
                      country=country or "")
    address.full_clean()
    address.save()
    _event(customer=customer, kind=CustomerEventKind.ADDRESS_ADDED, actor=actor,
           description=str(address))
    audit_record(actor=actor, action=AuditAction.CREATE, target=address, customer_id=customer.pk)
    return address


@transaction.atomic
def address_update(*, actor: User | None, address: Address, data: dict[str, Any]) -> Address:
    address = Address.objects.select_for_update().get(pk=address.pk)
    before = _snapshot(address, ADDRESS_EDITABLE_FIELDS)
    for field in ADDRESS_EDITABLE_FIELDS:
        if field in data:
            setattr(address, field, data[field] if data[field] is not None else "")
    address.full_clean()
    changes = diff(before, _snapshot(address, ADDRESS_EDITABLE_FIELDS))
    if changes:
        address.save(update_fields=[*changes, "updated_at"])
        _event(customer=address.customer, kind=CustomerEventKind.ADDRESS_CHANGED, actor=actor,
               description=str(address), changes=changes)
        audit_record(actor=actor, action=AuditAction.UPDATE, target=address,
                     customer_id=address.customer_id, changes=changes)
    return address


@transaction.atomic
def billing_account_create(*, actor: User | None, customer: Customer, name: str,
                           currency: str = "EUR", bill_language: str = "",
                           bill_format: str = "pdf", detail_level: str = "summary",
                           delivery_method: str = "email", delivery_email: str = "",
                           billing_address: Address | None = None,
                           payment_method: str = "direct_debit", iban: str = "",
                           bill_day: int = 1) -> BillingAccount:
    """A new billing account; its bills follow the customer's language unless
    another is chosen."""
    account = BillingAccount(
        customer=customer, name=name or "", currency=currency,
        bill_language=bill_language or customer.language, bill_format=bill_format,
        detail_level=detail_level, delivery_method=delivery_method,
        delivery_email=delivery_email or "", billing_address=billing_address,
        payment_method=payment_method, iban=iban or "", bill_day=bill_day, number="pending",
    )
    account.full_clean(exclude=["number"], validate_constraints=False)
    account.number = series_next(name="billing_account")
    account.save()
    _event(customer=customer, kind=CustomerEventKind.ACCOUNT_OPENED, actor=actor,
           description=str(account))
    audit_record(actor=actor, action=AuditAction.CREATE, target=account, customer_id=customer.pk)
    return account


@transaction.atomic
def billing_account_update(*, actor: User | None, account: BillingAccount,
                           data: dict[str, Any]) -> BillingAccount:
    account = BillingAccount.objects.select_for_update().get(pk=account.pk)
    if account.status == AccountStatus.CLOSED:
        raise ValidationError(_("This billing account is closed."), code=errors.ACCOUNT_CLOSED)
    before = _snapshot(account, ACCOUNT_EDITABLE_FIELDS)
    for field in ACCOUNT_EDITABLE_FIELDS:
        if field in data:
            value = data[field]
            setattr(account, field, "" if value is None and field != "billing_address" else value)
    account.full_clean(exclude=["number"], validate_constraints=False)
    changes = diff(before, _snapshot(account, ACCOUNT_EDITABLE_FIELDS))
    if changes:
        update_fields = [
            "billing_address" if field == "billing_address" else field for field in changes
        ]
        account.save(update_fields=[*update_fields, "updated_at"])
        changes = _mask_sensitive(changes)
        _event(customer=account.customer, kind=CustomerEventKind.ACCOUNT_CHANGED, actor=actor,
               description=str(account), changes=changes)
        audit_record(actor=actor, action=AuditAction.UPDATE, target=account,
                     customer_id=account.customer_id, changes=changes)
    return account


@transaction.atomic
def billing_account_close(*, actor: User | None, account: BillingAccount,
                          reason: str = "") -> BillingAccount:
    account = BillingAccount.objects.select_for_update().get(pk=account.pk)
    if account.status == AccountStatus.CLOSED:
        raise ValidationError(_("This billing account is already closed."),
                              code=errors.ACCOUNT_CLOSED)
    account.status = AccountStatus.CLOSED
    account.save(update_fields=["status", "updated_at"])
    _event(customer=account.customer, kind=CustomerEventKind.ACCOUNT_CLOSED, actor=actor,
           description=str(account), reason=reason, from_status=AccountStatus.ACTIVE,
           to_status=AccountStatus.CLOSED)
    audit_record(actor=actor, action=AuditAction.TRANSITION, target=account,
                 customer_id=account.customer_id,
                 changes={"status": [AccountStatus.ACTIVE, AccountStatus.CLOSED]})
    return account


@transaction.atomic
def interaction_record(*, actor: User | None, customer: Customer, topic: str, summary: str,
                       outcome: str, channel: str = "phone", direction: str = "inbound",
                       started_at: datetime | None = None, ended_at: datetime | None = None,
                       service_user: ServiceUser | None = None,
                       call_center: CallCenter | None = None,
                       related_kind: str = "", related_id: str = "") -> Interaction:
    """Record one contact with the customer. The operator's call center is
    taken from their profile unless given."""
    now = timezone.now()
    if call_center is None and actor is not None and actor.pk:
        profile = OperatorProfile.objects.filter(user=actor).select_related("call_center").first()
        call_center = profile.call_center if profile else None
    interaction = Interaction(
        customer=customer, service_user=service_user, channel=channel, direction=direction,
        call_center=call_center,
        operator=actor if actor is not None and actor.kind == UserKind.STAFF else None,
        topic=topic, summary=summary or "", outcome=outcome, started_at=started_at or now,
        ended_at=ended_at or now, related_kind=related_kind or "", related_id=related_id or "",
    )
    if interaction.ended_at < interaction.started_at and ended_at is None:
        interaction.ended_at = interaction.started_at
    interaction.full_clean(validate_constraints=False)
    interaction.save()
    audit_record(actor=actor, action=AuditAction.CREATE, target=interaction,
                 customer_id=customer.pk)
    return interaction


@transaction.atomic
def portal_account_create(*, actor: User | None, customer: Customer, username: str,
                          email: str, password: str) -> PortalAccount:
    """A self-care login for one customer."""
    email = normalise_email(email, field="email")
    if User.objects.filter(username__iexact=username).exists():
        raise field_error("username", _("This user name is taken."), code="duplicate_user")
    user = User(username=username, email=email, kind=UserKind.PORTAL,
                language=customer.language)
    try:
        validate_password(password, user)
    except ValidationError as error:
        weak = [ValidationError(message, code="weak_password") for message in error.messages]
        raise ValidationError({"password": weak})
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    account = PortalAccount.objects.create(user=user, customer=customer)
    _event(customer=customer, kind=CustomerEventKind.PORTAL_ACCESS, actor=actor,
           description=username)
    audit_record(actor=actor, action=AuditAction.CREATE, target=account, customer_id=customer.pk)
    return account

