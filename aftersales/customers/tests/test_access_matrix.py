"""Who may do what on every customers page and API endpoint: anonymous, each role in its own branch, and everyone
asking for another branch's objects (404, exactly like a missing one).

"Allowed" is derived from the role matrix (`aftersales.org.roles.ROLES`); a few cells are also pinned literally
so that a change of the matrix that breaks what the domain expects shows up here.
"""

import itertools

import pytest
from django.urls import reverse

from aftersales.core.testing import api_client, walk_role_matrix
from aftersales.customers import services
from aftersales.customers.tests.factories import (
    ZH_HEADERS,
    CustomerFactory,
    VehicleFactory,
    sheet_row,
    valid_vin,
    xlsx_upload,
)
from aftersales.org.roles import ROLES

pytestmark = pytest.mark.usefixtures("english")

_serial = itertools.count(1)


def allowed(*perms: str) -> set[str]:
    """The roles whose permissions include every one of `perms`."""
    return {code for code, role in ROLES.items() if set(perms) <= role.permissions}


class World:
    """One customer with a vehicle and one checked import sheet in each store."""

    def __init__(self, admin, branch, other_branch):
        self.branch, self.other_branch = branch, other_branch
        self.customer = CustomerFactory(branch=branch, name="张伟")
        self.vehicle = VehicleFactory(customer=self.customer)
        self.other_customer = CustomerFactory(branch=other_branch, name="王芳")
        self.other_vehicle = VehicleFactory(customer=self.other_customer)
        self.batch = self.preview(admin, branch)
        self.other_batch = self.preview(admin, other_branch)

    @staticmethod
    def preview(admin, branch):
        rows = [ZH_HEADERS, sheet_row(f"导入客户{next(_serial)}", "13700001111", valid_vin(next(_serial), wmi="LHG"))]
        return services.customer_import_preview(actor=admin, branch=branch, upload=xlsx_upload(rows))


@pytest.fixture
def world(admin_user, branch, other_branch):
    return World(admin_user, branch, other_branch)


def walk(world, *, own_url, other_url, perms, send, **kwargs):
    return walk_role_matrix(
        own_url=own_url,
        other_url=other_url,
        allowed=allowed(*perms),
        own_branch=world.branch,
        other_branch=world.other_branch,
        send=send,
        **kwargs,
    )


def get(client, url):
    return client.get(url)


# -- pages: GET -------------------------------------------------------------------------------------------------------


def _url(name, *args):
    return reverse(f"customers:{name}", args=args)


PAGES = {
    # name: (own url, other-branch url or None, permission)
    "customer_list": (lambda w: _url("customer_list"), None, "customers.view_customer"),
    "customer_detail": (
        lambda w: _url("customer_detail", w.customer.pk),
        lambda w: _url("customer_detail", w.other_customer.pk),
        "customers.view_customer",
    ),
    "customer_create": (lambda w: _url("customer_create"), None, "customers.add_customer"),
    "customer_edit": (
        lambda w: _url("customer_edit", w.customer.pk),
        lambda w: _url("customer_edit", w.other_customer.pk),
        "customers.change_customer",
    ),
    "asset_list": (lambda w: _url("asset_list"), None, "customers.view_asset"),
    "asset_detail": (
        lambda w: _url("asset_detail", w.vehicle.pk),
        lambda w: _url("asset_detail", w.other_vehicle.pk),
        "customers.view_asset",
    ),
    "asset_create": (
        lambda w: _url("asset_create", w.customer.pk),
        lambda w: _url("asset_create", w.other_customer.pk),
        "customers.add_asset",
    ),
    "asset_edit": (
        lambda w: _url("asset_edit", w.vehicle.pk),
        lambda w: _url("asset_edit", w.other_vehicle.pk),
        "customers.change_asset",
    ),
    "customer_import": (lambda w: _url("customer_import"), None, "customers.import_customer"),
    "customer_import_template": (lambda w: _url("customer_import_template"), None, "customers.import_customer"),
    "customer_import_preview": (
        lambda w: _url("customer_import_preview", w.batch.pk),
        lambda w: _url("customer_import_preview", w.other_batch.pk),
        "customers.import_customer",
    ),
    "customer_export": (lambda w: _url("customer_export"), None, "customers.export_customer"),
}


@pytest.mark.parametrize("page", PAGES)
def test_page_get_matrix(world, page):
    own, other, perm = PAGES[page]

    mismatches = walk(world, own_url=own(world), other_url=other(world) if other else None, perms=[perm], send=get)

    assert [str(m) for m in mismatches] == []


# -- pages: POST ------------------------------------------------------------------------------------------------------


