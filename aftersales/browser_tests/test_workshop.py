"""The dispatcher plans tomorrow in the browser: plans the day, gives one job to another technician at another time,
applies the plan, and sees it on the progress board.

Every page is watched by the `web` fixture: a JavaScript error, a console error, a server error or a request outside
the live server fails the test.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from aftersales.browser_tests.helpers import ui_text, unlabelled_fields, username_label
from aftersales.core.testing import PASSWORD
from aftersales.workshop.models import JobSlot
from aftersales.workshop.tests.conftest import Workshop

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(branch, admin_user):
    """BJ01 with three technicians, a lift bay and three approved orders for tomorrow's plan."""
    shop = Workshop(branch=branch, admin=admin_user)
    shop.wang = shop.technician_with({"机修": 3}, username="wang", name="王师傅")
    shop.li = shop.technician_with({"机修": 2, "电工": 2}, username="li", name="李师傅")
    shop.zhang = shop.technician_with({"电工": 3}, username="zhang", name="张师傅")
    shop.lift = shop.bay("A1", "举升")
    shop.brakes = shop.order_with(
        {"hours": "2", "skill": "机修", "bay_kind": "举升", "name": "更换刹车片"}, plate="京A10001"
    )
    shop.wiring = shop.order_with({"hours": "1", "skill": "电工", "name": "检修线路"}, plate="京A10002")
    shop.oil = shop.order_with({"hours": "1", "skill": "机修", "name": "更换机油"}, plate="京A10003")
    return shop


def sign_in(web, user, path: str) -> Page:
    page = web.new_page()
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label(username_label(), exact=True).fill(user.username)
    page.get_by_label(ui_text("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=ui_text("Sign in")).click()
    expect(page.locator(".topbar .who")).to_have_text(user.employee.name)
    return page


def test_dispatcher_plans_adjusts_and_applies_the_day_then_sees_it_on_the_board(web, shop):
    day = shop.tomorrow.isoformat()
    page = sign_in(web, shop.dispatcher, f"{reverse('workshop:dispatch')}?date={day}&branch={shop.branch.pk}")
    expect(page.locator(".timeline")).to_contain_text("王师傅")

    page.get_by_role("button", name=ui_text("Plan the day")).click()
    expect(page).to_have_url(re.compile(r"/workshop/dispatch/plan/\?"))
    rows = page.locator("tr.plan-row")
    expect(rows).to_have_count(3)
    expect(page.locator(".tl-track .tl-proposed")).to_have_count(3)
    assert unlabelled_fields(page) == []

    # who could do the wiring job? the suggestions come in when the disclosure opens
    _order, (wiring,) = shop.wiring
    row = page.locator(f'tr.plan-row[data-line="{wiring.pk}"]')
    row.locator("details.suggest summary").click()
    suggested = row.locator("ol.suggestions li.eligible")
    expect(suggested).to_have_count(2)  # the two electricians; the others lack the skill
    expect(suggested.filter(has_text="张师傅")).to_have_count(1)
    expect(suggested.filter(has_text="李师傅")).to_have_count(1)

    # give the wiring job to the other electrician, in the afternoon
    technician = row.locator("select[name$='-technician']")
    planned_for = int(technician.input_value())
    other = shop.li if planned_for == shop.zhang.pk else shop.zhang
    technician.select_option(str(other.pk))
    row.locator("input[type=time]").fill("15:00")
    page.get_by_role("button", name=ui_text("Apply plan")).click()

    expect(page.locator(".toast")).to_have_text(ui_text("Plan applied. Jobs planned: %(count)s.") % {"count": 3})
    expect(page).to_have_url(re.compile(rf"/workshop/dispatch/\?date={day}"))
    expect(page.locator(".tl-track .tl-planned")).to_have_count(3)
    slot = JobSlot.objects.select_related("line__technician").get(line=wiring)
    assert slot.line.technician == other.user
    assert slot.start == shop.at(shop.tomorrow, 15)

    page.locator(".page-head .actions").get_by_role("link", name=ui_text("Progress board")).click()
    board_row = page.locator("tr.board-row", has_text="京A10002")
    expect(board_row).to_contain_text(other.name)
    expect(board_row).to_contain_text("0/1")
    expect(page.locator("tr.board-row")).to_have_count(3)
