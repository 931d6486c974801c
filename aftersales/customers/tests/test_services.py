"""The customer and asset services: normalisation, validation per kind, VIN confirmation, branches, roles, audit,
the search digest, and registering a customer with a vehicle as one unit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from aftersales.core.models import AuditAction, AuditEvent
from aftersales.customers import selectors, services
from aftersales.customers.models import Asset, Customer
from aftersales.customers.services import VinConfirmationRequired
from aftersales.customers.tests.factories import (
    CustomerFactory,
    DeviceFactory,
    VehicleFactory,
    make_imei,
    valid_vin,
    with_wrong_check_digit,
)

pytestmark = pytest.mark.usefixtures("english")

VALID_ID_CARD = "11010519491231002X"
VALID_CREDIT_CODE = "91110000600037341L"


@pytest.fixture
def advisor(person):
    return person("service_advisor")


@pytest.fixture
def customer(branch):
    return CustomerFactory(branch=branch, name="张伟", mobile="13812345678")


def events(instance, action=None):
    found = AuditEvent.objects.filter(object_id=instance.pk, content_type__model=instance._meta.model_name)
    return list(found.filter(action=action) if action else found)


def counts():
    return Customer.objects.count(), Asset.objects.count()


# -- customer_create: normalisation and validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["+8613800138000", "+86 138-0013-8000", "１３８００１３８０００", " 138 0013 8000 "],
    ids=["plus86", "plus86-spaced-dashed", "full-width", "spaces"],
)
def test_customer_create_stores_the_mobile_as_eleven_plain_digits(advisor, branch, typed):
    created = services.customer_create(actor=advisor, name=" 张三 ", branch=branch, mobile=typed)

    created.refresh_from_db()
    assert created.mobile == "13800138000"
    assert created.name == "张三"
    assert created.created_by == advisor


@pytest.mark.parametrize("typed", ["12800138000", "1380013800", "138001380001", "+85213800138"])
def test_customer_create_refuses_a_mobile_that_is_not_mainland(advisor, branch, typed):
    with pytest.raises(ValidationError) as caught:
        services.customer_create(actor=advisor, name="张三", branch=branch, mobile=typed)

    assert set(caught.value.message_dict) == {"mobile"}
    assert Customer.objects.count() == 0


def test_person_id_number_is_checked_as_a_resident_id_card_and_upper_cased(advisor, branch):
    created = services.customer_create(actor=advisor, name="张三", branch=branch, id_number="110105194912310 02x")

    assert created.id_number == VALID_ID_CARD


@pytest.mark.parametrize(
    "id_number",
    ["110105194912310021", "11010519491331002X", VALID_CREDIT_CODE],
    ids=["wrong-check-character", "no-such-birth-date", "a-credit-code"],
)
def test_person_with_an_invalid_id_card_is_refused(advisor, branch, id_number):
    with pytest.raises(ValidationError) as caught:
        services.customer_create(actor=advisor, name="张三", branch=branch, id_number=id_number)

    assert set(caught.value.message_dict) == {"id_number"}
    assert "resident ID card" in caught.value.message_dict["id_number"][0]
    assert Customer.objects.count() == 0


def test_company_id_number_is_checked_as_a_unified_social_credit_code(advisor, branch):
    created = services.customer_create(
        actor=advisor, name="北京顺达物流有限公司", kind="company", branch=branch, id_number=VALID_CREDIT_CODE.lower()
    )

    assert created.id_number == VALID_CREDIT_CODE


@pytest.mark.parametrize("id_number", ["91110000600037341A", VALID_ID_CARD], ids=["wrong-check", "an-id-card"])
def test_company_with_an_invalid_credit_code_is_refused(advisor, branch, id_number):
    with pytest.raises(ValidationError) as caught:
        services.customer_create(actor=advisor, name="顺达物流", kind="company", branch=branch, id_number=id_number)

    assert set(caught.value.message_dict) == {"id_number"}
    assert "credit code" in caught.value.message_dict["id_number"][0]


def test_customer_create_needs_a_name(advisor, branch):
    with pytest.raises(ValidationError) as caught:
        services.customer_create(actor=advisor, name="   ", branch=branch, mobile="13800138000")

    assert "name" in caught.value.message_dict


def test_customer_create_refuses_a_branch_the_actor_does_not_work_for(advisor, other_branch):
    with pytest.raises(ValidationError) as caught:
        services.customer_create(actor=advisor, name="张三", branch=other_branch)

    assert set(caught.value.message_dict) == {"branch"}
    assert Customer.objects.count() == 0


def test_regional_manager_may_create_customers_in_any_store_of_the_region(person, region, other_branch):
    manager = person("regional_manager", branch=region)

    created = services.customer_create(actor=manager, name="张三", branch=other_branch)

    assert created.branch == other_branch


# -- asset_create: normalisation and validation per kind --------------------------------------------------------------


def test_vehicle_plate_and_vin_are_stored_upper_case_without_spaces(advisor, customer):
    vin = "1M8GDM9AXKP042788"
    full_width_lower = "".join(chr(ord(c) + 0xFEE0) for c in vin.lower())

    vehicle = services.asset_create(
        actor=advisor, customer=customer, kind="vehicle", vin=full_width_lower, plate=" 京a 12345 "
    )

    vehicle.refresh_from_db()
    assert vehicle.vin == vin
    assert vehicle.plate == "京A12345"
    assert vehicle.branch == customer.branch


@pytest.mark.parametrize(
    "typed, stored", [("粤B D12345", "粤BD12345"), ("粤b12345d", "粤B12345D"), ("京A·1234学", "京A1234学")]
)
def test_new_energy_and_special_plates_are_accepted(advisor, customer, typed, stored):
    vehicle = services.asset_create(actor=advisor, customer=customer, kind="vehicle", vin=valid_vin(1), plate=typed)

    assert vehicle.plate == stored


@pytest.mark.parametrize("plate", ["京I12345", "AB12345", "京A1234", "京A123456X"])
def test_vehicle_with_an_invalid_plate_is_refused(advisor, customer, plate):
    with pytest.raises(ValidationError) as caught:
        services.asset_create(actor=advisor, customer=customer, kind="vehicle", vin=valid_vin(1), plate=plate)

    assert set(caught.value.message_dict) == {"plate"}
    assert Asset.objects.count() == 0


def test_vehicle_needs_a_vin(advisor, customer):
    with pytest.raises(ValidationError) as caught:
        services.asset_create(actor=advisor, customer=customer, kind="vehicle", plate="京A12345")

    assert set(caught.value.message_dict) == {"vin"}
    assert Asset.objects.count() == 0


@pytest.mark.parametrize(
    "vin", ["LSVAU218XN218329", "LSVAU218XN21832945", "LSVAU218XO2183294"], ids=["16", "18", "letter-O"]
)
def test_malformed_vin_is_refused_even_when_confirmed(advisor, customer, vin):
    with pytest.raises(ValidationError) as caught:
        services.asset_create(actor=advisor, customer=customer, kind="vehicle", vin=vin, confirm_vin=True)

    assert not isinstance(caught.value, VinConfirmationRequired)
    assert set(caught.value.message_dict) == {"vin"}


def test_device_needs_a_serial_or_an_imei(advisor, customer):
    with pytest.raises(ValidationError) as caught:
        services.asset_create(actor=advisor, customer=customer, kind="device", model="Mate 60")

    assert set(caught.value.message_dict) == {"serial"}

    by_serial = services.asset_create(actor=advisor, customer=customer, kind="device", serial="SN0001")
    by_imei = services.asset_create(actor=advisor, customer=customer, kind="device", imei="49-015420-323751-8")
    assert by_serial.serial == "SN0001"
    assert by_imei.imei == "490154203237518"


def test_device_with_an_imei_failing_its_luhn_digit_is_refused(advisor, customer):
    with pytest.raises(ValidationError) as caught:
        services.asset_create(actor=advisor, customer=customer, kind="device", imei="490154203237519")

    assert set(caught.value.message_dict) == {"imei"}


@pytest.mark.parametrize(
    "kind, fields",
    [
        ("elevator", {"registration_code": "31101101002015070001", "site": "望京SOHO T1"}),
        ("furniture_order", {"order_number": "QW-2026-0001", "address": "北京市朝阳区望京街10号"}),
        ("equipment", {"serial": "EQ-778899", "model": "空压机 GA30"}),
    ],
)
def test_each_kind_saves_its_own_fields(advisor, customer, kind, fields):
    asset = services.asset_create(actor=advisor, customer=customer, kind=kind, **fields)

    asset.refresh_from_db()
    assert asset.kind == kind
    assert {name: getattr(asset, name) for name in fields} == fields


@pytest.mark.parametrize(
    "kind, missing, given",
    [
        ("elevator", "registration_code", {"site": "望京SOHO T1"}),
        ("furniture_order", "order_number", {"address": "北京市朝阳区望京街10号"}),
        ("equipment", "serial", {"model": "空压机 GA30"}),
    ],
)
def test_each_kind_needs_its_identifier(advisor, customer, kind, missing, given):
    with pytest.raises(ValidationError) as caught:
        services.asset_create(actor=advisor, customer=customer, kind=kind, **given)

    assert set(caught.value.message_dict) == {missing}


@pytest.mark.parametrize(
    "kind, fields, foreign",
    [
        ("device", {"serial": "SN1", "plate": "京A12345"}, "plate"),
        ("vehicle", {"vin": "1M8GDM9AXKP042788", "imei": "490154203237518"}, "imei"),
        ("elevator", {"registration_code": "R1", "vin": "1M8GDM9AXKP042788"}, "vin"),
        ("furniture_order", {"order_number": "QW-1", "serial": "SN1"}, "serial"),
        ("equipment", {"serial": "SN1", "mileage": 1000}, "mileage"),
    ],
)
def test_a_field_of_another_kind_is_refused(advisor, customer, kind, fields, foreign):
    with pytest.raises(ValidationError) as caught:
        services.asset_create(actor=advisor, customer=customer, kind=kind, **fields)

    assert set(caught.value.message_dict) == {foreign}
    assert Asset.objects.count() == 0


@pytest.mark.parametrize("year", [1949, 2101])
def test_vehicle_year_outside_1950_to_2100_is_refused(advisor, customer, year):
    with pytest.raises(ValidationError) as caught:
        services.asset_create(actor=advisor, customer=customer, kind="vehicle", vin=valid_vin(1), year=year)

    assert set(caught.value.message_dict) == {"year"}


# -- VIN check digit --------------------------------------------------------------------------------------------------


def test_vin_with_wrong_check_digit_needs_confirmation(advisor, customer):
    vin = with_wrong_check_digit(valid_vin(1))

    with pytest.raises(VinConfirmationRequired) as caught:
        services.asset_create(actor=advisor, customer=customer, kind="vehicle", vin=vin)

    assert set(caught.value.message_dict) == {"vin"}
    assert [error.code for error in caught.value.error_dict["vin"]] == ["vin_check_digit"]
    assert vin in caught.value.message_dict["vin"][0]
    assert Asset.objects.count() == 0


def test_vin_with_wrong_check_digit_is_saved_when_confirmed(advisor, customer):
    vin = with_wrong_check_digit(valid_vin(1))

    vehicle = services.asset_create(actor=advisor, customer=customer, kind="vehicle", vin=vin, confirm_vin=True)

    assert Asset.objects.get(pk=vehicle.pk).vin == vin


def test_changing_the_vin_to_one_with_a_wrong_check_digit_needs_confirmation(advisor, branch):
    vehicle = VehicleFactory(customer__branch=branch)
    original = vehicle.vin
    wrong = with_wrong_check_digit(valid_vin(2))

    with pytest.raises(VinConfirmationRequired):
        services.asset_update(actor=advisor, asset=vehicle, data={"vin": wrong})
    vehicle.refresh_from_db()
    assert vehicle.vin == original

    services.asset_update(actor=advisor, asset=vehicle, data={"vin": wrong}, confirm_vin=True)
    vehicle.refresh_from_db()
    assert vehicle.vin == wrong


def test_editing_other_fields_of_a_confirmed_vehicle_does_not_ask_again(advisor, customer):
    vin = with_wrong_check_digit(valid_vin(1))
    vehicle = services.asset_create(actor=advisor, customer=customer, kind="vehicle", vin=vin, confirm_vin=True)

    services.asset_update(actor=advisor, asset=vehicle, data={"vin": vin, "mileage": 45000})

    vehicle.refresh_from_db()
    assert vehicle.mileage == 45000


# -- uniqueness -------------------------------------------------------------------------------------------------------


def test_duplicate_vin_is_refused_naming_the_vin(advisor, branch, customer):
    taken = VehicleFactory(customer__branch=branch)

    with pytest.raises(ValidationError) as caught:
        services.asset_create(actor=advisor, customer=customer, kind="vehicle", vin=f" {taken.vin.lower()} ")

    assert caught.value.message_dict == {"vin": ["Another vehicle already has this VIN."]}
    assert Asset.objects.count() == 1


def test_duplicate_vin_in_another_branch_is_refused_too(advisor, other_branch, customer):
    taken = VehicleFactory(customer__branch=other_branch)

    with pytest.raises(ValidationError) as caught:
        services.asset_create(actor=advisor, customer=customer, kind="vehicle", vin=taken.vin)

    assert set(caught.value.message_dict) == {"vin"}


def test_duplicate_imei_is_refused_naming_the_imei(advisor, branch, customer):
    taken = DeviceFactory(customer__branch=branch)

    with pytest.raises(ValidationError) as caught:
        services.asset_create(actor=advisor, customer=customer, kind="device", imei=taken.imei)

    assert caught.value.message_dict == {"imei": ["Another device already has this IMEI."]}


def test_changing_a_vin_to_a_taken_one_is_refused(advisor, branch):
    first = VehicleFactory(customer__branch=branch)
    second = VehicleFactory(customer__branch=branch)
    original = second.vin

    with pytest.raises(ValidationError) as caught:
        services.asset_update(actor=advisor, asset=second, data={"vin": first.vin})

    assert set(caught.value.message_dict) == {"vin"}
    assert Asset.objects.get(pk=second.pk).vin == original


def test_two_devices_without_imei_do_not_collide(advisor, customer):
    services.asset_create(actor=advisor, customer=customer, kind="device", serial="SN1")
    services.asset_create(actor=advisor, customer=customer, kind="device", serial="SN2")

    assert Asset.objects.filter(imei="").count() == 2


# -- branches ---------------------------------------------------------------------------------------------------------


def test_moving_a_customer_to_another_branch_moves_its_assets(person, region, branch, other_branch):
    manager = person("regional_manager", branch=region)
    customer = CustomerFactory(branch=branch)
    vehicles = VehicleFactory.create_batch(2, customer=customer)
    device = DeviceFactory(customer=customer)
    untouched = VehicleFactory(customer__branch=branch)

    services.customer_update(actor=manager, customer=customer, data={"branch": other_branch})

    assert Customer.objects.get(pk=customer.pk).branch == other_branch
    moved = Asset.objects.filter(pk__in=[v.pk for v in vehicles] + [device.pk])
    assert {asset.branch_id for asset in moved} == {other_branch.pk}
    assert Asset.objects.get(pk=untouched.pk).branch == branch
    [event] = events(customer, AuditAction.UPDATE)
    assert event.changes == {"branch": {"before": str(branch), "after": str(other_branch)}}


def test_moving_a_customer_to_a_branch_the_actor_does_not_work_for_is_refused(advisor, branch, other_branch):
    customer = CustomerFactory(branch=branch)
    vehicle = VehicleFactory(customer=customer)

    with pytest.raises(ValidationError) as caught:
        services.customer_update(actor=advisor, customer=customer, data={"branch": other_branch})

    assert set(caught.value.message_dict) == {"branch"}
    assert Customer.objects.get(pk=customer.pk).branch == branch
    assert Asset.objects.get(pk=vehicle.pk).branch == branch
    assert events(customer, AuditAction.UPDATE) == []


def test_moving_an_asset_to_a_customer_of_another_branch_takes_that_branch(person, region, branch, other_branch):
    manager = person("regional_manager", branch=region)
    vehicle = VehicleFactory(customer__branch=branch)
    new_owner = CustomerFactory(branch=other_branch)

    services.asset_update(actor=manager, asset=vehicle, data={"customer": new_owner})

    vehicle.refresh_from_db()
    assert (vehicle.customer, vehicle.branch) == (new_owner, other_branch)


def test_moving_an_asset_to_a_customer_the_actor_cannot_see_is_refused(advisor, branch, other_branch):
    vehicle = VehicleFactory(customer__branch=branch)
    owner = vehicle.customer
    stranger = CustomerFactory(branch=other_branch)

    with pytest.raises(ValidationError) as caught:
        services.asset_update(actor=advisor, asset=vehicle, data={"customer": stranger})

    assert set(caught.value.message_dict) == {"branch"}
    assert Asset.objects.get(pk=vehicle.pk).customer == owner


# -- roles ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["technician", "cashier", "parts_keeper", "hr", None])
def test_roles_without_add_customer_cannot_create_customers(person, branch, role):
    with pytest.raises(PermissionDenied):
        services.customer_create(actor=person(role), name="张三", branch=branch)

    assert Customer.objects.count() == 0


@pytest.mark.parametrize("role", ["technician", "technical_advisor", "finance"])
def test_roles_without_change_customer_cannot_edit_customers(person, customer, role):
    with pytest.raises(PermissionDenied):
        services.customer_update(actor=person(role), customer=customer, data={"name": "李四"})

    assert Customer.objects.get(pk=customer.pk).name == "张伟"


@pytest.mark.parametrize("role", ["technician", "technical_advisor", "claims_clerk"])
def test_roles_without_add_asset_cannot_add_assets(person, customer, role):
    with pytest.raises(PermissionDenied):
        services.asset_create(actor=person(role), customer=customer, kind="vehicle", vin=valid_vin(1))

    assert Asset.objects.count() == 0


def test_technicians_cannot_edit_assets_but_claims_clerks_and_technical_advisors_can(person, branch):
    vehicle = VehicleFactory(customer__branch=branch, mileage=1000)

    with pytest.raises(PermissionDenied):
        services.asset_update(actor=person("technician"), asset=vehicle, data={"mileage": 2000})
    services.asset_update(actor=person("claims_clerk"), asset=vehicle, data={"mileage": 3000})
    services.asset_update(actor=person("technical_advisor"), asset=vehicle, data={"mileage": 4000})

    assert Asset.objects.get(pk=vehicle.pk).mileage == 4000


def test_register_is_refused_for_a_role_that_may_not_add_customers(person, branch):
    with pytest.raises(PermissionDenied):
        services.customer_register(
            actor=person("dispatcher"), customer={"name": "张三", "branch": branch}, vehicle={"vin": valid_vin(1)}
        )

    assert counts() == (0, 0)


# -- audit ------------------------------------------------------------------------------------------------------------


def test_customer_create_is_audited_with_its_values(advisor, branch):
    created = services.customer_create(actor=advisor, name="张三", branch=branch, mobile="13800138000")

    [event] = events(created)
    assert event.action == AuditAction.CREATE
    assert event.actor == advisor
    assert event.changes["name"] == {"before": None, "after": "张三"}
    assert event.changes["mobile"] == {"before": None, "after": "13800138000"}
    assert event.changes["branch"] == {"before": None, "after": str(branch)}


def test_customer_update_audits_only_what_changed_before_and_after(advisor, customer):
    services.customer_update(
        actor=advisor, customer=customer, data={"name": "张伟", "mobile": "+86 139 0000 1111", "address": "朝阳路1号"}
    )

    [event] = events(customer, AuditAction.UPDATE)
    assert event.actor == advisor
    assert event.changes == {
        "mobile": {"before": "13812345678", "after": "13900001111"},
        "address": {"before": "", "after": "朝阳路1号"},
    }


def test_an_update_that_changes_nothing_writes_no_event(advisor, customer):
    services.customer_update(actor=advisor, customer=customer, data={"name": "张伟", "mobile": "138 1234 5678"})

    assert events(customer, AuditAction.UPDATE) == []


def test_asset_create_and_update_are_audited(advisor, customer):
    vehicle = services.asset_create(
        actor=advisor, customer=customer, kind="vehicle", vin=valid_vin(1), plate="京A12345", mileage=1000
    )
    services.asset_update(actor=advisor, asset=vehicle, data={"plate": "京B 54321", "mileage": 2500})

    [created] = events(vehicle, AuditAction.CREATE)
    assert created.changes["vin"] == {"before": None, "after": valid_vin(1)}
    assert created.changes["kind"] == {"before": None, "after": "vehicle"}  # the code; pages show the label
    [updated] = events(vehicle, AuditAction.UPDATE)
    assert updated.actor == advisor
    assert updated.changes == {
        "plate": {"before": "京A12345", "after": "京B54321"},
        "mileage": {"before": 1000, "after": 2500},
    }


def test_a_refused_update_writes_no_event_and_changes_nothing(advisor, customer):
    with pytest.raises(ValidationError):
        services.customer_update(actor=advisor, customer=customer, data={"mobile": "12345"})

    assert events(customer, AuditAction.UPDATE) == []
    assert Customer.objects.get(pk=customer.pk).mobile == "13812345678"


# -- search digest ----------------------------------------------------------------------------------------------------


def found(user, q):
    return list(selectors.customer_list(user=user, q=q))


def test_new_plate_finds_the_customer_after_asset_update_and_the_old_one_does_not(advisor, customer):
    vehicle = VehicleFactory(customer=customer, plate="京A11111")
    assert found(advisor, "京A11111") == [customer]

    services.asset_update(actor=advisor, asset=vehicle, data={"plate": "京N 88888"})

    assert found(advisor, "京N88888") == [customer]
    assert found(advisor, "京A11111") == []


def test_new_asset_identifiers_are_searchable_at_once(advisor, customer):
    services.asset_create(actor=advisor, customer=customer, kind="device", imei=make_imei(7), serial="SN-XY-01")

    assert found(advisor, make_imei(7)) == [customer]
    assert found(advisor, "sn-xy-01") == [customer]


def test_changed_name_and_mobile_are_searchable_and_the_old_ones_are_not(advisor, customer):
    services.customer_update(actor=advisor, customer=customer, data={"name": "张伟伟", "mobile": "13900001111"})

    assert found(advisor, "13900001111") == [customer]
    assert found(advisor, "13812345678") == []


def test_a_deactivated_asset_no_longer_finds_its_customer(advisor, customer):
    vehicle = VehicleFactory(customer=customer, plate="京A22222")

    services.asset_update(actor=advisor, asset=vehicle, data={"active": False})

    assert found(advisor, "京A22222") == []


def test_moving_an_asset_to_another_customer_moves_it_in_the_search(advisor, branch, customer):
    vehicle = VehicleFactory(customer=customer, plate="京A33333")
    new_owner = CustomerFactory(branch=branch, name="李娜")

    services.asset_update(actor=advisor, asset=vehicle, data={"customer": new_owner})

    assert found(advisor, "京A33333") == [new_owner]


# -- customer_register ------------------------------------------------------------------------------------------------


def test_register_saves_the_customer_and_the_vehicle(advisor, branch):
    created = services.customer_register(
        actor=advisor,
        customer={"name": "张三", "branch": branch, "mobile": "13800138000"},
        vehicle={"vin": valid_vin(1), "plate": "京a12345", "brand": "大众", "model": "帕萨特", "year": 2022},
    )

    [vehicle] = created.assets.all()
    assert (vehicle.kind, vehicle.vin, vehicle.plate, vehicle.branch) == ("vehicle", valid_vin(1), "京A12345", branch)
    assert found(advisor, "京A12345") == [created]


def test_register_without_a_vehicle_saves_the_customer_alone(advisor, branch):
    created = services.customer_register(actor=advisor, customer={"name": "张三", "branch": branch}, vehicle=None)

    assert created.assets.count() == 0
    assert counts() == (1, 0)


@pytest.mark.parametrize(
    "vehicle, field",
    [
        ({"vin": "LSVAU218X"}, "vin"),
        ({"vin": valid_vin(1), "plate": "ABC123"}, "plate"),
        ({"plate": "京A12345"}, "vin"),
        ({"vin": valid_vin(1), "year": 1900}, "year"),
    ],
    ids=["short-vin", "bad-plate", "no-vin", "bad-year"],
)
def test_register_with_an_invalid_vehicle_saves_neither(advisor, branch, vehicle, field):
    with pytest.raises(ValidationError) as caught:
        services.customer_register(actor=advisor, customer={"name": "张三", "branch": branch}, vehicle=vehicle)

    assert field in caught.value.message_dict
    assert counts() == (0, 0)
    assert AuditEvent.objects.count() == 0


def test_register_with_an_unconfirmed_vin_warning_saves_neither_and_confirmed_saves_both(advisor, branch):
    data = {"customer": {"name": "张三", "branch": branch}, "vehicle": {"vin": with_wrong_check_digit(valid_vin(1))}}

    with pytest.raises(VinConfirmationRequired):
        services.customer_register(actor=advisor, **data)
    assert counts() == (0, 0)

    services.customer_register(actor=advisor, confirm_vin=True, **data)
    assert counts() == (1, 1)


def test_register_with_an_invalid_customer_saves_no_vehicle(advisor, branch):
    with pytest.raises(ValidationError) as caught:
        services.customer_register(
            actor=advisor, customer={"name": "张三", "branch": branch, "mobile": "555"}, vehicle={"vin": valid_vin(1)}
        )

    assert set(caught.value.message_dict) == {"mobile"}
    assert counts() == (0, 0)


def test_services_refuse_another_branchs_objects_even_when_handed_them_directly(person, branch, other_branch):
    """The pages and the API fetch through the funnel; the services still refuse what the actor cannot see."""
    from django.http import Http404

    from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory

    advisor = person("service_advisor")
    foreign = VehicleFactory(customer=CustomerFactory(branch=other_branch))

    with pytest.raises(Http404):
        services.customer_update(actor=advisor, customer=foreign.customer, data={"name": "改名"})
    with pytest.raises(Http404):
        services.asset_update(actor=advisor, asset=foreign, data={"mileage": 1})
    with pytest.raises(Http404):
        services.asset_create(actor=advisor, customer=foreign.customer, kind="device", serial="SN-1")
    foreign.refresh_from_db()
    assert foreign.mileage != 1 and foreign.customer.name != "改名"
