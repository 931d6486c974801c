"""A settled order is never edited: a correction is a new order linked to it."""

import pytest

from aftersales.service.choices import OrderStatus
from aftersales.service.models import ServiceOrder
from aftersales.service.tests.conftest import API, post

S = OrderStatus


def test_a_delivered_order_is_corrected_by_a_new_order_linked_to_it(shop):
    original = shop.walk(S.DELIVERED).order

    response = post(shop.api(shop.advisor), f"{API}/work-orders/{original.pk}/correction", {"reason": "少收机油费"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "reception" and body["corrects"] == original.pk
    assert original.number in body["concerns"] and body["customer"] == original.customer_id
    original.refresh_from_db()
    assert original.status == S.DELIVERED  # untouched
    assert original.events.filter(action="corrected").exists()


@pytest.mark.parametrize("status", [S.RECEPTION, S.COMPLETED])
def test_an_order_not_yet_settled_is_not_corrected_but_changed(shop, status):
    order = shop.walk(status).order

    response = post(shop.api(shop.advisor), f"{API}/work-orders/{order.pk}/correction", {"reason": "x"})

    assert response.status_code == 409 and response.json()["code"] == "invalid_status"
    assert ServiceOrder.objects.count() == 1


def test_a_correction_needs_a_reason_and_a_role_that_opens_orders(shop):
    order = shop.walk(S.SETTLED).order

    assert post(shop.api(shop.advisor), f"{API}/work-orders/{order.pk}/correction", {"reason": " "}).status_code == 422
    assert (
        post(shop.api(shop.technician), f"{API}/work-orders/{order.pk}/correction", {"reason": "x"}).status_code == 403
    )
    assert ServiceOrder.objects.count() == 1
