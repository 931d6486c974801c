"""Service orders (工单/维修委托书): the order, its labour and part lines, consents, payments, events, release passes,
appointments and in-app notifications.

Every change is made by the services in `aftersales.service.services`, which record an `OrderEvent` for each;
the event log is the order's timeline. Money is `Decimal`, to the fen.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales.core.access import ScopedQuerySet
from aftersales.core.models import TimeStampedModel
from aftersales.service.choices import (
    Consent,
    ConsentMethod,
    FuelLevel,
    JobStatus,
    LineKind,
    OrderStatus,
    OrderType,
    PartState,
    Payer,
    PaymentMethod,
)

MONEY = {"max_digits": 14, "decimal_places": 2}
QTY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0")


class ServiceOrder(TimeStampedModel):
    """One service order for a customer's asset: from reception to delivery (or an inspection / call-out visit)."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    branch = models.ForeignKey(
        "org.Branch", on_delete=models.PROTECT, related_name="service_orders", verbose_name=_("branch")
    )
    type = models.CharField(_("type"), max_length=16, choices=OrderType.choices, default=OrderType.REPAIR)
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.RECEPTION)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="service_orders", verbose_name=_("customer")
    )
    asset = models.ForeignKey(
        "customers.Asset",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_orders",
        verbose_name=_("asset"),
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("service advisor"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assignee"),
        help_text=_("Who visits: the inspector of an inspection, the engineer of a call-out."),
    )
    mileage = models.PositiveIntegerField(_("mileage (km)"), null=True, blank=True)
    fuel = models.CharField(_("fuel"), max_length=4, choices=FuelLevel.choices, blank=True)
    concerns = models.TextField(_("customer's concerns"), blank=True)
    walkaround = models.JSONField(_("walk-around check"), default=dict, blank=True)
    valuables_acknowledged = models.BooleanField(_("valuables reminder acknowledged"), default=False)
    promised_at = models.DateTimeField(_("promised time"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("response deadline"), null=True, blank=True)
    insurer = models.CharField(_("insurer"), max_length=100, blank=True)
    insurance_claim_no = models.CharField(_("insurance claim number"), max_length=60, blank=True)
    report = models.TextField(_("report"), blank=True)
    team = models.ForeignKey(
        "org.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_orders",
        verbose_name=_("installation team"),
    )
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    acceptance = models.JSONField(
        _("acceptance"),
        default=dict,
        blank=True,
        help_text=_("The installation's self-check items and the customer's sign-off."),
    )
    warehouse = models.ForeignKey(
        "parts.Warehouse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("parts warehouse"),
    )
    consented_total = models.DecimalField(
        _("consented customer total"),
        **MONEY,
        null=True,
        blank=True,
        help_text=_(
            "What the customer last agreed to pay; settlement above it by more than the branch's margin needs new consent."
        ),
    )
    comeback_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="comebacks", verbose_name=_("comeback of")
    )
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections", verbose_name=_("corrects")
    )
    rework_count = models.PositiveIntegerField(_("rework"), default=0)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        ordering = ["-id"]
        permissions = [
            ("consent_serviceorder", _("Can record the customer's consent")),
            ("dispatch_serviceorder", _("Can dispatch jobs")),
            ("work_serviceorder", _("Can work on own jobs")),
            ("qc_serviceorder", _("Can pass or fail the quality check")),
            ("settle_serviceorder", _("Can settle and take payments")),
            ("deliver_serviceorder", _("Can deliver and issue release passes")),
            ("complete_serviceorder", _("Can record visit reports")),
            ("cancel_serviceorder", _("Can cancel service orders")),
        ]
        indexes = [
            models.Index(fields=["branch", "status", "-id"], name="svc_order_branch_status_idx"),
            # a filter by status across many branches (a region) walks this one instead of scanning backwards
            models.Index(fields=["status", "-id"], name="svc_order_status_idx"),
            models.Index(fields=["branch", "-id"], name="svc_order_branch_idx"),
            models.Index(fields=["asset", "-id"], name="svc_order_asset_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("service:order_detail", args=[self.pk])


class ServiceOrderLine(TimeStampedModel):
    """A labour line (a job for a technician) or a part line, with its payer and where it stands with the customer."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="lines", verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=8, choices=LineKind.choices)
    name = models.CharField(_("operation"), max_length=200)
    payer = models.CharField(_("payer"), max_length=10, choices=Payer.choices, default=Payer.CUSTOMER)
    consent = models.CharField(_("consent"), max_length=10, choices=Consent.choices, default=Consent.ESTIMATE)
    # labour
    hours = models.DecimalField(_("hours"), **QTY, default=ZERO, validators=[MinValueValidator(ZERO)])
    rate = models.DecimalField(_("hourly rate"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)])
    skill = models.CharField(_("skill category"), max_length=20, blank=True)
    min_level = models.PositiveSmallIntegerField(
        _("minimum level"), default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    bay_kind = models.CharField(_("bay needed"), max_length=20, blank=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("technician"),
    )
    job_status = models.CharField(_("job status"), max_length=12, choices=JobStatus.choices, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rework_count = models.PositiveIntegerField(_("rework"), default=0)
    rework_reason = models.CharField(_("rework reason"), max_length=200, blank=True)
    self_check_passed = models.BooleanField(_("self-check passed"), null=True, blank=True)
    self_check_notes = models.CharField(_("self-check notes"), max_length=200, blank=True)
    # part
    part = models.ForeignKey(
        "parts.Part", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("part")
    )
    quantity = models.DecimalField(_("quantity"), **QTY, default=ZERO, validators=[MinValueValidator(ZERO)])
    unit_price = models.DecimalField(_("unit price"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)])
    part_state = models.CharField(_("parts"), max_length=12, choices=PartState.choices, blank=True)
    reservation = models.ForeignKey(
        "parts.StockReservation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issue_move = models.ForeignKey("parts.StockMove", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), **MONEY, default=ZERO)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("added by"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "order__branch"

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["technician", "job_status"], name="svc_line_tech_job_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.pk} {self.name}"

    @property
    def billable(self) -> bool:
        return self.consent == Consent.APPROVED


class OrderEvent(models.Model):
    """One step of an order's timeline: who did what, from which status to which, with details."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="events", verbose_name=_("order"))
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.action}"


class OrderConsent(models.Model):
    """The customer's consent: to the estimate, to lines added later, or to a total above the consented one."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="consents", verbose_name=_("order"))
    method = models.CharField(_("how"), max_length=10, choices=ConsentMethod.choices)
    by = models.CharField(_("who consented"), max_length=60)
    total = models.DecimalField(_("customer total consented"), **MONEY)
    lines = models.JSONField(_("lines"), default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.by} ({self.method})"


class Payment(models.Model):
    """One payment of a settlement (cash, card, WeChat, Alipay, transfer)."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="payments", verbose_name=_("order"))
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("received by")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.method} {self.amount}"


