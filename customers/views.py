"""Operator pages that create and change customers and what hangs from them.
Each parses a form, calls one service and goes back to the 360 page."""

from __future__ import annotations

import copy
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from stdnum.es import cif, nie

from callcenter.search import MAX_QUERY_LENGTH
from customers import services
from customers.choices import CustomerKind, DocumentType
from customers.contacts import looks_like_phone
from customers.documents import compact
from customers.forms import (
    AddressForm,
    BillingAccountForm,
    ContactForm,
    CustomerForm,
    ServiceUserForm,
)
from customers.selectors import access_customer
from sesmu.decorators import staff_view
from sesmu.errors import NotFound
from sesmu.forms import apply_service_errors

VIEW = "customers.view_customer"


def _customer_url(customer) -> str:
    return reverse("callcenter:customer", args=[customer.pk])


def _form_page(request, *, form, title: str, customer=None, save: Callable, done: str,
               submit_label: str | None = None):
    """Render a form; on a valid POST call `save(cleaned_data)` (a service) and
    go back to the customer. Service errors land next to their fields."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(_customer_url(customer or result))
    return render(
        request,
        "customers/form.html",
        {"form": form, "title": title, "customer": customer,
         "submit_label": submit_label or _("Save")},
        status=422 if form.errors else 200,
    )


def _related(queryset_owner, related_name: str, object_id):
    try:
        return getattr(queryset_owner, related_name).get(pk=int(object_id))
    except (ValueError, TypeError, getattr(queryset_owner, related_name).model.DoesNotExist):
        raise NotFound


def _prefill_from_search(query: str) -> dict[str, str]:
    """What a search that found nobody says about the caller: an e-mail, a
    phone, a document or a name ("Create a prospect" links here with it)."""
    text = " ".join(query.split())[:MAX_QUERY_LENGTH]
    if not text:
        return {}
    if "@" in text:
        return {"email": text}
    if looks_like_phone(text):
        return {"phone": text}
    if any(character.isdigit() for character in text):
        document = compact(text)
        if nie.is_valid(document):
            return {"document_type": DocumentType.NIE, "document_number": text}
        if cif.is_valid(document):
            return {"kind": CustomerKind.ORGANISATION, "document_type": DocumentType.CIF,
                    "document_number": text}
        return {"document_number": text}
    given_name, _space, family_name = text.partition(" ")
    return {"given_name": given_name, "family_name": family_name}


@require_http_methods(["GET", "POST"])
@staff_view(VIEW, "customers.add_customer")
def customer_create(request):
    initial = {"document_type": "nif"}
    initial.update(_prefill_from_search(request.GET.get("q", "")))
    form = CustomerForm(request.POST or None, initial=initial)

    def save(data):
        return services.customer_create(actor=request.user, **data)

    return _form_page(request, form=form, title=_("New customer"), save=save,
                      done=_("Customer created."), submit_label=_("Create customer"))


@require_http_methods(["GET", "POST"])
@staff_view(VIEW, "customers.change_customer")
def customer_edit(request, customer_id: int):
    customer = access_customer(actor=request.user, customer_id=customer_id)
    # The form writes into a copy; the service re-reads the row under a lock.
    form = CustomerForm(request.POST or None, instance=copy.copy(customer))

    def save(data):
        return services.customer_update(actor=request.user, customer=customer, data=data)

    return _form_page(request, form=form, title=_("Edit customer"), customer=customer,
                      save=save, done=_("Customer details saved."))


@require_POST
@staff_view(VIEW, "customers.change_customer")
def customer_transition(request, customer_id: int, action: str):
    customer = access_customer(actor=request.user, customer_id=customer_id)
    service = {"activate": services.customer_activate,
               "make-former": services.customer_make_former}.get(action)
    if service is None:
        raise NotFound
    try:
        service(actor=request.user, customer=customer, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Customer status changed."))
    return redirect(_customer_url(customer))


@require_http_methods(["GET", "POST"])
@staff_view(VIEW, "customers.add_serviceuser")
def service_user_create(request, customer_id: int):
    customer = access_customer(actor=request.user, customer_id=customer_id)
    form = ServiceUserForm(request.POST or None, initial={"language": customer.language})

    def save(data):
        return services.service_user_create(actor=request.user, customer=customer, **data)

    return _form_page(request, form=form, title=_("New service user"), customer=customer,
                      save=save, done=_("Service user added."))


@require_http_methods(["GET", "POST"])
@staff_view(VIEW, "customers.change_serviceuser")
def service_user_edit(request, customer_id: int, service_user_id: int):
    customer = access_customer(actor=request.user, customer_id=customer_id)
    service_user = _related(customer, "service_users", service_user_id)
    form = ServiceUserForm(request.POST or None, instance=copy.copy(service_user))

    def save(data):
        return services.service_user_update(actor=request.user, service_user=service_user,
                                            data=data)

    return _form_page(request, form=form, title=_("Edit service user"), customer=customer,
                      save=save, done=_("Service user saved."))


@require_http_methods(["GET", "POST"])
@staff_view(VIEW, "customers.add_contactpoint")
def contact_create(request, customer_id: int):
    customer = access_customer(actor=request.user, customer_id=customer_id)
    form = ContactForm(request.POST or None)

    def save(data):
        return services.contact_point_add(actor=request.user, customer=customer, **data)

    return _form_page(request, form=form, title=_("New phone or e-mail"), customer=customer,
                      save=save, done=_("Contact added."))


@require_POST
@staff_view(VIEW, "customers.delete_contactpoint")
def contact_remove(request, customer_id: int, contact_id: int):
    customer = access_customer(actor=request.user, customer_id=customer_id)
    contact = _related(customer, "contacts", contact_id)
    services.contact_point_remove(actor=request.user, contact=contact)
    messages.success(request, _("Contact removed."))
    return redirect(_customer_url(customer))


@require_http_methods(["GET", "POST"])
@staff_view(VIEW, "customers.add_address")
def address_create(request, customer_id: int):
    customer = access_customer(actor=request.user, customer_id=customer_id)
    form = AddressForm(request.POST or None)

    def save(data):
        return services.address_create(actor=request.user, customer=customer, **data)

    return _form_page(request, form=form, title=_("New address"), customer=customer,
                      save=save, done=_("Address added."))


@require_http_methods(["GET", "POST"])
@staff_view(VIEW, "customers.change_address")
def address_edit(request, customer_id: int, address_id: int):
    customer = access_customer(actor=request.user, customer_id=customer_id)
    address = _related(customer, "addresses", address_id)
    form = AddressForm(request.POST or None, instance=copy.copy(address))

    def save(data):
        return services.address_update(actor=request.user, address=address, data=data)

    return _form_page(request, form=form, title=_("Edit address"), customer=customer,
                      save=save, done=_("Address saved."))


@require_http_methods(["GET", "POST"])
@staff_view(VIEW, "customers.add_billingaccount")
def account_create(request, customer_id: int):
    customer = access_customer(actor=request.user, customer_id=customer_id)
    primary_email = customer.contacts.filter(kind="email").order_by("-is_primary").first()
    form = BillingAccountForm(request.POST or None, customer=customer, initial={
        "name": _("Main account"),
        "bill_language": customer.language,
        "delivery_email": primary_email.value if primary_email else "",
    })

    def save(data):
        return services.billing_account_create(actor=request.user, customer=customer, **data)

    return _form_page(request, form=form, title=_("New billing account"), customer=customer,
                      save=save, done=_("Billing account opened."))


@require_http_methods(["GET", "POST"])
@staff_view(VIEW, "customers.change_billingaccount")
def account_edit(request, customer_id: int, account_id: int):
    customer = access_customer(actor=request.user, customer_id=customer_id)
    account = _related(customer, "billing_accounts", account_id)
    form = BillingAccountForm(request.POST or None, customer=customer, instance=copy.copy(account))

    def save(data):
        return services.billing_account_update(actor=request.user, account=account, data=data)

    return _form_page(request, form=form, title=_("Edit billing account"), customer=customer,
                      save=save, done=_("Billing account saved."))


@require_POST
@staff_view(VIEW, "customers.change_billingaccount")
def account_close(request, customer_id: int, account_id: int):
    customer = access_customer(actor=request.user, customer_id=customer_id)
    account = _related(customer, "billing_accounts", account_id)
    try:
        services.billing_account_close(actor=request.user, account=account,
                                       reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Billing account closed."))
    return redirect(_customer_url(customer))
