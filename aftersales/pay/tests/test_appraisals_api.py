"""The appraisal API: the direct-score flow of the issue, the step actions, locking, errors, who reads what."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from aftersales.core.testing import api_client
from aftersales.pay.models import Appraisal
from aftersales.pay.services import appraisals as svc
from aftersales.pay.tests.appraisal_helpers import make_form, manual, metric_item, metric_registered, staff

URL = "/api/v1/appraisals"


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def people(branch, other_branch):
    return staff(branch, other_branch)


@pytest.fixture
def clients(people):
    return {key: api_client(value) for key, value in people.items() if key != "position"}


def post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def test_the_direct_score_then_confirm(people, clients):
    employee = people["employee"].employee
    body = {"employee": employee.pk, "period": "2026-11", "kind": "monthly", "score": "92.5"}
    response = post(clients["manager"], URL, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert {key: data[key] for key in ("employee", "period", "kind", "status", "score", "self_score", "items")} == {
        "employee": employee.pk,
        "period": "2026-11",
        "kind": "monthly",
        "status": "reviewed",
        "score": "92.50",
        "self_score": None,
        "items": [],
    }
    assert data["reviewed_by"] == people["manager"].pk and data["actions"] == ["review"]

    confirmed = post(clients["hr"], f"{URL}/{data['id']}/actions/confirm")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["confirmed_by"] == people["hr"].pk
    assert confirmed.json()["actions"] == []

    # locked: every step answers 409 appraisal_locked, whoever asks
    for who, action, payload in [
        ("hr", "confirm", {}),
        ("hr", "return", {"reason": "再看看"}),
        ("manager", "review", {"score": "100"}),
        ("employee", "self_assess", {"score": "100"}),
    ]:
        response = post(clients[who], f"{URL}/{data['id']}/actions/{action}", payload)
        assert response.status_code == 409, (who, action, response.content)
        assert response.json()["code"] == "appraisal_locked"
    assert Appraisal.objects.get().score == 92.5


def test_the_steps_through_the_api(people, clients):
    make_form(people["hr"], people["position"], items=[manual("质量", "40"), manual("态度", "60")])
    created = post(clients["manager"], URL, {"employee": people["employee"].employee.pk, "period": "2026-11"})
    assert created.status_code == 201
    pk = created.json()["id"]
    assert created.json()["status"] == "draft" and len(created.json()["items"]) == 2

    own = post(clients["employee"], f"{URL}/{pk}/actions/self_assess", {"scores": {"0": "90", "1": "80"}})
    assert own.status_code == 200, own.content
    assert own.json()["status"] == "self_assessed" and own.json()["self_score"] == "84.00"

    bad = post(clients["manager"], f"{URL}/{pk}/actions/review", {"scores": {"0": "101"}})
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"items.0.score", "items.1.score"}

    reviewed = post(clients["manager"], f"{URL}/{pk}/actions/review", {"scores": {"0": "70", "1": "100"}})
    assert reviewed.json()["score"] == "88.00"
    assert [item["score"] for item in reviewed.json()["items"]] == ["70.00", "100.00"]

    returned = post(clients["hr"], f"{URL}/{pk}/actions/return", {})
    assert returned.status_code == 422 and set(returned.json()["fields"]) == {"reason"}
    returned = post(clients["hr"], f"{URL}/{pk}/actions/return", {"reason": "请补充依据"})
    assert returned.json()["status"] == "self_assessed"

    assert post(clients["hr"], f"{URL}/{pk}/actions/review", {"scores": {"0": "1", "1": "1"}}).status_code == 403
    assert post(clients["manager"], f"{URL}/{pk}/actions/confirm").status_code == 403
    assert post(clients["manager"], f"{URL}/{pk}/actions/promote").status_code == 422  # not a step


def test_metric_items_through_the_api(people, clients):
    with metric_registered({people["employee"].employee.pk: "12"}):
        make_form(people["hr"], people["position"], items=[manual("质量", "50"), metric_item(weight="50")])
        pk = post(clients["manager"], URL, {"employee": people["employee"].employee.pk, "period": "2026-11"}).json()[
            "id"
        ]
        reviewed = post(clients["manager"], f"{URL}/{pk}/actions/review", {"scores": {"0": "80"}})
    assert reviewed.status_code == 200, reviewed.content
    items = reviewed.json()["items"]
    assert items[1]["metric_value"] == "12" and items[1]["score"] == "100.00"  # MIN(1.2, 1) × 100
    assert reviewed.json()["score"] == "90.00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period": "2026-11", "score": "101"}, "score"),
        ({"period": "2026-11", "score": "-1"}, "score"),
        ({"period": "2026-11", "score": "abc"}, "score"),
        ({"period": "2026-13"}, "period"),
        ({"period": "2026", "kind": "monthly"}, "period"),
        ({"period": "2026-11", "kind": "annual"}, "period"),
        ({"period": "2026-11", "kind": "weekly"}, "kind"),
        ({"period": "2026-11", "form": 999}, "form"),
    ],
)
def test_bad_input_answers_422_naming_the_field(people, clients, body, field):
    response = post(clients["manager"], URL, {"employee": people["employee"].employee.pk, **body})
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"] and response.json()["code"] == "invalid"


def test_duplicates_roles_and_branches(people, clients, person):
    body = {"employee": people["employee"].employee.pk, "period": "2026-11", "score": "90"}
    assert post(clients["manager"], URL, body).status_code == 201
    duplicate = post(clients["hr"], URL, body)
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "appraisal_exists"
    december = {**body, "period": "2026-12"}
    assert post(clients["colleague"], URL, december).status_code == 403  # a technician appraises nobody
    assert post(api_client(person("finance")), URL, december).status_code == 403
    assert post(clients["other_manager"], URL, december).status_code == 404  # another branch's employee
    assert post(clients["manager"], URL, {**december, "employee": people["manager"].employee.pk}).status_code == 403
    assert post(clients["manager"], URL, {**december, "employee": 999999}).status_code == 404
    assert post(api_client(), URL, december).status_code == 401
    pk = Appraisal.objects.get().pk
    assert post(clients["other_manager"], f"{URL}/{pk}/actions/review", {"score": "1"}).status_code == 404
    assert clients["other_manager"].get(f"{URL}/{pk}").status_code == 404


def test_an_employee_reads_their_own_appraisals_and_nobody_elses(people, clients):
    mine = svc.appraisal_create(
        actor=people["manager"], employee=people["employee"].employee, period="2026-11", score="90"
    )
    theirs = svc.appraisal_create(
        actor=people["manager"], employee=people["colleague"].employee, period="2026-11", score="80"
    )
    listed = clients["employee"].get(URL).json()
    assert listed["count"] == 1 and [row["id"] for row in listed["items"]] == [mine.pk]
    assert clients["employee"].get(f"{URL}/{mine.pk}").status_code == 200
    assert clients["employee"].get(f"{URL}/{theirs.pk}").status_code == 404
    assert clients["employee"].get(f"{URL}?employee={people['colleague'].employee.pk}").json()["count"] == 0
    # the manager reads the branch's, filtered
    assert clients["manager"].get(URL).json()["count"] == 2
    by_employee = clients["manager"].get(f"{URL}?employee={people['colleague'].employee.pk}").json()
    assert [row["id"] for row in by_employee["items"]] == [theirs.pk]
    assert clients["manager"].get(f"{URL}?period=2026-12").json()["count"] == 0
    assert clients["manager"].get(f"{URL}?status=reviewed&kind=monthly").json()["count"] == 2
    assert clients["other_manager"].get(URL).json()["count"] == 0


def test_the_list_runs_the_same_queries_for_2_and_for_12(people, clients, person, branch):
    client = clients["manager"]

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL)
        assert response.status_code == 200
        return len(captured.captured_queries), response.json()

    for month in (1, 2):
        svc.appraisal_create(
            actor=people["manager"], employee=people["employee"].employee, period=f"2026-{month:02d}", score="90"
        )
    queries()  # the first request of a token records its use
    few, _ = queries()
    for number in range(10):
        svc.appraisal_create(
            actor=people["manager"], employee=person("technician").employee, period="2026-11", score=str(80 + number)
        )
    many, data = queries()
    # the token and its user, the roles, the employee and the branches seen, the exact count, the page of rows
    assert few == many == 6 and data["count"] == 12