def _customer_form(world, **extra):
    n = next(_serial)
    return {
        "kind": "person",
        "name": f"新客户{n}",
        "mobile": f"137{n:08d}",
        "source": "phone",
        "branch": world.branch.pk,
        **extra,
    }


PAGE_POSTS = {
    # name: (own url, other url or None, permissions, form data)
    "customer_create": (
        lambda w: _url("customer_create"),
        None,
        ["customers.add_customer"],
        lambda w: {**_customer_form(w), "vehicle-vin": valid_vin(next(_serial)), "vehicle-plate": "京A12345"},
    ),
    "customer_edit": (
        lambda w: _url("customer_edit", w.customer.pk),
        lambda w: _url("customer_edit", w.other_customer.pk),
        ["customers.change_customer"],
        lambda w: _customer_form(w, name="张伟", active="on"),
    ),
    "asset_create": (
        lambda w: _url("asset_create", w.customer.pk),
        lambda w: _url("asset_create", w.other_customer.pk),
        ["customers.add_asset"],
        lambda w: {"kind": "vehicle", "vin": valid_vin(next(_serial))},
    ),
    "asset_edit": (
        lambda w: _url("asset_edit", w.vehicle.pk),
        lambda w: _url("asset_edit", w.other_vehicle.pk),
        ["customers.change_asset"],
        lambda w: {"kind": "vehicle", "vin": w.vehicle.vin, "mileage": str(next(_serial)), "active": "on"},
    ),
    "customer_import": (
        lambda w: _url("customer_import"),
        None,
        ["customers.import_customer"],
        lambda w: {
            "branch": w.branch.pk,
            "file": xlsx_upload([ZH_HEADERS, sheet_row("张三", "13800138000", valid_vin(next(_serial)))]),
        },
    ),
    "customer_import_commit": (
        lambda w: _url("customer_import_commit", w.batch.pk),
        lambda w: _url("customer_import_commit", w.other_batch.pk),
        ["customers.import_customer"],
        lambda w: {},
    ),
    "customer_import_discard": (
        lambda w: _url("customer_import_discard", w.batch.pk),
        lambda w: _url("customer_import_discard", w.other_batch.pk),
        ["customers.import_customer"],
        lambda w: {},
    ),
}


@pytest.mark.parametrize("page", PAGE_POSTS)
def test_page_post_matrix(world, page):
    own, other, perms, form = PAGE_POSTS[page]

    def send(client, url):
        return client.post(url, form(world))

    mismatches = walk(
        world, own_url=own(world), other_url=other(world) if other else None, perms=perms, send=send, ok=302
    )

    assert [str(m) for m in mismatches] == []


def test_posts_from_another_branch_change_nothing(world, pages, person, other_branch):
    from aftersales.customers.models import Asset, Customer, CustomerImport

    shanghai = pages(person("service_manager", branch=other_branch))
    before = (world.customer.name, world.vehicle.mileage)

    shanghai.post(_url("customer_edit", world.customer.pk), _customer_form(world, name="改名", active="on"))
    shanghai.post(_url("asset_edit", world.vehicle.pk), {"kind": "vehicle", "vin": world.vehicle.vin, "mileage": "1"})
    shanghai.post(_url("customer_import_commit", world.batch.pk))

    assert (Customer.objects.get(pk=world.customer.pk).name, Asset.objects.get(pk=world.vehicle.pk).mileage) == before
    assert CustomerImport.objects.get(pk=world.batch.pk).status == "previewed"


# -- API --------------------------------------------------------------------------------------------------------------


def _json(method):
    def send_with(body):
        def send(client, url):
            return getattr(client, method)(url, body(), content_type="application/json")

        return send

    return send_with


API = {
    # name: (own url, other url or None, permission, send, ok)
    "GET customers": (lambda w: "/api/v1/customers", None, "customers.view_customer", lambda w: get, 200),
    "POST customers": (
        lambda w: "/api/v1/customers",
        None,
        "customers.add_customer",
        lambda w: _json("post")(lambda: {"name": f"接口客户{next(_serial)}", "branch": w.branch.pk}),
        201,
    ),
    "GET customer": (
        lambda w: f"/api/v1/customers/{w.customer.pk}",
        lambda w: f"/api/v1/customers/{w.other_customer.pk}",
        "customers.view_customer",
        lambda w: get,
        200,
    ),
    "PATCH customer": (
        lambda w: f"/api/v1/customers/{w.customer.pk}",
        lambda w: f"/api/v1/customers/{w.other_customer.pk}",
        "customers.change_customer",
        lambda w: _json("patch")(lambda: {"address": f"朝阳路{next(_serial)}号"}),
        200,
    ),
    "GET assets": (lambda w: "/api/v1/assets", None, "customers.view_asset", lambda w: get, 200),
    "POST assets": (
        lambda w: "/api/v1/assets",
        None,
        "customers.add_asset",
        lambda w: _json("post")(
            lambda: {"customer": w.customer.pk, "kind": "vehicle", "vin": valid_vin(next(_serial))}
        ),
        201,
    ),
    "GET asset": (
        lambda w: f"/api/v1/assets/{w.vehicle.pk}",
        lambda w: f"/api/v1/assets/{w.other_vehicle.pk}",
        "customers.view_asset",
        lambda w: get,
        200,
    ),
    "PATCH asset": (
        lambda w: f"/api/v1/assets/{w.vehicle.pk}",
        lambda w: f"/api/v1/assets/{w.other_vehicle.pk}",
        "customers.change_asset",
        lambda w: _json("patch")(lambda: {"mileage": next(_serial)}),
        200,
    ),
}


