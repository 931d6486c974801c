"""Reads behind the stock pages: totals of balances, receipts, the warehouses a user may post into, part lookup.

Everything starts from the access funnel, like `parts.selectors` (which this module complements).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from aftersales.core.access import get_for_user_or_404
from aftersales.parts.models import GoodsReceipt, GoodsReceiptLine, Part, StockBalance, StockMove, Warehouse
from aftersales.parts.selectors import part_search

ZERO = Decimal("0")


def balance_totals(queryset: QuerySet) -> dict:
    """The quantity on hand and the value of all the balances of `queryset` (one aggregate query)."""
    totals = queryset.order_by().aggregate(quantity=Sum("on_hand"), value=Sum("value"), rows=Count("pk"))
    return {
        "quantity": totals["quantity"] or ZERO,
        "value": totals["value"] or ZERO,
        "rows": totals["rows"] or 0,
    }


def postable_warehouses(user) -> QuerySet:
    """The active warehouses the user may see: the only choices of the stock forms."""
    return Warehouse.objects.for_user(user).filter(active=True).order_by("branch__code", "-is_default", "code")


def default_warehouse_id(user, warehouses) -> int | None:
    """The default warehouse of the user's own branch, else the first default one, else the only one."""
    warehouses = list(warehouses)
    employee = getattr(user, "employee", None) if getattr(user, "is_authenticated", False) else None
    branch_id = getattr(employee, "branch_id", None)
    for warehouse in warehouses:
        if warehouse.is_default and warehouse.branch_id == branch_id:
            return warehouse.pk
    for warehouse in warehouses:
        if warehouse.is_default:
            return warehouse.pk
    return warehouses[0].pk if len(warehouses) == 1 else None


def part_resolve(text: str) -> Part:
    """The part a keeper typed or scanned: its code, else its barcode, else its OEM number (one query).

    Raises `ValidationError` when nothing matches, or when an OEM number is shared by several parts
    and neither a code nor a barcode settles it.
    """
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Enter a part code, OEM number or barcode."), code="required")
    candidates = list(
        Part.objects.filter(Q(code__iexact=text) | Q(barcode=text) | Q(oem_number__iexact=text)).order_by("code")[:20]
    )
    for matches in (
        [p for p in candidates if p.code == text],
        [p for p in candidates if p.code.upper() == text.upper()],
        [p for p in candidates if p.barcode and p.barcode == text],
        [p for p in candidates if p.oem_number and p.oem_number.upper() == text.upper()],
    ):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ValidationError(
                _("Several parts match “%(value)s”; enter the part code.") % {"value": text}, code="ambiguous"
            )
    raise ValidationError(
        _("No part has the code, OEM number or barcode “%(value)s”.") % {"value": text}, code="unknown"
    )


def part_quick_search(queryset: QuerySet, q: str) -> QuerySet:
    """Rows (moves, reservations) of the parts a quick search finds: code, OEM number, barcode, name."""
    q = (q or "").strip()
    if not q:
        return queryset
    return queryset.filter(part__in=part_search(Part.objects.all(), q).values("pk"))


def move_reversal(*, user, move: StockMove) -> StockMove | None:
    """The move that reversed `move`, if any."""
    return StockMove.objects.for_user(user).filter(reverses_id=move.pk).select_related("created_by__employee").first()


def receipt_list(
    *,
    user,
    warehouse: int | None = None,
    supplier: int | None = None,
    q: str = "",
    date_from=None,
    date_to=None,
) -> QuerySet:
    """The receipts the user may see, newest first, each with its number of lines and its value."""
    queryset = (
        GoodsReceipt.objects.for_user(user)
        .select_related("warehouse", "supplier", "purchase_order", "created_by__employee")
        .annotate(line_count=Count("lines"), total=Sum("lines__move__value"))
    )
    if warehouse:
        queryset = queryset.filter(warehouse_id=warehouse)
    if supplier:
        queryset = queryset.filter(supplier_id=supplier)
    q = (q or "").strip()
    if q:
        queryset = queryset.filter(
            Q(number__icontains=q)
            | Q(note__icontains=q)
            | Q(pk__in=GoodsReceiptLine.objects.filter(part__in=part_search(Part.objects.all(), q)).values("receipt"))
        )
    if date_from:
        queryset = queryset.filter(created_at__date__gte=date_from)
    if date_to:
        queryset = queryset.filter(created_at__date__lte=date_to)
    return queryset.order_by("-id")


def receipt_detail(*, user, pk) -> GoodsReceipt:
    return get_for_user_or_404(
        GoodsReceipt.objects.select_related("warehouse__branch", "supplier", "purchase_order", "created_by__employee"),
        user,
        pk=pk,
    )


def receipt_lines(receipt: GoodsReceipt) -> list[GoodsReceiptLine]:
    """A receipt's lines with their parts, their moves and whatever reversed those moves (one query)."""
    return list(receipt.lines.select_related("part", "move", "move__reversed_by").order_by("id"))


def reservation_moves(*, user, reservation) -> list[StockMove]:
    """The issues posted against a reservation (and their reversals), oldest first."""
    return list(
        StockMove.objects.for_user(user)
        .filter(document_type="reservation", document_id=reservation.pk)
        .select_related("created_by__employee")
        .order_by("id")
    )


def balance_of(*, user, part_id: int, warehouse_id: int) -> StockBalance | None:
    """One balance the user may see, unlocked (to show what is available beside a form)."""
    return StockBalance.objects.for_user(user).filter(part_id=part_id, warehouse_id=warehouse_id).first()
