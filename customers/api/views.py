from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from customers import selectors, services
from customers.api import serializers as s
from customers.filters import (
    AddressFilter,
    BillingAccountFilter,
    ContactPointFilter,
    CustomerFilter,
    InteractionFilter,
    ServiceUserFilter,
)
from sesmu.api.viewsets import ServiceViewSet
from sesmu.audit import audit_view
from sesmu.errors import field_error


def _visible_customer(request, customer_id, field: str = "customer"):
    return selectors.customer_referenced(actor=request.user, customer_id=customer_id,
                                         field=field)


def _visible_in(queryset, object_id, field: str, message: str):
    """The row among those the caller may see, or a not-found error on the
    field. Whether it belongs to the right customer is the domain's rule and
    is checked by the service, with its own error code."""
    if object_id is None:
        return None
    instance = queryset.filter(pk=object_id).first()
    if instance is None:
        raise field_error(field, message, code="not_found")
    return instance


class CustomerViewSet(ServiceViewSet):
    """Customers: the person or organisation that signs the contract."""

    output_serializer_class = s.CustomerOutput
    detail_serializer_class = s.CustomerDetailOutput
    create_input_class = s.CustomerCreateInput
    update_input_class = s.CustomerUpdateInput
    filterset_class = CustomerFilter
    portal_readable = True
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        queryset = selectors.customer_list_visible_to(actor=self.request.user).order_by("number")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("contacts", "addresses")
        return queryset

    def retrieve(self, request, *args, **kwargs):
        customer = self.get_object()
        audit_view(actor=request.user, target=customer, customer_id=customer.pk)
        return self.respond(customer)

    def create(self, request, *args, **kwargs):
        data = self.parse(s.CustomerCreateInput)
        customer = services.customer_create(actor=request.user, **data)
        return self.respond(customer, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        customer = self.get_object()
        data = self.parse(s.CustomerUpdateInput, partial=True)
        customer = services.customer_update(actor=request.user, customer=customer, data=data)
        return self.respond(customer)

    @extend_schema(request=s.TransitionInput, responses=s.CustomerDetailOutput)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Make a prospect or former customer active."""
        customer = self.get_object()
        data = self.parse(s.TransitionInput)
        return self.respond(services.customer_activate(
            actor=request.user, customer=customer, reason=data.get("reason", "")))

    @extend_schema(request=s.TransitionInput, responses=s.CustomerDetailOutput)
    @action(detail=True, methods=["post"], url_path="make-former")
    def make_former(self, request, pk=None):
        """Mark an active customer as a former customer."""
        customer = self.get_object()
        data = self.parse(s.TransitionInput)
        return self.respond(services.customer_make_former(
            actor=request.user, customer=customer, reason=data.get("reason", "")))


class ServiceUserViewSet(ServiceViewSet):
    """People who use the services a customer pays for."""

    output_serializer_class = s.ServiceUserOutput
    create_input_class = s.ServiceUserInput
    update_input_class = s.ServiceUserUpdateInput
    filterset_class = ServiceUserFilter
    portal_readable = True
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.service_user_list_visible_to(actor=self.request.user).order_by("id")

    def create(self, request, *args, **kwargs):
        data = self.parse(s.ServiceUserInput)
        customer = _visible_customer(request, data.pop("customer"))
        service_user = services.service_user_create(actor=request.user, customer=customer,
                                                    **data)
        return self.respond(service_user, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        service_user = self.get_object()
        data = self.parse(s.ServiceUserUpdateInput, partial=True)
        return self.respond(services.service_user_update(
            actor=request.user, service_user=service_user, data=data))


class BillingAccountViewSet(ServiceViewSet):
    """Who pays and how bills are made. IBANs are write-only and shown masked."""

    output_serializer_class = s.BillingAccountOutput
    create_input_class = s.BillingAccountInput
    update_input_class = s.BillingAccountUpdateInput
    filterset_class = BillingAccountFilter
    portal_readable = True
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.billing_account_list_visible_to(actor=self.request.user).order_by(
            "number"
        )

    def _address(self, address_id):
        return _visible_in(selectors.address_list_visible_to(actor=self.request.user),
                           address_id, "billing_address", _("No such address."))

    def create(self, request, *args, **kwargs):
        data = self.parse(s.BillingAccountInput)
        customer = _visible_customer(request, data.pop("customer"))
        data["billing_address"] = self._address(data.get("billing_address"))
        account = services.billing_account_create(actor=request.user, customer=customer, **data)
        return self.respond(account, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        account = self.get_object()
        data = self.parse(s.BillingAccountUpdateInput, partial=True)
        if "billing_address" in data:
            data["billing_address"] = self._address(data["billing_address"])
        return self.respond(services.billing_account_update(
            actor=request.user, account=account, data=data))

    @extend_schema(request=s.TransitionInput, responses=s.BillingAccountOutput)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        account = self.get_object()
        data = self.parse(s.TransitionInput)
        return self.respond(services.billing_account_close(
            actor=request.user, account=account, reason=data.get("reason", "")))


class InteractionViewSet(ServiceViewSet):
    """Contacts with customers through any channel. Recorded, never edited."""

    output_serializer_class = s.InteractionOutput
    create_input_class = s.InteractionInput
    filterset_class = InteractionFilter
    portal_readable = True
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.interaction_list_visible_to(actor=self.request.user).order_by(
            "-started_at", "-id"
        )

    def create(self, request, *args, **kwargs):
        data = self.parse(s.InteractionInput)
        customer = _visible_customer(request, data.pop("customer"))
        data["service_user"] = _visible_in(
            selectors.service_user_list_visible_to(actor=request.user),
            data.get("service_user"), "service_user", _("No such service user."),
        )
        interaction = services.interaction_record(actor=request.user, customer=customer, **data)
        return self.respond(interaction, status.HTTP_201_CREATED)


class ContactPointViewSet(ServiceViewSet):
    """Phones (E.164) and e-mails of customers."""

    output_serializer_class = s.ContactPointListOutput
    create_input_class = s.ContactPointInput
    filterset_class = ContactPointFilter
    portal_readable = True
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.contact_list_visible_to(actor=self.request.user).order_by("id")

    def create(self, request, *args, **kwargs):
        data = self.parse(s.ContactPointInput)
        customer = _visible_customer(request, data.pop("customer"))
        contact = services.contact_point_add(actor=request.user, customer=customer, **data)
        return self.respond(contact, status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        services.contact_point_remove(actor=request.user, contact=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class AddressViewSet(ServiceViewSet):
    """Service and billing addresses of customers."""

    output_serializer_class = s.AddressOutput
    create_input_class = s.AddressInput
    filterset_class = AddressFilter
    portal_readable = True
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.address_list_visible_to(actor=self.request.user).order_by("id")

    def create(self, request, *args, **kwargs):
        data = self.parse(s.AddressInput)
        customer = _visible_customer(request, data.pop("customer"))
        address = services.address_create(actor=request.user, customer=customer, **data)
        return self.respond(address, status.HTTP_201_CREATED)
