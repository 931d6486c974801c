"""Writes of customers and assets. Pages, the API, the importer and commands all come through here."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_created, audit_record, model_update
from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction
from aftersales.core.validators import (
    normalize_id_number,
    normalize_imei,
    normalize_mobile,
    normalize_plate,
    normalize_vin,
    vin_check_digit,
    vin_check_digit_ok,
)
from aftersales.customers.choices import ASSET_SPECIFIC_FIELDS, AssetKind
from aftersales.customers.models import Asset, Customer, CustomerImport, ImportStatus
from aftersales.org.access import user_sees_branch

CUSTOMER_FIELDS = ("kind", "name", "mobile", "id_number", "address", "source", "notes", "branch", "active")
ASSET_FIELDS = ("kind", "customer", *ASSET_SPECIFIC_FIELDS, "notes", "active")


class VinConfirmationRequired(ValidationError):
    """The VIN's check digit (9th character) is wrong: saved only when the user confirms it."""

    code = "vin_confirmation_required"


# -- normalisation ----------------------------------------------------------------------------------------------------


def _clean_text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def customer_normalize(data: dict) -> dict:
    data = {key: _clean_text(value) for key, value in data.items()}
    if "mobile" in data:
        data["mobile"] = normalize_mobile(data["mobile"] or "")
    if "id_number" in data:
        data["id_number"] = normalize_id_number(data["id_number"] or "")
    return data


def asset_normalize(data: dict) -> dict:
    data = {key: _clean_text(value) for key, value in data.items()}
    for name, normalize in (("vin", normalize_vin), ("plate", normalize_plate), ("imei", normalize_imei)):
        if name in data:
            data[name] = normalize(data[name] or "")
    for name in ASSET_SPECIFIC_FIELDS:
        if name in data and data[name] is None and name not in ("year", "mileage", "insurance_expiry"):
            data[name] = ""
    return data


def vin_warning(vin: str) -> str | None:
    """The message for a VIN whose check digit is wrong, or None when it is right or absent."""
    if not vin or len(vin) != 17 or vin_check_digit_ok(vin):
        return None
    try:
        expected = vin_check_digit(vin)
    except KeyError:
        return None  # not a valid VIN at all: the field validator says so
    return _(
        "The check digit of VIN %(vin)s is %(actual)s but should be %(expected)s. Check the VIN; "
        "if it is right as typed, confirm it."
    ) % {"vin": vin, "actual": vin[8], "expected": expected}


def _check_vin(vin: str, confirm_vin: bool) -> None:
    warning = vin_warning(vin)
    if warning and not confirm_vin:
        raise VinConfirmationRequired({"vin": ValidationError(warning, code="vin_check_digit")})


# -- search digest ----------------------------------------------------------------------------------------------------

SEARCH_ASSET_FIELDS = ("vin", "plate", "serial", "imei", "registration_code", "order_number")


def search_normalize(text: str) -> str:
    """How both the digest and a query are written: upper case, no spaces."""
    from aftersales.core.validators import to_halfwidth

    return "".join(to_halfwidth(text or "").upper().split())


def customer_search_text(customer: Customer, asset_values: list[tuple]) -> str:
    parts = [customer.name, customer.mobile, customer.id_number]
    for values in asset_values:
        parts.extend(values)
    return " ".join(search_normalize(p) for p in parts if p)


def asset_search_text(asset_values: tuple, customer: Customer) -> str:
    """An asset's digest: its own identifiers, then its customer's name and mobile."""
    return " ".join(search_normalize(p) for p in (*asset_values, customer.name, customer.mobile) if p)


def customer_search_refresh(customer: Customer) -> None:
    """Rebuild the digests of a customer and of each of its assets; write only those that changed.

    The customer's digest holds its active assets' identifiers, newest first; each asset's holds its
    customer's name and mobile, so both lists answer a search with one indexed column.
    """
    assets = list(customer.assets.only("id", "active", "search_text", *SEARCH_ASSET_FIELDS).order_by("-id"))
    values = [tuple(getattr(asset, name) for name in SEARCH_ASSET_FIELDS) for asset in assets]
    text = customer_search_text(customer, [v for asset, v in zip(assets, values, strict=True) if asset.active])
    if text != customer.search_text:
        customer.search_text = text
        Customer.objects.filter(pk=customer.pk).update(search_text=text)
    stale = []
    for asset, asset_values in zip(assets, values, strict=True):
        digest = asset_search_text(asset_values, customer)
        if digest != asset.search_text:
            asset.search_text = digest
            stale.append(asset)
    if stale:
        Asset.objects.bulk_update(stale, ["search_text"])


