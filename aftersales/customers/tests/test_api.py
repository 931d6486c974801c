"""The customers and assets API: fields, list shape, status codes and the error shape of issue 2."""

import pytest

from aftersales.core.models import AuditAction, AuditEvent
from aftersales.customers.models import Asset, Customer
from aftersales.customers.tests.factories import (
    CustomerFactory,
    DeviceFactory,
    VehicleFactory,
    make_imei,
    valid_vin,
    with_wrong_check_digit,
)

pytestmark = pytest.mark.usefixtures("english")

CUSTOMERS = "/api/v1/customers"
ASSETS = "/api/v1/assets"
CUSTOMER_FIELDS = {"name", "kind", "mobile", "branch", "id_number", "address"}
VEHICLE_FIELDS = {"customer", "kind", "vin", "plate", "brand", "model", "year", "mileage"}


@pytest.fixture
def advisor(person):
    return person("service_advisor")


@pytest.fixture
def client(api, advisor):
    return api(advisor)


@pytest.fixture
def customer(branch):
    return CustomerFactory(branch=branch, name="张伟", mobile="13812345678")


@pytest.fixture
def stranger(other_branch):
    """A customer of the other store, with a vehicle."""
    return VehicleFactory(customer__branch=other_branch, customer__name="王芳秘密客户").customer


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def patch(client, url, body):
    return client.patch(url, body, content_type="application/json")


def assert_error(response, status, code, fields=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]
    if fields is not None:
        assert set(body["fields"]) == set(fields), body
    return body


# -- customers --------------------------------------------------------------------------------------------------------


def test_customer_list_answers_items_and_count_with_the_contracts_fields(client, branch, customer):
    VehicleFactory(customer=customer, plate="京A12345")

    response = client.get(CUSTOMERS)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "count"}
    assert body["count"] == 1
    [item] = body["items"]
    assert CUSTOMER_FIELDS <= set(item)
    assert {k: item[k] for k in CUSTOMER_FIELDS} == {
        "name": "张伟",
        "kind": "person",
        "mobile": "13812345678",
        "branch": branch.pk,
        "id_number": "",
        "address": "",
    }
    assert item["id"] == customer.pk
    assert [asset["label"].split()[0] for asset in item["assets"]] == ["京A12345"]


def test_customer_list_pages_with_page_and_page_size(client, branch):
    CustomerFactory.create_batch(5, branch=branch)

    first = client.get(CUSTOMERS, {"page": 1, "page_size": 2}).json()
    third = client.get(CUSTOMERS, {"page": 3, "page_size": 2}).json()

    assert (first["count"], len(first["items"])) == (5, 2)
    assert (third["count"], len(third["items"])) == (5, 1)
    all_ids = {
        c["id"] for page in (1, 2, 3) for c in client.get(CUSTOMERS, {"page": page, "page_size": 2}).json()["items"]
    }
    assert all_ids == set(Customer.objects.values_list("id", flat=True))


def test_customer_list_searches_with_q(client, branch, customer):
    VehicleFactory(customer=customer, plate="京A12345")
    CustomerFactory(branch=branch, name="李娜")

    body = client.get(CUSTOMERS, {"q": "京a12345"}).json()

    assert [c["name"] for c in body["items"]] == ["张伟"]
    assert body["count"] == 1


def test_customer_list_leaves_out_other_branches(client, customer, stranger):
    body = client.get(CUSTOMERS).json()

    assert [c["name"] for c in body["items"]] == ["张伟"]
    assert client.get(CUSTOMERS, {"q": "王芳"}).json() == {"items": [], "count": 0}


def test_customer_list_page_size_is_capped(client, branch):
    CustomerFactory.create_batch(3, branch=branch)

    body = client.get(CUSTOMERS, {"page_size": 100000}).json()

    assert len(body["items"]) == 3


