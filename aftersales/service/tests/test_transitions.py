"""The transition table, walked through the API: every action from every status, for each order type and each role.

Expectations are computed from `choices.TRANSITIONS` / `TYPE_ACTIONS` and the role matrix (`org.roles.ROLES`), so
the walk follows the tables; what the issue states outright (who settles, that an inspection starts dispatched)
is also pinned literally. A refusal is checked to change nothing: same status, no event written.
"""

import pytest
from django.utils import translation

from aftersales.core.testing import make_person
from aftersales.org.roles import ROLES
from aftersales.service.choices import TRANSITIONS, TYPE_ACTIONS, VISIT_TYPES, OrderStatus, OrderType
from aftersales.service.models import OrderEvent, ServiceOrder
from aftersales.service.tests.conftest import API, FULL_PATH, act, payable, post

pytestmark = pytest.mark.django_db

S = OrderStatus
ACTIONS = tuple(TRANSITIONS)
STATUSES = tuple(S.values)
FULL_TYPES = tuple(t for t in OrderType.values if t not in VISIT_TYPES)
#: Where each action is tried by every role: a status it may start from (the inspection's for `complete`).
HOME = {
    "submit_estimate": S.RECEPTION,
    "approve": S.AWAITING_APPROVAL,
    "issue_parts": S.APPROVED,
    "dispatch": S.APPROVED,
    "qc_pass": S.QUALITY_CHECK,
    "qc_fail": S.QUALITY_CHECK,
    "settle": S.COMPLETED,
    "deliver": S.SETTLED,
    "complete": S.DISPATCHED,
    "cancel": S.RECEPTION,
}


def roles_with(perm: str) -> set[str]:
    return {code for code, role in ROLES.items() if perm in role.permissions}


def table_allows(order_type: str, action: str, status: str) -> bool:
    return action in TYPE_ACTIONS[order_type] and status in TRANSITIONS[action].sources


def status_after(action: str, before: str) -> str:
    if action == "approve":
        return S.APPROVED if before == S.AWAITING_APPROVAL else before
    if action == "dispatch":  # assigning more jobs to an order in progress keeps it in progress
        return S.DISPATCHED if before == S.APPROVED else before
    return TRANSITIONS[action].target or before


def body_for(action: str, walked, shop) -> dict:
    """A valid input for the action on this order (so that only the table can refuse it)."""
    order = walked.order
    second_job = walked.labour[1].pk if walked.labour else 0
    first_job = walked.labour[0].pk if walked.labour else 0
    return {
        "approve": {"method": "wechat", "by": "车主本人"},
        "dispatch": {"assignments": [{"line": second_job, "technician": shop.technician.pk}]},
        "qc_pass": {"notes": "合格"},
        "qc_fail": {"reason": "异响仍在", "lines": [first_job]},
        "settle": {"payments": [{"method": "cash", "amount": str(payable(order))}]} if payable(order) else {},
        "complete": {"report": "检查完毕，安装合格"},
        "cancel": {"reason": "客户取消"},
    }.get(action, {})


def refusal_mismatches(client, walked, shop, actions, *, expect_code) -> list[str]:
    """Ask each action on one order that must refuse them all; return what answered otherwise."""
    found = []
    order = walked.fresh()
    label = str(S(order.status).label)
    for action in actions:
        events = OrderEvent.objects.filter(order=order).count()
        response = act(client, order.pk, action, body_for(action, walked, shop))
        body = response.json()
        code = expect_code(action)
        if response.status_code != 409 or body.get("code") != code:
            found.append(f"{order.type}/{order.status}/{action}: {response.status_code} {body}, expected 409 {code}")
        elif label not in body["message"]:
            found.append(f"{order.type}/{order.status}/{action}: message {body['message']!r} does not name {label!r}")
        if walked.fresh().status != order.status or OrderEvent.objects.filter(order=order).count() != events:
            found.append(f"{order.type}/{order.status}/{action}: a refused move changed the order")
    return found


def success_mismatch(client, walked, shop, action) -> str | None:
    order = walked.fresh()
    before = order.status
    response = act(client, order.pk, action, body_for(action, walked, shop))
    expected = status_after(action, before)
    if response.status_code != 200 or response.json()["status"] != expected:
        return f"{order.type}/{before}/{action}: {response.status_code} {response.content[:300]!r}, expected {expected}"
    last = OrderEvent.objects.filter(order=order).last()
    if (last.action, last.from_status, last.to_status) != (action, before, expected):
        return f"{order.type}/{before}/{action}: event {last.action} {last.from_status}→{last.to_status}"
    return None


