"""The progress board: each open order of a branch with plate, type, technicians, status, progress, promised and
expected times and a late / at-risk mark; refreshing itself; and the read-only screen behind the secret link, which
shows its own branch only, masks plates, names no customer and answers GET only."""

import datetime
import html as html_lib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from aftersales.core.testing import api_client, make_person, page_client, walk_role_matrix
from aftersales.customers.tests.factories import VehicleFactory
from aftersales.org.roles import ROLES
from aftersales.service.services import orders
from aftersales.workshop.services import dispatch, setup

pytestmark = pytest.mark.django_db
BOARD = reverse("workshop:board")
BOARD_ROWS = reverse("workshop:board_rows")
VIEWERS = [code for code, role in ROLES.items() if "service.view_serviceorder" in role.permissions]


@pytest.fixture(autouse=True)
def english(settings):
    """Pages in English (the source language): the Chinese catalogue is compiled by the lead."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def screen(token: str) -> str:
    return reverse("workshop:board_public", kwargs={"token": token})


def screen_rows(token: str) -> str:
    return reverse("workshop:board_public_rows", kwargs={"token": token})


@pytest.fixture
def wang(workshop):
    return workshop.technician_with({"机修": 3}, username="wang", name="王师傅")


@pytest.fixture
def at_risk(workshop, wang):
    """An order promised for 09:00 tomorrow whose two-hour job is planned 08:30–10:30: it will be late."""
    order, (job,) = workshop.order_with(
        {"hours": "2", "skill": "机修"}, promised_at=workshop.at(workshop.tomorrow, 9), plate="京B12388"
    )
    dispatch.dispatch_apply(
        actor=workshop.dispatcher,
        assignments=[
            {"line": job.pk, "technician": wang.pk, "bay": None, "start": workshop.at(workshop.tomorrow, 8, 30)}
        ],
    )
    return order


@pytest.fixture
def late(workshop):
    """An order promised an hour ago, its job not done: late."""
    order, _lines = workshop.order_with(
        {"hours": "1", "skill": "机修"}, promised_at=timezone.now() - datetime.timedelta(hours=1), plate="京C66699"
    )
    return order


@pytest.fixture
def elsewhere(other_branch):
    """An open order of the other branch."""
    advisor = make_person(role="service_advisor", branch=other_branch)
    vehicle = VehicleFactory(customer__branch=other_branch, customer__name="赵六", plate="沪D13579")
    return orders.order_create(
        actor=advisor, branch=other_branch, customer=vehicle.customer, asset=vehicle, type="repair", concerns="异响"
    )


@pytest.fixture
def token(workshop):
    return setup.board_link_rotate(actor=workshop.workshop_manager, branch=workshop.branch)


# -- the board in the app -------------------------------------------------------------------------------------------


def test_the_board_lists_open_orders_with_their_marks(workshop, at_risk, late):
    response = page_client(workshop.dispatcher).get(BOARD)

    assert response.status_code == 200
    page = text(response)
    risky = re.search(r'<tr class="board-row is-at-risk">(.*?)</tr>', page, re.S).group(1)
    assert "京B12388" in risky and "王师傅" in risky and "At risk" in risky and "0/1" in risky
    assert "Dispatched" in risky and "Repair" in risky
    tomorrow = workshop.tomorrow.strftime("%m-%d")
    assert f"{tomorrow} 09:00" in risky and f"{tomorrow} 10:30" in risky
    overdue = re.search(r'<tr class="board-row is-late">(.*?)</tr>', page, re.S).group(1)
    assert "京C66699" in overdue and '<span class="board-mark mark-late">Late</span>' in overdue
    assert reverse("service:order_detail", args=[at_risk.pk]) in page
    # the earliest promise first
    assert page.index("京C66699") < page.index("京B12388")


def test_the_board_refreshes_itself_and_without_javascript_reloads(workshop, at_risk):
    page = text(page_client(workshop.dispatcher).get(BOARD))
    container = re.search(r'<div id="board-rows"[^>]*>', page).group(0)
    assert f'hx-get="{BOARD_ROWS}?branch={workshop.branch.pk}"' in container
    assert 'hx-trigger="every 30s"' in container and 'hx-swap="outerHTML"' in container
    assert '<noscript><meta http-equiv="refresh" content="60"></noscript>' in page
    assert re.search(r'Updated <time datetime="[^"]+">\d\d:\d\d:\d\d</time>', page)

    partial = text(page_client(workshop.dispatcher).get(f"{BOARD_ROWS}?branch={workshop.branch.pk}"))
    assert partial.startswith('<div id="board-rows"') and "京B12388" in partial and "<html" not in partial


def test_managers_get_the_link_to_the_screen_settings(workshop):
    settings_url = reverse("workshop:settings")
    assert settings_url in text(page_client(workshop.workshop_manager).get(BOARD))
    assert settings_url not in text(page_client(workshop.dispatcher).get(BOARD))


def test_full_screen_mode_drops_the_navigation(workshop, at_risk):
    page = text(page_client(workshop.dispatcher).get(BOARD + "?screen=1"))
    assert 'class="board-screen"' in page and 'class="sidebar"' not in page and "京B12388" in page


def test_the_board_runs_the_same_queries_with_two_or_five_orders(workshop, wang):
    client = page_client(workshop.dispatcher)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(BOARD).status_code == 200
        return len(queries)

    def add(number: int):
        for index in range(number):
            _order, (job,) = workshop.order_with({"hours": "1", "skill": "机修"}, plate=f"京E{index:05d}")
            start = workshop.at(workshop.tomorrow, 9 + index)
            dispatch.dispatch_apply(
                actor=workshop.dispatcher,
                assignments=[{"line": job.pk, "technician": wang.pk, "bay": None, "start": start}],
            )

    add(2)
    with_two = count()
    workshop.order_with({"hours": "1"}, plate="京F00001")
    workshop.order_with({"hours": "1"}, plate="京F00002")
    workshop.order_with({"hours": "1"}, plate="京F00003")
    assert count() == with_two


def test_only_roles_that_see_orders_open_the_board(branch, other_branch):
    mismatches = walk_role_matrix(
        own_url=BOARD + f"?branch={branch.pk}",
        other_url=None,
        allowed=VIEWERS,
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


def test_another_branchs_board_is_not_found(workshop, other_branch):
    client = page_client(workshop.dispatcher)
    assert client.get(BOARD + f"?branch={other_branch.pk}").status_code == 404
    assert client.get(BOARD_ROWS + f"?branch={other_branch.pk}").status_code == 404


def test_anonymous_visitors_of_the_board_are_sent_to_sign_in(workshop):
    response = page_client().get(BOARD)
    assert response.status_code == 302 and reverse("login") in response["Location"]


# -- the screen behind the secret link -----------------------------------------------------------------------------


def test_the_secret_link_shows_its_branch_masked_without_customers_or_links(workshop, at_risk, late, elsewhere, token):
    response = page_client().get(screen(token))

    assert response.status_code == 200
    page = text(response)
    assert "京B***88" in page and "京C***99" in page and "王师傅" in page
    for secret in ("京B12388", "京C66699", "京A12345", workshop.customer.name, at_risk.number):
        assert secret not in page
    # another branch's orders are not on it
    assert "沪D***79" not in page and "赵六" not in page and elsewhere.number not in page
    # no navigation, no link into the app
    assert 'class="sidebar"' not in page and "<a " not in page and "<form" not in page
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"
    assert f'hx-get="{screen_rows(token)}"' in page and 'hx-trigger="every 30s"' in page
    assert '<noscript><meta http-equiv="refresh" content="60"></noscript>' in page


def test_the_screens_refresh_is_scoped_by_the_same_token(workshop, at_risk, elsewhere, token):
    page = text(page_client().get(screen_rows(token)))
    assert "京B***88" in page and "京B12388" not in page and workshop.customer.name not in page
    assert "沪D" not in page and "<a " not in page


def test_a_wrong_token_opens_nothing(workshop, at_risk, token):
    client = page_client()
    assert client.get(screen("not-the-token")).status_code == 404
    assert client.get(screen_rows("not-the-token")).status_code == 404
    assert client.get(screen(token[:-1])).status_code == 404


def test_a_revoked_or_rotated_token_opens_nothing(workshop, at_risk, token):
    client = page_client()
    newer = setup.board_link_rotate(actor=workshop.workshop_manager, branch=workshop.branch)
    assert client.get(screen(token)).status_code == 404
    assert client.get(screen_rows(token)).status_code == 404
    assert client.get(screen(newer)).status_code == 200
    setup.board_link_revoke(actor=workshop.workshop_manager, branch=workshop.branch)
    assert client.get(screen(newer)).status_code == 404


def test_the_screen_answers_only_get(workshop, token):
    client = page_client()
    assert client.post(screen(token)).status_code == 405
    assert client.post(screen_rows(token)).status_code == 405
    assert client.put(screen(token)).status_code == 405


def test_the_token_opens_no_other_page_or_api(workshop, at_risk, token):
    """The token is a path segment of the screen only: a visitor holding it is still anonymous everywhere else."""
    client = page_client()
    client.get(screen(token))
    order_page = client.get(reverse("service:order_detail", args=[at_risk.pk]))
    assert order_page.status_code == 302 and reverse("login") in order_page["Location"]
    assert client.get(BOARD).status_code == 302
    assert client.get(f"/api/v1/workshop/board?branch={workshop.branch.pk}").status_code == 401
    bearer = api_client(None)
    assert bearer.get("/api/v1/workshop/board", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_the_screen_runs_the_same_queries_with_two_or_five_orders(workshop, token):
    client = page_client()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(screen(token)).status_code == 200
        return len(queries)

    for index in range(2):
        workshop.order_with({"hours": "1"}, plate=f"京G{index:05d}")
    with_two = count()
    for index in range(3):
        workshop.order_with({"hours": "1"}, plate=f"京H{index:05d}")
    assert count() == with_two
