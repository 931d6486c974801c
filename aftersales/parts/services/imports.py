"""Import of the parts catalogue and opening stock from an xlsx sheet (配件及期初库存导入).

One row is one part. A code already in the catalogue updates the fields the row gives (blank cells
leave a field as it is); a new code creates the part. A row with an opening quantity receives that
stock at its opening unit cost into its warehouse (the chosen branch's default warehouse unless the
row names one), one receipt per warehouse. Opening stock is refused for a part that already has
moves in that warehouse: after the first move, stock changes through receipts and stocktakes.

The import is all or nothing: the preview lists every row's errors (each naming the line and the
column) and is kept in a `PartImport` row, so the confirming request may land on any app server;
the commit checks everything again and saves every row in one transaction, or nothing.
"""

import copy
import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_record
from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction
from aftersales.core.xlsx import SheetColumn, sheet_columns_map
from aftersales.org.access import user_sees_branch
from aftersales.parts.choices import ImportStatus
from aftersales.parts.models import Bin, Part, PartImport, StockBalance, Supplier, Warehouse


def Column(key: str, zh: str, en: str, aliases: tuple[str, ...] = ()) -> SheetColumn:
    return SheetColumn(key, zh, en, aliases=aliases)


COLUMNS: tuple[SheetColumn, ...] = (
    Column("code", "配件编码", "Part code", ("编码", "配件号", "零件号", "零件编码", "part_no")),
    Column("name", "名称", "Name", ("配件名称", "品名", "零件名称")),
    Column("oem_number", "OEM号", "OEM number", ("OEM", "OE号", "原厂号", "原厂编号")),
    Column("brand", "品牌", "Brand"),
    Column("category", "类别", "Category", ("分类", "配件类别")),
    Column("unit", "单位", "Unit", ("计量单位",)),
    Column("barcode", "条码", "Barcode", ("条形码",)),
    Column("retail_price", "零售价", "Retail price", ("售价", "销售价")),
    Column("warranty_price", "保修价", "Warranty price", ("索赔价",)),
    Column("reorder_point", "订货点", "Reorder point", ("再订货点",)),
    Column("reorder_quantity", "订货量", "Reorder quantity", ("订货数量",)),
    Column("supplier", "供应商编码", "Supplier code", ("供应商", "supplier_code")),
    Column("warehouse", "仓库编码", "Warehouse code", ("仓库", "warehouse_code")),
    Column("bin", "库位", "Bin", ("库位编码", "货位")),
    Column("quantity", "期初数量", "Opening quantity", ("期初库存", "opening_quantity")),
    Column("unit_cost", "期初单价", "Opening unit cost", ("期初成本", "opening_unit_cost")),
)
#: The catalogue fields a row may set, as text (the decimal ones are checked by the model).
TEXT_KEYS = ("name", "oem_number", "brand", "category", "unit", "barcode")
DECIMAL_KEYS = ("retail_price", "warranty_price", "reorder_point", "reorder_quantity")
FEN = Decimal("0.01")


def _labels() -> dict[str, str]:
    return {c.key: c.label() for c in COLUMNS}


def column_labels() -> list[str]:
    return [c.label() for c in COLUMNS]


def template_example() -> list:
    """One example row for the downloadable template, in the order of `COLUMNS`."""
    return [
        "OF-15400RTA",
        "机油滤清器",
        "15400-RTA-003",
        "本田",
        "滤清器",
        "个",
        "6901234567892",
        58,
        45,
        10,
        30,
        "BOSCH",
        "",
        "A-01-01",
        20,
        32.5,
    ]


def map_headers(headers: list[str]) -> dict[str, int]:
    """Column key → index in the sheet. Refuses a sheet without the part code column or with an unknown header."""
    return sheet_columns_map(headers, COLUMNS, required="code")


# -- reading a row ------------------------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        value = _number_text(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).strip()