def type_refusal_or_status(order_type):
    return lambda action: "invalid_status" if action in TYPE_ACTIONS[order_type] else "not_for_this_type"


# -- the whole table: a full-process type -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
def test_a_repair_order_answers_every_action_as_the_table_says(in_english, shop, status):
    """Given a repair order in `status`, when each action is asked by the service manager (who holds every order
    permission), then the table's moves succeed and lead where it says; every other move is 409 naming the status."""
    client = shop.api(shop.manager)
    allowed = [a for a in ACTIONS if table_allows(OrderType.REPAIR, a, status)]
    refused = [a for a in ACTIONS if a not in allowed]

    mismatches = refusal_mismatches(
        client, shop.walk(status), shop, refused, expect_code=type_refusal_or_status(OrderType.REPAIR)
    )
    for action in allowed:
        walked = shop.walk(
            status,
            issue=action != "issue_parts",
            pending=action == "approve" and status != S.AWAITING_APPROVAL,
        )
        mismatches.append(success_mismatch(client, walked, shop, action))
    assert not [m for m in mismatches if m], "\n".join(m for m in mismatches if m)


def test_the_full_process_table_is_what_the_issue_describes():
    assert [TRANSITIONS[a].target for a in ("submit_estimate", "qc_pass", "qc_fail", "settle", "deliver")] == [
        S.AWAITING_APPROVAL,
        S.COMPLETED,
        S.IN_PROGRESS,
        S.SETTLED,
        S.DELIVERED,
    ]
    # cancelled from any status before settled
    assert set(TRANSITIONS["cancel"].sources) == set(STATUSES) - {S.SETTLED, S.DELIVERED, S.CANCELLED}
    for order_type in FULL_TYPES:
        assert TYPE_ACTIONS[order_type] == set(ACTIONS) - {"complete"}, order_type
    assert TYPE_ACTIONS[OrderType.INSPECTION] >= {"complete", "cancel"}
    assert not TYPE_ACTIONS[OrderType.INSPECTION] & {"submit_estimate", "approve", "qc_pass", "qc_fail", "settle"}
    assert "complete" in TYPE_ACTIONS[OrderType.CALL_OUT]


# -- the whole table: an inspection ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
def test_an_inspection_answers_every_action_as_the_table_says(in_english, shop, status):
    """Given an inspection (its assignee the service manager) in `status`, when each action is asked, then the steps
    the type switches off are 409 `not_for_this_type`, the others follow the statuses.

    `dispatch` passes the table but an inspection has no consented job to assign, so its own rules answer 422."""
    client = shop.api(shop.manager)
    reached = status in (S.DISPATCHED, S.COMPLETED, S.CANCELLED)

    def walk():
        return shop.walk(status, type=OrderType.INSPECTION, assignee=shop.manager, force=not reached)

    allowed = [a for a in ACTIONS if table_allows(OrderType.INSPECTION, a, status)]
    refused = [a for a in ACTIONS if a not in allowed]
    mismatches = refusal_mismatches(
        client, walk(), shop, refused, expect_code=type_refusal_or_status(OrderType.INSPECTION)
    )
    for action in allowed:
        walked = walk()
        if action == "dispatch":
            response = act(client, walked.order.pk, action, body_for(action, walked, shop))
            if response.status_code != 422 or "assignments.0.line" not in response.json()["fields"]:
                mismatches.append(f"inspection/{status}/dispatch: {response.status_code} {response.content[:200]!r}")
            continue
        mismatches.append(success_mismatch(client, walked, shop, action))
    assert not [m for m in mismatches if m], "\n".join(m for m in mismatches if m)


# -- every type: the steps it switches off ---------------------------------------------------------------------------


@pytest.mark.parametrize("order_type", OrderType.values)
def test_each_type_refuses_exactly_the_steps_it_switches_off(in_english, shop, order_type):
    """Given an order of each type set to a status each action may start from, when the action is asked, then a
    step the type does not use is 409 `not_for_this_type` and a step it uses gets past the table."""
    client = shop.api(shop.manager)
    order = shop.open(type=order_type, assignee=shop.manager)
    mismatches = []
    for action in ACTIONS:
        ServiceOrder.objects.filter(pk=order.pk).update(status=TRANSITIONS[action].sources[0])
        response = act(client, order.pk, action, {"reason": "x", "report": "x", "method": "phone", "by": "车主"})
        code = response.json().get("code")
        if action in TYPE_ACTIONS[order_type]:
            if response.status_code == 403 or code in ("not_for_this_type", "invalid_status"):
                mismatches.append(f"{order_type}/{action}: refused by the table ({response.status_code} {code})")
        elif (response.status_code, code) != (409, "not_for_this_type"):
            mismatches.append(f"{order_type}/{action}: {response.status_code} {code}, expected not_for_this_type")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("order_type", FULL_TYPES)
