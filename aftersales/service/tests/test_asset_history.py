"""The asset's service history (车历) and the customer's orders, one click from the order page."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftersales.core.testing import page_client
from aftersales.customers.tests.factories import VehicleFactory
from aftersales.service.choices import OrderStatus

S = OrderStatus


def test_the_asset_page_lists_its_orders_newest_first_and_no_others(shop):
    first = shop.walk(S.DELIVERED).order
    second = shop.open()
    other_car = VehicleFactory(customer=shop.customer, plate="京B54321")
    elsewhere = shop.open(asset=other_car)

    response = page_client(shop.advisor).get(reverse("customers:asset_detail", args=[shop.vehicle.pk]))

    numbers = [o.number for o in response.context["orders"]]
    assert numbers == [second.number, first.number]
    assert elsewhere.number not in response.content.decode()
    assert first.get_absolute_url() in response.content.decode()


def test_the_customer_page_lists_the_orders_of_all_their_assets(shop):
    order = shop.open()
    response = page_client(shop.advisor).get(reverse("customers:customer_detail", args=[shop.customer.pk]))
    assert [o.number for o in response.context["orders"]] == [order.number]


def test_the_history_costs_one_query_whatever_its_length(shop):
    client = page_client(shop.advisor)
    url = reverse("customers:asset_detail", args=[shop.vehicle.pk])
    shop.open()
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(5):
        shop.open()
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few.captured_queries) == len(many.captured_queries)


def test_customer_care_reads_the_history_and_hr_reads_no_asset_at_all(shop, person):
    shop.open()
    url = reverse("customers:asset_detail", args=[shop.vehicle.pk])
    assert page_client(person("hr")).get(url).status_code == 403
    assert len(page_client(person("customer_care")).get(url).context["orders"]) == 1
