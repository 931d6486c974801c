"""A car from appointment to delivery through the service pages, each step by the person whose job it is.

The advisor books the appointment, receives the customer, writes the estimate and records the consent; the
parts keeper issues the part; the dispatcher gives the job to the technician, who starts and finishes it on a
phone; the inspector passes the quality check; the cashier takes two payments (after one that does not add up);
the advisor hands the car back with a release pass and prints it. Everyone signs in through the sign-in page,
in a browser of their own. Every page is watched by the `web` fixture: a JavaScript error, a console error, a
server error or a request outside the live server fails the test.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from aftersales.browser_tests.helpers import UI_LANGUAGE, ui_text, unlabelled_fields, username_label
from aftersales.core.testing import PASSWORD, make_person
from aftersales.customers.tests.factories import VehicleFactory
from aftersales.org.models import Employee
from aftersales.parts.models import StockBalance
from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive
from aftersales.parts.tests.factories import PartFactory
from aftersales.service.choices import (
    TRANSITIONS,
    Consent,
    ConsentMethod,
    JobStatus,
    OrderStatus,
    PartState,
    PaymentMethod,
)
from aftersales.service.forms import ApproveForm, LabourLineForm, PartLineForm, QcPassForm, ReceptionForm
from aftersales.service.forms_appointments import AppointmentForm
from aftersales.service.models import Appointment, AppointmentStatus, Payment, ReleasePass, ServiceOrder

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}
S = OrderStatus


# -- the shop -------------------------------------------------------------------------------------------------------


def named(user, name: str):
    """The person's employee name, as the pages show them."""
    Employee.objects.filter(user=user).update(name=name)
    user.refresh_from_db()
    return user


@pytest.fixture
def warehouse(branch):
    return warehouse_default_for(branch)


@pytest.fixture
def car(branch):
    """张伟's car, a customer of BJ01."""
    return VehicleFactory(
        customer__branch=branch, customer__name="张伟", customer__mobile="13912345678", plate="京A88888"
    )


@pytest.fixture
def oil_filter(admin_user, warehouse):
    """An oil filter at ¥58.00 retail, ten of them on the shelf of BJ01 (received as set-up)."""
    part = PartFactory(code="OF-001", name="机油滤清器", retail_price=Decimal("58.00"))
    line = ReceiptLineIn(part=part, quantity=Decimal("10"), unit_cost=Decimal("30.00"))
    stock_receive(actor=admin_user, warehouse=warehouse, lines=[line])
    return part


@pytest.fixture
def staff(branch, advisor):
    """One person of BJ01 for each step, by the name the pages show."""
    return {
        "advisor": named(advisor, "王顾问"),
        "keeper": named(make_person(role="parts_keeper", branch=branch, username="keeper"), "赵库管"),
        "dispatcher": named(make_person(role="dispatcher", branch=branch, username="dispatcher"), "钱调度"),
        "technician": named(make_person(role="technician", branch=branch, username="tech"), "李师傅"),
        "inspector": named(make_person(role="qc_inspector", branch=branch, username="inspector"), "孙质检"),
        "cashier": named(make_person(role="cashier", branch=branch, username="cashier"), "周收银"),
    }


# -- the interface's words ------------------------------------------------------------------------------------------


def label(choice) -> str:
    """A choice's label (a status, a method …) in the interface language."""
    with translation.override(UI_LANGUAGE):
        return str(choice.label)


def field(form_class, name: str) -> str:
    """A form field's label in the interface language (built from the class: these forms need arguments)."""
    with translation.override(UI_LANGUAGE):
        return str(form_class.base_fields[name].label)


def step_name(action: str) -> str:
    with translation.override(UI_LANGUAGE):
        return str(TRANSITIONS[action].label)


def action(text: str) -> re.Pattern:
    """The name of a button or link that starts with a sign ("＋ Add labour"): exactly `text` after it."""
    return re.compile(rf"^\W*{re.escape(ui_text(text))}$")