# -- customers --------------------------------------------------------------------------------------------------------


def _require_visible(actor, obj) -> None:
    """Callers fetch objects through the funnel; this keeps a service safe from one that did not."""
    if not user_sees_branch(actor, obj.branch_id):
        raise Http404


def _require_branch(actor, branch) -> None:
    if branch is None:
        raise ValidationError({"branch": _("This field is required.")})
    if not user_sees_branch(actor, branch.pk):
        raise ValidationError({"branch": _("Choose a branch you work for.")})


@transaction.atomic
def customer_create(
    *,
    actor,
    name: str,
    branch,
    kind: str = "person",
    mobile: str = "",
    id_number: str = "",
    address: str = "",
    source: str = "walk_in",
    notes: str = "",
) -> Customer:
    require_perm(actor, "customers.add_customer")
    _require_branch(actor, branch)
    data = customer_normalize(
        dict(kind=kind, name=name, mobile=mobile, id_number=id_number, address=address, source=source, notes=notes)
    )
    customer = Customer(branch=branch, created_by=actor if actor.pk else None, **data)
    customer.full_clean(exclude=["search_text"])
    customer.search_text = customer_search_text(customer, [])
    customer.save()
    audit_created(actor=actor, instance=customer, fields=CUSTOMER_FIELDS)
    return customer


@transaction.atomic
def customer_update(*, actor, customer: Customer, data: dict) -> Customer:
    require_perm(actor, "customers.change_customer")
    _require_visible(actor, customer)
    data = customer_normalize({k: v for k, v in data.items() if k in CUSTOMER_FIELDS})
    moving = "branch" in data and data["branch"] != customer.branch
    if moving:
        _require_branch(actor, data["branch"])
    model_update(instance=customer, data=data, actor=actor)
    if moving:
        customer.assets.update(branch=customer.branch)
    customer_search_refresh(customer)
    return customer


# -- assets -----------------------------------------------------------------------------------------------------------


@transaction.atomic
def asset_create(
    *, actor, customer: Customer, kind: str, confirm_vin: bool = False, notes: str = "", **fields
) -> Asset:
    require_perm(actor, "customers.add_asset")
    _require_visible(actor, customer)
    unknown = set(fields) - set(ASSET_SPECIFIC_FIELDS)
    if unknown:
        raise TypeError(f"unknown asset fields: {sorted(unknown)}")
    data = asset_normalize({"kind": kind, "notes": notes, **fields})
    asset = Asset(customer=customer, branch_id=customer.branch_id, **data)
    asset.full_clean()
    if asset.kind == AssetKind.VEHICLE:
        _check_vin(asset.vin, confirm_vin)
    asset.save()
    audit_created(actor=actor, instance=asset, fields=ASSET_FIELDS)
    customer_search_refresh(customer)
    return asset


@transaction.atomic
def asset_update(*, actor, asset: Asset, data: dict, confirm_vin: bool = False) -> Asset:
    require_perm(actor, "customers.change_asset")
    _require_visible(actor, asset)
    data = asset_normalize({k: v for k, v in data.items() if k in ASSET_FIELDS})
    old_customer = asset.customer
    if "customer" in data and data["customer"] != old_customer:
        _require_branch(actor, data["customer"].branch)
        data["branch"] = data["customer"].branch
    if "vin" in data and data["vin"] != asset.vin and (data.get("kind") or asset.kind) == AssetKind.VEHICLE:
        _check_vin(data["vin"], confirm_vin)
    model_update(instance=asset, data=data, actor=actor)
    customer_search_refresh(asset.customer)
    if asset.customer != old_customer:
        customer_search_refresh(old_customer)
    return asset


# -- import -----------------------------------------------------------------------------------------------------------


@transaction.atomic
def customer_import_preview(*, actor, branch, upload) -> CustomerImport:
    """Read and check an uploaded sheet; keep the result for the user to confirm. Saves no customer."""
    from django.conf import settings

    from aftersales.core.xlsx import read_xlsx_upload
    from aftersales.customers.imports import check_rows, map_headers, parse_row

    require_perm(actor, "customers.import_customer")
    _require_branch(actor, branch)
    config = settings.AFTERSALES
    headers, raw_rows = read_xlsx_upload(
        upload, max_bytes=config["IMPORT_MAX_BYTES"], max_rows=config["IMPORT_MAX_ROWS"]
    )
    mapping = map_headers(headers)
    rows = [parse_row(index + 2, values, mapping) for index, values in enumerate(raw_rows)]
    if not rows:
        raise ValidationError({"file": _("The sheet has a header row but no customers.")})
    check_rows(rows, branch=branch)
    return CustomerImport.objects.create(
        branch=branch,
        created_by=actor,
        file_name=getattr(upload, "name", "")[:200],
        rows=[row.as_json() for row in rows],
        row_count=len(rows),
        error_count=sum(1 for row in rows if row.errors),
        warning_count=sum(1 for row in rows if row.warnings),
    )


