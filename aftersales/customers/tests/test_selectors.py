"""`customer_list`: search over the digest (name, mobile, ID number, plates, VINs …), filters, sorts, and branch
scoping; plus the asset list's search and scoping."""

import pytest

from aftersales.customers import selectors, services
from aftersales.customers.tests.factories import CustomerFactory, DeviceFactory, VehicleFactory, valid_vin

ZHANG_VIN = valid_vin(1)
LI_VIN = valid_vin(2)


@pytest.fixture
def advisor(person):
    return person("service_advisor")


@pytest.fixture
def people(branch, other_branch):
    """Three customers in BJ01 and one in SH01, each with what can be searched for."""
    zhang = CustomerFactory(
        branch=branch, name="张伟", mobile="13812345678", id_number="11010519491231002X", source="phone"
    )
    VehicleFactory(customer=zhang, vin=ZHANG_VIN, plate="京A12345")
    li = CustomerFactory(branch=branch, name="李娜", mobile="13998765432", source="walk_in")
    VehicleFactory(customer=li, vin=LI_VIN, plate="京BD12345")
    company = CustomerFactory(
        branch=branch, name="北京顺达物流有限公司", kind="company", mobile="13700001111", source="fleet"
    )
    DeviceFactory(customer=company, serial="SN-ABC-778")
    shanghai = CustomerFactory(branch=other_branch, name="王芳", mobile="13655556666", source="phone")
    VehicleFactory(customer=shanghai, vin=valid_vin(3), plate="沪C88888")
    return {"zhang": zhang, "li": li, "company": company, "shanghai": shanghai}


def names(queryset):
    return [customer.name for customer in queryset]


def search(user, q, **filters):
    return sorted(names(selectors.customer_list(user=user, q=q, **filters)))


# -- search -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q, expected",
    [
        ("张伟", ["张伟"]),
        ("李", ["李娜"]),
        ("顺达物流", ["北京顺达物流有限公司"]),
        ("13812345678", ["张伟"]),
        ("5678", ["张伟"]),
        ("1399876", ["李娜"]),
        ("京A12345", ["张伟"]),
        ("京a12345", ["张伟"]),
        ("京BD12345", ["李娜"]),
        (ZHANG_VIN, ["张伟"]),
        (ZHANG_VIN[-6:], ["张伟"]),
        (ZHANG_VIN.lower(), ["张伟"]),
        ("11010519491231002X", ["张伟"]),
        ("11010519491231002x", ["张伟"]),
        ("sn-abc-778", ["北京顺达物流有限公司"]),
    ],
    ids=[
        "full-name",
        "part-of-name",
        "part-of-company-name",
        "mobile",
        "mobile-last-4",
        "mobile-prefix",
        "plate",
        "plate-lower-case",
        "new-energy-plate",
        "vin",
        "vin-last-6",
        "vin-lower-case",
        "id-number",
        "id-number-lower-x",
        "device-serial-lower-case",
    ],
)
def test_search_finds_the_customer_by(advisor, people, q, expected):
    assert search(advisor, q) == expected


def test_search_with_full_width_characters_finds_the_customer(advisor, people):
    assert search(advisor, "京Ａ１２３４５") == ["张伟"]


def test_two_terms_must_both_match(advisor, people):
    assert search(advisor, "张伟 京A12345") == ["张伟"]
    assert search(advisor, "张伟 京BD12345") == []
    assert search(advisor, "  李娜   1399876 ") == ["李娜"]


def test_a_plate_typed_with_a_space_still_finds_the_customer(advisor, people):
    assert search(advisor, "京A 12345") == ["张伟"]


def test_search_for_something_nobody_has_finds_nothing(advisor, people):
    assert search(advisor, "13000000000") == []


def test_empty_search_lists_every_active_customer_of_the_branch(advisor, people):
    assert search(advisor, "   ") == ["北京顺达物流有限公司", "张伟", "李娜"]


# -- filters ----------------------------------------------------------------------------------------------------------


def test_kind_filter(advisor, people):
    assert search(advisor, "", kind="company") == ["北京顺达物流有限公司"]
    assert search(advisor, "", kind="person") == ["张伟", "李娜"]


def test_source_filter(advisor, people):
    assert search(advisor, "", source="phone") == ["张伟"]
    assert search(advisor, "", source="fleet") == ["北京顺达物流有限公司"]


def test_active_filter(advisor, people):
    services.customer_update(actor=advisor, customer=people["li"], data={"active": False})

    assert search(advisor, "", active=True) == ["北京顺达物流有限公司", "张伟"]
    assert search(advisor, "", active=False) == ["李娜"]
    assert search(advisor, "", active=None) == ["北京顺达物流有限公司", "张伟", "李娜"]


def test_branch_filter_for_a_regional_manager(person, region, branch, other_branch, people):
    manager = person("regional_manager", branch=region)

    assert search(manager, "", branch=other_branch.pk) == ["王芳"]
    assert search(manager, "", branch=branch.pk) == ["北京顺达物流有限公司", "张伟", "李娜"]


