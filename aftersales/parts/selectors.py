"""Reads of the catalogue, warehouses, balances and the ledger, each starting from the access funnel."""

from django.db.models import Q, QuerySet

from aftersales.core.access import get_for_user_or_404
from aftersales.parts.models import Part, StockBalance, StockMove, StockReservation, Supplier, Warehouse

PART_SORTS = {
    "code": ("code",),
    "-code": ("-code",),
    "name": ("name", "code"),
    "-name": ("-name", "-code"),
    "retail_price": ("retail_price", "code"),
    "-retail_price": ("-retail_price", "-code"),
}
BALANCE_SORTS = {
    "part": ("part__code", "warehouse__code"),
    "-part": ("-part__code", "warehouse__code"),
    "on_hand": ("on_hand", "part__code"),
    "-on_hand": ("-on_hand", "part__code"),
    "value": ("value", "part__code"),
    "-value": ("-value", "part__code"),
}


def part_search(queryset: QuerySet, q: str) -> QuerySet:
    """The parts keeper's quick search: a code, OEM number or barcode (from its start), or words of the name."""
    q = (q or "").strip()
    if not q:
        return queryset
    upper = q.upper()
    exact = Q(code__startswith=upper) | Q(oem_number__startswith=upper) | Q(barcode=q)
    words = Q()
    for word in q.split():
        words &= Q(name__icontains=word) | Q(brand__icontains=word)
    return queryset.filter(exact | words)


def part_list(
    *, user, q: str = "", category: str = "", supplier: int | None = None, active: bool | None = True, sort: str = ""
) -> QuerySet:
    queryset = Part.objects.for_user(user).select_related("supplier")
    queryset = part_search(queryset, q)
    if category:
        queryset = queryset.filter(category=category)
    if supplier:
        queryset = queryset.filter(supplier_id=supplier)
    if active is not None:
        queryset = queryset.filter(active=active)
    return queryset.order_by(*PART_SORTS.get(sort, ("code",)))


def part_detail(*, user, pk) -> Part:
    return get_for_user_or_404(Part.objects.select_related("supplier"), user, pk=pk)


def part_categories() -> list[str]:
    return list(Part.objects.exclude(category="").order_by("category").values_list("category", flat=True).distinct())


def supplier_list(*, user, q: str = "", active: bool | None = True) -> QuerySet:
    queryset = Supplier.objects.for_user(user)
    if q:
        queryset = queryset.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(contact__icontains=q))
    if active is not None:
        queryset = queryset.filter(active=active)
    return queryset.order_by("code")


def supplier_detail(*, user, pk) -> Supplier:
    return get_for_user_or_404(Supplier, user, pk=pk)


def warehouse_list(*, user, branch: int | None = None, active: bool | None = None) -> QuerySet:
    queryset = Warehouse.objects.for_user(user).select_related("branch")
    if branch:
        queryset = queryset.filter(branch_id=branch)
    if active is not None:
        queryset = queryset.filter(active=active)
    return queryset.order_by("branch__code", "-is_default", "code")


def warehouse_detail(*, user, pk) -> Warehouse:
    return get_for_user_or_404(Warehouse.objects.select_related("branch"), user, pk=pk)


def balance_list(
    *,
    user,
    part: int | None = None,
    warehouse: int | None = None,
    branch: int | None = None,
    q: str = "",
    in_stock: bool = False,
    sort: str = "",
) -> QuerySet:
    """Balances the user may see; `in_stock` keeps only what is on hand (a balance row stays once made)."""
    queryset = StockBalance.objects.for_user(user).select_related("part", "warehouse", "bin")
    if part:
        queryset = queryset.filter(part_id=part)
    if warehouse:
        queryset = queryset.filter(warehouse_id=warehouse)
    if branch:
        queryset = queryset.filter(warehouse__branch_id=branch)
    if q:
        queryset = queryset.filter(part__in=part_search(Part.objects.all(), q).values("pk"))
    if in_stock:
        queryset = queryset.filter(Q(on_hand__gt=0) | Q(reserved__gt=0))
    return queryset.order_by(*BALANCE_SORTS.get(sort, ("part__code", "warehouse__code")))


def part_balances(*, user, part: Part) -> list[StockBalance]:
    """A part's balance in every warehouse the user may see, including warehouses that hold none."""
    balances = {b.warehouse_id: b for b in StockBalance.objects.for_user(user).filter(part=part).select_related("bin")}
    rows = []
    for warehouse in Warehouse.objects.for_user(user).filter(active=True).select_related("branch"):
        balance = balances.get(warehouse.pk) or StockBalance(part=part, warehouse=warehouse)
        balance.warehouse = warehouse
        rows.append(balance)
    return rows


def move_list(
    *,
    user,
    part: int | None = None,
    warehouse: int | None = None,
    kind: str = "",
    reference: str = "",
    date_from=None,
    date_to=None,
) -> QuerySet:
    """The ledger the user may see, newest first."""
    queryset = StockMove.objects.for_user(user).select_related("part", "warehouse", "created_by")
    if part:
        queryset = queryset.filter(part_id=part)
    if warehouse:
        queryset = queryset.filter(warehouse_id=warehouse)
    if kind:
        queryset = queryset.filter(kind=kind)
    if reference:
        queryset = queryset.filter(reference__icontains=reference.strip())
    if date_from:
        queryset = queryset.filter(posted_at__date__gte=date_from)
    if date_to:
        queryset = queryset.filter(posted_at__date__lte=date_to)
    return queryset.order_by("-id")


def move_detail(*, user, pk) -> StockMove:
    return get_for_user_or_404(
        StockMove.objects.select_related("part", "warehouse__branch", "created_by", "reverses"), user, pk=pk
    )


def reservation_list(*, user, part: int | None = None, warehouse: int | None = None, status: str = "") -> QuerySet:
    queryset = StockReservation.objects.for_user(user).select_related("part", "warehouse", "created_by")
    if part:
        queryset = queryset.filter(part_id=part)
    if warehouse:
        queryset = queryset.filter(warehouse_id=warehouse)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-id")


def reservation_detail(*, user, pk) -> StockReservation:
    return get_for_user_or_404(StockReservation.objects.select_related("part", "warehouse"), user, pk=pk)