def test_customer_create_answers_201_with_the_normalised_customer(client, branch, advisor):
    response = post(
        client,
        CUSTOMERS,
        {
            "name": "北京顺达物流有限公司",
            "kind": "company",
            "mobile": "+86 137 0000 1111",
            "branch": branch.pk,
            "id_number": "91110000600037341l",
            "address": "北京市大兴区亦庄科创街18号",
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in CUSTOMER_FIELDS} == {
        "name": "北京顺达物流有限公司",
        "kind": "company",
        "mobile": "13700001111",
        "branch": branch.pk,
        "id_number": "91110000600037341L",
        "address": "北京市大兴区亦庄科创街18号",
    }
    created = Customer.objects.get(pk=body["id"])
    assert created.created_by == advisor
    assert AuditEvent.objects.filter(object_id=created.pk, action=AuditAction.CREATE, actor=advisor).exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "张三", "mobile": "1234"}, "mobile"),
        ({"name": "张三", "id_number": "110105194912310021"}, "id_number"),
        ({"name": "张三", "kind": "company", "id_number": "11010519491231002X"}, "id_number"),
        ({"name": "张三", "kind": "alien"}, "kind"),
        ({"mobile": "13800138000"}, "name"),
        ({"name": "张三", "source": "tv"}, "source"),
        ({"name": "张" * 101}, "name"),
    ],
    ids=["mobile", "id-card", "credit-code", "kind", "name-missing", "source", "name-too-long"],
)
def test_customer_create_with_invalid_input_answers_422_naming_the_field(client, branch, body, field):
    response = post(client, CUSTOMERS, {"branch": branch.pk, **body})

    assert_error(response, 422, "invalid", {field})
    assert Customer.objects.count() == 0


def test_customer_create_in_another_branch_answers_422_naming_the_branch(client, other_branch):
    response = post(client, CUSTOMERS, {"name": "张三", "branch": other_branch.pk})

    assert_error(response, 422, "invalid", {"branch"})
    assert Customer.objects.count() == 0


def test_customer_get(client, branch, customer):
    response = client.get(f"{CUSTOMERS}/{customer.pk}")

    assert response.status_code == 200
    assert response.json()["name"] == "张伟"
    assert response.json()["branch"] == branch.pk


def test_customer_of_another_branch_answers_404_like_a_missing_one(client, stranger):
    assert_error(client.get(f"{CUSTOMERS}/{stranger.pk}"), 404, "not_found")
    assert_error(client.get(f"{CUSTOMERS}/999999"), 404, "not_found")
    response = patch(client, f"{CUSTOMERS}/{stranger.pk}", {"name": "改名"})
    body = assert_error(response, 404, "not_found")
    assert "王芳" not in response.content.decode()
    assert body == assert_error(patch(client, f"{CUSTOMERS}/999999", {"name": "改名"}), 404, "not_found")
    assert Customer.objects.get(pk=stranger.pk).name == "王芳秘密客户"


def test_customer_patch_changes_only_what_is_sent(client, customer, advisor):
    response = patch(client, f"{CUSTOMERS}/{customer.pk}", {"mobile": "139 0000 1111"})

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["mobile"]) == ("张伟", "13900001111")
    [event] = AuditEvent.objects.filter(object_id=customer.pk, action=AuditAction.UPDATE)
    assert event.changes == {"mobile": {"before": "13812345678", "after": "13900001111"}}
    assert event.actor == advisor


def test_customer_patch_with_invalid_input_answers_422_and_changes_nothing(client, customer):
    response = patch(client, f"{CUSTOMERS}/{customer.pk}", {"name": "李四", "mobile": "555"})

    assert_error(response, 422, "invalid", {"mobile"})
    assert Customer.objects.get(pk=customer.pk).name == "张伟"


def test_customer_patch_to_another_branch_is_refused_for_a_store_user(client, customer, other_branch):
    response = patch(client, f"{CUSTOMERS}/{customer.pk}", {"branch": other_branch.pk})

    assert_error(response, 422, "invalid", {"branch"})
    assert Customer.objects.get(pk=customer.pk).branch_id != other_branch.pk