def _number_text(value) -> str:
    """A cell as the text of a number. Floats lose their binary noise (0.30000000000000004 → 0.3)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(round(value, 6))).normalize(), "f")
    if isinstance(value, int | Decimal):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    return re.sub(r"[\s,，¥￥]", "", str(value or ""))


def _decimal(text: str, label: str, errors: list[str]) -> Decimal | None:
    if text == "":
        return None
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        errors.append(_("%(column)s: “%(value)s” is not a number.") % {"column": label, "value": text})
        return None
    return number


@dataclass
class ParsedRow:
    """One sheet row: what it gives (as text, JSON-safe), the problems found, and what it resolves to."""

    line: int
    values: dict
    errors: list[str] = field(default_factory=list)
    parse_errors: list[str] = field(default_factory=list)  # what the sheet itself got wrong, before any check
    existing_part_id: int | None = None
    warehouse_code: str = ""
    # Resolved by `check_rows`, not kept in the JSON:
    part: Part | None = None
    warehouse: Warehouse | None = None
    bin: Bin | None = None
    quantity: Decimal | None = None
    unit_cost: Decimal | None = None

    @property
    def code(self) -> str:
        return self.values.get("code", "")

    def as_json(self) -> dict:
        return {
            "line": self.line,
            "values": self.values,
            "errors": self.errors,
            "parse_errors": self.parse_errors,
            "existing_part_id": self.existing_part_id,
            "warehouse_code": self.warehouse_code,
        }

    @classmethod
    def from_json(cls, data: dict) -> "ParsedRow":
        parse_errors = list(data.get("parse_errors", []))
        return cls(line=data["line"], values=dict(data["values"]), errors=list(parse_errors), parse_errors=parse_errors)


def parse_row(line: int, cells: list, mapping: dict[str, int]) -> ParsedRow:
    """Read one sheet row into text values keyed by column (no database access). Blank cells are left out."""
    values: dict[str, str] = {}
    for key, index in mapping.items():
        raw = cells[index] if index < len(cells) else None
        if key in DECIMAL_KEYS or key in ("quantity", "unit_cost"):
            text = _number_text(raw) if raw not in (None, "") else ""
        else:
            text = _text(raw)
        if text != "":
            values[key] = text
    for key in ("code", "oem_number", "supplier", "warehouse", "bin"):
        if key in values:
            values[key] = values[key].upper()
    labels = _labels()
    errors: list[str] = []
    for key in (*DECIMAL_KEYS, "quantity", "unit_cost"):
        if key in values:
            _decimal(values[key], labels[key], errors)
    return ParsedRow(line=line, values=values, errors=errors, parse_errors=list(errors))


# -- checking the rows against the database ---------------------------------------------------------------------------

#: Model field → sheet column, for the model's own validation messages.
_FIELD_COLUMNS = {**{key: key for key in (*TEXT_KEYS, *DECIMAL_KEYS)}, "code": "code", "supplier": "supplier"}


def _model_messages(exc: ValidationError, labels: dict[str, str], model=Part) -> list[str]:
    messages = []
    for name, problems in exc.message_dict.items():
        if name == "__all__":
            messages.extend(problems)
            continue
        label = labels.get(_FIELD_COLUMNS.get(name, ""))
        if label is None:
            try:
                label = str(model._meta.get_field(name).verbose_name)
            except FieldDoesNotExist:
                label = name
        messages.extend(f"{label}: {problem}" for problem in problems)
    return messages


def _stock_messages(exc: ValidationError, label: str) -> list[str]:
    return [f"{label}: {problem}" for problems in exc.message_dict.values() for problem in problems]


@dataclass
class _Lookups:
    parts: dict[str, Part]
    suppliers: dict[str, Supplier]
    warehouses: dict[str, Warehouse]
    bins: dict[tuple[int, str], Bin]
    moved: set[tuple[int, int]]


def _lookups(rows: list[ParsedRow], *, actor, default: Warehouse) -> _Lookups:
    """Everything the rows refer to, in a fixed number of queries whatever the sheet's size."""
    codes = {row.code for row in rows if row.code}
    parts = {p.code: p for p in Part.objects.filter(code__in=codes).select_related("supplier")}
    supplier_codes = {row.values["supplier"] for row in rows if "supplier" in row.values}
    suppliers = {s.code: s for s in Supplier.objects.filter(code__in=supplier_codes)}
    warehouse_codes = {row.values["warehouse"] for row in rows if "warehouse" in row.values}
    warehouses = {w.code: w for w in Warehouse.objects.for_user(actor).filter(code__in=warehouse_codes)}
    warehouses[default.code] = default
    bin_codes = {row.values["bin"] for row in rows if "bin" in row.values}
    bins = {
        (b.warehouse_id, b.code): b
        for b in Bin.objects.filter(warehouse__in=list(warehouses.values()), code__in=bin_codes)
    }
    stocked_parts = [parts[row.code].pk for row in rows if "quantity" in row.values and row.code in parts]
    moved = set(
        StockBalance.objects.filter(
            part_id__in=stocked_parts, warehouse__in=list(warehouses.values()), last_move_at__isnull=False
        ).values_list("part_id", "warehouse_id")
    )
    return _Lookups(parts=parts, suppliers=suppliers, warehouses=warehouses, bins=bins, moved=moved)


