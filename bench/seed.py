"""Bulk data for the benchmark: a region of stores, two people to sign in as, and many customers with vehicles.

Rows are written with `bulk_create`, not through the services (100,000 customers through the services
would take an hour), but they hold to the same rules: values come from `aftersales.demo.fake` (valid
mobiles, plates and VINs with a right check digit, checked again here), the search digest is built by
`customer_search_text` exactly as the services build it, and every asset carries its customer's branch.

Re-running tops the bench branches up to the number asked for; it never deletes and never duplicates:
customer number i is always the same fake customer, so a second run continues where the first stopped.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection, reset_queries, transaction

from aftersales.core.validators import (
    normalize_mobile,
    normalize_plate,
    normalize_vin,
    validate_mobile,
    validate_plate,
    validate_vin,
    vin_check_digit_ok,
)
from aftersales.customers.models import Asset, Customer
from aftersales.customers.services import SEARCH_ASSET_FIELDS, asset_search_text, customer_search_text
from aftersales.demo.fake import FakeCustomer, fake_customers
from aftersales.org.choices import BranchKind
from aftersales.org.models import Branch, Employee, User

REGION_CODE = "BENCH"
STORE_PREFIX = "BN"
PASSWORD = "Bench@2026"
ADVISOR = "bench-advisor"  # service advisor of the first bench store
REGIONAL = "bench-region"  # regional manager of the bench region: sees every bench store
SEED = 4242
# Fake customer serials start here, so bench mobiles (which carry the serial) never repeat the demo's.
SERIAL_BASE = 10_000_000


@dataclass(frozen=True)
class SeedResult:
    customers_before: int
    customers_created: int
    assets_created: int
    stores: int


def bench_region() -> Branch | None:
    return Branch.objects.filter(code=REGION_CODE).first()


def bench_branches(count: int) -> tuple[Branch, list[Branch]]:
    """The bench region and its `count` stores (BN01, BN02 …), created when missing."""
    region = bench_region()
    if region is None:
        region = Branch(code=REGION_CODE, name="压测区域", kind=BranchKind.REGION)
        region.full_clean()
        region.save()
    stores = []
    for number in range(1, count + 1):
        code = f"{STORE_PREFIX}{number:02d}"
        store = Branch.objects.filter(code=code).first()
        if store is None:
            store = Branch(code=code, name=f"压测门店{number:02d}", kind=BranchKind.STORE, parent=region)
            store.full_clean()
            store.save()
        stores.append(store)
    return region, stores


def _person(*, username: str, name: str, employee_no: str, branch: Branch, role: str) -> User:
    group = Group.objects.filter(name=role).first()
    if group is None:
        raise RuntimeError(f"role {role} is missing: run `manage.py migrate` first (it applies the role matrix)")
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=PASSWORD, first_name=name)
    elif not user.check_password(PASSWORD):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    employee = Employee.objects.filter(user=user).first()
    if employee is None:
        Employee.objects.create(user=user, employee_no=employee_no, name=name, branch=branch)
    elif employee.branch_id != branch.pk or not employee.active:
        Employee.objects.filter(pk=employee.pk).update(branch=branch, active=True)
    user.groups.set([group])
    return user


def bench_people(region: Branch, stores: list[Branch]) -> None:
    """The two people the benchmark signs in as (password `PASSWORD`)."""
    _person(username=ADVISOR, name="压测接待", employee_no="BENCH-01", branch=stores[0], role="service_advisor")
    _person(username=REGIONAL, name="压测区域经理", employee_no="BENCH-02", branch=region, role="regional_manager")


def bench_customer_count(region: Branch | None = None) -> int:
    region = region or bench_region()
    return Customer.objects.filter(branch__parent=region).count() if region else 0


def _checked_vehicle(vehicle) -> tuple[str, str]:
    vin, plate = normalize_vin(vehicle.vin), normalize_plate(vehicle.plate)
    validate_vin(vin)
    validate_plate(plate)
    if not vin_check_digit_ok(vin):
        raise ValidationError(f"generated VIN {vin} has a wrong check digit")
    return vin, plate


def _spread_mobile(mobile: str) -> str:
    """The fake mobile with its last eight digits shuffled: still distinct, no longer in serial order.

    `make_mobile` writes the customer's serial into the last eight digits, so neighbouring customers
    share most of them and a tail like "0055" would match a run of old customers only. Real tails are
    spread over the table; a benchmark of "search by mobile tail" needs that spread (it decides the plan).
    Multiplying by a number prime to 10⁸ is a bijection modulo 10⁸, so distinct mobiles stay distinct.
    """
    return mobile[:3] + f"{int(mobile[3:]) * 48_271 % 100_000_000:08d}"


def _vins_in_use(vins: list[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(vins), 900):  # stays under SQLite's limit on query parameters
        taken.update(Asset.objects.filter(vin__in=vins[start : start + 900]).values_list("vin", flat=True))
    return taken


def _rows(fakes: list[FakeCustomer], first: int, stores: list[Branch], taken_vins: set[str]):
    """Customer objects and, for each, its vehicles' field values; VINs already in use are left out."""
    rows = []
    for offset, fake in enumerate(fakes):
        store = stores[(first + offset) % len(stores)]
        mobile = normalize_mobile(_spread_mobile(fake.mobile))
        validate_mobile(mobile)
        vehicles = []
        for vehicle in fake.vehicles:
            vin, plate = _checked_vehicle(vehicle)
            if vin in taken_vins:
                continue
            taken_vins.add(vin)
            vehicles.append(
                {
                    "vin": vin,
                    "plate": plate,
                    "brand": vehicle.brand,
                    "model": vehicle.model,
                    "year": vehicle.year,
                    "mileage": vehicle.mileage,
                }
            )
        customer = Customer(
            kind=fake.kind,
            name=fake.name,
            mobile=mobile,
            address=fake.address,
            source=fake.source,
            branch=store,
        )
        # Newest asset first, as `customer_search_refresh` reads them (the assets' default ordering).
        digest_values = [tuple(values.get(name, "") for name in SEARCH_ASSET_FIELDS) for values in reversed(vehicles)]
        customer.search_text = customer_search_text(customer, digest_values)
        rows.append((customer, vehicles))
    return rows