def test_customer_patch_moves_the_customer_for_a_regional_manager(api, person, region, customer, other_branch):
    vehicle = VehicleFactory(customer=customer)

    response = patch(
        api(person("regional_manager", branch=region)), f"{CUSTOMERS}/{customer.pk}", {"branch": other_branch.pk}
    )

    assert response.status_code == 200
    assert response.json()["branch"] == other_branch.pk
    assert Asset.objects.get(pk=vehicle.pk).branch == other_branch


def test_roles_not_allowed_answer_403(api, person, customer):
    technician = api(person("technician"))
    parts = api(person("parts_keeper"))

    assert technician.get(CUSTOMERS).status_code == 200
    assert_error(post(technician, CUSTOMERS, {"name": "张三", "branch": customer.branch_id}), 403, "forbidden")
    assert_error(patch(technician, f"{CUSTOMERS}/{customer.pk}", {"name": "李四"}), 403, "forbidden")
    assert_error(parts.get(CUSTOMERS), 403, "forbidden")
    assert_error(parts.get(f"{CUSTOMERS}/{customer.pk}"), 403, "forbidden")
    assert Customer.objects.get(pk=customer.pk).name == "张伟"


def test_anonymous_requests_answer_401(api, customer):
    anonymous = api(None)

    assert_error(anonymous.get(CUSTOMERS), 401, "not_authenticated")
    assert_error(anonymous.get(f"{CUSTOMERS}/{customer.pk}"), 401, "not_authenticated")
    assert_error(post(anonymous, CUSTOMERS, {"name": "张三", "branch": customer.branch_id}), 401, "not_authenticated")
    assert_error(anonymous.get(ASSETS), 401, "not_authenticated")


def test_a_wrong_token_answers_401(customer):
    from django.test import Client

    response = Client(HTTP_AUTHORIZATION="Bearer not-a-token").get(CUSTOMERS)

    assert_error(response, 401, "not_authenticated")


# -- assets -----------------------------------------------------------------------------------------------------------


KIND_BODIES = {
    "vehicle": {
        "vin": "1m8gdm9axkp042788",
        "plate": "粤b d12345",
        "brand": "比亚迪",
        "model": "汉EV",
        "year": 2023,
        "mileage": 12000,
    },
    "device": {"serial": "SN0001", "imei": "49-015420-323751-8", "model": "Mate 60"},
    "elevator": {"registration_code": "31101101002015070001", "site": "望京SOHO T1"},
    "furniture_order": {"order_number": "QW-2026-0001", "address": "北京市朝阳区望京街10号"},
    "equipment": {"serial": "EQ-778899", "model": "空压机 GA30"},
}
STORED = {
    "vehicle": {"vin": "1M8GDM9AXKP042788", "plate": "粤BD12345"},
    "device": {"imei": "490154203237518"},
}


@pytest.mark.parametrize("kind", KIND_BODIES)
def test_asset_create_answers_201_with_the_kinds_fields(client, customer, kind):
    response = post(client, ASSETS, {"customer": customer.pk, "kind": kind, **KIND_BODIES[kind]})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["customer"], body["kind"], body["branch"]) == (customer.pk, kind, customer.branch_id)
    expected = {**KIND_BODIES[kind], **STORED.get(kind, {})}
    assert {name: body[name] for name in expected} == expected
    asset = Asset.objects.get(pk=body["id"])
    assert {name: getattr(asset, name) for name in expected} == expected


