"""Filters of the subscription and subscription order lists, shared by the
API and the desk lists. References to other rows are plain ids (see
customers.filters): an id that does not exist filters to nothing instead
of telling a caller which ids exist."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy

from customers.filters import IdFilter
from inventory.choices import AccessMedium
from subscriptions.choices import (
    Channel,
    Initiator,
    ModifyKind,
    OrderAction,
    OrderState,
    SubscriptionState,
)
from subscriptions.models import Subscription, SubscriptionOrder


class SubscriptionFilter(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id", label=gettext_lazy("Customer id"))
    billing_account = IdFilter(field_name="billing_account_id",
                               label=gettext_lazy("Billing account id"))
    state = django_filters.MultipleChoiceFilter(choices=SubscriptionState.choices,
                                                label=gettext_lazy("State"))
    offer = IdFilter(field_name="offer_version__offer_id", label=gettext_lazy("Offer id"))
    offer_version = IdFilter(field_name="offer_version_id",
                             label=gettext_lazy("Offer version id"))
    access_medium = django_filters.ChoiceFilter(choices=AccessMedium.choices,
                                                label=gettext_lazy("Access medium"))
    number = django_filters.CharFilter(field_name="number", lookup_expr="iexact",
                                       label=gettext_lazy("Subscription number"))

    class Meta:
        model = Subscription
        fields = ["customer", "billing_account", "state", "offer", "offer_version",
                  "access_medium", "number"]


class SubscriptionOrderFilter(django_filters.FilterSet):
    subscription = IdFilter(field_name="subscription_id", label=gettext_lazy("Subscription id"))
    customer = IdFilter(field_name="subscription__customer_id",
                        label=gettext_lazy("Customer id"))
    state = django_filters.MultipleChoiceFilter(choices=OrderState.choices,
                                                label=gettext_lazy("State"))
    action = django_filters.MultipleChoiceFilter(choices=OrderAction.choices,
                                                 label=gettext_lazy("Action"))
    modify_kind = django_filters.ChoiceFilter(choices=ModifyKind.choices,
                                              label=gettext_lazy("Modification"))
    initiator = django_filters.ChoiceFilter(choices=Initiator.choices,
                                            label=gettext_lazy("Asked by"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=gettext_lazy("Channel"))
    external_id = django_filters.CharFilter(label=gettext_lazy("External id"))
    number = django_filters.CharFilter(field_name="number", lookup_expr="iexact",
                                       label=gettext_lazy("Order number"))

    class Meta:
        model = SubscriptionOrder
        fields = ["subscription", "customer", "state", "action", "modify_kind", "initiator",
                  "channel", "external_id", "number"]
