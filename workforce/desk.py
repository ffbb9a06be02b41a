"""What the workforce app puts on the operator desk: work order numbers in
the search box, and the Work orders panel of the customer 360 page."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from callcenter.panels import Panel
from callcenter.search import SearchHit
from customers.models import Customer
from sesmu.models import User
from workforce import selectors

WORK_ORDER_NUMBER = re.compile(r"^W(\d{1,12})$", re.IGNORECASE)


class WorkOrderSearchProvider:
    name = "work_orders"

    def search(self, *, query: str, actor: User, limit: int) -> tuple[list[SearchHit], bool]:
        match = WORK_ORDER_NUMBER.match(query.strip())
        if not match:
            return [], False
        number = f"W{int(match.group(1)):08d}"
        order = selectors.work_order_list_visible_to(actor=actor).filter(number=number).first()
        if order is None:
            return [], False
        return [SearchHit(
            kind="work_order", kind_label=str(_("Work order")),
            title=f"{order.number} · {order.kind_label}",
            subtitle=f"{order.customer.number} {order.customer.display_name} · "
                     f"{order.state_label}",
            matched=order.number, url=reverse("workforce:order", args=[order.pk]),
            target=f"work_order:{order.pk}",
        )], False


def work_orders_context(*, customer: Customer, actor: User) -> dict:
    return {"orders": selectors.customer_work_orders(customer=customer),
            "can_book": actor.has_perm("workforce.book_workorder")}


PANELS = [
    Panel(
        key="work_orders",
        title=_("Work orders"),
        template="workforce/panels/work_orders.html",
        context=work_orders_context,
        order=25,
        column="main",
        lazy=True,
        permission="workforce.view_workorder",
    ),
]