def test_asset_with_a_wrong_vin_check_digit_answers_422_unless_confirmed(client, customer):
    body = {"customer": customer.pk, "kind": "vehicle", "vin": with_wrong_check_digit(valid_vin(1))}

    refused = post(client, ASSETS, body)
    error = assert_error(refused, 422, "vin_confirmation_required", {"vin"})
    assert body["vin"] in error["fields"]["vin"][0]
    assert Asset.objects.count() == 0

    accepted = post(client, ASSETS, {**body, "confirm_vin": True})
    assert accepted.status_code == 201
    assert accepted.json()["vin"] == body["vin"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "vehicle", "vin": valid_vin(1), "plate": "京O12345"}, "plate"),
        ({"kind": "vehicle", "vin": "LSVAU218X"}, "vin"),
        ({"kind": "vehicle", "plate": "京A12345"}, "vin"),
        ({"kind": "vehicle", "vin": valid_vin(1), "year": 1900}, "year"),
        ({"kind": "vehicle", "vin": valid_vin(1), "mileage": -1}, "mileage"),
        ({"kind": "device", "imei": "490154203237519"}, "imei"),
        ({"kind": "device", "model": "Mate 60"}, "serial"),
        ({"kind": "boat", "serial": "SN1"}, "kind"),
        ({"kind": "device", "serial": "SN1", "vin": valid_vin(1)}, "vin"),
        ({"kind": "vehicle", "vin": valid_vin(1), "registration_code": "R1"}, "registration_code"),
        ({"kind": "vehicle", "vin": valid_vin(1), "insurance_expiry": "2027-02-30"}, "insurance_expiry"),
    ],
    ids=[
        "bad-plate",
        "short-vin",
        "no-vin",
        "bad-year",
        "negative-mileage",
        "bad-imei",
        "device-without-serial-or-imei",
        "bad-kind",
        "vin-on-a-device",
        "registration-code-on-a-vehicle",
        "no-such-date",
    ],
)
def test_asset_create_with_invalid_input_answers_422_naming_the_field(client, customer, body, field):
    response = post(client, ASSETS, {"customer": customer.pk, **body})

    assert_error(response, 422, "invalid", {field})
    assert Asset.objects.count() == 0


def test_a_taken_vin_or_imei_answers_422_naming_the_field(client, branch, customer):
    vehicle = VehicleFactory(customer__branch=branch)
    device = DeviceFactory(customer__branch=branch)

    taken_vin = post(client, ASSETS, {"customer": customer.pk, "kind": "vehicle", "vin": vehicle.vin})
    taken_imei = post(client, ASSETS, {"customer": customer.pk, "kind": "device", "imei": device.imei})

    assert assert_error(taken_vin, 422, "invalid", {"vin"})["message"] == "Another vehicle already has this VIN."
    assert assert_error(taken_imei, 422, "invalid", {"imei"})["message"] == "Another device already has this IMEI."


def test_asset_for_another_branchs_customer_answers_422_naming_the_customer_without_leaking_it(client, stranger):
    response = post(client, ASSETS, {"customer": stranger.pk, "kind": "vehicle", "vin": valid_vin(1)})

    body = assert_error(response, 422, "invalid", {"customer"})
    missing = assert_error(
        post(client, ASSETS, {"customer": 999999, "kind": "vehicle", "vin": valid_vin(1)}), 422, "invalid"
    )
    assert body["fields"]["customer"] == [f"No customer with id {stranger.pk}."]
    assert missing["fields"]["customer"] == ["No customer with id 999999."]
    assert "王芳" not in response.content.decode()
    assert stranger.assets.count() == 1


def test_asset_get_and_list(client, customer, stranger):
    vehicle = VehicleFactory(customer=customer, plate="京A12345")
    device = DeviceFactory(customer=customer)

    one = client.get(f"{ASSETS}/{vehicle.pk}")
    assert one.status_code == 200
    assert VEHICLE_FIELDS <= set(one.json())
    assert (one.json()["plate"], one.json()["customer"]) == ("京A12345", customer.pk)

    listed = client.get(ASSETS).json()
    assert set(listed) == {"items", "count"}
    assert {a["id"] for a in listed["items"]} == {vehicle.pk, device.pk}
    assert listed["count"] == 2
    assert [a["id"] for a in client.get(ASSETS, {"kind": "device"}).json()["items"]] == [device.pk]
    assert [a["id"] for a in client.get(ASSETS, {"q": "京a12345"}).json()["items"]] == [vehicle.pk]
    assert [a["id"] for a in client.get(ASSETS, {"customer": customer.pk, "page_size": 1, "page": 2}).json()["items"]]
    assert client.get(ASSETS, {"customer": stranger.pk}).json() == {"items": [], "count": 0}


