"""Parts and inventory: the catalogue, suppliers, warehouses and bins, the stock ledger and its documents.

The ledger is `StockMove`: one immutable row per change of stock, written only by
`parts.services.ledger.stock_post`. `StockBalance` holds, per part and warehouse, what the moves add
up to (on hand, value) plus what is promised (reserved). Every move stores its signed quantity and
its signed value, so the ledger's sums equal the balance exactly and a past stock value is one
aggregate over the moves.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales.core.access import ScopedQuerySet
from aftersales.core.models import TimeStampedModel
from aftersales.parts.choices import (
    DefectSource,
    DefectStatus,
    DemandSource,
    ImportStatus,
    MoveKind,
    PurchaseStatus,
    ReservationStatus,
    StocktakeStatus,
)

QTY = {"max_digits": 12, "decimal_places": 2}
MONEY = {"max_digits": 14, "decimal_places": 2}
UNIT_COST = {"max_digits": 14, "decimal_places": 4}
ZERO = Decimal("0")

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,39}$", _("Use letters, digits and . _ - / (at most 40 characters).")
)


class CompanyQuerySet(models.QuerySet):
    """Company-wide master data (parts, suppliers): every signed-in user may read it."""

    def for_user(self, user):
        return self.all() if getattr(user, "is_authenticated", False) else self.none()


class Supplier(TimeStampedModel):
    """A supplier of parts (供应商): the maker's parts centre, a distributor, a local shop."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    contact = models.CharField(_("contact"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("parts:supplier_detail", args=[self.pk])