def test_every_full_process_type_goes_from_reception_to_delivery(shop, order_type):
    walked = shop.walk(S.DELIVERED, type=order_type)
    moves = (
        OrderEvent.objects.filter(order=walked.order).exclude(from_status="").values_list("from_status", "to_status")
    )
    assert [to for before, to in moves if before != to] == list(FULL_PATH[1:])
    assert walked.order.release_pass.number.startswith("RP-BJ01-")


# -- each role ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_each_role_may_take_a_step_only_with_its_permission(in_english, shop, branch, action):
    """Given an order where `action` is allowed, when every role of the matrix asks it, then the roles holding the
    action's permission move the order (each on its own order) and every other role gets 403, changing nothing."""
    perm = TRANSITIONS[action].perm
    allowed = roles_with(perm)
    assert allowed, perm
    status = HOME[action]
    order_type = OrderType.INSPECTION if action == "complete" else OrderType.REPAIR
    people = {role: make_person(role=role, branch=branch) for role in ROLES}

    def walk(assignee=None):
        return shop.walk(status, type=order_type, issue=action != "issue_parts", assignee=assignee)

    refused_order = walk()
    mismatches = []
    for role, user in people.items():
        client = shop.api(user)
        if role in allowed:
            walked = walk(assignee=user)
            mismatch = success_mismatch(client, walked, shop, action)
            if mismatch:
                mismatches.append(f"{role}: {mismatch}")
            continue
        events = OrderEvent.objects.filter(order=refused_order.order).count()
        response = act(client, refused_order.order.pk, action, body_for(action, refused_order, shop))
        if response.status_code != 403:
            mismatches.append(f"{role}: {action} answered {response.status_code}, expected 403")
        if refused_order.fresh().status != status or OrderEvent.objects.filter(order=refused_order.order).count() != (
            events
        ):
            mismatches.append(f"{role}: a refused {action} changed the order")
    assert not mismatches, "\n".join(mismatches)


def test_the_roles_the_issue_names_hold_their_steps():
    assert {"cashier", "service_manager"} <= roles_with(TRANSITIONS["settle"].perm)
    assert "technician" not in roles_with(TRANSITIONS["settle"].perm)
    assert "qc_inspector" in roles_with(TRANSITIONS["qc_pass"].perm) & roles_with(TRANSITIONS["qc_fail"].perm)
    assert "parts_keeper" in roles_with(TRANSITIONS["issue_parts"].perm)
    assert "dispatcher" in roles_with(TRANSITIONS["dispatch"].perm)
    for action in ("submit_estimate", "approve", "deliver", "cancel"):
        assert "service_advisor" in roles_with(TRANSITIONS[action].perm), action
    assert "install_supervisor" in roles_with(TRANSITIONS["complete"].perm)
    assert "technician" not in roles_with(TRANSITIONS["approve"].perm)


def test_a_technician_settling_is_403_and_a_cashier_settles(shop):
    walked = shop.walk(S.COMPLETED)
    body = {"payments": [{"method": "cash", "amount": "338.00"}]}
    assert act(shop.api(shop.technician), walked.order.pk, "settle", body).status_code == 403
    settled = act(shop.api(shop.cashier), walked.order.pk, "settle", body)
    assert settled.status_code == 200, settled.content
    assert settled.json()["status"] == "settled"


# -- refusals come before the action's own input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("approve", S.DELIVERED),
        ("cancel", S.DELIVERED),
        ("qc_fail", S.RECEPTION),
        ("dispatch", S.RECEPTION),
        ("settle", S.IN_PROGRESS),
    ],
)
def test_a_move_the_status_forbids_is_409_even_without_its_input(in_english, shop, action, status):
    walked = shop.walk(status)
    response = act(shop.api(shop.manager), walked.order.pk, action, {"payments": [{"method": "gold", "amount": "1"}]})
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "invalid_status"
    assert str(S(status).label) in response.json()["message"]


@pytest.mark.parametrize("action", ["approve", "cancel", "qc_fail", "dispatch", "settle", "complete"])
def test_a_role_that_may_not_move_is_403_even_without_the_input(shop, person, action):
    walked = shop.walk(HOME[action], type=OrderType.INSPECTION if action == "complete" else OrderType.REPAIR)
    customer_care = person("customer_care")  # sees orders, may move none
    response = act(shop.api(customer_care), walked.order.pk, action, {})
    assert response.status_code == 403, response.content