def done_toast(action_name: str, status: OrderStatus) -> str:
    return ui_text("%(action)s: done. The order is %(status)s.") % {
        "action": step_name(action_name),
        "status": label(status),
    }


# -- the pages ------------------------------------------------------------------------------------------------------


class Dialogs:
    """Answers the page's confirmation dialogs with OK, and remembers what they asked."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("dialog", self._answer)

    def _answer(self, dialog) -> None:
        self.messages.append(dialog.message)
        dialog.accept()


def sign_in(web, user, path: str = "/", **context_options) -> Page:
    """A browser of `user`'s own: `path` asks them to sign in, they do, and land on `path`."""
    page = web.new_page(**context_options)
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label(username_label(), exact=True).fill(user.username)
    page.get_by_label(ui_text("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=ui_text("Sign in")).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}$"))
    expect(page.locator(".topbar .who")).to_have_text(user.employee.name)
    Dialogs(page)
    return page


def order_status(page: Page):
    """The order's status tag in the page heading (after the type's tag)."""
    return page.get_by_role("heading", level=1).locator(".tag").last


def toast(page: Page):
    return page.locator(".toast")


def offered_steps(page: Page) -> list[str]:
    """The steps the order page offers its user, by action name, in their order."""
    return [
        element.get_attribute("id").removeprefix("action-")
        for element in page.locator("#actions [id^='action-']").all()
    ]


def step(page: Page, name: str):
    """A step's box on the order page (a button, or a fold-out form)."""
    return page.locator(f"#action-{name}")


def open_step(page: Page, name: str):
    """Unfold a step's form and return it."""
    box = step(page, name)
    box.locator("summary").click()
    form = box.locator("form")
    expect(form).to_be_visible()
    return form


def press(page: Page, name: str) -> None:
    """The step's submit button (the same words as the step)."""
    step(page, name).get_by_role("button", name=step_name(name), exact=True).click()


def line_row(page: Page, name: str):
    return page.locator("#lines tbody tr", has=page.get_by_text(name, exact=False))


def cell(row, column: str):
    return row.locator(f"td[data-label='{ui_text(column)}']")


def totals_row(page: Page, heading: str):
    return page.get_by_role("table", name=ui_text("Totals")).locator(
        "tr", has=page.get_by_role("rowheader", name=heading, exact=True)
    )