@pytest.mark.parametrize("endpoint", API)
def test_api_matrix(world, endpoint):
    own, other, perm, send, ok = API[endpoint]

    mismatches = walk(
        world,
        own_url=own(world),
        other_url=other(world) if other else None,
        perms=[perm],
        send=send(world),
        client_for=api_client,
        ok=ok,
        anonymous=401,
    )

    assert [str(m) for m in mismatches] == []


def test_api_asset_for_another_branchs_customer_is_422_for_every_role_that_may_add(world, api, person):
    for role in sorted(allowed("customers.add_asset")):
        response = api(person(role)).post(
            "/api/v1/assets",
            {"customer": world.other_customer.pk, "kind": "vehicle", "vin": valid_vin(next(_serial))},
            content_type="application/json",
        )
        assert response.status_code == 422, role
        assert set(response.json()["fields"]) == {"customer"}
    assert world.other_customer.assets.count() == 1


# -- cells pinned literally -------------------------------------------------------------------------------------------


def test_the_matrix_keeps_the_cells_the_domain_expects():
    assert not {"parts_keeper", "hr"} & allowed("customers.view_customer")
    assert "technician" in allowed("customers.view_customer")
    assert "technician" not in allowed("customers.change_customer")
    assert "technician" not in allowed("customers.change_asset")
    assert "customer_care" in allowed("customers.import_customer")
    assert {"service_advisor", "customer_care", "service_manager"} <= allowed(
        "customers.add_customer", "customers.add_asset"
    )
    assert "service_advisor" not in allowed("customers.import_customer")


@pytest.mark.parametrize("role", ["parts_keeper", "hr"])
def test_parts_keepers_and_hr_may_not_see_customers(world, pages, person, role):
    client = pages(person(role))

    assert client.get(_url("customer_list")).status_code == 403
    assert client.get(_url("customer_detail", world.customer.pk)).status_code == 403
    assert api_client(person(role)).get("/api/v1/customers").status_code == 403


def test_technicians_may_view_but_not_edit(world, pages, person):
    client = pages(person("technician"))

    assert client.get(_url("customer_detail", world.customer.pk)).status_code == 200
    assert client.get(_url("asset_detail", world.vehicle.pk)).status_code == 200
    assert client.get(_url("customer_edit", world.customer.pk)).status_code == 403
    assert client.get(_url("asset_edit", world.vehicle.pk)).status_code == 403
    assert client.post(_url("customer_edit", world.customer.pk), _customer_form(world, name="改名")).status_code == 403


def test_customer_care_may_import(world, pages, person):
    client = pages(person("customer_care"))

    assert client.get(_url("customer_import")).status_code == 200
    response = client.post(
        _url("customer_import"),
        {"branch": world.branch.pk, "file": xlsx_upload([ZH_HEADERS, sheet_row("张三", "13800138000")])},
    )
    assert response.status_code == 302
    assert client.post(response["Location"] + "commit/").status_code == 302


def test_a_regional_manager_reaches_both_stores_objects(world, pages, person, region):
    client = pages(person("regional_manager", branch=region))

    assert client.get(_url("customer_detail", world.other_customer.pk)).status_code == 200
    assert client.get(_url("asset_edit", world.other_vehicle.pk)).status_code == 200
    assert client.get(_url("customer_import_preview", world.other_batch.pk)).status_code == 403


def test_a_superuser_reaches_every_branch(world, pages, admin_user):
    client = pages(admin_user)

    assert client.get(_url("customer_detail", world.other_customer.pk)).status_code == 200
    assert client.get(_url("customer_import_preview", world.other_batch.pk)).status_code == 200


def test_a_missing_object_answers_404_like_another_branchs(world, pages, person):
    client = pages(person("service_manager"))

    assert client.get(_url("customer_detail", 999999)).status_code == 404
    assert client.get(_url("asset_edit", 999999)).status_code == 404
    assert client.get(_url("customer_import_preview", 999999)).status_code == 404