class Part(TimeStampedModel):
    """A catalogue entry (配件): what can be stocked, sold and ordered, company-wide."""

    code = models.CharField(_("part code"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    oem_number = models.CharField(_("OEM number"), max_length=40, blank=True, db_index=True)
    brand = models.CharField(_("brand"), max_length=40, blank=True)
    category = models.CharField(_("category"), max_length=40, blank=True, db_index=True)
    unit = models.CharField(_("unit"), max_length=10, default="个")
    barcode = models.CharField(_("barcode"), max_length=40, blank=True, db_index=True)
    retail_price = models.DecimalField(_("retail price"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)])
    warranty_price = models.DecimalField(
        _("warranty price"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    reorder_point = models.DecimalField(_("reorder point"), **QTY, default=ZERO, validators=[MinValueValidator(ZERO)])
    reorder_quantity = models.DecimalField(
        _("reorder quantity"), **QTY, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    supplier = models.ForeignKey(
        Supplier,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parts",
        verbose_name=_("usual supplier"),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        ordering = ["code"]
        permissions = [
            ("import_part", _("Can import parts and opening stock")),
            ("export_part", _("Can export parts")),
        ]
        indexes = [models.Index(fields=["name"], name="parts_part_name_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("parts:part_detail", args=[self.pk])


class Warehouse(TimeStampedModel):
    """A stock location of a branch (仓库). Each branch has one default warehouse, made with the branch."""

    branch = models.ForeignKey(
        "org.Branch", on_delete=models.PROTECT, related_name="warehouses", verbose_name=_("branch")
    )
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default warehouse"), default=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["branch__code", "-is_default", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch"], condition=Q(is_default=True), name="parts_warehouse_one_default_per_branch"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("parts:warehouse_detail", args=[self.pk])


class Bin(TimeStampedModel):
    """A shelf place in a warehouse (库位), e.g. `A-01-03`."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="bins", verbose_name=_("warehouse"))
    code = models.CharField(_("code"), max_length=20, validators=[code_validator])
    name = models.CharField(_("name"), max_length=60, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "warehouse__branch"

    class Meta:
        verbose_name = _("bin")
        verbose_name_plural = _("bins")
        ordering = ["warehouse", "code"]
        constraints = [models.UniqueConstraint(fields=["warehouse", "code"], name="parts_bin_unique_code")]

    def __str__(self) -> str:
        return self.code


class StockBalance(models.Model):
    """What one warehouse holds of one part: on hand, reserved, and the value of what is on hand.

    `available` = on hand − reserved. `average_cost` is the moving average (value ÷ on hand), kept when
    the stock runs out so that a later count or return can be valued. Changed only by the ledger
    services, under a row lock; the check constraints make negative stock impossible even for a bug.
    """

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="balances", verbose_name=_("part"))
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="balances", verbose_name=_("warehouse")
    )
    bin = models.ForeignKey(
        Bin, null=True, blank=True, on_delete=models.SET_NULL, related_name="balances", verbose_name=_("bin")
    )
    on_hand = models.DecimalField(_("on hand"), **QTY, default=ZERO)
    reserved = models.DecimalField(_("reserved"), **QTY, default=ZERO)
    value = models.DecimalField(_("stock value"), **MONEY, default=ZERO)
    average_cost = models.DecimalField(_("average cost"), **UNIT_COST, default=ZERO)
    last_move_at = models.DateTimeField(_("last movement"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "warehouse__branch"

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        ordering = ["part__code", "warehouse__code"]
        constraints = [
            models.UniqueConstraint(fields=["part", "warehouse"], name="parts_balance_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="parts_balance_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="parts_balance_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="parts_balance_reserved_on_hand"),
            models.CheckConstraint(condition=Q(value__gte=0), name="parts_balance_value_not_negative"),
        ]
        indexes = [models.Index(fields=["warehouse", "part"], name="parts_balance_wh_part_idx")]

    def __str__(self) -> str:
        return f"{self.part_id}@{self.warehouse_id}: {self.on_hand}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class StockMove(models.Model):
    """One change of stock (库存流水): immutable; a mistake is corrected by a reversing move.

    `quantity` and `value` are signed (+ in, − out). `unit_cost` is what one unit was valued at.
    `on_hand_after` and `value_after` are the balance right after this move, for the move history.
    `reference` names the document behind the move (a receipt number, a service order line …).
    """

    posted_at = models.DateTimeField(_("posted at"), db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=MoveKind.choices)
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="moves", verbose_name=_("part"))
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="moves", verbose_name=_("warehouse")
    )
    quantity = models.DecimalField(_("quantity"), **QTY)
    unit_cost = models.DecimalField(_("unit cost"), **UNIT_COST)
    value = models.DecimalField(_("value"), **MONEY)
    on_hand_after = models.DecimalField(_("on hand after"), **QTY)
    value_after = models.DecimalField(_("value after"), **MONEY)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    document_type = models.CharField(_("document type"), max_length=20, blank=True)
    document_id = models.PositiveBigIntegerField(_("document id"), null=True, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by", verbose_name=_("reverses")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "warehouse__branch"

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["-id"]
        permissions = [
            ("receive_stock", _("Can receive stock")),
            ("issue_stock", _("Can issue and return stock")),
            ("reserve_stock", _("Can reserve and release stock")),
            ("transfer_stock", _("Can transfer stock between warehouses")),
            ("adjust_stock", _("Can adjust stock and reverse moves")),
            ("view_stock_reports", _("Can see stock reports")),
        ]
        indexes = [
            models.Index(fields=["part", "warehouse", "-id"], name="parts_move_part_wh_idx"),
            models.Index(fields=["warehouse", "-id"], name="parts_move_wh_idx"),
            models.Index(fields=["kind", "posted_at"], name="parts_move_kind_time_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.quantity}"


class StockReservation(models.Model):
    """Stock promised to a reference (a service order line), taken out of what is available until issued or released."""

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("part"))
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("warehouse")
    )
    reference = models.CharField(_("reference"), max_length=80)
    quantity = models.DecimalField(_("reserved quantity"), **QTY, validators=[MinValueValidator(Decimal("0.01"))])
    issued = models.DecimalField(_("issued quantity"), **QTY, default=ZERO)
    status = models.CharField(
        _("status"), max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("reserved at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "warehouse__branch"

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-id"]
        indexes = [models.Index(fields=["part", "warehouse", "status"], name="parts_resv_part_wh_idx")]

    def __str__(self) -> str:
        return f"{self.reference}: {self.quantity}"

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.issued


class StockDemand(models.Model):
    """One request for a part (an issue or a reservation) and how much of it stock met at once.

    The fill rate (满足率) is read from here. A request that stock could not meet in full stays `open`
    (a shortage waiting for parts) until a receipt of that part into that warehouse closes it; open
    shortages count as demand in the suggested orders.
    """

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="demands", verbose_name=_("part"))
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="demands", verbose_name=_("warehouse")
    )
    source = models.CharField(_("source"), max_length=12, choices=DemandSource.choices)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    requested = models.DecimalField(_("requested"), **QTY)
    filled = models.DecimalField(_("filled at once"), **QTY)
    requested_at = models.DateTimeField(_("requested at"), db_index=True)
    open = models.BooleanField(_("open shortage"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "warehouse__branch"

    class Meta:
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        ordering = ["-id"]
        indexes = [models.Index(fields=["part", "warehouse", "open"], name="parts_demand_open_idx")]

    def __str__(self) -> str:
        return f"{self.reference}: {self.filled}/{self.requested}"

    @property
    def short(self) -> Decimal:
        return self.requested - self.filled


class PurchaseOrder(TimeStampedModel):
    """An order to a supplier (采购单), received in one or several receipts."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="purchase_orders", verbose_name=_("supplier")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="purchase_orders", verbose_name=_("warehouse")
    )
    status = models.CharField(_("status"), max_length=10, choices=PurchaseStatus.choices, default=PurchaseStatus.DRAFT)
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    ordered_at = models.DateTimeField(_("ordered at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "warehouse__branch"

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("parts:purchase_detail", args=[self.pk])


class PurchaseOrderLine(models.Model):
    """One part on a purchase order, with how much has arrived so far."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="lines", verbose_name=_("order"))
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    quantity = models.DecimalField(_("ordered"), **QTY, validators=[MinValueValidator(Decimal("0.01"))])
    unit_cost = models.DecimalField(_("unit cost"), **UNIT_COST, validators=[MinValueValidator(ZERO)])
    received = models.DecimalField(_("received"), **QTY, default=ZERO)

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.part_id}"

    @property
    def outstanding(self) -> Decimal:
        return max(self.quantity - self.received, ZERO)


class GoodsReceipt(TimeStampedModel):
    """A receipt of parts into a warehouse (入库单), against a purchase order or not."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("warehouse")
    )
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("supplier")
    )
    purchase_order = models.ForeignKey(
        PurchaseOrder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipts",
        verbose_name=_("purchase order"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("received by")
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "warehouse__branch"

    class Meta:
        verbose_name = _("goods receipt")
        verbose_name_plural = _("goods receipts")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("parts:receipt_detail", args=[self.pk])


class GoodsReceiptLine(models.Model):
    receipt = models.ForeignKey(GoodsReceipt, on_delete=models.PROTECT, related_name="lines", verbose_name=_("receipt"))
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    quantity = models.DecimalField(_("quantity"), **QTY)
    unit_cost = models.DecimalField(_("unit cost"), **UNIT_COST)
    purchase_line = models.ForeignKey(
        PurchaseOrderLine, null=True, blank=True, on_delete=models.PROTECT, related_name="receipt_lines"
    )
    move = models.OneToOneField(StockMove, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("receipt line")
        verbose_name_plural = _("receipt lines")
        ordering = ["receipt", "id"]

    def __str__(self) -> str:
        return f"{self.receipt_id}/{self.part_id}"


class Stocktake(TimeStampedModel):
    """A count of one warehouse (盘点): count sheets out and in, variances posted after approval."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="stocktakes", verbose_name=_("warehouse")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=StocktakeStatus.choices, default=StocktakeStatus.COUNTING
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("started by")
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "warehouse__branch"

    class Meta:
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        ordering = ["-id"]
        permissions = [("approve_stocktake", _("Can approve stocktakes"))]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("parts:stocktake_detail", args=[self.pk])


class StocktakeLine(models.Model):
    """One part of a count: the quantity the system held when the count began, and what was counted."""

    stocktake = models.ForeignKey(
        Stocktake, on_delete=models.PROTECT, related_name="lines", verbose_name=_("stocktake")
    )
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    bin_code = models.CharField(_("bin"), max_length=20, blank=True)
    system_quantity = models.DecimalField(_("system quantity"), **QTY)
    counted_quantity = models.DecimalField(_("counted quantity"), **QTY, null=True, blank=True)
    move = models.OneToOneField(StockMove, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("count line")
        verbose_name_plural = _("count lines")
        ordering = ["stocktake", "bin_code", "part__code"]
        constraints = [models.UniqueConstraint(fields=["stocktake", "part"], name="parts_stocktake_line_unique")]

    def __str__(self) -> str:
        return f"{self.stocktake_id}/{self.part_id}"

    @property
    def variance(self) -> Decimal | None:
        return None if self.counted_quantity is None else self.counted_quantity - self.system_quantity


class Defect(TimeStampedModel):
    """A defective part (不良), found on receipt or in use, and what became of it."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="defects", verbose_name=_("part"))
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="defects", verbose_name=_("supplier")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="defects", verbose_name=_("warehouse")
    )
    quantity = models.DecimalField(_("quantity"), **QTY, validators=[MinValueValidator(Decimal("0.01"))])
    source = models.CharField(_("found"), max_length=10, choices=DefectSource.choices)
    reason = models.CharField(_("reason"), max_length=200)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=DefectStatus.choices, default=DefectStatus.OPEN)
    return_move = models.OneToOneField(StockMove, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "warehouse__branch"

    class Meta:
        verbose_name = _("defect")
        verbose_name_plural = _("defects")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("parts:defect_detail", args=[self.pk])


class PartImport(TimeStampedModel):
    """An uploaded catalogue / opening-stock sheet, checked and kept until imported or discarded."""

    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    file_name = models.CharField(_("file"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED)
    rows = models.JSONField(_("rows"), default=list)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("parts import")
        verbose_name_plural = _("parts imports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def valid(self) -> bool:
        return self.error_count == 0 and self.row_count > 0
