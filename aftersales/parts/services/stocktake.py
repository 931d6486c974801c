"""Stocktakes (盘点): count one warehouse, read the counts from the page or from an xlsx sheet, post the variances.

The life of a stocktake follows `choices.STOCKTAKE_TRANSITIONS`: counting → submitted → approved, a submitted
count may go back to counting (reopen), and an open one may be cancelled. Every move of status goes through
`stocktake_transition` (row lock, table check, guard, audit event).

- `stocktake_start` makes one line per part the warehouse holds or has held (a balance with stock on hand, or an
  active part's balance that has moved, so that a part found again can be counted), with the quantity held at that
  moment (`system_quantity`) and the part's bin. One open (counting or submitted) stocktake per warehouse.
- Counts are typed on the page (`stocktake_count_set`) or read from the count sheet (`stocktake_counts_import`,
  all rows or none); a part found on the shelves that the sheet did not list becomes a new line.
- `stocktake_approve` (the parts manager or the service manager) posts one `stocktake` move per line whose count
  differs from the system quantity: the variance counted − system quantity, a gain valued at the average cost,
  a loss taken out at the moving average like any issue. A loss that would eat into reserved stock refuses the
  whole approval (`InsufficientStock`), and nothing is posted.

Stock that moves while a count is open makes its snapshot stale (was the shelf counted before or after the
issue?). Approval therefore refuses a stocktake whose parts moved since their snapshot, naming them; reopening it
(or, while counting, `stocktake_recount_moved`) takes a fresh snapshot of those lines and clears their counts, so
that they are counted again.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from aftersales.core.access import get_for_user_or_404, require_perm
from aftersales.core.audit import audit_record
from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction
from aftersales.core.numbers import document_number_next
from aftersales.core.xlsx import header_key, read_xlsx_upload
from aftersales.parts.choices import STOCKTAKE_TRANSITIONS, MoveKind, StocktakeStatus
from aftersales.parts.models import Part, StockBalance, Stocktake, StocktakeLine, Warehouse
from aftersales.parts.services.ledger import (
    QTY_MAX,
    MoveRequest,
    balances_lock,
    quantity_text,
    require_visible_warehouse,
    stock_post,
)

FEN = Decimal("0.01")
ZERO = Decimal("0")
OPEN_STATUSES = (StocktakeStatus.COUNTING, StocktakeStatus.SUBMITTED)

#: The permission each move of status needs; the moves themselves are `choices.STOCKTAKE_TRANSITIONS`.
TRANSITION_PERMS = {
    StocktakeStatus.SUBMITTED: "parts.change_stocktake",
    StocktakeStatus.COUNTING: "parts.change_stocktake",
    StocktakeStatus.CANCELLED: "parts.change_stocktake",
    StocktakeStatus.APPROVED: "parts.approve_stocktake",
}

#: The count sheet's columns, in order: (key, header). Headers are written in the reader's language and read
#: back in any of the site's languages (and in English, the source).
SHEET_COLUMNS = (
    ("line", gettext_noop("Line")),
    ("code", gettext_noop("Part code")),
    ("name", gettext_noop("Name")),
    ("unit", gettext_noop("Unit")),
    ("bin", gettext_noop("Bin")),
    ("system", gettext_noop("System quantity")),
    ("counted", gettext_noop("Counted quantity")),
)
#: The first data row of the sheet: row 1 names the stocktake, row 2 holds the column headers.
SHEET_FIRST_ROW = 3
NUMBER_PATTERN = re.compile(r"^ST-[A-Za-z0-9._\-/]+-\d{8}-\d{4,}$")


# -- pure helpers ---------------------------------------------------------------------------------------------------


def variance_value(variance: Decimal | None, average_cost: Decimal | None) -> Decimal | None:
    """What a variance is worth at an average cost, to the fen (half up); None while the line is uncounted."""
    if variance is None:
        return None
    return (variance * (average_cost or ZERO)).quantize(FEN, rounding=ROUND_HALF_UP)


def counted_clean(value, field: str = "counted") -> Decimal | None:
    """A counted quantity: blank → None (not counted), else a number ≥ 0 with at most two decimals."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError({field: ValidationError(_("Enter a number."), code="not_a_number")})
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: ValidationError(_("Enter a number."), code="not_a_number")}) from exc
    if not quantity.is_finite():
        raise ValidationError({field: ValidationError(_("Enter a number."), code="not_a_number")})
    if quantity < 0:
        raise ValidationError({field: ValidationError(_("The counted quantity cannot be negative."), code="negative")})
    if quantity != quantity.quantize(FEN):
        raise ValidationError({field: ValidationError(_("Use at most two decimals."), code="decimals")})
    if quantity > QTY_MAX:
        raise ValidationError({field: ValidationError(_("The quantity is too large."), code="too_large")})
    return quantity.quantize(FEN)


