"""The customer and asset pages: create with a vehicle, VIN confirmation, errors beside fields, edit, assets of every
kind, the customer page with its assets and history, and the lists with search, filters, pages and htmx."""

import html as html_lib
import re

import pytest
from django.urls import reverse

from aftersales.core.models import AuditAction, AuditEvent
from aftersales.customers.models import Asset, Customer
from aftersales.customers.tests.factories import (
    CustomerFactory,
    DeviceFactory,
    VehicleFactory,
    valid_vin,
    with_wrong_check_digit,
)

pytestmark = pytest.mark.usefixtures("english")

CREATE = reverse("customers:customer_create")
LIST = reverse("customers:customer_list")
ASSET_LIST = reverse("customers:asset_list")


@pytest.fixture
def advisor(person):
    return person("service_advisor")


@pytest.fixture
def client(pages, advisor):
    return pages(advisor)


@pytest.fixture
def customer(branch):
    return CustomerFactory(branch=branch, name="张伟", mobile="13812345678")


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def field_errors(response, auto_id: str) -> list[str]:
    """The errors the page shows beside one field (the list the field's template links to it)."""
    match = re.search(rf'<ul class="errorlist" id="{re.escape(auto_id)}_error">(.*?)</ul>', text(response), re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1), re.S) if match else []


def toasts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def customer_post(branch, **overrides) -> dict:
    data = {
        "kind": "person",
        "name": "张三",
        "mobile": "138 0013 8000",
        "id_number": "",
        "address": "北京市朝阳区建国路88号",
        "source": "phone",
        "branch": branch.pk,
        "notes": "",
    }
    return {**data, **overrides}


def vehicle_post(**fields) -> dict:
    return {f"vehicle-{name}": value for name, value in fields.items()}


# -- new customer with a vehicle --------------------------------------------------------------------------------------


def test_create_a_customer_with_a_vehicle_in_one_post(client, branch, advisor):
    vin = valid_vin(1)
    data = {
        **customer_post(branch),
        **vehicle_post(vin=vin.lower(), plate="京a 12345", brand="大众", model="帕萨特", year="2022", mileage="35000"),
    }

    response = client.post(CREATE, data, follow=True)

    created = Customer.objects.get()
    assert response.redirect_chain == [(created.get_absolute_url(), 302)]
    assert toasts(response) == ["Customer 张三 created."]
    assert (created.name, created.mobile, created.source, created.created_by) == (
        "张三",
        "13800138000",
        "phone",
        advisor,
    )
    vehicle = created.assets.get()
    assert (vehicle.kind, vehicle.vin, vehicle.plate, vehicle.year, vehicle.mileage) == (
        "vehicle",
        vin,
        "京A12345",
        2022,
        35000,
    )
    page = text(response)
    assert "京A12345" in page and vin in page


def test_create_a_customer_without_a_vehicle(client, branch):
    response = client.post(CREATE, {**customer_post(branch), **vehicle_post(vin="", plate="")})

    created = Customer.objects.get()
    assert response.status_code == 302
    assert created.assets.count() == 0


def test_the_new_customer_page_offers_the_users_branch_and_no_confirm_box(client, branch, other_branch):
    response = client.get(CREATE)

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields["branch"].queryset) == [branch]
    assert form.initial["branch"] == branch.pk
    assert 'name="vehicle-vin"' in text(response)
    assert 'name="vehicle-confirm_vin"' not in text(response)


def test_vin_warning_shows_the_confirm_box_and_a_confirmed_save_works(client, branch):
    wrong = with_wrong_check_digit(valid_vin(1))
    data = {**customer_post(branch), **vehicle_post(vin=wrong, plate="京A12345")}

    warned = client.post(CREATE, data)

    assert warned.status_code == 200
    assert warned.context["vin_warning"] is True
    page = text(warned)
    assert 'name="vehicle-confirm_vin"' in page
    assert "check digit does not match" in page
    [error] = field_errors(warned, "id_vehicle-vin")
    assert wrong in error
    assert (Customer.objects.count(), Asset.objects.count()) == (0, 0)

    saved = client.post(CREATE, {**data, "vehicle-confirm_vin": "on"})

    assert saved.status_code == 302
    assert Asset.objects.get().vin == wrong
    assert Customer.objects.count() == 1