def _check_duplicates(rows: list[ParsedRow], labels: dict[str, str]) -> None:
    lines: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.code:
            lines[row.code].append(row.line)
    for row in rows:
        others = [line for line in lines.get(row.code, ()) if line != row.line]
        if others:
            row.errors.append(
                _("%(column)s: %(code)s is also on line %(lines)s.")
                % {"column": labels["code"], "code": row.code, "lines": ", ".join(str(n) for n in others)}
            )


def _check_part(row: ParsedRow, found: _Lookups, labels: dict[str, str]) -> None:
    """The part the row creates or updates, validated by the model (not saved)."""
    values = row.values
    existing = found.parts.get(row.code)
    data: dict = {key: values[key] for key in TEXT_KEYS if key in values}
    # Decimal cells that are not numbers were reported when the row was read; they are left out here.
    data.update({key: Decimal(values[key]) for key in DECIMAL_KEYS if key in values and not _bad_decimal(values[key])})
    if "supplier" in values:
        supplier = found.suppliers.get(values["supplier"])
        if supplier is None:
            row.errors.append(
                _("%(column)s: there is no supplier with code %(code)s.")
                % {"column": labels["supplier"], "code": values["supplier"]}
            )
        else:
            data["supplier"] = supplier
    exclude = ["supplier"]  # found above in one query for the sheet; the field's own check would ask per row
    if existing is None:
        row.existing_part_id = None
        part = Part(code=row.code)
        if not values.get("name"):
            row.errors.append(_("%(column)s: required for a new part.") % {"column": labels["name"]})
            exclude.append("name")
        if not row.code:
            exclude.append("code")  # reported as required already
    else:
        row.existing_part_id = existing.pk
        part = copy.copy(existing)
    for key, value in data.items():
        setattr(part, key, value)
    try:
        part.full_clean(validate_unique=False, exclude=exclude)
    except ValidationError as exc:
        row.errors.extend(_model_messages(exc, labels))
    row.part = part


def _bad_decimal(text) -> bool:
    if text is None:
        return False
    try:
        return not Decimal(text).is_finite()
    except (InvalidOperation, ValueError):
        return True


def _check_stock(row: ParsedRow, found: _Lookups, default: Warehouse, labels: dict[str, str]) -> None:
    """Where the row's stock goes: its warehouse and bin, and the opening quantity and unit cost."""
    from aftersales.parts.services.ledger import quantity_clean, unit_cost_clean

    values = row.values
    code = values.get("warehouse") or default.code
    row.warehouse_code = code
    warehouse = found.warehouses.get(code)
    if warehouse is None:
        row.errors.append(
            _("%(column)s: there is no warehouse %(code)s that you can use.")
            % {"column": labels["warehouse"], "code": code}
        )
    elif not warehouse.active:
        row.errors.append(
            _("%(column)s: warehouse %(code)s is closed.") % {"column": labels["warehouse"], "code": code}
        )
    row.warehouse = warehouse
    if "bin" in values and warehouse is not None:
        row.bin = found.bins.get((warehouse.pk, values["bin"]))
        if row.bin is None:
            try:
                Bin(warehouse=warehouse, code=values["bin"]).clean_fields(exclude=["warehouse", "name"])
            except ValidationError as exc:
                row.errors.extend(_stock_messages(exc, labels["bin"]))
        elif not row.bin.active:
            row.errors.append(
                _("%(column)s: bin %(code)s is closed.") % {"column": labels["bin"], "code": row.bin.code}
            )

    quantity_text, cost_text = values.get("quantity"), values.get("unit_cost")
    if quantity_text is None:
        if cost_text is not None:
            row.errors.append(_("%(column)s: given without an opening quantity.") % {"column": labels["unit_cost"]})
        return
    if _bad_decimal(quantity_text) or Decimal(quantity_text) == 0:
        return  # not a number: reported when the row was read; 0: no opening stock
    try:
        row.quantity = quantity_clean(quantity_text)
    except ValidationError as exc:
        row.errors.extend(_stock_messages(exc, labels["quantity"]))
    if cost_text is None:
        row.errors.append(
            _("%(column)s: required when an opening quantity is given.") % {"column": labels["unit_cost"]}
        )
    elif not _bad_decimal(cost_text):
        try:
            row.unit_cost = unit_cost_clean(cost_text)
        except ValidationError as exc:
            row.errors.extend(_stock_messages(exc, labels["unit_cost"]))
    existing = found.parts.get(row.code)
    if existing is not None and not existing.active:
        row.errors.append(
            _("%(column)s: part %(code)s is no longer active; it cannot take opening stock.")
            % {"column": labels["quantity"], "code": row.code}
        )
    if existing is not None and warehouse is not None and (existing.pk, warehouse.pk) in found.moved:
        row.errors.append(
            _("%(column)s: %(code)s already has stock moves in warehouse %(warehouse)s; use a receipt or a stocktake.")
            % {"column": labels["quantity"], "code": row.code, "warehouse": warehouse.code}
        )