@dataclass(frozen=True)
class StocktakeTotals:
    """A stocktake in figures: lines, how many are counted, and the variances' value (gains ≥ 0, losses ≤ 0)."""

    lines: int
    counted: int
    gain_quantity: Decimal
    loss_quantity: Decimal
    gain_value: Decimal
    loss_value: Decimal

    @property
    def uncounted(self) -> int:
        return self.lines - self.counted

    @property
    def net_value(self) -> Decimal:
        return self.gain_value + self.loss_value


def stocktake_totals_of(rows) -> StocktakeTotals:
    """Totals of `(system, counted, average cost, posted value)` rows.

    A posted line counts at the value of its move (what the ledger took in or out); any other counted line at
    its variance × the average cost, rounded per line, so the totals equal the sum of the values shown.
    Uncounted lines add nothing.
    """
    lines = counted = 0
    gain_q = loss_q = gain_v = loss_v = ZERO
    for system, counted_quantity, average_cost, posted in rows:
        lines += 1
        if counted_quantity is None:
            continue
        counted += 1
        variance = counted_quantity - system
        value = posted if posted is not None else variance_value(variance, average_cost)
        if variance > 0:
            gain_q += variance
            gain_v += value
        elif variance < 0:
            loss_q += variance
            loss_v += value
    return StocktakeTotals(lines, counted, gain_q, loss_q, gain_v, loss_v)


# -- reads ----------------------------------------------------------------------------------------------------------


def _balance_of_line(field_name: str):
    return Subquery(
        StockBalance.objects.filter(part_id=OuterRef("part_id"), warehouse_id=OuterRef("stocktake__warehouse_id"))
        .order_by()
        .values(field_name)[:1]
    )


def stocktake_list(*, user, warehouse: int | None = None, status: str = "") -> QuerySet:
    """Stocktakes of the warehouses the user may see, newest first, with their line counts."""
    queryset = (
        Stocktake.objects.for_user(user)
        .select_related("warehouse", "created_by__employee", "approved_by__employee")
        .annotate(
            line_count=Count("lines"),
            counted_count=Count("lines", filter=Q(lines__counted_quantity__isnull=False)),
        )
    )
    if warehouse:
        queryset = queryset.filter(warehouse_id=warehouse)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-id")


def stocktake_get(*, user, pk) -> Stocktake:
    """One stocktake the user may see (404 otherwise)."""
    return get_for_user_or_404(
        Stocktake.objects.select_related("warehouse__branch", "created_by__employee", "approved_by__employee"),
        user,
        pk=pk,
    )


def stocktake_lines(*, stocktake: Stocktake, q: str = "", show: str = "") -> QuerySet:
    """The lines of a stocktake in sheet order, each with its part, posted move and the average cost now."""
    queryset = (
        StocktakeLine.objects.filter(stocktake=stocktake)
        .select_related("part", "move")
        .annotate(average_cost=_balance_of_line("average_cost"))
    )
    q = (q or "").strip()
    if q:
        queryset = queryset.filter(
            Q(part__code__startswith=q.upper()) | Q(part__name__icontains=q) | Q(bin_code=q.upper())
        )
    if show == "uncounted":
        queryset = queryset.filter(counted_quantity__isnull=True)
    elif show == "counted":
        queryset = queryset.filter(counted_quantity__isnull=False)
    elif show == "variance":
        queryset = queryset.filter(counted_quantity__isnull=False).exclude(counted_quantity=F("system_quantity"))
    return queryset.order_by("bin_code", "part__code")