def test_invalid_customer_input_is_shown_beside_the_field_and_nothing_is_saved(client, branch):
    data = {**customer_post(branch, mobile="12345"), **vehicle_post(vin=valid_vin(1))}

    response = client.post(CREATE, data)

    assert response.status_code == 200
    [error] = field_errors(response, "id_mobile")
    assert "12345 is not a mainland mobile number" in error
    assert field_errors(response, "id_vehicle-vin") == []
    assert (Customer.objects.count(), Asset.objects.count()) == (0, 0)


def test_invalid_vehicle_input_is_shown_beside_the_vehicle_field_and_the_customer_is_not_saved(client, branch):
    data = {**customer_post(branch), **vehicle_post(vin=valid_vin(1), plate="京O12345")}

    response = client.post(CREATE, data)

    assert response.status_code == 200
    [error] = field_errors(response, "id_vehicle-plate")
    assert "京O12345 is not a valid plate" in error
    assert field_errors(response, "id_mobile") == []
    assert response.context["vin_warning"] is False
    assert (Customer.objects.count(), Asset.objects.count()) == (0, 0)


def test_a_taken_vin_is_shown_beside_the_vin(client, branch):
    taken = VehicleFactory(customer__branch=branch)

    response = client.post(CREATE, {**customer_post(branch), **vehicle_post(vin=taken.vin)})

    assert field_errors(response, "id_vehicle-vin") == ["Another vehicle already has this VIN."]
    assert Customer.objects.count() == 1


def test_a_missing_name_is_asked_for(client, branch):
    response = client.post(CREATE, customer_post(branch, name=""))

    assert field_errors(response, "id_name") == ["This field is required."]
    assert Customer.objects.count() == 0


def test_another_branch_cannot_be_chosen(client, branch, other_branch):
    response = client.post(CREATE, {**customer_post(branch), "branch": other_branch.pk})

    assert response.status_code == 200
    assert field_errors(response, "id_branch")
    assert Customer.objects.count() == 0


# -- edit -------------------------------------------------------------------------------------------------------------