def test_an_unknown_action_is_refused_and_changes_nothing(shop):
    walked = shop.walk(S.RECEPTION)
    response = act(shop.api(shop.manager), walked.order.pk, "reopen")
    assert response.status_code == 422
    assert walked.fresh().status == S.RECEPTION


# -- visits: inspection and call-out ------------------------------------------------------------------------------------


@pytest.mark.parametrize("order_type", VISIT_TYPES)
def test_a_visit_created_with_an_assignee_starts_dispatched_and_the_assignee_completes_it(
    shop, person, branch, order_type
):
    """Given an inspection (or call-out) opened over the API for an installation supervisor, when the assignee
    records the report, then it is completed with the report; anybody else — even one who may complete visits —
    gets 403."""
    inspector, other = person("install_supervisor"), person("install_supervisor")
    created = post(
        shop.api(shop.advisor),
        f"{API}/work-orders",
        {
            "branch": branch.pk,
            "customer": shop.customer.pk,
            "asset": shop.vehicle.pk,
            "type": order_type,
            "concerns": "售后检查",
            "assignee": inspector.pk,
        },
    )
    assert created.status_code == 201, created.content
    order = created.json()
    assert (order["status"], order["assignee"]) == ("dispatched", inspector.pk)

    for intruder in (other, shop.manager, shop.advisor):
        refused = act(shop.api(intruder), order["id"], "complete", {"report": "不是我去的"})
        assert refused.status_code == 403, (intruder.username, refused.content)
    assert act(shop.api(inspector), order["id"], "complete", {}).status_code == 422  # the report is required

    done = act(shop.api(inspector), order["id"], "complete", {"report": "门扇开启正常，门锁功能正常"})
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["report"]) == ("completed", "门扇开启正常，门锁功能正常")
    assert done.json()["events"][-1]["action"] == "complete"


@pytest.mark.parametrize("order_type", VISIT_TYPES)
def test_a_visit_without_an_assignee_is_refused(shop, branch, order_type):
    response = post(
        shop.api(shop.advisor),
        f"{API}/work-orders",
        {"branch": branch.pk, "customer": shop.customer.pk, "type": order_type},
    )
    assert response.status_code == 422
    assert "assignee" in response.json()["fields"]
    assert not ServiceOrder.objects.exists()


def test_a_repair_order_opens_in_reception(shop, branch):
    created = post(
        shop.api(shop.advisor),
        f"{API}/work-orders",
        {
            "branch": branch.pk,
            "customer": shop.customer.pk,
            "asset": shop.vehicle.pk,
            "type": "repair",
            "mileage": 12000,
            "concerns": "刹车异响",
            "promised_at": "2030-01-01T17:00:00+08:00",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert {"id", "number", "status", "lines", "totals", "events"} <= set(body)
    assert body["status"] == "reception"
    assert body["totals"] == {**body["totals"], "labour": "0.00", "parts": "0.00", "total": "0.00"}


def test_a_call_out_is_consented_completed_settled_and_delivered(shop):
    """Given a call-out (dispatched at once), its lines are consented without moving it; the engineer's report
    completes it; the customer's share is settled and it is delivered."""
    walked = shop.walk(S.DISPATCHED, type=OrderType.CALL_OUT, assignee=shop.technician)
    order = walked.order
    shop.add_labour(order, name="电梯故障排查", hours="2", rate="150")
    advisor = shop.api(shop.advisor)
    approved = act(advisor, order.pk, "approve", {"method": "phone", "by": "物业王经理"})
    assert approved.json()["status"] == "dispatched"
    assert approved.json()["totals"]["customer_payable"] == "300.00"
    assert act(shop.api(shop.technician), order.pk, "complete", {"report": "更换门锁"}).json()["status"] == "completed"
    settle = act(shop.api(shop.cashier), order.pk, "settle", {"payments": [{"method": "transfer", "amount": "300"}]})
    assert settle.json()["status"] == "settled", settle.content
    assert act(advisor, order.pk, "deliver").json()["status"] == "delivered"


def test_the_409_message_names_the_status_in_the_readers_language(shop):
    walked = shop.walk(S.DELIVERED)
    response = shop.api(shop.manager).post(
        f"{API}/work-orders/{walked.order.pk}/actions/cancel",
        {"reason": "x"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 409
    with translation.override("zh-hans"):
        assert str(S.DELIVERED.label) in response.json()["message"]