def line_values_attach(lines) -> None:
    """Give each line of a page its `variance_value`: the posted move's value, else variance × average cost."""
    for line in lines:
        if line.move_id is not None:
            line.variance_value = line.move.value
        else:
            line.variance_value = variance_value(line.variance, getattr(line, "average_cost", None))


def stocktake_totals(*, stocktake: Stocktake) -> StocktakeTotals:
    rows = (
        StocktakeLine.objects.filter(stocktake=stocktake)
        .annotate(average_cost=_balance_of_line("average_cost"))
        .values_list("system_quantity", "counted_quantity", "average_cost", "move__value")
    )
    return stocktake_totals_of(rows)


def _stale_lines(stocktake: Stocktake) -> list[tuple[StocktakeLine, Decimal]]:
    """Lines (not yet posted) whose part's stock changed since the snapshot: (line, on hand now)."""
    lines = (
        StocktakeLine.objects.filter(stocktake=stocktake, move__isnull=True)
        .select_related("part")
        .annotate(
            on_hand_now=Coalesce(
                _balance_of_line("on_hand"), ZERO, output_field=DecimalField(max_digits=12, decimal_places=2)
            )
        )
        .exclude(on_hand_now=F("system_quantity"))
        .order_by("bin_code", "part__code")
    )
    return [(line, line.on_hand_now) for line in lines]


def stocktake_stale_lines(*, stocktake: Stocktake) -> list[tuple[StocktakeLine, Decimal]]:
    """What the detail page warns about: lines whose stock moved since the count began (none once it is closed)."""
    if stocktake.status not in OPEN_STATUSES:
        return []
    return _stale_lines(stocktake)


def stocktake_actions(*, user, stocktake: Stocktake) -> list[str]:
    """The statuses this user may move this stocktake to now (the page's buttons), in the table's order."""
    reachable = STOCKTAKE_TRANSITIONS[StocktakeStatus(stocktake.status)]
    order = (StocktakeStatus.SUBMITTED, StocktakeStatus.APPROVED, StocktakeStatus.COUNTING, StocktakeStatus.CANCELLED)
    return [status for status in order if status in reachable and user.has_perm(TRANSITION_PERMS[status])]


# -- the count sheet ---------------------------------------------------------------------------------------------------


def sheet_headers(*, blind: bool = False) -> list[str]:
    """The column headers in the reader's language; a blind sheet has no system quantity."""
    return [_(label) for key, label in SHEET_COLUMNS if not (blind and key == "system")]


def stocktake_sheet(*, stocktake: Stocktake, blind: bool = False) -> tuple[list, list[str], list[list]]:
    """The count sheet: a title row naming the stocktake, the column headers, then one row per line.

    A blind sheet leaves out the system quantity, so that counters count what they see. The title row carries
    the stocktake number: an upload of another stocktake's sheet is refused.
    """
    title = [
        _("Stocktake"),
        stocktake.number,
        _("Warehouse"),
        str(stocktake.warehouse),
        _("Blind count") if blind else "",
    ]
    rows = []
    lines = StocktakeLine.objects.filter(stocktake=stocktake).select_related("part").order_by("bin_code", "part__code")
    for number, line in enumerate(lines.iterator(chunk_size=2000), start=1):
        row = [number, line.part.code, line.part.name, line.part.unit, line.bin_code]
        if not blind:
            row.append(line.system_quantity)
        row.append(line.counted_quantity)
        rows.append(row)
    return title, sheet_headers(blind=blind), rows


def _column_labels() -> dict[str, str]:
    """Every language's header of every column → its key."""
    labels = {header_key(label): key for key, label in SHEET_COLUMNS}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            labels.update({header_key(_(label)): key for key, label in SHEET_COLUMNS})
    return labels