def test_edit_page_shows_the_customer_and_saves_changes_with_history(client, customer, advisor):
    url = reverse("customers:customer_edit", args=[customer.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert 'value="13812345678"' in text(page)

    data = customer_post(customer.branch, name="张伟", mobile="+86 139 0000 1111", active="on")
    response = client.post(url, data, follow=True)

    assert response.redirect_chain == [(customer.get_absolute_url(), 302)]
    assert toasts(response) == ["Customer saved."]
    customer.refresh_from_db()
    assert customer.mobile == "13900001111"
    history = text(response)
    assert "History" in history
    assert "13812345678" in history and "13900001111" in history


def test_edit_with_invalid_input_shows_the_error_and_changes_nothing(client, customer):
    url = reverse("customers:customer_edit", args=[customer.pk])

    response = client.post(url, customer_post(customer.branch, kind="person", id_number="110105194912310021"))

    assert response.status_code == 200
    [error] = field_errors(response, "id_id_number")
    assert "not a valid resident ID card number" in error
    customer.refresh_from_db()
    assert (customer.name, customer.id_number) == ("张伟", "")
    assert not AuditEvent.objects.filter(object_id=customer.pk, action=AuditAction.UPDATE).exists()


def test_unticking_active_deactivates_the_customer(client, customer):
    url = reverse("customers:customer_edit", args=[customer.pk])

    client.post(url, customer_post(customer.branch, name="张伟", mobile="13812345678"))

    customer.refresh_from_db()
    assert customer.active is False
    assert "张伟" not in text(client.get(LIST))
    assert "张伟" in text(client.get(LIST, {"active": "0"}))


# -- assets -----------------------------------------------------------------------------------------------------------


KIND_POSTS = {
    "vehicle": {"vin": "1m8gdm9axkp042788", "plate": "粤b d12345", "brand": "比亚迪", "model": "汉EV", "year": "2023"},
    "device": {"serial": "SN0001", "imei": "490154203237518", "brand": "华为", "model": "Mate 60"},
    "elevator": {"registration_code": "31101101002015070001", "site": "望京SOHO T1", "brand": "奥的斯"},
    "furniture_order": {"order_number": "QW-2026-0001", "address": "北京市朝阳区望京街10号"},
    "equipment": {"serial": "EQ-778899", "brand": "阿特拉斯", "model": "GA30"},
}
KIND_SAVED = {
    "vehicle": {"vin": "1M8GDM9AXKP042788", "plate": "粤BD12345", "year": 2023},
}


@pytest.mark.parametrize("kind", KIND_POSTS)
def test_add_an_asset_of_each_kind(client, customer, kind):
    url = reverse("customers:asset_create", args=[customer.pk])

    response = client.post(url, {"kind": kind, **KIND_POSTS[kind]}, follow=True)

    asset = Asset.objects.get()
    assert response.redirect_chain == [(customer.get_absolute_url(), 302)]
    assert toasts(response) == ["Asset added."]
    assert (asset.kind, asset.customer, asset.branch) == (kind, customer, customer.branch)
    expected = {**KIND_POSTS[kind], **KIND_SAVED.get(kind, {})}
    assert {name: getattr(asset, name) for name in expected} == expected
    assert asset.label in text(response)


def test_the_new_asset_page_starts_with_the_kind_asked_for(client, customer):
    response = client.get(reverse("customers:asset_create", args=[customer.pk]), {"kind": "elevator"})

    assert response.status_code == 200
    assert response.context["form"]["kind"].value() == "elevator"


def test_fields_of_other_kinds_left_in_the_form_are_not_saved(client, customer):
    url = reverse("customers:asset_create", args=[customer.pk])

    client.post(url, {"kind": "device", "serial": "SN0001", "vin": valid_vin(1), "plate": "京A12345"})

    device = Asset.objects.get()
    assert (device.kind, device.serial, device.vin, device.plate) == ("device", "SN0001", "", "")


def test_identifiers_typed_with_spaces_and_dashes_are_accepted(client, customer):
    url = reverse("customers:asset_create", args=[customer.pk])
    vin = valid_vin(1)
    spaced = f"{vin[:3]} {vin[3:9]} {vin[9:]}"

    vehicle = client.post(url, {"kind": "vehicle", "vin": spaced, "plate": "粤B·D12345"})
    device = client.post(url, {"kind": "device", "imei": "49-015420-323751-8"})

    assert vehicle.status_code == 302, vehicle.context["form"].errors
    assert device.status_code == 302, device.context["form"].errors
    assert set(Asset.objects.values_list("vin", "plate", "imei")) == {
        (vin, "粤BD12345", ""),
        ("", "", "490154203237518"),
    }


def test_asset_vin_warning_shows_the_confirm_box_and_a_confirmed_save_works(client, customer):
    url = reverse("customers:asset_create", args=[customer.pk])
    wrong = with_wrong_check_digit(valid_vin(1))

    warned = client.post(url, {"kind": "vehicle", "vin": wrong})

    assert warned.context["vin_warning"] is True
    assert 'name="confirm_vin"' in text(warned)
    assert wrong in field_errors(warned, "id_vin")[0]
    assert Asset.objects.count() == 0

    saved = client.post(url, {"kind": "vehicle", "vin": wrong, "confirm_vin": "on"})

    assert saved.status_code == 302
    assert Asset.objects.get().vin == wrong


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "device", "imei": "490154203237519"}, "id_imei"),
        ({"kind": "vehicle", "plate": "京A12345"}, "id_vin"),
        ({"kind": "elevator", "site": "望京SOHO"}, "id_registration_code"),
        ({"kind": "vehicle", "vin": valid_vin(1), "year": "1900"}, "id_year"),
    ],
    ids=["bad-imei", "vehicle-without-vin", "elevator-without-code", "bad-year"],
)
def test_invalid_asset_input_is_shown_beside_the_field(client, customer, data, field):
    response = client.post(reverse("customers:asset_create", args=[customer.pk]), data)

    assert response.status_code == 200
    assert field_errors(response, field)
    assert Asset.objects.count() == 0


