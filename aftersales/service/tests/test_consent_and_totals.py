"""Money and consent: totals by payer, lines added after consent (增项), the over-estimate rule, payments."""

from decimal import Decimal

import pytest

from aftersales.service.choices import Consent, LineKind, OrderStatus
from aftersales.service.models import BranchServiceSettings, Notification, OrderConsent, Payment, ServiceOrderLine
from aftersales.service.services import jobs, orders
from aftersales.service.tests.conftest import API, act, job, post
from aftersales.service.totals import line_amount, order_totals

pytestmark = pytest.mark.django_db

S = OrderStatus
D = Decimal


def to_completion(shop, order):
    """Estimate → consent → parts issued → every job done → QC passed, through the services."""
    orders.order_submit_estimate(actor=shop.advisor, order=order)
    shop.approve(order)
    if ServiceOrderLine.objects.filter(order=order, kind=LineKind.PART).exists():
        orders.order_issue_parts(actor=shop.keeper, order=order)
    labour = list(ServiceOrderLine.objects.filter(order=order, kind=LineKind.LABOUR))
    orders.order_dispatch(
        actor=shop.dispatcher,
        order=order,
        assignments=[{"line": j.pk, "technician": shop.technician.pk} for j in labour],
    )
    for line in labour:
        jobs.job_act(actor=shop.technician, line=line, action="start")
        shop.finish(line)
    orders.order_qc_pass(actor=shop.qc, order=order)
    order.refresh_from_db()
    assert order.status == S.COMPLETED
    return order


# -- totals by payer ----------------------------------------------------------------------------------------------------


@pytest.fixture
def every_payer(shop):
    """An order in reception with a labour and a part line for every payer (amounts in the comments)."""
    order = shop.open()
    add = shop.add_labour
    add(order, name="客户工时", hours="2", rate="120", payer="customer")  # 240.00
    add(order, name="保修工时", hours="1", rate="150", payer="warranty")  # 150.00
    add(order, name="保险钣金", hours="3", rate="100", payer="insurance")  # 300.00
    add(order, name="内部检查", hours="0.5", rate="120", payer="internal")  # 60.00
    add(order, name="免费检测", hours="0.05", rate="0.10", payer="goodwill")  # 0.005 → 0.01, half up
    shop.add_part(order, quantity="2", payer="customer")  # 2 × 58.00 retail = 116.00
    shop.add_part(order, quantity="1", payer="warranty")  # the warranty price: 80.00
    shop.add_part(order, quantity="1.5", payer="insurance", unit_price="33.33")  # 49.995 → 50.00
    shop.add_part(order, quantity="1", payer="internal", unit_price="20.00")  # 20.00
    shop.add_part(order, quantity="1", payer="goodwill")  # 58.00
    return order


def test_totals_are_by_payer_and_the_customer_pays_only_customer_lines(shop, every_payer):
    """Given lines of every payer, when the order is read over the API, then labour, parts, total and each payer's
    share are decimal strings to the fen and the customer's payable is the customer lines alone."""
    body = shop.api(shop.advisor).get(f"{API}/work-orders/{every_payer.pk}").json()
    totals = body["totals"]
    assert totals["labour"] == "750.01"
    assert totals["parts"] == "324.00"
    assert totals["total"] == "1074.01"
    assert totals["customer_payable"] == "356.00"
    assert totals["by_payer"] == {
        "customer": "356.00",
        "warranty": "230.00",
        "insurance": "350.00",
        "internal": "80.00",
        "goodwill": "58.01",
    }
    for key in ("labour", "parts", "total", "customer_payable"):
        assert isinstance(totals[key], str)
    amounts = {(line["payer"], line["kind"]): line["amount"] for line in body["lines"]}
    assert amounts[("goodwill", "labour")] == "0.01"
    assert amounts[("insurance", "part")] == "50.00"
    assert amounts[("warranty", "part")] == "80.00"


def test_the_customer_settles_only_their_share(shop, every_payer):
    """Given the order with every payer walked to completion, the cashier's payments must equal the customer's
    share (356.00): the whole bill is 422, the customer's share settles it."""
    order = to_completion(shop, every_payer)
    assert order.consented_total == D("356.00")
    cashier = shop.api(shop.cashier)

    whole = act(cashier, order.pk, "settle", {"payments": [{"method": "cash", "amount": "1074.01"}]})
    assert whole.status_code == 422
    assert "payments" in whole.json()["fields"]
    settled = act(cashier, order.pk, "settle", {"payments": [{"method": "alipay", "amount": "356.00"}]})
    assert settled.status_code == 200, settled.content
    assert settled.json()["payments"] == [{"method": "alipay", "amount": "356.00"}]