@dataclass
class CountImportResult:
    counted: int = 0
    added: list[str] = field(default_factory=list)


def _sheet_number_check(stocktake: Stocktake, title_row: list) -> None:
    cells = [str(cell).strip() for cell in title_row if cell not in (None, "")]
    if stocktake.number in cells:
        return
    other = next((cell for cell in cells if NUMBER_PATTERN.match(cell)), None)
    if other:
        raise ValidationError(
            {
                "file": _("This is the count sheet of stocktake %(other)s, not of %(number)s.")
                % {"other": other, "number": stocktake.number}
            }
        )
    raise ValidationError(
        {
            "file": _(
                "This is not a count sheet of stocktake %(number)s: download the sheet from this stocktake and enter "
                "the counts in it."
            )
            % {"number": stocktake.number}
        }
    )


def _sheet_columns(header_row: list) -> dict[str, int]:
    labels = _column_labels()
    columns: dict[str, int] = {}
    for index, cell in enumerate(header_row):
        key = labels.get(header_key(cell))
        if key and key not in columns:
            columns[key] = index
    for key in ("code", "counted"):
        if key not in columns:
            label = _(dict(SHEET_COLUMNS)[key])
            raise ValidationError({"file": _("The sheet has no “%(column)s” column.") % {"column": label}})
    return columns


ROW_ERRORS = {
    "not_a_number": gettext_lazy("Row %(row)d: the counted quantity of %(code)s is not a number."),
    "negative": gettext_lazy("Row %(row)d: the counted quantity of %(code)s is negative."),
    "decimals": gettext_lazy("Row %(row)d: the counted quantity of %(code)s has more than two decimals."),
    "too_large": gettext_lazy("Row %(row)d: the counted quantity of %(code)s is too large."),
}


def _parse_sheet_rows(data_rows: list[list], columns: dict[str, int]):
    """(row number, code, counted) of each row with a count, and the errors of the rest (row by row)."""

    def cell(values, key):
        index = columns[key]
        return values[index] if index < len(values) else None

    parsed, errors, first_row = [], [], {}
    for index, values in enumerate(data_rows):
        row = index + SHEET_FIRST_ROW
        raw_code, raw_counted = cell(values, "code"), cell(values, "counted")
        code = str(raw_code).strip().upper() if raw_code not in (None, "") else ""
        if not code:
            if raw_counted not in (None, ""):
                errors.append(_("Row %(row)d: a counted quantity without a part code.") % {"row": row})
            continue
        if code in first_row:
            errors.append(
                _("Row %(row)d: part code %(code)s appears again (first on row %(first)d).")
                % {"row": row, "code": code, "first": first_row[code]}
            )
            continue
        first_row[code] = row
        try:
            counted = counted_clean(raw_counted)
        except ValidationError as exc:
            errors.append(ROW_ERRORS[exc.error_dict["counted"][0].code] % {"row": row, "code": code})
            continue
        if counted is not None:
            parsed.append((row, code, counted))
    return parsed, errors


# -- writes -----------------------------------------------------------------------------------------------------------


def _locked(stocktake: Stocktake) -> Stocktake:
    locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
    locked.warehouse = Warehouse.objects.select_related("branch").get(pk=locked.warehouse_id)
    return locked


def _require_counting(stocktake: Stocktake) -> None:
    if stocktake.status != StocktakeStatus.COUNTING:
        raise Conflict(
            _("Stocktake %(number)s is %(status)s: counts can only be entered while counting.")
            % {"number": stocktake.number, "status": stocktake.get_status_display()},
            code="not_counting",
        )