def test_asset_edit_saves_and_shows_the_history(client, branch, advisor):
    vehicle = VehicleFactory(customer__branch=branch, plate="京A12345", mileage=30000)
    url = reverse("customers:asset_edit", args=[vehicle.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert f'value="{vehicle.vin}"' in text(page)

    data = {"kind": "vehicle", "vin": vehicle.vin, "plate": "京N88888", "mileage": "42000", "active": "on"}
    response = client.post(url, data, follow=True)

    assert response.redirect_chain == [(vehicle.get_absolute_url(), 302)]
    assert toasts(response) == ["Asset saved."]
    vehicle.refresh_from_db()
    assert (vehicle.plate, vehicle.mileage, vehicle.brand) == ("京N88888", 42000, "")
    page = text(response)
    assert "京A12345" in page and "京N88888" in page and "42000" in page


KIND_EDITS = {
    "vehicle": {"mileage": "42000", "plate": "京N 88888"},
    "device": {"serial": "SN0002", "model": "Mate 70"},
    "elevator": {"site": "望京SOHO T2"},
    "furniture_order": {"address": "北京市朝阳区望京街12号"},
    "equipment": {"model": "GA37"},
}
KIND_EDITED = {"vehicle": {"mileage": 42000, "plate": "京N88888"}}


@pytest.mark.parametrize("kind", KIND_POSTS)
def test_edit_an_asset_of_each_kind(client, customer, advisor, kind):
    from aftersales.customers import services

    fields = {k: (int(v) if k == "year" else v) for k, v in KIND_POSTS[kind].items()}
    asset = services.asset_create(actor=advisor, customer=customer, kind=kind, **fields)
    url = reverse("customers:asset_edit", args=[asset.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name not in ("active", "confirm_vin")}

    response = client.post(url, {**data, **KIND_EDITS[kind], "active": "on"})

    assert response.status_code == 302, response.context["form"].errors
    asset.refresh_from_db()
    expected = {**KIND_EDITS[kind], **KIND_EDITED.get(kind, {})}
    assert {name: getattr(asset, name) for name in expected} == expected
    [event] = AuditEvent.objects.filter(object_id=asset.pk, action=AuditAction.UPDATE)
    assert set(event.changes) == set(expected)


def test_asset_edit_with_a_taken_imei_shows_it_beside_the_field(client, branch):
    device = DeviceFactory(customer__branch=branch)
    other = DeviceFactory(customer__branch=branch)

    response = client.post(
        reverse("customers:asset_edit", args=[device.pk]), {"kind": "device", "imei": other.imei, "active": "on"}
    )

    assert field_errors(response, "id_imei") == ["Another device already has this IMEI."]
    assert Asset.objects.get(pk=device.pk).imei != other.imei


def test_asset_detail_page_shows_the_kinds_fields(client, branch):
    device = DeviceFactory(customer__branch=branch, serial="SN-778899")

    page = text(client.get(device.get_absolute_url()))

    assert "SN-778899" in page and device.imei in page and device.customer.name in page


# -- the customer page ------------------------------------------------------------------------------------------------


def test_customer_page_shows_its_assets_and_history(client, branch, advisor):
    created = client.post(CREATE, {**customer_post(branch), **vehicle_post(vin=valid_vin(1), plate="京A12345")})
    customer = Customer.objects.get()
    DeviceFactory(customer=customer, serial="SN-000123")
    assert created.status_code == 302

    response = client.get(customer.get_absolute_url())

    assert response.status_code == 200
    page = text(response)
    assert "京A12345" in page and valid_vin(1) in page and "SN-000123" in page
    assert "History" in page and "Created" in page
    assert [a.kind for a in response.context["assets"]] == ["vehicle", "device"]
    assert [entry.event.action for entry in response.context["history"]] == [AuditAction.CREATE]
    assert reverse("customers:customer_edit", args=[customer.pk]) in page
    assert reverse("customers:asset_create", args=[customer.pk]) in page


def test_customer_page_for_a_viewer_has_no_edit_buttons(pages, person, customer):
    response = pages(person("technician")).get(customer.get_absolute_url())

    assert response.status_code == 200
    page = text(response)
    assert reverse("customers:customer_edit", args=[customer.pk]) not in page
    assert reverse("customers:asset_create", args=[customer.pk]) not in page


# -- lists ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def listed(branch, other_branch):
    zhang = CustomerFactory(branch=branch, name="张伟", mobile="13812345678", source="phone")
    VehicleFactory(customer=zhang, plate="京A12345")
    CustomerFactory(branch=branch, name="李娜", mobile="13998765432", source="walk_in")
    CustomerFactory(branch=branch, name="北京顺达物流有限公司", kind="company", mobile="13700001111", source="fleet")
    CustomerFactory(branch=other_branch, name="王芳", mobile="13655556666")
    return zhang


def listed_names(response) -> list[str]:
    return [c.name for c in response.context["page"].items]


def test_list_shows_the_branchs_customers_with_their_plates(client, listed):
    response = client.get(LIST)

    assert response.status_code == 200
    assert sorted(listed_names(response)) == sorted(["张伟", "李娜", "北京顺达物流有限公司"])
    page = text(response)
    assert "京A12345" in page
    assert "王芳" not in page


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"q": "京a12345"}, ["张伟"]),
        ({"q": "9876"}, ["李娜"]),
        ({"q": "张伟 13812345678"}, ["张伟"]),
        ({"kind": "company"}, ["北京顺达物流有限公司"]),
        ({"source": "phone"}, ["张伟"]),
        ({"q": "王芳"}, []),
        ({"sort": "mobile"}, ["北京顺达物流有限公司", "张伟", "李娜"]),
        ({"sort": "-mobile"}, ["李娜", "张伟", "北京顺达物流有限公司"]),
    ],
    ids=["plate", "mobile-part", "two-terms", "kind", "source", "other-branch", "sort-mobile", "sort-mobile-desc"],
)
def test_list_search_filters_and_sorts_through_get_parameters(client, listed, params, expected):
    names = listed_names(client.get(LIST, params))

    if "sort" not in params:
        names, expected = sorted(names), sorted(expected)
    assert names == expected


