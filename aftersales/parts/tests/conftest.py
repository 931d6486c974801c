"""Fixtures of the parts tests: warehouses of the two stores, a part, a keeper, and stock made through the ledger."""

from decimal import Decimal

import pytest
from django.utils import translation

from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive
from aftersales.parts.tests.factories import PartFactory, SupplierFactory


@pytest.fixture
def english(settings):
    """Messages in English (the source language), for requests and direct calls."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def warehouse(branch):
    """The default warehouse of `branch` (BJ01)."""
    return warehouse_default_for(branch)


@pytest.fixture
def other_warehouse(other_branch):
    """The default warehouse of `other_branch` (SH01)."""
    return warehouse_default_for(other_branch)


@pytest.fixture
def supplier(db):
    return SupplierFactory(code="BOSCH", name="博世汽配")


@pytest.fixture
def part(db, supplier):
    return PartFactory(
        code="OF-001",
        name="机油滤清器",
        oem_number="15400-RTA-003",
        barcode="6901234567892",
        supplier=supplier,
        retail_price=Decimal("58.00"),
    )


@pytest.fixture
def keeper(person):
    """A parts keeper of `branch`."""
    return person("parts_keeper")


@pytest.fixture
def parts_manager(person):
    return person("parts_manager")


@pytest.fixture
def stock(admin_user):
    """`stock(warehouse, part, quantity, unit_cost)` → receive that stock through the ledger (by a superuser)."""

    def receive(warehouse, part, quantity, unit_cost="10.00", **kwargs):
        return stock_receive(
            actor=admin_user,
            warehouse=warehouse,
            lines=[ReceiptLineIn(part=part, quantity=Decimal(str(quantity)), unit_cost=Decimal(str(unit_cost)))],
            **kwargs,
        )

    return receive
