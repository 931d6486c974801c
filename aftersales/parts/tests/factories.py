"""Factories of the parts tests. Stock is only ever created through the ledger services (see `conftest.stock`)."""

from decimal import Decimal

import factory

from aftersales.parts.models import Part, Supplier, Warehouse


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    code = factory.Sequence(lambda n: f"SUP{n:03d}")
    name = factory.Sequence(lambda n: f"供应商{n}")


class PartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Part

    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"配件{n}")
    unit = "个"
    retail_price = Decimal("100.00")
    warranty_price = Decimal("80.00")


class WarehouseFactory(factory.django.DjangoModelFactory):
    """A further (non-default) warehouse; a branch's default comes from `warehouse_default_for`."""

    class Meta:
        model = Warehouse

    code = factory.Sequence(lambda n: f"WH{n:03d}")
    name = factory.Sequence(lambda n: f"仓库{n}")
    branch = factory.SubFactory("aftersales.org.tests.factories.BranchFactory")
