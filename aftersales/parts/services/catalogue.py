"""Catalogue and locations: parts, suppliers, warehouses (one default per branch) and bins."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_created, model_update
from aftersales.org.access import user_sees_branch
from aftersales.parts.models import Bin, Part, Supplier, Warehouse

PART_FIELDS = (
    "code",
    "name",
    "oem_number",
    "brand",
    "category",
    "unit",
    "barcode",
    "retail_price",
    "warranty_price",
    "reorder_point",
    "reorder_quantity",
    "supplier",
    "active",
)
SUPPLIER_FIELDS = ("code", "name", "contact", "phone", "address", "notes", "active")
WAREHOUSE_FIELDS = ("code", "name", "branch", "is_default", "address", "active")
FEN = Decimal("0.01")


def _clean_text(data: dict) -> dict:
    return {key: value.strip() if isinstance(value, str) else value for key, value in data.items()}


def part_normalize(data: dict) -> dict:
    data = _clean_text(data)
    for key in ("code", "oem_number"):
        if data.get(key):
            data[key] = data[key].upper()
    for key in ("retail_price", "warranty_price", "reorder_point", "reorder_quantity"):
        if key in data:
            data[key] = _two_places(0 if data[key] in (None, "") else data[key])
    return data


def _two_places(value):
    """`58`, `"58.0"`, `58.000` → `Decimal("58.00")`, as stored, so that re-sending a price records no change.

    Anything else (a third decimal that is not 0, text) is left as it came for the field's validation to refuse.
    """
    try:
        number = Decimal(str(value).strip())
        if number.is_finite() and number == number.quantize(FEN):
            return number.quantize(FEN)
    except (InvalidOperation, ValueError):
        pass
    return value


# -- parts ------------------------------------------------------------------------------------------------------------


@transaction.atomic
def part_create(*, actor, code: str, name: str, **fields) -> Part:
    """A new catalogue entry. Codes are stored in capitals; a code already used is refused by the field."""
    require_perm(actor, "parts.add_part")
    data = part_normalize({"code": code, "name": name, **{k: v for k, v in fields.items() if k in PART_FIELDS}})
    part = Part(**data)
    part.full_clean()
    part.save()
    audit_created(actor=actor, instance=part, fields=PART_FIELDS)
    return part


@transaction.atomic
def part_update(*, actor, part: Part, data: dict) -> Part:
    """Change catalogue fields; each change is kept in the part's history (prices above all)."""
    require_perm(actor, "parts.change_part")
    model_update(instance=part, data=part_normalize({k: v for k, v in data.items() if k in PART_FIELDS}), actor=actor)
    return part


# -- suppliers --------------------------------------------------------------------------------------------------------


@transaction.atomic
def supplier_create(*, actor, code: str, name: str, **fields) -> Supplier:
    require_perm(actor, "parts.add_supplier")
    data = _clean_text(
        {"code": code.upper(), "name": name, **{k: v for k, v in fields.items() if k in SUPPLIER_FIELDS}}
    )
    supplier = Supplier(**data)
    supplier.full_clean()
    supplier.save()
    audit_created(actor=actor, instance=supplier, fields=SUPPLIER_FIELDS)
    return supplier


@transaction.atomic
def supplier_update(*, actor, supplier: Supplier, data: dict) -> Supplier:
    require_perm(actor, "parts.change_supplier")
    data = _clean_text({k: v for k, v in data.items() if k in SUPPLIER_FIELDS})
    if data.get("code"):
        data["code"] = data["code"].upper()
    model_update(instance=supplier, data=data, actor=actor)
    return supplier


# -- warehouses -------------------------------------------------------------------------------------------------------


def _require_branch(actor, branch) -> None:
    if branch is None:
        raise ValidationError({"branch": _("This field is required.")})
    if not user_sees_branch(actor, branch.pk):
        raise ValidationError({"branch": _("Choose a branch you work for.")})


def _unused_code(base: str) -> str:
    code, n = base, 1
    while Warehouse.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


