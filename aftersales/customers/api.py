"""API of customers and their assets."""

import datetime
from typing import Literal

from ninja import Field, Router, Schema, Status

from aftersales.core.api import ErrorOut, ListOut, api_page, require_api_perm, resolve
from aftersales.customers import selectors, services
from aftersales.customers.models import Asset, Customer
from aftersales.org.models import Branch

router = Router(tags=["customers"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
CustomerKindIn = Literal["person", "company"]
SourceIn = Literal["walk_in", "phone", "referral", "online", "vehicle_sale", "insurance", "fleet", "import", "other"]
AssetKindIn = Literal["vehicle", "device", "elevator", "furniture_order", "equipment"]


# -- customers --------------------------------------------------------------------------------------------------------


class AssetBrief(Schema):
    id: int
    kind: str
    label: str


class CustomerOut(Schema):
    id: int
    name: str
    kind: str
    mobile: str
    branch: int = Field(alias="branch_id")
    id_number: str
    address: str
    source: str
    notes: str
    active: bool
    created_at: datetime.datetime
    assets: list[AssetBrief]


def customer_out(customer: Customer) -> dict:
    assets = getattr(customer, "active_assets", None)
    if assets is None:
        assets = [a for a in customer.assets.all() if a.active]
    return {
        "id": customer.pk,
        "name": customer.name,
        "kind": customer.kind,
        "mobile": customer.mobile,
        "branch_id": customer.branch_id,
        "id_number": customer.id_number,
        "address": customer.address,
        "source": customer.source,
        "notes": customer.notes,
        "active": customer.active,
        "created_at": customer.created_at,
        "assets": [{"id": a.pk, "kind": a.kind, "label": a.label} for a in assets],
    }


class CustomerIn(Schema):
    name: str = Field(max_length=100)
    kind: CustomerKindIn = "person"
    mobile: str = ""
    branch: int
    id_number: str = ""
    address: str = Field("", max_length=200)
    source: SourceIn = "walk_in"
    notes: str = ""


class CustomerPatch(Schema):
    name: str | None = Field(None, max_length=100)
    kind: CustomerKindIn | None = None
    mobile: str | None = None
    branch: int | None = None
    id_number: str | None = None
    address: str | None = Field(None, max_length=200)
    source: SourceIn | None = None
    notes: str | None = None
    active: bool | None = None


@router.get("/customers", response={200: ListOut[CustomerOut], **ERRORS})
def customer_list(
    request,
    q: str = "",
    branch: int | None = None,
    kind: CustomerKindIn | None = None,
    page: int = 1,
    page_size: int = 50,
):
    require_api_perm(request, "customers.view_customer")
    queryset = selectors.customer_list(user=request.user, q=q, branch=branch, kind=kind or "", active=None)

    def serialize_page(items):
        return [customer_out(c) for c in selectors.customers_with_assets(items)]

    page_data = api_page(queryset, page=page, page_size=page_size)
    return {"items": serialize_page(page_data["items"]), "count": page_data["count"]}


@router.post("/customers", response={201: CustomerOut, **ERRORS})
def customer_create(request, payload: CustomerIn):
    require_api_perm(request, "customers.add_customer")
    branch = resolve(Branch.objects, request.user, payload.branch, "branch")
    customer = services.customer_create(actor=request.user, **{**payload.dict(), "branch": branch})
    return Status(201, customer_out(selectors.customer_detail(user=request.user, pk=customer.pk)))


@router.get("/customers/{customer_id}", response={200: CustomerOut, **ERRORS})
def customer_get(request, customer_id: int):
    customer = selectors.customer_detail(user=request.user, pk=customer_id)
    require_api_perm(request, "customers.view_customer")
    return customer_out(customer)


@router.patch("/customers/{customer_id}", response={200: CustomerOut, **ERRORS})
def customer_patch(request, customer_id: int, payload: CustomerPatch):
    customer = selectors.customer_detail(user=request.user, pk=customer_id)
    require_api_perm(request, "customers.change_customer")
    data = payload.dict(exclude_unset=True)
    if "branch" in data:
        data["branch"] = resolve(Branch.objects, request.user, data["branch"], "branch")
    services.customer_update(actor=request.user, customer=customer, data=data)
    return customer_out(selectors.customer_detail(user=request.user, pk=customer.pk))


# -- assets -----------------------------------------------------------------------------------------------------------


class AssetOut(Schema):
    id: int
    customer: int = Field(alias="customer_id")
    branch: int = Field(alias="branch_id")
    kind: str
    label: str
    vin: str
    plate: str
    brand: str
    model: str
    year: int | None
    mileage: int | None
    insurance_expiry: datetime.date | None
    serial: str
    imei: str
    registration_code: str
    site: str
    order_number: str
    address: str
    notes: str
    active: bool


class AssetIn(Schema):
    customer: int
    kind: AssetKindIn
    vin: str = ""
    plate: str = ""
    brand: str = Field("", max_length=40)
    model: str = Field("", max_length=60)
    year: int | None = None
    mileage: int | None = Field(None, ge=0)
    insurance_expiry: datetime.date | None = None
    serial: str = Field("", max_length=40)
    imei: str = ""
    registration_code: str = Field("", max_length=40)
    site: str = Field("", max_length=200)
    order_number: str = Field("", max_length=40)
    address: str = Field("", max_length=200)
    notes: str = ""
    confirm_vin: bool = False


class AssetPatch(Schema):
    customer: int | None = None
    kind: AssetKindIn | None = None
    vin: str | None = None
    plate: str | None = None
    brand: str | None = Field(None, max_length=40)
    model: str | None = Field(None, max_length=60)
    year: int | None = None
    mileage: int | None = Field(None, ge=0)
    insurance_expiry: datetime.date | None = None
    serial: str | None = Field(None, max_length=40)
    imei: str | None = None
    registration_code: str | None = Field(None, max_length=40)
    site: str | None = Field(None, max_length=200)
    order_number: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=200)
    notes: str | None = None
    active: bool | None = None
    confirm_vin: bool = False


@router.get("/assets", response={200: ListOut[AssetOut], **ERRORS})
def asset_list(
    request,
    q: str = "",
    kind: AssetKindIn | None = None,
    customer: int | None = None,
    page: int = 1,
    page_size: int = 50,
):
    require_api_perm(request, "customers.view_asset")
    queryset = selectors.asset_list(user=request.user, q=q, kind=kind or "", customer=customer, active=None)
    return api_page(queryset, page=page, page_size=page_size)


@router.post("/assets", response={201: AssetOut, **ERRORS})
def asset_create(request, payload: AssetIn):
    require_api_perm(request, "customers.add_asset")
    data = payload.dict()
    customer = resolve(Customer.objects, request.user, data.pop("customer"), "customer")
    asset = services.asset_create(actor=request.user, customer=customer, **data)
    return Status(201, asset)


@router.get("/assets/{asset_id}", response={200: AssetOut, **ERRORS})
def asset_get(request, asset_id: int):
    asset = selectors.asset_detail(user=request.user, pk=asset_id)
    require_api_perm(request, "customers.view_asset")
    return asset


@router.patch("/assets/{asset_id}", response={200: AssetOut, **ERRORS})
def asset_patch(request, asset_id: int, payload: AssetPatch):
    asset = selectors.asset_detail(user=request.user, pk=asset_id)
    require_api_perm(request, "customers.change_asset")
    data = payload.dict(exclude_unset=True)
    confirm_vin = data.pop("confirm_vin", False)
    if "customer" in data:
        data["customer"] = resolve(Customer.objects, request.user, data["customer"], "customer")
    services.asset_update(actor=request.user, asset=asset, data=data, confirm_vin=confirm_vin)
    return Asset.objects.get(pk=asset.pk)
