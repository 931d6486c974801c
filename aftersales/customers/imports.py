"""Import of customers with their vehicles from an xlsx sheet, and the matching export.

One row is one vehicle of a customer (or a customer without a vehicle). Rows with the same customer
name and mobile are one customer; a customer of the branch with that name and mobile already on file
gets the new vehicles. The import is all or nothing: the preview lists every row's errors, and
nothing is saved unless every row is valid.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.translation import gettext as _

from aftersales.core.xlsx import SheetColumn, sheet_columns_map
from aftersales.customers.choices import AssetKind, CustomerKind, CustomerSource
from aftersales.customers.models import Asset, Customer

Column = SheetColumn


COLUMNS: tuple[Column, ...] = (
    Column("name", "客户名称", "Customer name", "customer", ("客户", "姓名", "名称")),
    Column("kind", "客户类型", "Customer type", "customer", ("类型",)),
    Column("mobile", "手机", "Mobile", "customer", ("手机号", "手机号码", "电话")),
    Column("id_number", "证件号码", "ID number", "customer", ("身份证号", "统一社会信用代码")),
    Column("address", "地址", "Address", "customer"),
    Column("source", "来源", "Source", "customer"),
    Column("notes", "备注", "Notes", "customer"),
    Column("vin", "VIN", "VIN", "asset", ("车架号", "车辆识别代号")),
    Column("plate", "车牌", "Plate", "asset", ("车牌号",)),
    Column("brand", "品牌", "Brand", "asset"),
    Column("model", "车型", "Model", "asset"),
    Column("year", "年份", "Year", "asset", ("年款",)),
    Column("mileage", "里程", "Mileage", "asset", ("里程(km)", "行驶里程")),
    Column("insurance_expiry", "保险到期", "Insurance expiry", "asset", ("保险到期日",)),
)
ASSET_KEYS = tuple(c.key for c in COLUMNS if c.target == "asset")


def column_labels() -> list[str]:
    return [c.label() for c in COLUMNS]


def map_headers(headers: list[str]) -> dict[str, int]:
    """Column key → index in the sheet. Raises when the name column is missing or a header is unknown."""
    return sheet_columns_map(headers, COLUMNS, required="name")


def _choice(value, choices, default, field_label):
    text = str(value or "").strip()
    if not text:
        return default, None
    for code, label in choices:
        if text.lower() in (code, str(label).lower()):
            return code, None
    return default, _("%(field)s: unknown value “%(value)s”.") % {"field": field_label, "value": text}


_KIND_WORDS = {
    "个人": CustomerKind.PERSON,
    "私人": CustomerKind.PERSON,
    "公司": CustomerKind.COMPANY,
    "企业": CustomerKind.COMPANY,
    "单位": CustomerKind.COMPANY,
}
_SOURCE_WORDS = {
    "到店": "walk_in",
    "自然到店": "walk_in",
    "电话": "phone",
    "介绍": "referral",
    "网络": "online",
    "本店购车": "vehicle_sale",
    "保险公司": "insurance",
    "车队": "fleet",
    "导入": "import",
    "其他": "other",
}


def _parse_int(value, label, errors):
    if value in (None, ""):
        return None
    try:
        number = int(str(value).replace(",", "").strip())
    except ValueError:
        errors.append(_("%(field)s: “%(value)s” is not a whole number.") % {"field": label, "value": value})
        return None
    if number < 0:
        errors.append(_("%(field)s cannot be negative.") % {"field": label})
        return None
    return number


def _parse_date(value, label, errors):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text) or re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    if match:
        try:
            return datetime.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    errors.append(_("%(field)s: “%(value)s” is not a date like 2027-03-31.") % {"field": label, "value": value})
    return None


@dataclass
class ParsedRow:
    line: int
    customer: dict
    asset: dict | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    existing_customer_id: int | None = None
    parse_errors: list[str] = field(default_factory=list)  # what the sheet itself got wrong, before any check

    def as_json(self) -> dict:
        def safe(data):
            if data is None:
                return None
            return {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in data.items()}

        return {
            "line": self.line,
            "customer": safe(self.customer),
            "asset": safe(self.asset),
            "errors": self.errors,
            "warnings": self.warnings,
            "existing_customer_id": self.existing_customer_id,
            "parse_errors": self.parse_errors,
        }


def parse_row(line: int, values: list, mapping: dict[str, int]) -> ParsedRow:
    """Read one sheet row into customer and asset values (no database access)."""

    def cell(key):
        index = mapping.get(key)
        if index is None or index >= len(values):
            return None
        return values[index]

    labels = {c.key: c.label() for c in COLUMNS}
    errors: list[str] = []
    kind_text = str(cell("kind") or "").strip()
    kind = _KIND_WORDS.get(kind_text)
    if kind is None:
        kind, problem = _choice(kind_text, CustomerKind.choices, CustomerKind.PERSON, labels["kind"])
        if problem:
            errors.append(problem)
    source_text = str(cell("source") or "").strip()
    source = _SOURCE_WORDS.get(source_text)
    if source is None:
        source, problem = _choice(source_text, CustomerSource.choices, CustomerSource.IMPORT, labels["source"])
        if problem:
            errors.append(problem)
    customer = {
        "name": str(cell("name") or "").strip(),
        "kind": kind,
        "mobile": str(cell("mobile") or "").strip(),
        "id_number": str(cell("id_number") or "").strip(),
        "address": str(cell("address") or "").strip(),
        "source": source,
        "notes": str(cell("notes") or "").strip(),
    }
    asset = None
    if any(cell(key) not in (None, "") for key in ASSET_KEYS):
        asset = {
            "vin": str(cell("vin") or "").strip(),
            "plate": str(cell("plate") or "").strip(),
            "brand": str(cell("brand") or "").strip(),
            "model": str(cell("model") or "").strip(),
            "year": _parse_int(cell("year"), labels["year"], errors),
            "mileage": _parse_int(cell("mileage"), labels["mileage"], errors),
            "insurance_expiry": _parse_date(cell("insurance_expiry"), labels["insurance_expiry"], errors),
        }
    return ParsedRow(line=line, customer=customer, asset=asset, errors=errors, parse_errors=list(errors))


def _messages(model, exc: ValidationError) -> list[str]:
    messages = []
    for name, problems in exc.message_dict.items():
        try:
            label = str(model._meta.get_field(name).verbose_name) if name != "__all__" else ""
        except FieldDoesNotExist:
            label = name
        for problem in problems:
            messages.append(f"{label}: {problem}" if label else problem)
    return messages


def check_rows(rows: list[ParsedRow], *, branch) -> None:
    """Validate every row against the models and the database, filling in errors and warnings.

    Queries: one for the branch's customers with the mobiles in the sheet, one per row for the
    unique checks of the asset (VIN, IMEI).
    """
    from aftersales.customers.services import asset_normalize, customer_normalize, vin_warning

    mobiles = {customer_normalize({"mobile": r.customer["mobile"]})["mobile"] for r in rows if r.customer["mobile"]}
    existing = {
        (c.name, c.mobile): c.pk
        for c in Customer.objects.filter(branch=branch, mobile__in=mobiles).only("id", "name", "mobile")
    }
    seen_vins: dict[str, int] = {}
    for row in rows:
        row.customer = customer_normalize(row.customer)
        candidate = Customer(branch=branch, **row.customer)
        try:
            candidate.full_clean(exclude=["search_text", "created_by"])
        except ValidationError as exc:
            row.errors.extend(_messages(Customer, exc))
        row.existing_customer_id = existing.get((row.customer["name"], row.customer["mobile"]))
        if row.asset is None:
            continue
        row.asset = asset_normalize(row.asset)
        asset = Asset(kind=AssetKind.VEHICLE, branch=branch, **row.asset)
        try:
            asset.full_clean(exclude=["customer", "branch"])
        except ValidationError as exc:
            row.errors.extend(_messages(Asset, exc))
        vin = row.asset["vin"]
        if vin:
            if vin in seen_vins:
                row.errors.append(_("VIN %(vin)s is also on line %(line)d.") % {"vin": vin, "line": seen_vins[vin]})
            seen_vins.setdefault(vin, row.line)
            warning = vin_warning(vin)
            if warning:
                row.warnings.append(warning)