def test_order_totals_leave_out_pending_and_cancelled_lines():
    lines = [
        {"kind": "labour", "payer": "customer", "consent": Consent.APPROVED, "amount": D("100.00")},
        {"kind": "part", "payer": "customer", "consent": Consent.ESTIMATE, "amount": D("50.00")},
        {"kind": "part", "payer": "customer", "consent": Consent.PENDING, "amount": D("30.00")},
        {"kind": "labour", "payer": "customer", "consent": Consent.CANCELLED, "amount": D("999.00")},
        {"kind": "labour", "payer": "warranty", "consent": Consent.APPROVED, "amount": D("10.00")},
    ]
    totals = order_totals(lines)
    assert (totals.labour, totals.parts, totals.total, totals.customer_payable, totals.pending) == (
        D("110.00"),
        D("50.00"),
        D("160.00"),
        D("150.00"),
        D("30.00"),
    )
    empty = order_totals([]).as_json()
    assert (empty["total"], empty["customer_payable"]) == ("0.00", "0.00")


def test_line_amounts_round_half_up_to_the_fen():
    assert line_amount(kind="labour", hours=D("0.05"), rate=D("0.10")) == D("0.01")
    assert line_amount(kind="labour", hours=D("1.15"), rate=D("88.88")) == D("102.21")
    assert line_amount(kind="part", quantity=D("1.5"), unit_price=D("33.33")) == D("50.00")
    assert line_amount(kind="part", quantity=D("3"), unit_price=D("0.00")) == D("0.00")


# -- consent for lines added later (增项) ----------------------------------------------------------------------------


def test_a_line_added_after_consent_waits_and_the_advisor_is_told(shop, django_capture_on_commit_callbacks):
    """Given an approved order, when a labour line and a part line are added, then both are pending, left out of
    the totals (shown as pending), and the order's advisor gets a `consent_needed` notification for each."""
    walked = shop.walk(S.APPROVED)
    client = shop.api(shop.advisor)
    with django_capture_on_commit_callbacks(execute=True):
        labour = post(
            client,
            f"{API}/work-orders/{walked.order.pk}/lines",
            {"kind": "labour", "name": "更换刹车片", "hours": "2", "rate": "150", "payer": "customer"},
        )
        part = post(
            client,
            f"{API}/work-orders/{walked.order.pk}/lines",
            {"kind": "part", "part": shop.part.pk, "quantity": "2", "payer": "customer"},
        )
    assert labour.status_code == part.status_code == 201
    assert labour.json()["consent"] == part.json()["consent"] == "pending"
    assert part.json()["part_state"] == "not_reserved"
    notes = Notification.objects.filter(user=shop.advisor, kind="consent_needed", order=walked.order)
    assert notes.count() == 2
    assert "更换刹车片" in " ".join(notes.values_list("message", flat=True))
    totals = client.get(f"{API}/work-orders/{walked.order.pk}").json()["totals"]
    assert (totals["customer_payable"], totals["pending"]) == ("338.00", "416.00")


def test_a_pending_line_cannot_be_dispatched_started_issued_or_settled(shop):
    """Given pending lines on an order, then dispatching or starting its job, issuing its part and settling the order
    are each 409 and change nothing."""
    walked = shop.walk(S.IN_PROGRESS, pending=True)
    order = walked.order
    pending_part = shop.add_part(order, quantity="1")
    dispatch = act(
        shop.api(shop.dispatcher),
        order.pk,
        "dispatch",
        {"assignments": [{"line": walked.pending.pk, "technician": shop.technician.pk}]},
    )
    assert (dispatch.status_code, dispatch.json()["code"]) == (409, "line_not_approved")
    start = job(shop.api(shop.technician), walked.pending.pk, "start")
    assert (start.status_code, start.json()["code"]) == (409, "line_not_approved")
    issue = act(shop.api(shop.keeper), order.pk, "issue_parts")
    assert issue.status_code == 409
    pending_part.refresh_from_db()
    assert (pending_part.part_state, pending_part.issue_move_id) == ("not_reserved", None)

    second = walked.labour[1]
    jobs.job_act(actor=shop.technician, line=walked.labour[0], action="finish", self_check={"passed": True})
    jobs.job_act(actor=shop.technician, line=second, action="start")
    shop.finish(second)
    orders.order_qc_pass(actor=shop.qc, order=order)
    settle = act(shop.api(shop.cashier), order.pk, "settle", {"payments": [{"method": "cash", "amount": "338.00"}]})
    assert (settle.status_code, settle.json()["code"]) == (409, "lines_awaiting_consent")
    assert walked.fresh().status == S.COMPLETED
    assert not Payment.objects.exists()


