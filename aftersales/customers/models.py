"""Customers and the things we service for them (assets: vehicles, devices, elevators, furniture orders, equipment)."""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales.core.access import ScopedQuerySet
from aftersales.core.models import TimeStampedModel
from aftersales.core.validators import (
    validate_credit_code,
    validate_id_card,
    validate_imei,
    validate_mobile,
    validate_plate,
    validate_vin,
)
from aftersales.customers.choices import (
    ASSET_KIND_FIELDS,
    ASSET_KIND_REQUIRED,
    ASSET_SPECIFIC_FIELDS,
    AssetKind,
    CustomerKind,
    CustomerSource,
)


class Customer(TimeStampedModel):
    """A person or company we serve, kept by one branch.

    `search_text` is a normalised digest of the customer's name, mobile, ID number and every asset's
    identifiers, rebuilt by the services that change any of them; the list search looks only there
    (one trigram-indexed column on PostgreSQL).
    """

    kind = models.CharField(_("kind"), max_length=10, choices=CustomerKind.choices, default=CustomerKind.PERSON)
    name = models.CharField(_("name"), max_length=100)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True, validators=[validate_mobile])
    id_number = models.CharField(
        _("ID number"),
        max_length=18,
        blank=True,
        help_text=_("Resident ID card for a person, unified social credit code for a company."),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=CustomerSource.choices, default=CustomerSource.WALK_IN
    )
    notes = models.TextField(_("notes"), blank=True)
    # db_index=False: the composite index (branch, -id) below serves every lookup by branch.
    branch = models.ForeignKey(
        "org.Branch", on_delete=models.PROTECT, related_name="customers", verbose_name=_("branch"), db_index=False
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    search_text = models.TextField(editable=False, blank=True, default="")

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        permissions = [
            ("import_customer", _("Can import customers")),
            ("export_customer", _("Can export customers")),
        ]
        indexes = [
            models.Index(fields=["branch", "-id"], name="cust_branch_id_idx"),
            models.Index(fields=["name"], name="cust_name_idx"),
            models.Index(fields=["mobile"], name="cust_mobile_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("customers:customer_detail", args=[self.pk])

    def clean(self):
        if not self.id_number:
            return
        validator = validate_id_card if self.kind == CustomerKind.PERSON else validate_credit_code
        try:
            validator(self.id_number)
        except ValidationError as exc:
            raise ValidationError({"id_number": exc.messages}) from exc


class Asset(TimeStampedModel):
    """Something we service for a customer. One table for every kind; `kind` says which fields apply.

    The branch is the customer's, copied here so that asset lists are scoped without a join; the
    customer services keep the two equal. `search_text` is the asset's identifiers and its customer's
    name and mobile, rebuilt by the services (`customer_search_refresh`); the asset list searches there.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="assets", verbose_name=_("customer"))
    # db_index=False: the composite index (branch, -id) below serves every lookup by branch.
    branch = models.ForeignKey(
        "org.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch"), db_index=False
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AssetKind.choices, default=AssetKind.VEHICLE)
    # vehicle
    vin = models.CharField(_("VIN"), max_length=17, blank=True, validators=[validate_vin])
    plate = models.CharField(_("plate"), max_length=10, blank=True, validators=[validate_plate])
    brand = models.CharField(_("brand"), max_length=40, blank=True)
    model = models.CharField(_("model"), max_length=60, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    mileage = models.PositiveIntegerField(_("mileage (km)"), null=True, blank=True)
    insurance_expiry = models.DateField(_("insurance expiry"), null=True, blank=True)
    # device / equipment
    serial = models.CharField(_("serial number"), max_length=40, blank=True)
    imei = models.CharField(_("IMEI"), max_length=15, blank=True, validators=[validate_imei])
    # elevator
    registration_code = models.CharField(_("registration code"), max_length=40, blank=True)
    site = models.CharField(_("site"), max_length=200, blank=True)
    # furniture order
    order_number = models.CharField(_("order number"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    notes = models.TextField(_("notes"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    search_text = models.TextField(editable=False, blank=True, default="")

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["branch", "-id"], name="asset_branch_id_idx"),
            models.Index(fields=["vin"], name="asset_vin_idx"),
            models.Index(fields=["plate"], name="asset_plate_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["vin"],
                condition=~models.Q(vin=""),
                name="customers_asset_unique_vin",
                violation_error_message=_("Another vehicle already has this VIN."),
            ),
            models.UniqueConstraint(
                fields=["imei"],
                condition=~models.Q(imei=""),
                name="customers_asset_unique_imei",
                violation_error_message=_("Another device already has this IMEI."),
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("customers:asset_detail", args=[self.pk])

    @property
    def label(self) -> str:
        """How people name the asset: the plate or VIN of a car, the serial of a device …"""
        if self.kind == AssetKind.VEHICLE:
            name = " ".join(part for part in (self.brand, self.model) if part)
            return " ".join(part for part in (self.plate or self.vin, name) if part)
        if self.kind == AssetKind.ELEVATOR:
            return " ".join(part for part in (self.registration_code, self.site) if part)
        if self.kind == AssetKind.FURNITURE_ORDER:
            return self.order_number
        return " ".join(part for part in (self.model, self.serial or self.imei) if part)

    def clean(self):
        used = ASSET_KIND_FIELDS.get(self.kind, ())
        errors = {}
        for name in ASSET_SPECIFIC_FIELDS:
            if name not in used and getattr(self, name) not in ("", None):
                errors[name] = _("A %(kind)s has no %(field)s.") % {
                    "kind": self.get_kind_display(),
                    "field": self._meta.get_field(name).verbose_name,
                }
        required = ASSET_KIND_REQUIRED.get(self.kind, ())
        if required and not any(getattr(self, name) for name in required):
            errors[required[0]] = _("This field is required.")
        if self.year is not None and not 1950 <= self.year <= 2100:
            errors["year"] = _("Enter a year between 1950 and 2100.")
        if self.customer_id and self.branch_id and self.customer.branch_id != self.branch_id:
            errors["branch"] = _("An asset belongs to its customer's branch.")
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None):
        """Report a taken VIN or IMEI beside its field, not above the form.

        Django reports a conditional unique constraint as a non-field error; the one-field unique
        constraints here are moved onto their field so that pages, the API (`fields`) and the import
        name it.
        """
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            field_of = {
                str(constraint.get_violation_error_message()): constraint.fields[0]
                for constraint in self._meta.constraints
                if isinstance(constraint, models.UniqueConstraint) and len(constraint.fields) == 1
            }
            errors: dict[str, list] = {}
            for name, problems in exc.error_dict.items():
                for problem in problems:
                    target = field_of.get(str(problem.message), name) if name == NON_FIELD_ERRORS else name
                    errors.setdefault(target, []).append(problem)
            raise ValidationError(errors) from exc


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed")
    COMMITTED = "committed", _("Imported")
    DISCARDED = "discarded", _("Discarded")


class CustomerImport(TimeStampedModel):
    """An uploaded customer sheet: the rows as read and checked, kept until they are imported or dropped.

    Keeping the preview in the database (not in a session or a temp file) lets the confirming request
    land on any app server.
    """

    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    file_name = models.CharField(_("file"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED)
    rows = models.JSONField(_("rows"), default=list)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    warning_count = models.PositiveIntegerField(_("rows with warnings"), default=0)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def valid(self) -> bool:
        return self.error_count == 0 and self.row_count > 0