def local_input(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# -- the test -------------------------------------------------------------------------------------------------------


def test_a_car_goes_from_appointment_to_delivery_through_the_pages_of_each_role(
    web, branch, warehouse, car, oil_filter, staff
):
    customer = car.customer
    now = timezone.localtime()
    starts = (now + datetime.timedelta(hours=1)).replace(second=0, microsecond=0)
    starts = starts.replace(minute=starts.minute // 15 * 15)  # a quarter hour, 45 to 60 minutes from now
    promised = now + datetime.timedelta(hours=5)

    # == 1. The advisor books the appointment and receives the customer ============================================
    advisor = sign_in(web, staff["advisor"], "/service/")
    advisor.get_by_role("complementary").get_by_role("link", name=ui_text("Appointments"), exact=True).click()
    expect(advisor).to_have_url(re.compile(r"/service/appointments/$"))
    advisor.locator(".page-head .actions").get_by_role("link", name=action("Book")).click()
    expect(advisor).to_have_url(re.compile(r"/service/appointments/new/\?"))

    # they find the customer by the car's plate and choose them
    advisor.get_by_label(ui_text("Name, mobile or plate"), exact=True).fill("京A88888")
    advisor.get_by_role("button", name=ui_text("Search"), exact=True).click()
    result = advisor.locator("tbody tr", has=advisor.get_by_text("张伟", exact=True))
    expect(result).to_have_count(1)
    expect(result).to_contain_text("京A88888")
    result.get_by_role("link", name=ui_text("Choose"), exact=True).click()

    # the booking form knows the branch, the only car and the advisor; they give the time and the job
    expect(advisor.get_by_text("张伟", exact=True)).to_be_visible()
    assert unlabelled_fields(advisor) == []
    expect(advisor.get_by_label(field(AppointmentForm, "branch"), exact=True)).to_have_value(str(branch.pk))
    expect(advisor.get_by_label(field(AppointmentForm, "asset"), exact=True)).to_have_value(str(car.pk))
    expect(advisor.get_by_label(field(AppointmentForm, "advisor"), exact=True)).to_have_value(str(staff["advisor"].pk))
    advisor.get_by_label(field(AppointmentForm, "date"), exact=True).fill(starts.date().isoformat())
    advisor.get_by_label(field(AppointmentForm, "time"), exact=True).fill(starts.strftime("%H:%M"))
    advisor.get_by_label(field(AppointmentForm, "request"), exact=True).fill("保养，刹车有异响")
    advisor.get_by_role("button", name=ui_text("Book"), exact=True).click()

    # Then the appointment's page shows it booked
    expect(advisor).to_have_url(re.compile(r"/service/appointments/\d+/$"))
    expect(toast(advisor)).to_have_text(ui_text("Appointment booked."))
    appointment = Appointment.objects.get()
    assert (appointment.customer, appointment.asset, appointment.status) == (customer, car, AppointmentStatus.BOOKED)
    assert timezone.localtime(appointment.starts_at) == starts
    heading = advisor.get_by_role("heading", level=1)
    expect(heading.locator(".tag")).to_have_text(label(AppointmentStatus.BOOKED))

    # And the day's page lists it at its hour, from where the advisor opens it again
    advisor.locator(".breadcrumbs").get_by_role("link", name=ui_text("Appointments"), exact=True).click()
    expect(advisor).to_have_url(re.compile(rf"/service/appointments/\?date={starts.date().isoformat()}"))
    row = advisor.locator("table.appointment-day tbody tr", has=advisor.get_by_role("link", name="张伟"))
    expect(row).to_contain_text(starts.strftime("%H:%M"))
    expect(row).to_contain_text("京A88888")
    expect(row).to_contain_text("保养，刹车有异响")
    row.get_by_role("link", name="张伟").click()
    expect(advisor).to_have_url(re.compile(rf"/service/appointments/{appointment.pk}/$"))

    # When the customer arrives they are received at reception: the full reception form, from the appointment
    arrival = advisor.get_by_role("region", name=ui_text("The customer has arrived"), exact=True)
    arrival.get_by_role("link", name=ui_text("Receive at reception"), exact=True).click()
    expect(advisor).to_have_url(re.compile(r"/service/orders/new/\?appointment="))
    assert unlabelled_fields(advisor) == []
    advisor.get_by_label(field(ReceptionForm, "mileage"), exact=True).fill("12000")
    advisor.get_by_label(field(ReceptionForm, "promised_at"), exact=True).fill(local_input(promised))
    advisor.get_by_label(field(ReceptionForm, "concerns"), exact=True).fill("起步时有异响")
    advisor.get_by_label(field(ReceptionForm, "valuables_acknowledged"), exact=True).check()
    advisor.get_by_role("button", name=ui_text("Open the service order"), exact=True).click()

    # Then they land on the new order, at reception, for the appointment's customer and car
    expect(advisor).to_have_url(re.compile(r"/service/orders/\d+/$"))
    order = ServiceOrder.objects.get()
    order_url = order.get_absolute_url()
    assert advisor.url.endswith(order_url)
    expect(toast(advisor)).to_have_text(ui_text("The customer has arrived: service order opened."))
    expect(order_status(advisor)).to_have_text(label(S.RECEPTION))
    expect(advisor.get_by_role("heading", level=1)).to_contain_text(order.number)
    facts = advisor.get_by_role("region", name=ui_text("Service order"), exact=True)
    expect(facts).to_contain_text("张伟")
    expect(facts).to_contain_text("京A88888")
    expect(facts).to_contain_text("12000")
    expect(facts).to_contain_text(timezone.localtime(promised).strftime("%Y-%m-%d %H:%M"))
    expect(advisor.get_by_role("region", name=ui_text("Reception"), exact=True)).to_contain_text("起步时有异响")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.order) == (AppointmentStatus.ARRIVED, order)
    assert (order.advisor, order.mileage, order.customer, order.asset) == (staff["advisor"], 12000, customer, car)
    assert offered_steps(advisor) == ["submit_estimate", "cancel"]

    # == 2. The advisor writes the estimate and records the customer's consent ====================================
    labour = advisor.get_by_role("form", name=ui_text("Add labour"))
    labour.get_by_label(field(LabourLineForm, "name"), exact=True).fill("更换机油机滤")
    labour.get_by_label(field(LabourLineForm, "hours"), exact=True).fill("1.5")
    labour.get_by_label(field(LabourLineForm, "rate"), exact=True).fill("120")
    labour.get_by_role("button", name=action("Add labour")).click()
    expect(toast(advisor)).to_have_text(ui_text("Line added."))
    expect(line_row(advisor, "更换机油机滤")).to_have_count(1)

    part = advisor.get_by_role("form", name=ui_text("Add a part"))
    part.get_by_label(field(PartLineForm, "part"), exact=True).fill("OF-001")
    part.get_by_label(field(PartLineForm, "quantity"), exact=True).fill("1")
    part.get_by_role("button", name=action("Add a part")).click()  # the price left empty: the retail price
    expect(toast(advisor)).to_have_text(ui_text("Line added."))

    labour_row, part_row = line_row(advisor, "更换机油机滤"), line_row(advisor, "OF-001")
    expect(cell(labour_row, "Amount")).to_have_text("¥180.00")
    expect(cell(part_row, "Amount")).to_have_text("¥58.00")
    expect(cell(part_row, "Consent")).to_have_text(label(Consent.ESTIMATE))
    expect(totals_row(advisor, ui_text("Labour"))).to_contain_text("¥180.00")
    expect(totals_row(advisor, ui_text("Parts"))).to_contain_text("¥58.00")
    expect(totals_row(advisor, ui_text("The customer pays"))).to_contain_text("¥238.00")

    # When they submit the estimate (and confirm)
    press(advisor, "submit_estimate")
    expect(toast(advisor)).to_have_text(done_toast("submit_estimate", S.AWAITING_APPROVAL))
    expect(order_status(advisor)).to_have_text(label(S.AWAITING_APPROVAL))
    assert offered_steps(advisor) == ["approve", "cancel"]

    # And record that the owner consented on the phone
    consent = open_step(advisor, "approve")
    expect(consent).to_contain_text("¥238.00")
    consent.get_by_label(field(ApproveForm, "method"), exact=True).select_option(label=label(ConsentMethod.PHONE))
    consent.get_by_label(field(ApproveForm, "by"), exact=True).fill("车主本人")
    press(advisor, "approve")

    # Then the order is approved, both lines consented and the part reserved on the shelf
    expect(toast(advisor)).to_have_text(done_toast("approve", S.APPROVED))
    expect(order_status(advisor)).to_have_text(label(S.APPROVED))
    expect(cell(labour_row, "Consent")).to_have_text(label(Consent.APPROVED))
    expect(cell(part_row, "Consent")).to_have_text(label(Consent.APPROVED))
    expect(cell(part_row, "Work / parts")).to_have_text(label(PartState.RESERVED))
    expect(advisor.get_by_role("region", name=ui_text("Service order"), exact=True)).to_contain_text(
        "¥238.00"
    )  # consented
    balance = StockBalance.objects.get(part=oil_filter, warehouse=warehouse)
    assert (balance.on_hand, balance.reserved) == (Decimal("10"), Decimal("1"))
    assert offered_steps(advisor) == ["cancel"]  # issuing and dispatching are other people's steps

    # == 3. The parts keeper issues the part ======================================================================
    keeper = sign_in(web, staff["keeper"], order_url)
    expect(order_status(keeper)).to_have_text(label(S.APPROVED))
    assert offered_steps(keeper) == ["issue_parts"]
    expect(keeper.get_by_role("form", name=ui_text("Add labour"))).to_have_count(0)  # the keeper writes no lines
    press(keeper, "issue_parts")
    expect(toast(keeper)).to_have_text(done_toast("issue_parts", S.APPROVED))
    expect(cell(line_row(keeper, "OF-001"), "Work / parts")).to_have_text(label(PartState.ISSUED))
    expect(keeper.locator("#actions")).to_contain_text(ui_text("Nothing for you to do on this order now."))
    balance.refresh_from_db()
    assert (balance.on_hand, balance.reserved) == (Decimal("9"), Decimal("0"))

    # == 4. The dispatcher gives the job to the technician ========================================================
    dispatcher = sign_in(web, staff["dispatcher"], order_url)
    assert offered_steps(dispatcher) == ["dispatch"]
    dispatch = open_step(dispatcher, "dispatch")
    dispatch.get_by_label("更换机油机滤", exact=True).select_option(label="李师傅")
    press(dispatcher, "dispatch")
    expect(toast(dispatcher)).to_have_text(done_toast("dispatch", S.DISPATCHED))
    expect(order_status(dispatcher)).to_have_text(label(S.DISPATCHED))
    job_state = cell(line_row(dispatcher, "更换机油机滤"), "Work / parts")
    expect(job_state).to_have_text(f"李师傅 · {label(JobStatus.ASSIGNED)}")

    # == 5. The technician starts and finishes the job on their phone =============================================
    technician = sign_in(web, staff["technician"], "/", **PHONE)
    menu = technician.get_by_role("button", name=ui_text("Menu"))
    menu.tap()
    technician.locator(".sidebar").get_by_role("link", name=ui_text("My jobs"), exact=True).tap()
    expect(technician).to_have_url(re.compile(r"/service/jobs/$"))
    job = technician.get_by_role("article", name="更换机油机滤")
    expect(job).to_have_count(1)
    expect(job).to_be_in_viewport()
    expect(job).to_contain_text("京A88888")
    expect(job).to_contain_text(order.number)
    expect(job.locator(".tag")).to_have_text(label(JobStatus.ASSIGNED))
    assert technician.evaluate("document.documentElement.scrollWidth") <= 390

    job.get_by_role("button", name=action("Start work")).tap()
    expect(toast(technician)).to_have_text(ui_text("Started: %(job)s.") % {"job": "更换机油机滤"})
    expect(job.locator(".tag")).to_have_text(label(JobStatus.IN_PROGRESS))

    # the order number on the card leads to the order, now in progress, where the technician has no step to take
    job.get_by_role("link", name=order.number, exact=True).tap()
    expect(technician).to_have_url(re.compile(rf"{re.escape(order_url)}$"))
    expect(order_status(technician)).to_have_text(label(S.IN_PROGRESS))
    assert offered_steps(technician) == []
    assert technician.evaluate("document.documentElement.scrollWidth") <= 390
    menu.tap()
    technician.locator(".sidebar").get_by_role("link", name=ui_text("My jobs"), exact=True).tap()
    expect(technician).to_have_url(re.compile(r"/service/jobs/$"))

    job.locator("summary", has_text=ui_text("Finish work")).tap()
    job.get_by_label(ui_text("Self-check done: the work passed")).check()
    job.get_by_label(ui_text("Self-check notes"), exact=True).fill("试车正常，无异响")
    job.get_by_role("button", name=ui_text("Finish the job"), exact=True).tap()
    expect(toast(technician)).to_have_text(ui_text("Finished: %(job)s.") % {"job": "更换机油机滤"})
    expect(technician.get_by_role("article")).to_have_count(0)  # no open job left
    done = technician.get_by_role("region", name=re.compile(re.escape(ui_text("Finished today"))))
    expect(done.locator("li")).to_have_count(1)
    expect(done.locator("li")).to_contain_text("更换机油机滤")
    assert technician.evaluate("document.documentElement.scrollWidth") <= 390

    # == 6. The inspector passes the quality check ================================================================
    inspector = sign_in(web, staff["inspector"], order_url)
    expect(order_status(inspector)).to_have_text(label(S.QUALITY_CHECK))
    expect(cell(line_row(inspector, "更换机油机滤"), "Work / parts")).to_have_text(
        f"李师傅 · {label(JobStatus.FINISHED)}"
    )
    assert offered_steps(inspector) == ["qc_pass", "qc_fail"]
    check = open_step(inspector, "qc_pass")
    check.get_by_label(field(QcPassForm, "notes"), exact=True).fill("路试合格")
    press(inspector, "qc_pass")
    expect(toast(inspector)).to_have_text(done_toast("qc_pass", S.COMPLETED))
    expect(order_status(inspector)).to_have_text(label(S.COMPLETED))

    # == 7. The cashier settles: a sum that does not add up is refused, then two payments make the total ========
    cashier = sign_in(web, staff["cashier"], order_url)
    assert offered_steps(cashier) == ["settle"]
    settle = open_step(cashier, "settle")
    expect(settle).to_contain_text("¥238.00")
    first = cashier.get_by_role("group", name=ui_text("Payment %(row)s") % {"row": 1})
    second = cashier.get_by_role("group", name=ui_text("Payment %(row)s") % {"row": 2})
    expect(first.get_by_label(ui_text("Amount"), exact=True)).to_have_value("238.00")  # the whole total to start
    first.get_by_label(ui_text("Method"), exact=True).select_option(label=label(PaymentMethod.CASH))
    first.get_by_label(ui_text("Amount"), exact=True).fill("100")
    second.get_by_label(ui_text("Method"), exact=True).select_option(label=label(PaymentMethod.WECHAT))
    second.get_by_label(ui_text("Amount"), exact=True).fill("100")
    press(cashier, "settle")

    # Then the mismatch is shown beside the payments, and nothing is settled
    refusal = step(cashier, "settle").get_by_role("alert")
    expect(refusal).to_have_text(
        ui_text("Payments add up to %(paid)s; the customer pays %(payable)s.") % {"paid": "200.00", "payable": "238.00"}
    )
    expect(order_status(cashier)).to_have_text(label(S.COMPLETED))
    expect(toast(cashier)).to_have_count(0)
    order.refresh_from_db()
    assert (order.status, Payment.objects.count()) == (S.COMPLETED, 0)

    # When the second payment is the rest
    expect(second.get_by_label(ui_text("Amount"), exact=True)).to_have_value("100")  # what they typed is kept
    second.get_by_label(ui_text("Amount"), exact=True).fill("138")
    press(cashier, "settle")

    # Then the order is settled with both payments, and the settlement statement can be printed
    expect(toast(cashier)).to_have_text(done_toast("settle", S.SETTLED))
    expect(order_status(cashier)).to_have_text(label(S.SETTLED))
    expect(cashier).to_have_url(re.compile(rf"{re.escape(order_url)}$"))
    expect(cashier.get_by_role("link", name=action("Settlement statement"))).to_be_visible()
    assert sorted((p.method, p.amount) for p in Payment.objects.filter(order=order)) == [
        ("cash", Decimal("100.00")),
        ("wechat", Decimal("138.00")),
    ]

    # == 8. The advisor hands the car back with a release pass ====================================================
    advisor.reload()
    expect(order_status(advisor)).to_have_text(label(S.SETTLED))
    assert offered_steps(advisor) == ["deliver"]
    press(advisor, "deliver")
    expect(toast(advisor)).to_have_text(done_toast("deliver", S.DELIVERED))
    expect(order_status(advisor)).to_have_text(label(S.DELIVERED))
    release = ReleasePass.objects.get(order=order)
    facts = advisor.get_by_role("region", name=ui_text("Service order"), exact=True)
    expect(facts).to_contain_text(release.number)
    expect(advisor.locator("#actions")).to_contain_text(ui_text("Nothing for you to do on this order now."))

    # And the release pass prints: its number, the car, and the order number as a QR code
    with advisor.context.expect_page() as opened:
        advisor.get_by_role("link", name=action("Release pass")).click()
    sheet = opened.value
    sheet.wait_for_load_state()
    expect(sheet).to_have_url(re.compile(rf"{re.escape(order_url)}print/release-pass/$"))
    expect(sheet.get_by_role("heading", level=1)).to_have_text(ui_text("Release pass"))
    expect(sheet.locator(".pass-number")).to_have_text(release.number)
    expect(sheet.locator(".sheet")).to_contain_text("京A88888")
    expect(sheet.locator(".sheet")).to_contain_text("张伟")
    qr = sheet.locator(".qr-box svg.qr")
    expect(qr).to_be_visible()
    expect(qr.locator("title")).to_have_text(order.number)
    expect(sheet.locator(".qr-box figcaption")).to_have_text(order.number)
    assert qr.locator("path, rect").count() > 0

    # And the order's timeline tells the whole story, oldest first, each step by whoever took it
    timeline = advisor.locator("#timeline li")
    expected = [
        (ui_text("Order opened"), "王顾问"),
        (ui_text("Line added"), "王顾问"),
        (ui_text("Line added"), "王顾问"),
        (step_name("submit_estimate"), "王顾问"),
        (step_name("approve"), "王顾问"),
        (step_name("issue_parts"), "赵库管"),
        (step_name("dispatch"), "钱调度"),
        (ui_text("Job started"), "李师傅"),
        (ui_text("Status moved with the jobs"), "李师傅"),
        (ui_text("Job finished"), "李师傅"),
        (ui_text("Status moved with the jobs"), "李师傅"),
        (step_name("qc_pass"), "孙质检"),
        (step_name("settle"), "周收银"),
        (step_name("deliver"), "王顾问"),
    ]
    expect(timeline.locator("strong")).to_have_text([what for what, _who in expected])
    for entry, (_what, who) in zip(timeline.all(), expected, strict=True):
        expect(entry.locator(".meta")).to_contain_text(who)
    entries = timeline.all()
    expect(entries[0]).to_contain_text(label(S.RECEPTION))
    expect(entries[4]).to_contain_text(f"{label(S.AWAITING_APPROVAL)} → {label(S.APPROVED)}")
    expect(entries[4]).to_contain_text(label(ConsentMethod.PHONE))
    expect(entries[4]).to_contain_text("车主本人")
    expect(entries[4]).to_contain_text("¥238.00")
    expect(entries[6]).to_contain_text("更换机油机滤 → 李师傅")
    expect(entries[8]).to_contain_text(f"{label(S.DISPATCHED)} → {label(S.IN_PROGRESS)}")
    expect(entries[9]).to_contain_text("试车正常，无异响")
    expect(entries[10]).to_contain_text(f"{label(S.IN_PROGRESS)} → {label(S.QUALITY_CHECK)}")
    expect(entries[11]).to_contain_text("路试合格")
    expect(entries[12]).to_contain_text(f"{label(PaymentMethod.CASH)} ¥100.00")
    expect(entries[12]).to_contain_text(f"{label(PaymentMethod.WECHAT)} ¥138.00")
    expect(entries[13]).to_contain_text(f"{label(S.SETTLED)} → {label(S.DELIVERED)}")
    expect(entries[13]).to_contain_text(release.number)
    order.refresh_from_db()
    assert order.status == S.DELIVERED