def _default_warehouse_name(branch) -> str:
    """Stored data is named in the site's language, whoever (or whichever command) creates the branch."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(branch)s warehouse") % {"branch": branch.name}


def warehouse_default_for(branch) -> Warehouse:
    """The branch's default warehouse, made now if the branch has none yet (code = the branch code).

    Called by `org.services.branch_create`, so every branch gets its warehouse when it is created; the
    lazy path covers branches made before this app existed. Safe under concurrency: the partial unique
    index allows one default per branch, and the loser of a race reads the winner's row.
    """
    warehouse = Warehouse.objects.filter(branch=branch, is_default=True).first()
    if warehouse is not None:
        return warehouse
    try:
        with transaction.atomic():
            return Warehouse.objects.create(
                branch=branch,
                code=_unused_code(branch.code),
                name=_default_warehouse_name(branch),
                is_default=True,
            )
    except IntegrityError:
        return Warehouse.objects.get(branch=branch, is_default=True)


def _make_only_default(warehouse: Warehouse) -> None:
    Warehouse.objects.filter(branch_id=warehouse.branch_id, is_default=True).exclude(pk=warehouse.pk).update(
        is_default=False
    )


@transaction.atomic
def warehouse_create(*, actor, code: str, name: str, branch, is_default: bool = False, address: str = "") -> Warehouse:
    """A further warehouse of a branch. Made the default, it takes over from the branch's previous default."""
    require_perm(actor, "parts.add_warehouse")
    _require_branch(actor, branch)
    warehouse = Warehouse(
        code=code.strip().upper(), name=name.strip(), branch=branch, is_default=False, address=address.strip()
    )
    warehouse.full_clean()
    warehouse.save()
    if is_default or not Warehouse.objects.filter(branch=branch, is_default=True).exists():
        _make_only_default(warehouse)
        warehouse.is_default = True
        warehouse.save(update_fields=["is_default"])
    audit_created(actor=actor, instance=warehouse, fields=WAREHOUSE_FIELDS)
    return warehouse


@transaction.atomic
def warehouse_update(*, actor, warehouse: Warehouse, data: dict) -> Warehouse:
    """Rename, move the default, close. A warehouse that holds stock stays in its branch and stays open."""
    require_perm(actor, "parts.change_warehouse")
    if not user_sees_branch(actor, warehouse.branch_id):
        raise Http404
    data = _clean_text({k: v for k, v in data.items() if k in WAREHOUSE_FIELDS})
    if data.get("code"):
        data["code"] = data["code"].upper()
    holds_stock = warehouse.balances.filter(on_hand__gt=0).exists()
    if "branch" in data and data["branch"] != warehouse.branch:
        _require_branch(actor, data["branch"])
        if holds_stock:
            raise ValidationError({"branch": _("The warehouse holds stock; transfer it out before moving it.")})
    if data.get("active") is False and holds_stock:
        raise ValidationError({"active": _("The warehouse holds stock; transfer it out before closing it.")})
    if data.get("is_default") is False and warehouse.is_default:
        raise ValidationError({"is_default": _("Make another warehouse the default instead.")})
    if data.get("is_default") and not warehouse.is_default:
        _make_only_default(warehouse)
    model_update(instance=warehouse, data=data, actor=actor)
    return warehouse


@transaction.atomic
def bin_create(*, actor, warehouse: Warehouse, code: str, name: str = "") -> Bin:
    require_perm(actor, "parts.change_warehouse")
    if not user_sees_branch(actor, warehouse.branch_id):
        raise Http404
    bin_ = Bin(warehouse=warehouse, code=code.strip().upper(), name=name.strip())
    bin_.full_clean()
    bin_.save()
    return bin_


@transaction.atomic
def balance_bin_set(*, actor, warehouse: Warehouse, part: Part, bin: Bin | None):
    """Where a part lives in a warehouse (its home bin)."""
    from aftersales.parts.services.ledger import balances_lock

    require_perm(actor, "parts.change_warehouse")
    if not user_sees_branch(actor, warehouse.branch_id):
        raise Http404
    if bin is not None and bin.warehouse_id != warehouse.pk:
        raise ValidationError({"bin": _("Choose a bin of warehouse %(code)s.") % {"code": warehouse.code}})
    balance = balances_lock([(part.pk, warehouse.pk)])[(part.pk, warehouse.pk)]
    balance.bin = bin
    balance.save(update_fields=["bin", "updated_at"])
    return balance