def test_another_branchs_asset_answers_404(client, stranger):
    vehicle = stranger.assets.get()

    assert_error(client.get(f"{ASSETS}/{vehicle.pk}"), 404, "not_found")
    assert_error(patch(client, f"{ASSETS}/{vehicle.pk}", {"mileage": 1}), 404, "not_found")
    assert Asset.objects.get(pk=vehicle.pk).mileage != 1


def test_asset_patch_changes_only_what_is_sent(client, customer, advisor):
    vehicle = VehicleFactory(customer=customer, plate="京A12345", mileage=30000, brand="大众")

    response = patch(client, f"{ASSETS}/{vehicle.pk}", {"plate": "京n 88888"})

    assert response.status_code == 200
    body = response.json()
    assert (body["plate"], body["mileage"], body["brand"], body["vin"]) == ("京N88888", 30000, "大众", vehicle.vin)
    [event] = AuditEvent.objects.filter(object_id=vehicle.pk, action=AuditAction.UPDATE)
    assert event.changes == {"plate": {"before": "京A12345", "after": "京N88888"}}
    assert [c["id"] for c in client.get(CUSTOMERS, {"q": "京N88888"}).json()["items"]] == [customer.pk]


def test_asset_patch_with_a_wrong_vin_check_digit_answers_422_unless_confirmed(client, customer):
    vehicle = VehicleFactory(customer=customer)
    original, wrong = vehicle.vin, with_wrong_check_digit(valid_vin(5))

    assert_error(patch(client, f"{ASSETS}/{vehicle.pk}", {"vin": wrong}), 422, "vin_confirmation_required", {"vin"})
    assert Asset.objects.get(pk=vehicle.pk).vin == original

    confirmed = patch(client, f"{ASSETS}/{vehicle.pk}", {"vin": wrong, "confirm_vin": True})
    assert confirmed.status_code == 200
    assert confirmed.json()["vin"] == wrong


@pytest.mark.parametrize(
    "body, field",
    [
        ({"plate": "ABC"}, "plate"),
        ({"imei": make_imei(1)}, "imei"),
        ({"kind": "ship"}, "kind"),
        ({"year": "新"}, "year"),
    ],
)
def test_asset_patch_with_invalid_input_answers_422_naming_the_field(client, customer, body, field):
    vehicle = VehicleFactory(customer=customer)

    assert_error(patch(client, f"{ASSETS}/{vehicle.pk}", body), 422, "invalid", {field})


def test_asset_patch_to_another_branchs_customer_answers_422_naming_the_customer(client, customer, stranger):
    vehicle = VehicleFactory(customer=customer)

    assert_error(patch(client, f"{ASSETS}/{vehicle.pk}", {"customer": stranger.pk}), 422, "invalid", {"customer"})
    assert Asset.objects.get(pk=vehicle.pk).customer == customer


def test_asset_roles_not_allowed_answer_403(api, person, customer):
    vehicle = VehicleFactory(customer=customer, mileage=100)
    technician = api(person("technician"))
    claims = api(person("claims_clerk"))

    assert technician.get(f"{ASSETS}/{vehicle.pk}").status_code == 200
    assert_error(patch(technician, f"{ASSETS}/{vehicle.pk}", {"mileage": 200}), 403, "forbidden")
    assert_error(post(claims, ASSETS, {"customer": customer.pk, "kind": "device", "serial": "S"}), 403, "forbidden")
    assert patch(claims, f"{ASSETS}/{vehicle.pk}", {"mileage": 300}).status_code == 200
    assert_error(api(person("hr")).get(ASSETS), 403, "forbidden")
    assert Asset.objects.get(pk=vehicle.pk).mileage == 300


def test_the_openapi_schema_describes_the_customer_and_asset_endpoints(client):
    schema = client.get("/api/v1/openapi.json").json()

    assert {
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/assets",
        "/api/v1/assets/{asset_id}",
    } <= set(schema["paths"])
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/customers"])
    assert {"get", "patch"} <= set(schema["paths"]["/api/v1/assets/{asset_id}"])
