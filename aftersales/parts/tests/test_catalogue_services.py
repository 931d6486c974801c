"""Catalogue and location services: parts, suppliers, warehouses (one default per branch) and bins."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from aftersales.core.audit import audit_events_for
from aftersales.parts.models import Part, StockBalance, Warehouse
from aftersales.parts.services import catalogue
from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive
from aftersales.parts.tests.factories import WarehouseFactory

D = Decimal


# -- parts --------------------------------------------------------------------------------------------------------------


def test_a_part_is_stored_with_its_code_and_oem_number_in_capitals(keeper):
    part = catalogue.part_create(
        actor=keeper, code=" sp-7 ", name=" 火花塞 ", oem_number="bkr6e", retail_price="45.5", unit="支"
    )

    part.refresh_from_db()
    assert (part.code, part.name, part.oem_number, part.retail_price, part.unit) == (
        "SP-7",
        "火花塞",
        "BKR6E",
        D("45.50"),
        "支",
    )
    (event,) = audit_events_for(part)
    assert (event.action, event.actor, event.changes["code"]["after"]) == ("create", keeper, "SP-7")


def test_a_part_code_is_unique_whatever_its_case(keeper, part):
    with pytest.raises(ValidationError) as caught:
        catalogue.part_create(actor=keeper, code="of-001", name="重复")

    assert "code" in caught.value.message_dict
    assert Part.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"retail_price": "-0.01"}, "retail_price"),
        ({"retail_price": "1.005"}, "retail_price"),
        ({"reorder_point": "-1"}, "reorder_point"),
        ({"code": "配件"}, "code"),
    ],
)
def test_a_part_with_a_bad_field_is_refused_naming_it(keeper, fields, field):
    with pytest.raises(ValidationError) as caught:
        catalogue.part_create(actor=keeper, **{"code": "SP-7", "name": "火花塞", **fields})

    assert field in caught.value.message_dict
    assert not Part.objects.exists()


def test_roles_without_add_part_cannot_create_parts(person):
    with pytest.raises(PermissionDenied):
        catalogue.part_create(actor=person("technician"), code="SP-7", name="火花塞")


def test_a_price_change_is_kept_in_the_parts_history(keeper, part):
    catalogue.part_update(actor=keeper, part=part, data={"retail_price": "60", "name": "机油滤清器"})

    part.refresh_from_db()
    assert part.retail_price == D("60.00")
    (event,) = audit_events_for(part)
    assert event.changes == {"retail_price": {"before": "58.00", "after": "60.00"}}


def test_sending_the_same_price_in_another_spelling_changes_nothing(keeper, part):
    part = Part.objects.get(pk=part.pk)  # as every caller has it: read from the database
    for same in ("58", 58, "58.0", D("58.000")):
        catalogue.part_update(actor=keeper, part=part, data={"retail_price": same, "reorder_point": "0"})

    assert audit_events_for(part) == []


def test_a_refused_part_change_leaves_the_part_as_it_was(keeper, part):
    with pytest.raises(ValidationError):
        catalogue.part_update(actor=keeper, part=part, data={"retail_price": "1.005", "name": "改名"})

    part.refresh_from_db()
    assert (part.retail_price, part.name) == (D("58.00"), "机油滤清器")
    assert audit_events_for(part) == []


# -- suppliers ----------------------------------------------------------------------------------------------------------


def test_a_supplier_code_is_stored_in_capitals_and_changes_are_audited(keeper):
    supplier = catalogue.supplier_create(actor=keeper, code="ngk", name="NGK 火花塞", phone="021-1234")

    catalogue.supplier_update(actor=keeper, supplier=supplier, data={"phone": "021-5678", "code": "ngk"})

    supplier.refresh_from_db()
    assert (supplier.code, supplier.phone) == ("NGK", "021-5678")
    assert [event.action for event in audit_events_for(supplier)] == ["update", "create"]
    assert audit_events_for(supplier)[0].changes == {"phone": {"before": "021-1234", "after": "021-5678"}}


# -- warehouses ---------------------------------------------------------------------------------------------------------


def test_the_default_warehouse_is_made_once_per_branch(branch):
    first = warehouse_default_for(branch)
    second = warehouse_default_for(branch)

    assert first.pk == second.pk
    assert (first.code, first.is_default, first.branch) == ("BJ01", True, branch)
    assert Warehouse.objects.filter(branch=branch).count() == 1


def test_the_database_allows_one_default_warehouse_per_branch(warehouse, branch):
    with pytest.raises(IntegrityError), transaction.atomic():
        Warehouse.objects.create(branch=branch, code="BJ01-X", name="x", is_default=True)


def test_a_new_default_warehouse_takes_over_from_the_old_one(keeper, warehouse, branch):
    new = catalogue.warehouse_create(actor=keeper, code="bj01-b", name="二库", branch=branch, is_default=True)

    warehouse.refresh_from_db()
    assert (new.code, new.is_default, warehouse.is_default) == ("BJ01-B", True, False)


def test_the_first_warehouse_of_a_branch_becomes_its_default(keeper, branch):
    new = catalogue.warehouse_create(actor=keeper, code="BJ01-A", name="一库", branch=branch)

    assert Warehouse.objects.get(pk=new.pk).is_default is True


def test_a_warehouse_in_a_branch_the_keeper_does_not_work_for_is_refused(keeper, other_branch):
    with pytest.raises(ValidationError) as caught:
        catalogue.warehouse_create(actor=keeper, code="SH01-B", name="x", branch=other_branch)

    assert list(caught.value.message_dict) == ["branch"]


def test_a_warehouse_holding_stock_cannot_be_closed_or_moved(keeper, warehouse, other_branch, part, stock, admin_user):
    stock(warehouse, part, 1, "1")

    with pytest.raises(ValidationError) as closing:
        catalogue.warehouse_update(actor=keeper, warehouse=warehouse, data={"active": False})
    with pytest.raises(ValidationError) as moving:
        catalogue.warehouse_update(actor=admin_user, warehouse=warehouse, data={"branch": other_branch})

    assert (list(closing.value.message_dict), list(moving.value.message_dict)) == (["active"], ["branch"])
    warehouse.refresh_from_db()
    assert (warehouse.active, warehouse.branch_id) == (True, keeper.employee.branch_id)


def test_a_closed_warehouse_takes_no_receipts(keeper, branch, part):
    second = WarehouseFactory(branch=branch, code="BJ01-B")
    catalogue.warehouse_update(actor=keeper, warehouse=second, data={"active": False})

    with pytest.raises(ValidationError) as caught:
        stock_receive(actor=keeper, warehouse=second, lines=[ReceiptLineIn(part=part, quantity=1, unit_cost=1)])

    assert list(caught.value.message_dict) == ["warehouse"]
    assert not StockBalance.objects.exists()


def test_the_default_moves_by_making_another_warehouse_default_not_by_unsetting_it(keeper, warehouse, branch):
    second = WarehouseFactory(branch=branch, code="BJ01-B")

    with pytest.raises(ValidationError) as caught:
        catalogue.warehouse_update(actor=keeper, warehouse=warehouse, data={"is_default": False})
    catalogue.warehouse_update(actor=keeper, warehouse=second, data={"is_default": True})

    assert list(caught.value.message_dict) == ["is_default"]
    assert list(Warehouse.objects.filter(branch=branch, is_default=True).values_list("pk", flat=True)) == [second.pk]


def test_another_branchs_warehouse_cannot_be_changed(keeper, other_warehouse):
    with pytest.raises(Http404):
        catalogue.warehouse_update(actor=keeper, warehouse=other_warehouse, data={"name": "改名"})


# -- bins ---------------------------------------------------------------------------------------------------------------


def test_a_bin_code_is_unique_within_its_warehouse(keeper, warehouse, branch):
    catalogue.bin_create(actor=keeper, warehouse=warehouse, code="a-01-03")
    second = WarehouseFactory(branch=branch, code="BJ01-B")

    with pytest.raises(ValidationError):
        catalogue.bin_create(actor=keeper, warehouse=warehouse, code="A-01-03")
    other = catalogue.bin_create(actor=keeper, warehouse=second, code="A-01-03")

    assert other.code == "A-01-03"


def test_a_parts_home_bin_must_be_in_the_same_warehouse(keeper, warehouse, branch, part):
    second = WarehouseFactory(branch=branch, code="BJ01-B")
    shelf = catalogue.bin_create(actor=keeper, warehouse=warehouse, code="A-01")
    elsewhere = catalogue.bin_create(actor=keeper, warehouse=second, code="B-01")

    balance = catalogue.balance_bin_set(actor=keeper, warehouse=warehouse, part=part, bin=shelf)
    with pytest.raises(ValidationError) as caught:
        catalogue.balance_bin_set(actor=keeper, warehouse=warehouse, part=part, bin=elsewhere)

    assert list(caught.value.message_dict) == ["bin"]
    assert StockBalance.objects.get(pk=balance.pk).bin == shelf
    assert (balance.on_hand, balance.value) == (D("0"), D("0"))


def test_bins_of_another_branch_cannot_be_made_or_assigned(keeper, other_warehouse, part):
    with pytest.raises(Http404):
        catalogue.bin_create(actor=keeper, warehouse=other_warehouse, code="A-01")
    with pytest.raises(Http404):
        catalogue.balance_bin_set(actor=keeper, warehouse=other_warehouse, part=part, bin=None)
