"""Customer equipment from the supplier to the customer and back: what we
stock (models), each physical item with its identifiers and state, where it
can be (warehouses, technicians' vans, repair centres), every move it made
(an append-only ledger), its installations, deliveries received from
suppliers, and the fees a customer owes for equipment not given back."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from customers.models import Address, Customer, choice_label
from inventory.choices import (
    STATES_AT_LOCATION,
    STATES_GONE,
    STATES_HELD_FOR_CUSTOMER,
    AccessMedium,
    ChargeKind,
    ChargeStatus,
    EquipmentKind,
    ItemState,
    LocationKind,
    MovementAction,
    ReceiptStatus,
    SupplyTerms,
)
from sesmu.choices import Currency, ServiceKind
from sesmu.money import AmountField


def _check_choice_list(values, choices: type[models.TextChoices], label: str) -> None:
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        # Not "invalid": a JSON form field would put its own message instead.
        raise ValidationError(_("Choose a list of %(label)s.") % {"label": label},
                              code="not_a_list")
    unknown = [value for value in values if value not in choices.values]
    if unknown:
        raise ValidationError(
            _("Unknown %(label)s: %(values)s.") % {"label": label, "values": ", ".join(unknown)},
            code="invalid_choice",
        )


def validate_service_kinds(values) -> None:
    _check_choice_list(values, ServiceKind, _("services"))


def validate_access_media(values) -> None:
    _check_choice_list(values, AccessMedium, _("access media"))


class EquipmentModel(models.Model):
    """A product we stock: its kind, maker and model, which services and
    access media it serves, and on what terms a customer holds it (sold,
    rented or lent), with the amounts billing needs."""

    code = models.SlugField(
        _("code"), max_length=40, unique=True,
        help_text=_("The model's code in suppliers' delivery files."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EquipmentKind.choices)
    manufacturer = models.CharField(_("manufacturer"), max_length=100)
    model_name = models.CharField(_("model"), max_length=100)
    service_kinds = models.JSONField(
        _("services"), default=list, blank=True, validators=[validate_service_kinds]
    )
    access_media = models.JSONField(
        _("access media"), default=list, blank=True, validators=[validate_access_media]
    )
    supply_terms = models.CharField(
        _("supplied as"), max_length=10, choices=SupplyTerms.choices, default=SupplyTerms.RENTED
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.EURO
    )
    rental_price = AmountField(_("monthly rental"), default=0)
    deposit = AmountField(_("deposit"), default=0)
    non_return_fee = AmountField(_("non-return fee"), default=0)
    low_stock_threshold = models.PositiveIntegerField(
        _("low-stock threshold"), default=0,
        help_text=_("Warn when fewer items than this are in stock in all warehouses."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("equipment model")
        verbose_name_plural = _("equipment models")
        ordering = ["kind", "manufacturer", "model_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rental_price__gte=0) & Q(deposit__gte=0) & Q(non_return_fee__gte=0),
                name="equipment_model_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.manufacturer} {self.model_name}"

    @property
    def kind_label(self) -> str:
        return choice_label(EquipmentKind, self.kind)

    def clean(self) -> None:
        if self.supply_terms == SupplyTerms.SOLD and self.rental_price:
            raise ValidationError({"rental_price": ValidationError(
                _("Sold equipment has no rental price."), code="sold_with_rental")})


class StockLocation(models.Model):
    """A place that holds equipment: a warehouse, a repair centre, or the van
    of one field technician (every technician has exactly one)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=LocationKind.choices)
    technician = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("technician"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="van",
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")
        ordering = ["kind", "name"]
        constraints = [
            # A van belongs to its technician; other places belong to nobody.
            models.CheckConstraint(
                condition=(Q(kind=LocationKind.VAN) & Q(technician__isnull=False))
                | (~Q(kind=LocationKind.VAN) & Q(technician__isnull=True)),
                name="stock_location_van_has_technician",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        return choice_label(LocationKind, self.kind)


class GoodsReceipt(models.Model):
    """A supplier's delivery file as it was uploaded, kept before anything is
    read from it, with how far its processing went and what it created."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    warehouse = models.ForeignKey(
        StockLocation, verbose_name=_("warehouse"), on_delete=models.PROTECT,
        related_name="receipts",
    )
    supplier = models.CharField(_("supplier"), max_length=100, blank=True)
    delivery_note = models.CharField(_("delivery note"), max_length=60, blank=True)
    file = models.FileField(_("file"), upload_to="receipts/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=200)
    file_sha256 = models.CharField(_("file checksum"), max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ReceiptStatus.choices, default=ReceiptStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    rows_created = models.PositiveIntegerField(_("items created"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("goods receipt")
        verbose_name_plural = _("goods receipts")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def status_label(self) -> str:
        return choice_label(ReceiptStatus, self.status)

    @property
    def progress_percent(self) -> int:
        if self.status == ReceiptStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)

    @property
    def is_running(self) -> bool:
        return self.status in (ReceiptStatus.QUEUED, ReceiptStatus.PROCESSING)


class ReceiptRejection(models.Model):
    """A row of a delivery file that created nothing, and why."""

    receipt = models.ForeignKey(
        GoodsReceipt, verbose_name=_("receipt"), on_delete=models.CASCADE,
        related_name="rejections",
    )
    row_number = models.PositiveIntegerField(_("row"))
    code = models.CharField(_("reason code"), max_length=40)
    message = models.CharField(_("reason"), max_length=300)
    raw = models.TextField(_("row as received"), blank=True)

    class Meta:
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")
        ordering = ["receipt", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["receipt", "row_number"],
                                    name="receipt_rejection_row_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt} #{self.row_number}: {self.code}"


class EquipmentItem(FSMModelMixin, models.Model):
    """One physical piece of equipment, known by its serial number (and its
    MAC address or smart-card number where it has one). Its state and place
    change only through the inventory services, each change leaving an
    EquipmentMovement row; the database refuses a place that contradicts
    the state."""

    # Few indexes on purpose: deliveries insert items by the hundred thousand,
    # and every index is paid on each row. The composite ones below cover the
    # foreign keys that are looked up.
    model = models.ForeignKey(
        EquipmentModel, verbose_name=_("model"), on_delete=models.PROTECT, related_name="items",
        db_index=False,
    )
    serial_number = models.CharField(_("serial number"), max_length=40, unique=True)
    mac_address = models.CharField(_("MAC address"), max_length=17, null=True, blank=True)
    card_number = models.CharField(
        _("smart-card / CA number"), max_length=32, null=True, blank=True
    )
    firmware = models.CharField(_("firmware"), max_length=40, blank=True)
    paired_with = models.OneToOneField(
        "self", verbose_name=_("paired with"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="paired_card",
        help_text=_("For a smart card: the set-top box or CA module it decodes for."),
    )
    state = FSMField(
        _("state"), max_length=24, choices=ItemState.choices, default=ItemState.IN_STOCK,
        protected=True,
    )
    location = models.ForeignKey(
        StockLocation, verbose_name=_("location"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="items", db_index=False,
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="equipment", db_index=False,
        help_text=_("Who it is reserved for, installed at, or was last with."),
    )
    service_address = models.ForeignKey(
        Address, verbose_name=_("service address"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="equipment", db_index=False,
    )
    # Subscriptions sit above inventory: an opaque reference, not a key.
    subscription_ref = models.CharField(_("subscription"), max_length=40, blank=True)
    is_blacklisted = models.BooleanField(_("blacklisted in the network"), default=False)
    receipt = models.ForeignKey(
        GoodsReceipt, verbose_name=_("received in"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="items", db_index=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("equipment item")
        verbose_name_plural = _("equipment items")
        ordering = ["serial_number"]
        permissions = [
            ("move_equipmentitem", _("Can move equipment (reserve, install, recover, transfer)")),
            ("declare_missing_equipmentitem", _("Can declare equipment lost, stolen or found")),
            ("receive_equipment", _("Can receive deliveries from suppliers")),
            ("handle_stock_equipmentitem",
             _("Can restock, repair, scrap or return equipment to the supplier")),
        ]
        indexes = [
            models.Index(fields=["model", "state"], name="item_model_idx"),
            models.Index(fields=["location", "state"], name="item_location_idx"),
            models.Index(fields=["customer"], condition=Q(customer__isnull=False),
                         name="item_customer_idx"),
            models.Index(fields=["service_address"], condition=Q(service_address__isnull=False),
                         name="item_address_idx"),
            models.Index(fields=["receipt"], name="item_receipt_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["mac_address"], condition=Q(mac_address__isnull=False),
                                    name="equipment_item_mac_unique"),
            models.UniqueConstraint(fields=["card_number"], condition=Q(card_number__isnull=False),
                                    name="equipment_item_card_unique"),
            models.CheckConstraint(
                condition=(
                    Q(state__in=[state for state in STATES_AT_LOCATION
                                 if state not in STATES_HELD_FOR_CUSTOMER])
                    & Q(location__isnull=False) & Q(customer__isnull=True)
                    & Q(service_address__isnull=True)
                )
                | (
                    Q(state__in=STATES_HELD_FOR_CUSTOMER) & Q(location__isnull=False)
                    & Q(customer__isnull=False) & Q(service_address__isnull=True)
                )
                | (
                    Q(state=ItemState.INSTALLED) & Q(location__isnull=True)
                    & Q(customer__isnull=False) & Q(service_address__isnull=False)
                )
                | (Q(state__in=STATES_GONE) & Q(location__isnull=True)),
                name="equipment_item_place_matches_state",
            ),
            models.CheckConstraint(
                condition=~Q(paired_with=models.F("id")), name="equipment_item_not_self_paired"
            ),
        ]

    def __str__(self) -> str:
        return self.serial_number

    @property
    def state_label(self) -> str:
        return choice_label(ItemState, self.state)

    @property
    def network_identifier(self) -> str:
        """What the element manager knows it by: the card number of a card,
        the MAC address of a modem, the serial number otherwise."""
        return self.card_number or self.mac_address or self.serial_number

    def clean_fields(self, exclude=None) -> None:
        # The state only moves through transitions (protected FSM field), and
        # clean_fields would assign it back.
        super().clean_fields(exclude={*(exclude or ()), "state"})

    # Transitions. The services lock the row, call one of these, set the
    # place, and write the movement; the movement action names the call.

    @transition(field=state, source=ItemState.IN_STOCK, target=ItemState.RESERVED)
    def reserve(self) -> None:
        """Set aside for a customer's subscription order."""

    @transition(field=state, source=[ItemState.RESERVED, ItemState.WITH_TECHNICIAN],
                target=ItemState.IN_STOCK)
    def release(self) -> None:
        """The order no longer needs it: free stock again where it is."""

    @transition(field=state, source=ItemState.RESERVED, target=ItemState.WITH_TECHNICIAN)
    def hand_over(self) -> None:
        """A technician took it in the van for the customer's visit."""

    @transition(field=state, source=ItemState.WITH_TECHNICIAN, target=ItemState.RESERVED)
    def take_back(self) -> None:
        """Back from the van to a warehouse, still reserved."""

    @transition(field=state,
                source=[ItemState.IN_STOCK, ItemState.RESERVED, ItemState.WITH_TECHNICIAN],
                target=ItemState.INSTALLED)
    def install(self) -> None:
        """Working at the customer's service address."""

    @transition(field=state, source=ItemState.INSTALLED, target=ItemState.RETURNED)
    def recover(self) -> None:
        """Taken back from the customer (end of contract, swap, recovery visit)."""

    @transition(field=state, source=[ItemState.RETURNED, ItemState.REFURBISHED],
                target=ItemState.IN_STOCK)
    def restock(self) -> None:
        """Checked and fit to be given to a customer again."""

    @transition(field=state, source=[ItemState.RETURNED, ItemState.FAULTY],
                target=ItemState.IN_REPAIR)
    def send_to_repair(self) -> None:
        """Sent to be repaired and refurbished."""

    @transition(field=state, source=ItemState.IN_REPAIR, target=ItemState.REFURBISHED)
    def repair(self) -> None:
        """Repaired; waits to be put back in stock."""

    @transition(field=state,
                source=[ItemState.IN_STOCK, ItemState.RETURNED, ItemState.IN_REPAIR,
                        ItemState.REFURBISHED],
                target=ItemState.FAULTY)
    def mark_faulty(self) -> None:
        """Does not work."""

    @transition(field=state,
                source=[*STATES_AT_LOCATION, ItemState.INSTALLED],
                target=ItemState.LOST)
    def declare_lost(self) -> None:
        """Nobody knows where it is."""

    @transition(field=state,
                source=[*STATES_AT_LOCATION, ItemState.INSTALLED],
                target=ItemState.STOLEN)
    def declare_stolen(self) -> None:
        """Stolen from a warehouse, a van or a customer."""

    @transition(field=state, source=[ItemState.LOST, ItemState.STOLEN],
                target=ItemState.RETURNED)
    def find(self) -> None:
        """Back in our hands; checked like any returned item."""

    @transition(field=state,
                source=[ItemState.IN_STOCK, ItemState.RETURNED, ItemState.FAULTY,
                        ItemState.IN_REPAIR],
                target=ItemState.SCRAPPED)
    def scrap(self) -> None:
        """Destroyed or recycled: gone for good."""

    @transition(field=state,
                source=[ItemState.IN_STOCK, ItemState.RETURNED, ItemState.FAULTY,
                        ItemState.IN_REPAIR],
                target=ItemState.RETURNED_TO_SUPPLIER)
    def return_to_supplier(self) -> None:
        """Sent back to the supplier (warranty, recall): gone for good."""


class EquipmentInstallation(models.Model):
    """An item working at a customer's service address for a subscription,
    from installation to removal. The partial unique constraint is what
    makes it impossible for one item to be installed at two places at once,
    whatever two requests race."""

    item = models.ForeignKey(
        EquipmentItem, verbose_name=_("item"), on_delete=models.PROTECT,
        related_name="installations",
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
        related_name="equipment_installations",
    )
    service_address = models.ForeignKey(
        Address, verbose_name=_("service address"), on_delete=models.PROTECT, related_name="+"
    )
    subscription_ref = models.CharField(_("subscription"), max_length=40, blank=True)
    work_order_ref = models.CharField(_("work order"), max_length=40, blank=True)
    installed_at = models.DateTimeField(_("installed at"))
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removal_reason = models.CharField(_("removal reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("installation")
        verbose_name_plural = _("installations")
        ordering = ["-installed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(removed_at__isnull=True),
                name="equipment_installed_once",
            ),
        ]
        indexes = [
            models.Index(fields=["subscription_ref"], name="installation_subscription_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item} @ {self.customer.number}"


class StockTransfer(models.Model):
    """Items moved together from one location to another (a warehouse
    restocking a van, a van emptied at the end of a job)."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    from_location = models.ForeignKey(
        StockLocation, verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    to_location = models.ForeignKey(
        StockLocation, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    item_count = models.PositiveIntegerField(_("items"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("made by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock transfer")
        verbose_name_plural = _("stock transfers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class EquipmentMovement(models.Model):
    """One move of one item: from which state and place to which, who did it,
    why, and for which customer, subscription, work order or ticket. Rows are
    only ever added; the item's state and place are those of its last row."""

    # Indexes only where a page looks rows up: the ledger is written on every
    # move and by the hundred thousand on a delivery.
    item = models.ForeignKey(
        EquipmentItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="movements",
        db_index=False,
    )
    action = models.CharField(_("action"), max_length=24, choices=MovementAction.choices)
    from_state = models.CharField(_("from state"), max_length=24, blank=True,
                                  choices=ItemState.choices)
    to_state = models.CharField(_("to state"), max_length=24, choices=ItemState.choices)
    from_location = models.ForeignKey(
        StockLocation, verbose_name=_("from location"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    to_location = models.ForeignKey(
        StockLocation, verbose_name=_("to location"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="equipment_movements", db_index=False,
    )
    service_address = models.ForeignKey(
        Address, verbose_name=_("service address"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    subscription_ref = models.CharField(_("subscription"), max_length=40, blank=True)
    work_order_ref = models.CharField(_("work order"), max_length=40, blank=True)
    ticket_ref = models.CharField(_("ticket"), max_length=40, blank=True)
    transfer = models.ForeignKey(
        StockTransfer, verbose_name=_("transfer"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="movements", db_index=False,
    )
    receipt = models.ForeignKey(
        GoodsReceipt, verbose_name=_("receipt"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="movements", db_index=False,
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False,
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("equipment movement")
        verbose_name_plural = _("equipment movements")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["item", "-id"], name="movement_item_idx"),
            models.Index(fields=["customer"], condition=Q(customer__isnull=False),
                         name="movement_customer_idx"),
            models.Index(fields=["transfer"], condition=Q(transfer__isnull=False),
                         name="movement_transfer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.from_state} → {self.to_state}"

    @property
    def action_label(self) -> str:
        return choice_label(MovementAction, self.action)

    @property
    def from_state_label(self) -> str:
        return choice_label(ItemState, self.from_state) if self.from_state else ""

    @property
    def to_state_label(self) -> str:
        return choice_label(ItemState, self.to_state)


class EquipmentCharge(models.Model):
    """An amount a customer owes for equipment (the non-return fee of an
    item lost or stolen at their home), waiting for billing to put it on a
    bill. Billing sits above inventory and marks it billed by reference."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
        related_name="equipment_charges",
    )
    item = models.ForeignKey(
        EquipmentItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="charges"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ChargeKind.choices)
    amount = AmountField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ChargeStatus.choices, default=ChargeStatus.PENDING
    )
    subscription_ref = models.CharField(_("subscription"), max_length=40, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    billed_ref = models.CharField(_("billed on"), max_length=40, blank=True)
    movement = models.ForeignKey(
        EquipmentMovement, verbose_name=_("caused by"), on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("equipment charge")
        verbose_name_plural = _("equipment charges")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="equipment_charge_positive"),
            models.UniqueConstraint(
                fields=["item", "kind"], condition=Q(status="pending"),
                name="equipment_charge_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.item} {self.amount} {self.currency}"

    @property
    def status_label(self) -> str:
        return choice_label(ChargeStatus, self.status)