def test_an_empty_search_says_nothing_matches(client, listed):
    response = client.get(LIST, {"q": "没有这个人"})

    assert listed_names(response) == []
    assert "No customer matches your search." in text(response)


def test_list_pages_through_the_results(client, branch):
    CustomerFactory.create_batch(5, branch=branch)

    first = client.get(LIST, {"page_size": 2})
    last = client.get(LIST, {"page_size": 2, "page": 3})
    beyond = client.get(LIST, {"page_size": 2, "page": 99})

    assert len(first.context["page"].items) == 2
    assert first.context["page"].has_next
    assert len(last.context["page"].items) == 1
    assert not last.context["page"].has_next
    assert beyond.context["page"].number == 3
    seen = {c.pk for page in (1, 2, 3) for c in client.get(LIST, {"page_size": 2, "page": page}).context["page"].items}
    assert seen == set(Customer.objects.values_list("pk", flat=True))


def test_htmx_request_returns_only_the_results_table(client, listed):
    full = text(client.get(LIST, {"q": "张伟"}))
    partial = text(client.get(LIST, {"q": "张伟"}, headers={"HX-Request": "true"}))

    assert "<html" in full and 'class="filters"' in full
    assert "<html" not in partial
    assert 'class="filters"' not in partial
    assert "<table" in partial
    assert "张伟" in partial and "李娜" not in partial


def test_asset_list_searches_and_answers_htmx_with_the_table(client, listed):
    response = client.get(ASSET_LIST, {"q": "京a12345"})

    assert [a.plate for a in response.context["page"].items] == ["京A12345"]
    partial = text(client.get(ASSET_LIST, {"q": "京A12345"}, headers={"HX-Request": "true"}))
    assert "<html" not in partial and "京A12345" in partial


def test_the_list_offers_import_export_and_new_only_to_roles_that_may(pages, person, listed):
    care = text(pages(person("customer_care")).get(LIST))
    technician = text(pages(person("technician")).get(LIST))

    for url in ("customers:customer_create", "customers:customer_import", "customers:customer_export"):
        assert reverse(url) in care
        assert reverse(url) not in technician