class ReleasePass(models.Model):
    """The release pass (放行条) handed over at delivery: the gate lets the asset out against its number."""

    order = models.OneToOneField(ServiceOrder, on_delete=models.PROTECT, related_name="release_pass")
    number = models.CharField(_("number"), max_length=40, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("release pass")
        verbose_name_plural = _("release passes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number


class Notification(models.Model):
    """An in-app message to one member of staff (delay, consent needed, QC failed …)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    order = models.ForeignKey(ServiceOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20)
    message = models.CharField(_("message"), max_length=300)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "read_at", "-id"], name="svc_notice_user_idx")]

    def __str__(self) -> str:
        return self.message


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    ARRIVED = "arrived", _("Arrived")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


class Appointment(TimeStampedModel):
    """A booking (预约): a customer and asset expected at a branch at a time for the job they asked for."""

    branch = models.ForeignKey(
        "org.Branch", on_delete=models.PROTECT, related_name="appointments", verbose_name=_("branch")
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="appointments", verbose_name=_("customer")
    )
    asset = models.ForeignKey(
        "customers.Asset",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("asset"),
    )
    starts_at = models.DateTimeField(_("time"))
    type = models.CharField(_("type"), max_length=16, choices=OrderType.choices, default=OrderType.MAINTENANCE)
    request = models.CharField(_("job asked for"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("service advisor"),
    )
    order = models.OneToOneField(
        ServiceOrder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointment",
        verbose_name=_("order"),
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("booked by"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["branch", "starts_at"], name="svc_appt_branch_time_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.starts_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("service:appointment_detail", args=[self.pk])


class BranchServiceSettings(models.Model):
    """A branch's service settings: how far a bill may exceed the consented estimate, appointment capacity."""

    branch = models.OneToOneField("org.Branch", on_delete=models.CASCADE, related_name="service_settings")
    over_estimate_margin = models.DecimalField(
        _("margin over the consented estimate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(ZERO)],
    )
    appointments_per_hour = models.PositiveIntegerField(_("appointments per hour"), default=4)
    default_labour_rate = models.DecimalField(_("default hourly labour rate"), **MONEY, default=Decimal("120.00"))

    class Meta:
        verbose_name = _("branch service settings")
        verbose_name_plural = _("branch service settings")
        ordering = ["branch"]

    def __str__(self) -> str:
        return str(self.branch)


def order_photo_path(photo, filename: str) -> str:
    return f"orders/{photo.order.branch.code}/{photo.order.number}/{filename}"


class OrderPhoto(models.Model):
    """A photo of the walk-around check (damage at reception) or of the finished work."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="photos", verbose_name=_("order"))
    image = models.ImageField(_("photo"), upload_to=order_photo_path)
    area = models.CharField(_("area"), max_length=40, blank=True)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.area or self.caption}"
