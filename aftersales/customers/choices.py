from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    COMPANY = "company", _("Company")


class CustomerSource(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    PHONE = "phone", _("Phone")
    REFERRAL = "referral", _("Referral")
    ONLINE = "online", _("Online")
    VEHICLE_SALE = "vehicle_sale", _("Bought from us")
    INSURANCE = "insurance", _("Insurance company")
    FLEET = "fleet", _("Fleet contract")
    IMPORT = "import", _("Imported")
    OTHER = "other", _("Other")


class AssetKind(models.TextChoices):
    VEHICLE = "vehicle", _("Vehicle")
    DEVICE = "device", _("Device")
    ELEVATOR = "elevator", _("Elevator")
    FURNITURE_ORDER = "furniture_order", _("Furniture order")
    EQUIPMENT = "equipment", _("Equipment")


#: The fields each kind of asset uses; the others stay empty.
ASSET_KIND_FIELDS: dict[str, tuple[str, ...]] = {
    AssetKind.VEHICLE: ("vin", "plate", "brand", "model", "year", "mileage", "insurance_expiry"),
    AssetKind.DEVICE: ("serial", "imei", "brand", "model"),
    AssetKind.ELEVATOR: ("registration_code", "site", "brand", "model"),
    AssetKind.FURNITURE_ORDER: ("order_number", "address"),
    AssetKind.EQUIPMENT: ("serial", "brand", "model"),
}
ASSET_SPECIFIC_FIELDS = (
    "vin",
    "plate",
    "brand",
    "model",
    "year",
    "mileage",
    "insurance_expiry",
    "serial",
    "imei",
    "registration_code",
    "site",
    "order_number",
    "address",
)
#: Each kind must have at least one of these filled in.
ASSET_KIND_REQUIRED: dict[str, tuple[str, ...]] = {
    AssetKind.VEHICLE: ("vin",),
    AssetKind.DEVICE: ("serial", "imei"),
    AssetKind.ELEVATOR: ("registration_code",),
    AssetKind.FURNITURE_ORDER: ("order_number",),
    AssetKind.EQUIPMENT: ("serial",),
}