def bench_seed(
    *,
    customers: int,
    branches: int = 4,
    batch: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> SeedResult:
    """Top the bench region up to `customers` customers (with one to four vehicles each) over `branches` stores."""
    if customers < 0 or branches < 1 or batch < 1:
        raise ValueError("customers must be ≥ 0, branches and batch ≥ 1")
    with transaction.atomic():
        region, stores = bench_branches(branches)
        bench_people(region, stores)
    before = bench_customer_count(region)
    created_customers = created_assets = 0
    for first in range(before, customers, batch):
        size = min(batch, customers - first)
        fakes = list(fake_customers(size, seed=SEED, start=SERIAL_BASE + first))
        taken = _vins_in_use([normalize_vin(v.vin) for fake in fakes for v in fake.vehicles])
        rows = _rows(fakes, first, stores, taken)
        rows[0][0].full_clean(exclude=["search_text"])  # a spot check of the whole model's rules
        with transaction.atomic():
            Customer.objects.bulk_create([customer for customer, _vehicles in rows], batch_size=1000)
            assets = [
                Asset(
                    customer=customer,
                    branch_id=customer.branch_id,
                    kind="vehicle",
                    **values,
                    search_text=asset_search_text(tuple(values.get(n, "") for n in SEARCH_ASSET_FIELDS), customer),
                )
                for customer, vehicles in rows
                for values in vehicles
            ]
            if assets:
                assets[0].full_clean()
            Asset.objects.bulk_create(assets, batch_size=1000)
        created_customers += len(rows)
        created_assets += len(assets)
        reset_queries()  # under DEBUG, Django would otherwise keep every bulk INSERT's text
        if progress:
            progress(before + created_customers, customers)
    if created_customers and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fresh statistics, so the planner knows the tables' new sizes before the first benchmark.
            cursor.execute("ANALYZE customers_customer, customers_asset")
    return SeedResult(
        customers_before=before,
        customers_created=created_customers,
        assets_created=created_assets,
        stores=len(stores),
    )
