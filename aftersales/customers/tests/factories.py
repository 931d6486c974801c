import random

import factory

from aftersales.customers.models import Asset, Customer
from aftersales.customers.services import customer_search_refresh
from aftersales.demo.fake import make_vin


class CustomerFactory(factory.django.DjangoModelFactory):
    """A person customer with a valid mobile; the search digest is kept right as real services do."""

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"客户{n}")
    kind = "person"
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    branch = factory.SubFactory("aftersales.org.tests.factories.BranchFactory")

    @factory.post_generation
    def search(self, create, extracted, **kwargs):
        if create:
            customer_search_refresh(self)


class VehicleFactory(factory.django.DjangoModelFactory):
    """A vehicle with a VIN whose check digit is right and a standard plate."""

    class Meta:
        model = Asset
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    branch = factory.SelfAttribute("customer.branch")
    kind = "vehicle"
    vin = factory.Sequence(lambda n: make_vin(random.Random(n), "LSV", 2020))
    plate = factory.Sequence(lambda n: f"京A{n % 100000:05d}")
    brand = "大众"
    model = "帕萨特"
    year = 2020
    mileage = 30000

    @factory.post_generation
    def search(self, create, extracted, **kwargs):
        if create:
            customer_search_refresh(self.customer)