def _recheck(batch: CustomerImport) -> list:
    """Check the kept rows again: the database may have changed since the preview."""
    from aftersales.customers.imports import ParsedRow, check_rows

    rows = []
    for data in batch.rows:
        parse_errors = list(data.get("parse_errors", []))
        rows.append(
            ParsedRow(
                line=data["line"],
                customer=dict(data["customer"]),
                asset=dict(data["asset"]) if data["asset"] else None,
                errors=list(parse_errors),
                parse_errors=parse_errors,
            )
        )
    check_rows(rows, branch=batch.branch)
    return rows


def customer_import_commit(*, actor, batch: CustomerImport, confirm_vin: bool = False) -> int:
    """Save every row of a checked sheet in one transaction, or nothing. Returns the number of new customers."""
    require_perm(actor, "customers.import_customer")
    _require_visible(actor, batch)
    # A stale copy (a second tab, a double click) must neither import again nor overwrite the imported rows.
    batch.refresh_from_db(fields=["status"])
    if batch.status != ImportStatus.PREVIEWED:
        raise Conflict(_("This sheet has already been imported or discarded."))
    rows = _recheck(batch)
    failed = [row for row in rows if row.errors]
    if failed:
        batch.rows = [row.as_json() for row in rows]
        batch.error_count = len(failed)
        kept = CustomerImport.objects.filter(pk=batch.pk, status=ImportStatus.PREVIEWED).update(
            rows=batch.rows, error_count=batch.error_count, updated_at=timezone.now()
        )
        if not kept:
            raise Conflict(_("This sheet has already been imported or discarded."))
        raise ValidationError(
            _("%(count)d rows have errors; nothing was imported. First: line %(line)d: %(error)s")
            % {"count": len(failed), "line": failed[0].line, "error": failed[0].errors[0]}
        )
    if any(row.warnings for row in rows) and not confirm_vin:
        raise VinConfirmationRequired({"confirm_vin": _("Some VINs have a wrong check digit: confirm them to import.")})
    return _customer_import_save(actor=actor, batch=batch, rows=rows)


@transaction.atomic
def _customer_import_save(*, actor, batch: CustomerImport, rows: list) -> int:
    locked = CustomerImport.objects.select_for_update().get(pk=batch.pk)
    if locked.status != ImportStatus.PREVIEWED:
        raise Conflict(_("This sheet has already been imported or discarded."))
    customers: dict[tuple, Customer] = {}
    existing_ids = {row.existing_customer_id for row in rows if row.existing_customer_id}
    existing = {c.pk: c for c in Customer.objects.filter(pk__in=existing_ids)}
    created = 0
    for row in rows:
        key = (row.customer["name"], row.customer["mobile"])
        customer = customers.get(key) or existing.get(row.existing_customer_id)
        if customer is None:
            customer = customer_create(actor=actor, branch=batch.branch, **row.customer)
            created += 1
        customers[key] = customer
        if row.asset:
            asset_create(actor=actor, customer=customer, kind=AssetKind.VEHICLE, confirm_vin=True, **row.asset)
    locked.status = ImportStatus.COMMITTED
    locked.committed_at = timezone.now()
    locked.save(update_fields=["status", "committed_at", "updated_at"])
    audit_record(
        actor=actor,
        instance=locked,
        action=AuditAction.IMPORT,
        payload={"rows": len(rows), "customers_created": created},
    )
    batch.status, batch.committed_at = locked.status, locked.committed_at
    return created


@transaction.atomic
def customer_import_discard(*, actor, batch: CustomerImport) -> None:
    require_perm(actor, "customers.import_customer")
    _require_visible(actor, batch)
    if batch.status != ImportStatus.PREVIEWED:
        raise Conflict(_("This sheet has already been imported or discarded."))
    batch.status = ImportStatus.DISCARDED
    batch.save(update_fields=["status", "updated_at"])


@transaction.atomic
def customer_register(*, actor, customer: dict, vehicle: dict | None = None, confirm_vin: bool = False) -> Customer:
    """Reception's "new customer": the customer and, when given, their first vehicle, both or neither."""
    created = customer_create(actor=actor, **customer)
    if vehicle:
        asset_create(actor=actor, customer=created, kind=AssetKind.VEHICLE, confirm_vin=confirm_vin, **vehicle)
    return created