def check_rows(rows: list[ParsedRow], *, actor, branch) -> None:
    """Check every row against the models and the database, filling in each row's errors (line and column).

    Queries: a fixed handful for the whole sheet (parts, suppliers, warehouses, bins, balances with moves).
    """
    from aftersales.parts.services.catalogue import warehouse_default_for

    labels = _labels()
    default = warehouse_default_for(branch)
    found = _lookups(rows, actor=actor, default=default)
    _check_duplicates(rows, labels)
    for row in rows:
        if not row.code:
            row.errors.append(_("%(column)s: required.") % {"column": labels["code"]})
        _check_part(row, found, labels)
        _check_stock(row, found, default, labels)


# -- the use cases ------------------------------------------------------------------------------------------------------


def _require_branch(actor, branch) -> None:
    if branch is None:
        raise ValidationError({"branch": _("This field is required.")})
    if not user_sees_branch(actor, branch.pk):
        raise ValidationError({"branch": _("Choose a branch you work for.")})


def _require_visible(actor, batch: PartImport) -> None:
    """Callers fetch the batch through the funnel; this keeps the service safe from one that did not."""
    if not user_sees_branch(actor, batch.branch_id):
        raise Http404


def _require_stock_perms(actor, rows: list[ParsedRow]) -> None:
    if any("quantity" in row.values for row in rows):
        require_perm(actor, "parts.receive_stock")


@transaction.atomic
def part_import_preview(*, actor, branch, upload) -> PartImport:
    """Read and check an uploaded sheet; keep the result for the user to confirm. Saves no part and no stock.

    `branch` is the branch whose default warehouse takes the opening stock of rows that name no warehouse.
    """
    from aftersales.core.xlsx import read_xlsx_upload

    require_perm(actor, "parts.import_part")
    _require_branch(actor, branch)
    config = settings.AFTERSALES
    headers, raw_rows = read_xlsx_upload(
        upload, max_bytes=config["IMPORT_MAX_BYTES"], max_rows=config["IMPORT_MAX_ROWS"]
    )
    mapping = map_headers(headers)
    rows = [parse_row(index + 2, values, mapping) for index, values in enumerate(raw_rows)]
    if not rows:
        raise ValidationError({"file": _("The sheet has a header row but no parts.")})
    _require_stock_perms(actor, rows)
    check_rows(rows, actor=actor, branch=branch)
    return PartImport.objects.create(
        branch=branch,
        created_by=actor,
        file_name=getattr(upload, "name", "")[:200],
        rows=[row.as_json() for row in rows],
        row_count=len(rows),
        error_count=sum(1 for row in rows if row.errors),
    )


def _recheck(batch: PartImport, actor) -> list[ParsedRow]:
    """Check the kept rows again, as the committing user: the database may have changed since the preview."""
    rows = [ParsedRow.from_json(data) for data in batch.rows]
    check_rows(rows, actor=actor, branch=batch.branch)
    return rows


def _already_done() -> Conflict:
    return Conflict(_("This sheet has already been imported or discarded."), code="import_closed")


@dataclass(frozen=True)
class PartImportResult:
    created: int
    updated: int
    receipts: int


def part_import_commit(*, actor, batch: PartImport) -> PartImportResult:
    """Save every row of a checked sheet in one transaction, or nothing.

    Refused (`ValidationError`, nothing saved, the rows' new errors kept on the batch) when any row has an
    error now. Opening stock needs `parts.receive_stock` too.
    """
    require_perm(actor, "parts.import_part")
    _require_visible(actor, batch)
    # A stale copy (a second tab, a double click) must neither import again nor overwrite the imported rows.
    batch.refresh_from_db(fields=["status"])
    if batch.status != ImportStatus.PREVIEWED:
        raise _already_done()
    rows = _recheck(batch, actor)
    _require_stock_perms(actor, rows)
    failed = [row for row in rows if row.errors]
    if failed:
        batch.rows = [row.as_json() for row in rows]
        batch.error_count = len(failed)
        kept = PartImport.objects.filter(pk=batch.pk, status=ImportStatus.PREVIEWED).update(
            rows=batch.rows, error_count=batch.error_count, updated_at=timezone.now()
        )
        if not kept:
            raise _already_done()
        raise ValidationError(
            _("%(count)d rows have errors; nothing was imported. First: line %(line)d: %(error)s")
            % {"count": len(failed), "line": failed[0].line, "error": failed[0].errors[0]}
        )
    return _part_import_save(actor=actor, batch=batch, rows=rows)