@transaction.atomic
def stocktake_start(*, actor, warehouse: Warehouse, category: str = "", note: str = "") -> Stocktake:
    """Begin counting a warehouse (all parts, or one category): numbered `ST-<branch>-<day>-NNNN`."""
    require_perm(actor, "parts.add_stocktake")
    require_visible_warehouse(actor, warehouse)
    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse.pk)  # one open count per warehouse
    if not warehouse.active:
        raise ValidationError({"warehouse": _("Warehouse %(code)s is closed.") % {"code": warehouse.code}})
    open_count = Stocktake.objects.filter(warehouse=warehouse, status__in=OPEN_STATUSES).first()
    if open_count is not None:
        raise Conflict(
            _("Stocktake %(number)s of warehouse %(code)s is still open: finish or cancel it first.")
            % {"number": open_count.number, "code": warehouse.code},
            code="stocktake_open",
        )
    balances = (
        StockBalance.objects.filter(warehouse=warehouse)
        .filter(Q(on_hand__gt=0) | Q(last_move_at__isnull=False, part__active=True))
        .select_related("bin")
    )
    category = (category or "").strip()
    if category:
        balances = balances.filter(part__category=category)
    balances = list(balances)
    if not balances:
        if category:
            message = _("Warehouse %(code)s holds no parts of category %(category)s.")
        else:
            message = _("Warehouse %(code)s holds no parts to count.")
        raise ValidationError(
            {"category" if category else "warehouse": message % {"code": warehouse.code, "category": category}}
        )
    stocktake = Stocktake.objects.create(
        number=document_number_next(prefix="ST", branch=warehouse.branch),
        warehouse=warehouse,
        note=(note or "").strip()[:200],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    StocktakeLine.objects.bulk_create(
        [
            StocktakeLine(
                stocktake=stocktake,
                part_id=balance.part_id,
                bin_code=balance.bin.code if balance.bin else "",
                system_quantity=balance.on_hand,
            )
            for balance in balances
        ],
        batch_size=1000,
    )
    audit_record(
        actor=actor,
        instance=stocktake,
        action=AuditAction.CREATE,
        changes={"warehouse": {"before": None, "after": str(warehouse)}},
        payload={"lines": len(balances), **({"category": category} if category else {})},
    )
    return stocktake


@transaction.atomic
def stocktake_count_set(*, actor, line: StocktakeLine, counted) -> StocktakeLine:
    """Type one line's count (blank: not counted). Only while counting."""
    require_perm(actor, "parts.change_stocktake")
    stocktake = _locked(line.stocktake)
    require_visible_warehouse(actor, stocktake.warehouse)
    _require_counting(stocktake)
    counted = counted_clean(counted, "counted")
    line = StocktakeLine.objects.select_related("part").get(pk=line.pk, stocktake=stocktake)
    before = line.counted_quantity
    if before != counted:
        line.counted_quantity = counted
        line.save(update_fields=["counted_quantity"])
        audit_record(
            actor=actor,
            instance=stocktake,
            action=AuditAction.UPDATE,
            changes={line.part.code: {"before": _shown(before), "after": _shown(counted)}},
        )
    line.stocktake = stocktake
    return line


def _shown(quantity: Decimal | None) -> str | None:
    return None if quantity is None else quantity_text(quantity)


@transaction.atomic
def stocktake_counts_import(*, actor, stocktake: Stocktake, upload) -> CountImportResult:
    """Read counted quantities from the stocktake's count sheet: every row, or none.

    Rows are matched by part code. A blank count leaves its line as it is (several counters may each fill in
    part of a sheet). A code of the catalogue that the stocktake does not list is stock found on the shelves: it
    becomes a new line, with the system quantity the warehouse holds of it now (0 when none). Each refused row is
    named with its row number and what is wrong: an unknown code, a count that is not a number, negative, with
    more than two decimals, or a code that appears twice.
    """
    require_perm(actor, "parts.change_stocktake")
    stocktake = _locked(stocktake)
    require_visible_warehouse(actor, stocktake.warehouse)
    _require_counting(stocktake)
    config = settings.AFTERSALES
    title_row, rows = read_xlsx_upload(upload, max_bytes=config["IMPORT_MAX_BYTES"], max_rows=config["IMPORT_MAX_ROWS"])
    _sheet_number_check(stocktake, title_row)
    if not rows:
        raise ValidationError({"file": _("The sheet has no column headers and no counts.")})
    columns = _sheet_columns(rows[0])
    parsed, errors = _parse_sheet_rows(rows[1:], columns)

    lines = {line.part.code: line for line in StocktakeLine.objects.filter(stocktake=stocktake).select_related("part")}
    unknown_codes = {code for _row, code, _counted in parsed if code not in lines}
    found = {part.code: part for part in Part.objects.filter(code__in=unknown_codes)} if unknown_codes else {}
    for row, code, _counted in parsed:
        if code not in lines and code not in found:
            errors.append(_("Row %(row)d: part code %(code)s is not in the catalogue.") % {"row": row, "code": code})
    if errors:
        errors.sort(key=_row_of)
        raise ValidationError({"file": errors})
    if not parsed:
        raise ValidationError({"file": _("The sheet has no counted quantities.")})

    result = CountImportResult()
    changed, added = [], []
    balances = {}
    if found:
        balances = {
            b.part_id: b
            for b in StockBalance.objects.filter(warehouse=stocktake.warehouse, part__in=found.values()).select_related(
                "bin"
            )
        }
    for _row, code, counted in parsed:
        line = lines.get(code)
        if line is None:
            part = found[code]
            balance = balances.get(part.pk)
            added.append(
                StocktakeLine(
                    stocktake=stocktake,
                    part=part,
                    bin_code=balance.bin.code if balance and balance.bin else "",
                    system_quantity=balance.on_hand if balance else ZERO,
                    counted_quantity=counted,
                )
            )
            result.added.append(code)
        elif line.counted_quantity != counted:
            line.counted_quantity = counted
            changed.append(line)
        result.counted += 1
    StocktakeLine.objects.bulk_update(changed, ["counted_quantity"], batch_size=1000)
    StocktakeLine.objects.bulk_create(added, batch_size=1000)
    audit_record(
        actor=actor,
        instance=stocktake,
        action=AuditAction.IMPORT,
        payload={
            "file": (getattr(upload, "name", "") or "")[:200],
            "counted": result.counted,
            "changed": len(changed),
            **({"added": ", ".join(result.added)} if result.added else {}),
        },
    )
    return result


def _row_of(message: str) -> int:
    match = re.search(r"\d+", message)
    return int(match.group()) if match else 0


def stocktake_transition(
    *, actor, stocktake: Stocktake, to: str, apply: Callable[[Stocktake], dict | None] | None = None
) -> Stocktake:
    """Move a stocktake to another status: lock it, check the table and the role, run `apply`, record the event.

    `apply(locked)` checks the guards of this move and does its work; it may return more payload for the event.
    Call inside a transaction (each public service below is atomic).
    """
    to = StocktakeStatus(to)
    require_perm(actor, TRANSITION_PERMS[to])
    locked = _locked(stocktake)
    require_visible_warehouse(actor, locked.warehouse)
    before = StocktakeStatus(locked.status)
    if to not in STOCKTAKE_TRANSITIONS[before]:
        raise Conflict(
            _("Stocktake %(number)s is %(status)s and cannot become %(target)s.")
            % {"number": locked.number, "status": before.label, "target": to.label},
            code="invalid_transition",
        )
    extra = (apply(locked) if apply else None) or {}
    locked.status = to
    locked.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    audit_record(
        actor=actor,
        instance=locked,
        action=AuditAction.STATUS,
        changes={"status": {"before": before.value, "after": to.value}},
        payload={"from": before.value, "to": to.value, **extra},
    )
    stocktake.status, stocktake.approved_by_id, stocktake.approved_at = to, locked.approved_by_id, locked.approved_at
    return locked


@transaction.atomic
def stocktake_submit(*, actor, stocktake: Stocktake) -> Stocktake:
    """Hand the count in for approval: every line must be counted."""

    def guard(locked):
        lines = StocktakeLine.objects.filter(stocktake=locked)
        missing = lines.filter(counted_quantity__isnull=True).count()
        if missing:
            raise Conflict(
                _("%(count)d lines are not counted yet: count them, or enter 0 for what is not there.")
                % {"count": missing},
                code="uncounted_lines",
            )
        if not lines.exists():
            raise Conflict(_("The stocktake has no lines to submit."), code="no_lines")
        return None

    return stocktake_transition(actor=actor, stocktake=stocktake, to=StocktakeStatus.SUBMITTED, apply=guard)


def _stale_lines_refresh(stocktake: Stocktake) -> list[str]:
    """Give lines whose stock moved since their snapshot the quantity on hand now, and clear their counts."""
    stale = _stale_lines(stocktake)
    for line, on_hand in stale:
        line.system_quantity, line.counted_quantity = on_hand, None
    StocktakeLine.objects.bulk_update([line for line, _now in stale], ["system_quantity", "counted_quantity"])
    return [line.part.code for line, _now in stale]


@transaction.atomic
def stocktake_recount_moved(*, actor, stocktake: Stocktake) -> list[str]:
    """While counting: take a fresh snapshot of the lines whose stock moved since the count began and clear their
    counts, so that they are counted again. Returns their part codes."""
    require_perm(actor, "parts.change_stocktake")
    locked = _locked(stocktake)
    require_visible_warehouse(actor, locked.warehouse)
    _require_counting(locked)
    codes = _stale_lines_refresh(locked)
    if codes:
        audit_record(actor=actor, instance=locked, action=AuditAction.UPDATE, payload={"recount": ", ".join(codes)})
    return codes


@transaction.atomic
def stocktake_reopen(*, actor, stocktake: Stocktake) -> Stocktake:
    """Send a submitted count back to counting. Lines whose stock moved since their snapshot get a fresh
    system quantity and lose their count, so that they are counted again."""

    def refresh(locked):
        codes = _stale_lines_refresh(locked)
        return {"recount": ", ".join(codes)} if codes else None

    return stocktake_transition(actor=actor, stocktake=stocktake, to=StocktakeStatus.COUNTING, apply=refresh)


@transaction.atomic
def stocktake_cancel(*, actor, stocktake: Stocktake) -> Stocktake:
    """Drop an open count: nothing is posted; the warehouse may be counted again."""
    return stocktake_transition(actor=actor, stocktake=stocktake, to=StocktakeStatus.CANCELLED)


@transaction.atomic
def stocktake_approve(*, actor, stocktake: Stocktake) -> Stocktake:
    """Approve a submitted count and post its variances: one `stocktake` move per line that differs.

    Refused, with nothing posted, when a part's stock moved since its snapshot (reopen to recount it) or when a
    loss would take stock that is reserved (`InsufficientStock`, naming the part).
    """
    require_perm(actor, "parts.adjust_stock")  # the ledger's permission for stocktake moves

    def post(locked):
        lines = list(StocktakeLine.objects.filter(stocktake=locked).select_related("part").order_by("part_id"))
        balances = balances_lock((line.part_id, locked.warehouse_id) for line in lines)
        stale = [
            line for line in lines if balances[(line.part_id, locked.warehouse_id)].on_hand != line.system_quantity
        ]
        if stale:
            raise Conflict(
                _(
                    "The stock of %(parts)s has moved since the count began. Reopen the stocktake to count "
                    "these parts again."
                )
                % {"parts": ", ".join(line.part.code for line in stale[:10]) + ("…" if len(stale) > 10 else "")},
                code="stock_moved",
            )
        posting = [line for line in lines if line.variance]
        moves = stock_post(
            actor=actor,
            requests=[
                MoveRequest(
                    part_id=line.part_id,
                    warehouse_id=locked.warehouse_id,
                    kind=MoveKind.STOCKTAKE,
                    quantity=line.variance,
                    unit_cost=None,
                    reference=locked.number,
                    document_type="stocktake",
                    document_id=locked.pk,
                )
                for line in posting
            ],
        )
        for line, move in zip(posting, moves, strict=True):
            line.move = move
        StocktakeLine.objects.bulk_update(posting, ["move"], batch_size=1000)
        locked.approved_by = actor if getattr(actor, "pk", None) else None
        locked.approved_at = timezone.now()
        return {"moves": len(moves)}

    return stocktake_transition(actor=actor, stocktake=stocktake, to=StocktakeStatus.APPROVED, apply=post)