def test_filters_and_search_combine(person, region, people):
    manager = person("regional_manager", branch=region)

    assert search(manager, "138", source="phone") == ["张伟"]
    assert search(manager, "13", source="phone", kind="person") == ["张伟", "王芳"]


# -- scope ------------------------------------------------------------------------------------------------------------


def test_a_store_user_sees_only_their_branch(advisor, people):
    assert "王芳" not in search(advisor, "")
    assert search(advisor, "13655556666") == []
    assert search(advisor, "沪C88888") == []


def test_the_branch_filter_cannot_reach_another_branch(advisor, other_branch, people):
    assert search(advisor, "", branch=other_branch.pk) == []


def test_a_regional_manager_sees_both_stores(person, region, people):
    manager = person("regional_manager", branch=region)

    assert search(manager, "") == ["北京顺达物流有限公司", "张伟", "李娜", "王芳"]
    assert search(manager, "沪C88888") == ["王芳"]


def test_a_person_working_for_two_stores_sees_both(person, branch, other_branch, people):
    advisor = person("service_advisor")
    advisor.employee.branches.add(other_branch)

    assert "王芳" in search(advisor, "")


def test_the_other_store_sees_only_its_own(person, other_branch, people):
    shanghai_advisor = person("service_advisor", branch=other_branch)

    assert search(shanghai_advisor, "") == ["王芳"]
    assert search(shanghai_advisor, "张伟") == []


def test_a_user_without_an_employee_record_sees_nothing(people, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x-Pass-2026")

    assert search(nobody, "") == []


def test_a_superuser_sees_every_branch(admin_user, people):
    assert len(search(admin_user, "")) == 4


# -- sorts ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def sortable(branch):
    # created in this order; Latin names sort the same under every database collation
    return [
        CustomerFactory(branch=branch, name="Bai Lin", mobile="13900000003"),
        CustomerFactory(branch=branch, name="Chen Tao", mobile="13900000001"),
        CustomerFactory(branch=branch, name="An Qi", mobile="13900000002"),
    ]


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("name", ["An Qi", "Bai Lin", "Chen Tao"]),
        ("-name", ["Chen Tao", "Bai Lin", "An Qi"]),
        ("mobile", ["Chen Tao", "An Qi", "Bai Lin"]),
        ("-mobile", ["Bai Lin", "An Qi", "Chen Tao"]),
        ("created_at", ["Bai Lin", "Chen Tao", "An Qi"]),
        ("-created_at", ["An Qi", "Chen Tao", "Bai Lin"]),
        ("", ["An Qi", "Chen Tao", "Bai Lin"]),
        ("password", ["An Qi", "Chen Tao", "Bai Lin"]),
    ],
    ids=["name", "-name", "mobile", "-mobile", "created_at", "-created_at", "default-newest-first", "unknown-sort"],
)
def test_sorts(advisor, sortable, sort, expected):
    assert names(selectors.customer_list(user=advisor, sort=sort)) == expected


def test_latin_names_are_found_whatever_their_case(advisor, sortable):
    assert search(advisor, "bai lin") == ["Bai Lin"]
    assert search(advisor, "CHEN") == ["Chen Tao"]


# -- assets -----------------------------------------------------------------------------------------------------------


def test_asset_list_search_and_scope(advisor, person, region, people):
    assert [a.plate for a in selectors.asset_list(user=advisor, q="京a12345")] == ["京A12345"]
    assert [a.customer.name for a in selectors.asset_list(user=advisor, q=LI_VIN[-6:])] == ["李娜"]
    assert list(selectors.asset_list(user=advisor, q="沪C88888")) == []
    assert [a.kind for a in selectors.asset_list(user=advisor, kind="device")] == ["device"]

    manager = person("regional_manager", branch=region)
    assert [a.plate for a in selectors.asset_list(user=manager, q="沪C88888")] == ["沪C88888"]


def test_asset_list_by_customer(advisor, people):
    assert [a.plate for a in selectors.asset_list(user=advisor, customer=people["li"].pk)] == ["京BD12345"]


def test_asset_list_finds_assets_by_their_customers_name_and_mobile(advisor, people):
    assert [a.plate for a in selectors.asset_list(user=advisor, q="张伟")] == ["京A12345"]
    assert [a.serial for a in selectors.asset_list(user=advisor, q="0000 1111")] == ["SN-ABC-778"]
    assert [a.serial for a in selectors.asset_list(user=advisor, q="sn-abc")] == ["SN-ABC-778"]


def test_asset_search_follows_a_renamed_customer_and_a_changed_plate(advisor, person, people):
    manager = person("service_manager")
    services.customer_update(actor=manager, customer=people["zhang"], data={"name": "张伟强", "mobile": "13811112222"})
    vehicle = people["li"].assets.get()
    services.asset_update(actor=manager, asset=vehicle, data={"plate": "京BF54321"})

    assert [a.plate for a in selectors.asset_list(user=advisor, q="张伟强 1111222")] == ["京A12345"]
    assert list(selectors.asset_list(user=advisor, q="13812345678")) == []
    assert [a.plate for a in selectors.asset_list(user=advisor, q="京BF54321")] == ["京BF54321"]
    assert list(selectors.asset_list(user=advisor, q="京BD12345")) == []