def _require_no_moves_yet(rows: list[ParsedRow]) -> None:
    """The check of the preview, again under the balances' row locks: another import or a receipt may have won."""
    from aftersales.parts.services.ledger import balances_lock

    stocked = [row for row in rows if row.quantity is not None]
    balances = balances_lock((row.part.pk, row.warehouse.pk) for row in stocked)
    for row in stocked:
        if balances[(row.part.pk, row.warehouse.pk)].last_move_at is not None:
            raise Conflict(
                _(
                    "Line %(line)d: %(column)s: %(code)s already has stock moves in warehouse %(warehouse)s; "
                    "nothing was imported."
                )
                % {
                    "line": row.line,
                    "column": _labels()["quantity"],
                    "code": row.code,
                    "warehouse": row.warehouse.code,
                },
                code="opening_stock_exists",
            )


@transaction.atomic
def _part_import_save(*, actor, batch: PartImport, rows: list[ParsedRow]) -> PartImportResult:
    from aftersales.parts.services.catalogue import balance_bin_set, bin_create, part_create, part_update
    from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive

    locked = PartImport.objects.select_for_update().get(pk=batch.pk)
    if locked.status != ImportStatus.PREVIEWED:
        raise _already_done()
    created = updated = 0
    opening: dict[int, list[ReceiptLineIn]] = defaultdict(list)
    warehouses: dict[int, Warehouse] = {}
    homes: list[ParsedRow] = []
    existing = Part.objects.in_bulk([row.existing_part_id for row in rows if row.existing_part_id])
    for row in rows:
        fields: dict = {key: row.values[key] for key in TEXT_KEYS if key in row.values}
        fields.update({key: Decimal(row.values[key]).quantize(FEN) for key in DECIMAL_KEYS if key in row.values})
        if "supplier" in row.values:
            fields["supplier"] = row.part.supplier
        if row.existing_part_id is None:
            name = fields.pop("name")
            row.part = part_create(actor=actor, code=row.code, name=name, **fields)
            created += 1
        else:
            part = existing[row.existing_part_id]
            if fields:
                part_update(actor=actor, part=part, data=fields)
            row.part = part
            updated += 1
        if row.quantity is not None:
            warehouses[row.warehouse.pk] = row.warehouse
            opening[row.warehouse.pk].append(
                ReceiptLineIn(part=row.part, quantity=row.quantity, unit_cost=row.unit_cost)
            )
        if "bin" in row.values:
            homes.append(row)
    _require_no_moves_yet(rows)
    note = _("Opening stock %(file)s") % {"file": batch.file_name}
    for warehouse_id, lines in opening.items():
        stock_receive(actor=actor, warehouse=warehouses[warehouse_id], lines=lines, note=note)
    made_bins: dict[tuple[int, str], Bin] = {}
    for row in homes:
        key = (row.warehouse.pk, row.values["bin"])
        bin_ = row.bin or made_bins.get(key)
        if bin_ is None:
            bin_ = made_bins[key] = bin_create(actor=actor, warehouse=row.warehouse, code=row.values["bin"])
        balance_bin_set(actor=actor, warehouse=row.warehouse, part=row.part, bin=bin_)
    locked.status = ImportStatus.IMPORTED
    locked.committed_at = timezone.now()
    locked.save(update_fields=["status", "committed_at", "updated_at"])
    result = PartImportResult(created=created, updated=updated, receipts=len(opening))
    audit_record(
        actor=actor,
        instance=locked,
        action=AuditAction.IMPORT,
        payload={
            "rows": len(rows),
            "parts_created": created,
            "parts_updated": updated,
            "receipts": len(opening),
        },
    )
    batch.status, batch.committed_at = locked.status, locked.committed_at
    return result


@transaction.atomic
def part_import_discard(*, actor, batch: PartImport) -> None:
    """Drop a previewed sheet: it can no longer be imported."""
    require_perm(actor, "parts.import_part")
    _require_visible(actor, batch)
    locked = PartImport.objects.select_for_update().get(pk=batch.pk)
    if locked.status != ImportStatus.PREVIEWED:
        raise _already_done()
    locked.status = ImportStatus.DISCARDED
    locked.save(update_fields=["status", "updated_at"])
    batch.status = locked.status
