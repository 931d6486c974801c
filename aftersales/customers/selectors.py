"""Reads of customers and assets, all starting from the access funnel, in a fixed number of queries."""

from django.db.models import Prefetch, QuerySet

from aftersales.core.access import get_for_user_or_404
from aftersales.customers.models import Asset, Customer, CustomerImport
from aftersales.customers.services import search_normalize

CUSTOMER_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created_at": ("id",),
    "-created_at": ("-id",),
    "mobile": ("mobile", "id"),
    "-mobile": ("-mobile", "-id"),
}
ASSET_SORTS = {
    "plate": ("plate", "id"),
    "-plate": ("-plate", "-id"),
    "created_at": ("id",),
    "-created_at": ("-id",),
    "mileage": ("mileage", "id"),
    "-mileage": ("-mileage", "-id"),
}


def search_terms(q: str) -> list[str]:
    return [term for term in (search_normalize(part) for part in (q or "").split()) if term]


def customer_list(
    *,
    user,
    q: str = "",
    branch: int | None = None,
    kind: str = "",
    source: str = "",
    active: bool | None = True,
    sort: str = "",
) -> QuerySet:
    """Customers the user may see, filtered; every search term must appear in the customer's digest."""
    queryset = Customer.objects.for_user(user).select_related("branch")
    for term in search_terms(q):
        queryset = queryset.filter(search_text__contains=term)
    if branch:
        queryset = queryset.filter(branch_id=branch)
    if kind:
        queryset = queryset.filter(kind=kind)
    if source:
        queryset = queryset.filter(source=source)
    if active is not None:
        queryset = queryset.filter(active=active)
    return queryset.order_by(*CUSTOMER_SORTS.get(sort, ("-id",)))


# What a list shows of each asset: its label (`Asset.label`) and kind. Loading only these keeps a page of
# customers cheap; a template that shows more of an asset must add the field here (or the query-count
# tests catch one query per asset).
ASSET_BRIEF_FIELDS = (
    "id",
    "customer",
    "kind",
    "vin",
    "plate",
    "brand",
    "model",
    "serial",
    "imei",
    "registration_code",
    "site",
    "order_number",
)


def customers_with_assets(customers: list[Customer]) -> list[Customer]:
    """Attach each customer's active assets, as `active_assets` (one query for the whole page)."""
    from django.db.models import prefetch_related_objects

    assets = Asset.objects.filter(active=True).only(*ASSET_BRIEF_FIELDS).order_by("id")
    prefetch_related_objects(customers, Prefetch("assets", queryset=assets, to_attr="active_assets"))
    return customers


def customer_detail(*, user, pk) -> Customer:
    return get_for_user_or_404(
        Customer.objects.select_related("branch", "created_by").prefetch_related(
            Prefetch("assets", queryset=Asset.objects.order_by("-active", "id"))
        ),
        user,
        pk=pk,
    )


def asset_list(
    *,
    user,
    q: str = "",
    kind: str = "",
    branch: int | None = None,
    customer: int | None = None,
    active: bool | None = True,
    sort: str = "",
) -> QuerySet:
    """Assets the user may see; every search term must appear in the asset's digest (identifiers, customer)."""
    queryset = Asset.objects.for_user(user).select_related("customer", "branch")
    for term in search_terms(q):
        queryset = queryset.filter(search_text__contains=term)
    if kind:
        queryset = queryset.filter(kind=kind)
    if branch:
        queryset = queryset.filter(branch_id=branch)
    if customer:
        queryset = queryset.filter(customer_id=customer)
    if active is not None:
        queryset = queryset.filter(active=active)
    return queryset.order_by(*ASSET_SORTS.get(sort, ("-id",)))


def asset_detail(*, user, pk) -> Asset:
    return get_for_user_or_404(Asset.objects.select_related("customer", "branch"), user, pk=pk)


def customer_export_rows(queryset: QuerySet):
    """Rows in the import sheet's layout (one per vehicle), streamed in chunks for large exports."""
    from aftersales.customers.choices import AssetKind

    customers = queryset.select_related(None).prefetch_related(
        Prefetch("assets", queryset=Asset.objects.filter(active=True, kind=AssetKind.VEHICLE).order_by("id"))
    )
    for customer in customers.iterator(chunk_size=1000):
        head = [
            customer.name,
            customer.get_kind_display(),
            customer.mobile,
            customer.id_number,
            customer.address,
            customer.get_source_display(),
            customer.notes,
        ]
        vehicles = list(customer.assets.all())
        if not vehicles:
            yield [*head, "", "", "", "", None, None, None]
        for v in vehicles:
            yield [*head, v.vin, v.plate, v.brand, v.model, v.year, v.mileage, v.insurance_expiry]


def customer_import_get(*, user, pk) -> CustomerImport:
    return get_for_user_or_404(CustomerImport.objects.select_related("branch", "created_by"), user, pk=pk)