def test_approve_consents_to_the_added_lines_and_keeps_the_order_in_place(shop):
    """Given an order in progress with a pending line, when the advisor records consent, then the line is consented,
    the order is still in progress, the consent names who/how and the new total, and the job can be dispatched."""
    walked = shop.walk(S.IN_PROGRESS, pending=True)
    order = walked.order
    response = act(shop.api(shop.advisor), order.pk, "approve", {"method": "wechat", "by": "车主本人"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "in_progress"
    assert {line["id"]: line["consent"] for line in body["lines"]}[walked.pending.pk] == "approved"
    assert body["totals"]["customer_payable"] == "638.00"  # 338.00 + 2 h × 150
    assert body["consented_total"] == "638.00"
    consent = OrderConsent.objects.filter(order=order).last()
    assert (consent.method, consent.by, consent.total, consent.lines, consent.recorded_by) == (
        "wechat",
        "车主本人",
        D("638.00"),
        [walked.pending.pk],
        shop.advisor,
    )
    assert body["events"][-1]["action"] == "approve"
    assert (body["events"][-1]["from_status"], body["events"][-1]["to_status"]) == ("in_progress", "in_progress")
    dispatch = act(
        shop.api(shop.dispatcher),
        order.pk,
        "dispatch",
        {"assignments": [{"line": walked.pending.pk, "technician": shop.technician.pk}]},
    )
    assert dispatch.status_code == 200, dispatch.content
    assert dispatch.json()["status"] == "in_progress"


def test_approve_needs_how_and_who(shop):
    walked = shop.walk(S.AWAITING_APPROVAL)
    response = act(shop.api(shop.advisor), walked.order.pk, "approve", {"method": "telepathy"})
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"method", "by"}
    assert walked.fresh().status == S.AWAITING_APPROVAL


def test_approve_with_nothing_awaiting_consent_is_409(shop):
    walked = shop.walk(S.APPROVED)
    response = act(shop.api(shop.advisor), walked.order.pk, "approve", {"method": "phone", "by": "车主"})
    assert (response.status_code, response.json()["code"]) == (409, "nothing_to_approve")


# -- the over-estimate rule --------------------------------------------------------------------------------------------


def completed_with_consent_of_1000(shop, *, extra: str):
    """A completed order whose customer consented to 1000.00 of labour; a part of `extra` was on the maker (warranty).

    The maker then declines the warranty and the part becomes the customer's: the customer's total grows by
    `extra` with no new consent (no service changes a payer yet, so the test writes it on the row)."""
    order = shop.open()
    shop.add_labour(order, name="发动机大修", hours="10", rate="100", payer="customer")
    part = shop.add_part(order, quantity="1", payer="warranty", unit_price=extra)
    to_completion(shop, order)
    order.refresh_from_db()
    assert order.consented_total == D("1000.00")
    ServiceOrderLine.objects.filter(pk=part.pk).update(payer="customer")
    return order


def settle_all(client, order, amount):
    return act(client, order.pk, "settle", {"payments": [{"method": "card", "amount": amount}]})


def test_a_bill_exactly_10_percent_over_the_consent_settles(shop):
    order = completed_with_consent_of_1000(shop, extra="100.00")
    response = settle_all(shop.api(shop.cashier), order, "1100.00")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "settled"


def test_a_bill_over_the_margin_needs_consent_to_the_new_total(in_english, shop):
    """Given consent to 1000.00 and a bill of 1100.01, when the cashier settles, then 409 `over_estimate` (nothing
    paid); the advisor records the customer's consent to the new total (the order stays completed), and then the
    bill settles."""
    order = completed_with_consent_of_1000(shop, extra="100.01")
    cashier = shop.api(shop.cashier)
    refused = settle_all(cashier, order, "1100.01")
    assert (refused.status_code, refused.json()["code"]) == (409, "over_estimate")
    assert "10%" in refused.json()["message"] and "1000.00" in refused.json()["message"]
    assert not Payment.objects.filter(order=order).exists()

    consent = act(shop.api(shop.advisor), order.pk, "approve", {"method": "signature", "by": "车主本人"})
    assert consent.status_code == 200, consent.content
    assert (consent.json()["status"], consent.json()["consented_total"]) == ("completed", "1100.01")
    assert OrderConsent.objects.filter(order=order).last().total == D("1100.01")

    settled = settle_all(cashier, order, "1100.01")
    assert settled.status_code == 200, settled.content
    assert settled.json()["status"] == "settled"


def test_a_branch_margin_of_20_percent_moves_the_limit(shop, branch):
    BranchServiceSettings.objects.create(branch=branch, over_estimate_margin=D("20.00"))
    cashier = shop.api(shop.cashier)
    within = completed_with_consent_of_1000(shop, extra="200.00")
    assert settle_all(cashier, within, "1200.00").status_code == 200
    over = completed_with_consent_of_1000(shop, extra="200.01")
    refused = settle_all(cashier, over, "1200.01")
    assert (refused.status_code, refused.json()["code"]) == (409, "over_estimate")


def test_with_a_20_percent_margin_what_10_percent_refuses_settles(shop, branch):
    BranchServiceSettings.objects.create(branch=branch, over_estimate_margin=D("20.00"))
    order = completed_with_consent_of_1000(shop, extra="100.01")
    assert settle_all(shop.api(shop.cashier), order, "1100.01").status_code == 200


# -- payments ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payments",
    [
        [],
        [{"method": "cash", "amount": "337.99"}],
        [{"method": "cash", "amount": "300.00"}, {"method": "wechat", "amount": "38.01"}],
    ],
)
def test_payments_that_do_not_add_up_are_422_naming_payments(shop, payments):
    walked = shop.walk(S.COMPLETED)
    response = act(shop.api(shop.cashier), walked.order.pk, "settle", {"payments": payments})
    assert response.status_code == 422, response.content
    assert "payments" in response.json()["fields"]
    assert walked.fresh().status == S.COMPLETED
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("payment", "field"),
    [
        ({"method": "bitcoin", "amount": "338.00"}, "payments.0.method"),
        ({"method": "cash", "amount": "-338.00"}, "payments.0.amount"),
        ({"method": "cash", "amount": "337.999"}, "payments.0.amount"),
    ],
)
def test_a_payment_of_an_unknown_method_or_a_wrong_amount_is_422(shop, payment, field):
    walked = shop.walk(S.COMPLETED)
    response = act(shop.api(shop.cashier), walked.order.pk, "settle", {"payments": [payment]})
    assert response.status_code == 422
    assert field in response.json()["fields"]


def test_several_methods_adding_up_settle_with_a_payment_row_each(shop):
    walked = shop.walk(S.COMPLETED)
    payments = [
        {"method": "wechat", "amount": "200.00"},
        {"method": "card", "amount": "100.00"},
        {"method": "cash", "amount": "38.00"},
    ]
    response = act(shop.api(shop.cashier), walked.order.pk, "settle", {"payments": payments})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "settled"
    rows = list(Payment.objects.filter(order=walked.order).values_list("method", "amount", "received_by"))
    assert rows == [
        ("wechat", D("200.00"), shop.cashier.pk),
        ("card", D("100.00"), shop.cashier.pk),
        ("cash", D("38.00"), shop.cashier.pk),
    ]
    order = walked.fresh()
    assert order.settled_at is not None
    assert act(shop.api(shop.advisor), order.pk, "deliver").json()["release_pass"].startswith("RP-BJ01-")


def test_an_order_the_maker_pays_for_settles_without_payments(shop):
    """Given a warranty order (its lines paid by the maker by default), the customer pays 0.00: settling takes no
    payment, and a payment would not add up."""
    order = shop.open(type="warranty")
    shop.add_labour(order, name="更换变速箱阀体", hours="3", rate="150", payer="")
    shop.add_part(order, payer="")
    to_completion(shop, order)
    cashier = shop.api(shop.cashier)
    paid = act(cashier, order.pk, "settle", {"payments": [{"method": "cash", "amount": "1.00"}]})
    assert paid.status_code == 422
    settled = act(cashier, order.pk, "settle", {"payments": []})
    assert settled.status_code == 200, settled.content
    assert (settled.json()["status"], settled.json()["totals"]["customer_payable"]) == ("settled", "0.00")
    assert settled.json()["totals"]["by_payer"]["warranty"] == "530.00"
    assert not Payment.objects.exists()


def test_settling_with_a_part_line_not_issued_is_409(shop):
    walked = shop.walk(S.COMPLETED, issue=False)
    response = act(
        shop.api(shop.cashier), walked.order.pk, "settle", {"payments": [{"method": "cash", "amount": "338.00"}]}
    )
    assert (response.status_code, response.json()["code"]) == (409, "parts_not_issued")
    assert walked.fresh().status == S.COMPLETED
    assert not Payment.objects.exists()


def test_a_settled_order_takes_no_more_lines(shop):
    walked = shop.walk(S.SETTLED)
    response = post(
        shop.api(shop.advisor),
        f"{API}/work-orders/{walked.order.pk}/lines",
        {"kind": "labour", "name": "补做", "hours": "1", "rate": "100"},
    )
    assert (response.status_code, response.json()["code"]) == (409, "invalid_status")
