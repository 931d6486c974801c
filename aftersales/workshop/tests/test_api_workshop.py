"""The workshop API as clients use it: technicians' skills and the technicians list, labour lines with their skill and
level, suggestions for a job, the day plan and its application, and who may do what (401/403/404).
"""

import datetime

import pytest
from django.utils import timezone

from aftersales.core.testing import api_client, make_person
from aftersales.service.choices import JobStatus
from aftersales.service.services import orders
from aftersales.service.tests.conftest import post
from aftersales.workshop.models import JobSlot, TechnicianSkill
from aftersales.workshop.services import setup
from aftersales.workshop.tests.conftest import API

pytestmark = pytest.mark.django_db


def put(client, url: str, body: dict):
    return client.put(url, body, content_type="application/json")


def skills_url(employee) -> str:
    return f"{API}/technicians/{employee.pk}/skills"


def plan_body(workshop, **extra) -> dict:
    return {"branch": workshop.branch.pk, "date": workshop.tomorrow.isoformat(), "replan": False, **extra}


def listed(workshop, user=None, **query) -> dict:
    client = workshop.api(user or workshop.dispatcher)
    response = client.get(f"{API}/technicians", {"branch": workshop.branch.pk, **query})
    assert response.status_code == 200, response.content
    return {item["id"]: item for item in response.json()["items"]}


# -- skills -------------------------------------------------------------------------------------------------------------------


def test_putting_skills_replaces_them_and_answers_the_technician(workshop):
    wang = workshop.technician_with({"钣金": 2})

    response = put(workshop.api(workshop.workshop_manager), skills_url(wang), {"skills": {"机修": 3, "电工": 2}})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["skills"]) == (wang.pk, {"机修": 3, "电工": 2})
    assert dict(TechnicianSkill.objects.filter(employee=wang).values_list("skill", "level")) == {"机修": 3, "电工": 2}


@pytest.mark.parametrize("level", [6, 0])
def test_a_level_outside_one_to_five_is_422_naming_the_skill(workshop, level):
    wang = workshop.technician_with({"钣金": 2})

    response = put(workshop.api(workshop.workshop_manager), skills_url(wang), {"skills": {"机修": level}})

    assert response.status_code == 422
    assert "skills.机修" in response.json()["fields"]
    assert dict(TechnicianSkill.objects.filter(employee=wang).values_list("skill", "level")) == {"钣金": 2}


def test_an_advisor_may_not_set_skills(workshop):
    wang = workshop.technician_with({"钣金": 2})

    response = put(workshop.api(workshop.advisor), skills_url(wang), {"skills": {"机修": 3}})

    assert response.status_code == 403
    assert not TechnicianSkill.objects.filter(employee=wang, skill="机修").exists()


def test_another_branchs_technician_is_404_for_skills(workshop, other_branch):
    stranger = make_person(role="technician", branch=other_branch).employee

    response = put(workshop.api(workshop.workshop_manager), skills_url(stranger), {"skills": {"机修": 3}})

    assert response.status_code == 404
    assert not TechnicianSkill.objects.filter(employee=stranger).exists()


def test_someone_who_is_no_technician_is_404_for_skills(workshop):
    response = put(
        workshop.api(workshop.workshop_manager), skills_url(workshop.advisor.employee), {"skills": {"机修": 3}}
    )
    assert response.status_code == 404


def test_skills_without_a_token_are_401(workshop):
    wang = workshop.technician_with({"钣金": 2})
    assert put(api_client(None), skills_url(wang), {"skills": {"机修": 3}}).status_code == 401


# -- the technicians list ---------------------------------------------------------------------------------------------------------


def test_the_list_shows_each_technician_with_skills_and_the_branch_default_shift(workshop):
    wang = workshop.technician_with({"机修": 3, "电工": 2}, name="王师傅")

    items = listed(workshop)

    assert wang.pk in items and workshop.technician.employee.pk in items
    assert workshop.advisor.employee.pk not in items
    mine = items[wang.pk]
    assert (mine["name"], mine["skills"], mine["user"]) == ("王师傅", {"机修": 3, "电工": 2}, wang.user_id)
    assert {k: mine["shift"][k] for k in ("start", "end", "break_start", "break_end", "own")} == {
        "start": "08:30",
        "end": "17:30",
        "break_start": None,
        "break_end": None,
        "own": False,
    }
    assert (mine["load"], mine["load_minutes"], mine["jobs"]) == ("0.00", 0, 0)


def test_the_list_follows_the_branch_hours_and_a_technicians_own_shift(workshop):
    wang = workshop.technician_with({"机修": 3})
    li = workshop.technician_with({"机修": 3})
    setup.workshop_hours_set(
        actor=workshop.workshop_manager,
        branch=workshop.branch,
        start=datetime.time(8, 0),
        end=datetime.time(17, 0),
        break_start=datetime.time(12, 0),
        break_end=datetime.time(13, 0),
    )
    setup.technician_shift_set(
        actor=workshop.workshop_manager, employee=li, start=datetime.time(13, 0), end=datetime.time(21, 0)
    )

    items = listed(workshop)

    assert (items[wang.pk]["shift"]["start"], items[wang.pk]["shift"]["end"]) == ("08:00", "17:00")
    assert (items[wang.pk]["shift"]["break_start"], items[wang.pk]["shift"]["break_end"]) == ("12:00", "13:00")
    assert (items[li.pk]["shift"]["start"], items[li.pk]["shift"]["end"], items[li.pk]["shift"]["own"]) == (
        "13:00",
        "21:00",
        True,
    )
    assert items[li.pk]["shift"]["break_start"] is None


def test_the_list_shows_the_load_of_assigned_jobs(workshop):
    wang = workshop.technician_with({"机修": 3})
    order, (job,) = workshop.order_with({"hours": "2.5", "skill": "机修"})
    orders.order_dispatch(
        actor=workshop.dispatcher, order=order, assignments=[{"line": job.pk, "technician": wang.user_id}]
    )

    mine = listed(workshop)[wang.pk]

    assert (mine["load"], mine["load_minutes"], mine["jobs"]) == ("2.50", 150, 1)


def test_the_list_of_another_branch_is_404(workshop, other_branch):
    response = workshop.api(workshop.dispatcher).get(f"{API}/technicians", {"branch": other_branch.pk})
    assert response.status_code == 404


# -- labour lines carry their skill and level ---------------------------------------------------------------------------------------


def test_a_labour_line_takes_a_skill_and_level_and_answers_them(workshop):
    order = workshop.open()
    client = workshop.api(workshop.advisor)
    body = {"kind": "labour", "name": "更换刹车片", "hours": "1.5", "rate": "120", "payer": "customer"}

    levelled = post(client, f"{API}/work-orders/{order.pk}/lines", {**body, "skill": "机修", "min_level": 3})
    plain = post(client, f"{API}/work-orders/{order.pk}/lines", {**body, "skill": "电工"})

    assert levelled.status_code == 201, levelled.content
    assert (levelled.json()["skill"], levelled.json()["min_level"]) == ("机修", 3)
    assert (plain.json()["skill"], plain.json()["min_level"]) == ("电工", 1)


def test_a_line_level_of_six_is_422(workshop):
    order = workshop.open()
    body = {"kind": "labour", "name": "x", "hours": "1", "rate": "100", "payer": "customer", "min_level": 6}

    response = post(workshop.api(workshop.advisor), f"{API}/work-orders/{order.pk}/lines", body)

    assert response.status_code == 422
    assert "min_level" in response.json()["fields"]


# -- suggestions ----------------------------------------------------------------------------------------------------------------------


def test_suggestions_list_technicians_best_first_with_score_and_reason(workshop, in_english):
    wang = workshop.technician_with({"机修": 3}, name="王师傅")
    li = workshop.technician_with({"机修": 1}, name="李师傅")
    _order, (job,) = workshop.order_with({"hours": "1", "skill": "机修", "min_level": 2})

    response = workshop.api(workshop.dispatcher).get(f"{API}/jobs/{job.pk}/suggestions")

    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert items[0]["technician"] == wang.pk and items[0]["eligible"] and items[0]["score"] > 0
    assert "机修 level 3" in items[0]["reason"]
    by_id = {item["technician"]: item for item in items}
    assert (by_id[li.pk]["score"], by_id[li.pk]["reason"]) == (0, "机修 level 1, below the 2 needed.")
    assert {"technician", "score", "reason"} <= set(items[0])


def test_suggestions_of_another_branchs_job_are_404(workshop, foreign_order):
    _order, line = foreign_order
    assert workshop.api(workshop.dispatcher).get(f"{API}/jobs/{line.pk}/suggestions").status_code == 404


def test_a_technician_may_not_ask_for_suggestions(workshop):
    _order, (job,) = workshop.order_with({"hours": "1", "skill": "机修"})
    assert workshop.api(workshop.technician).get(f"{API}/jobs/{job.pk}/suggestions").status_code == 403


# -- the plan and its application ---------------------------------------------------------------------------------------------------


@pytest.fixture
def planned_day(workshop):
    """王 (机修 3), a lift, two orders of one lift job each (机修 level 2) and one 喷漆 job nobody can do; returns
    (wang, lift, [lift jobs], the 喷漆 job)."""
    wang = workshop.technician_with({"机修": 3}, name="王师傅")
    lift = workshop.bay("A1", "举升")
    job = {"skill": "机修", "min_level": 2, "bay_kind": "举升"}
    _o1, (first,) = workshop.order_with({**job, "hours": "2"})
    _o2, (second,) = workshop.order_with({**job, "hours": "1"}, plate="京F00001")
    _o3, (impossible,) = workshop.order_with({"hours": "1", "skill": "喷漆"}, plate="京F00002")
    return wang, lift, [first, second], impossible


def at_iso(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_the_plan_proposes_assignments_and_explains_the_unassigned(workshop, planned_day, in_english):
    wang, lift, jobs, impossible = planned_day

    response = post(workshop.api(workshop.dispatcher), f"{API}/dispatch/plan", plan_body(workshop))

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["branch"], body["date"]) == (workshop.branch.pk, workshop.tomorrow.isoformat())
    rows = body["assignments"]
    assert sorted(r["line"] for r in rows) == sorted(j.pk for j in jobs)
    assert {(r["technician"], r["bay"]) for r in rows} == {(wang.pk, lift.pk)}
    assert [at_iso(r["start"]) for r in rows] == [workshop.at(workshop.tomorrow, 8, 30), at_iso(rows[0]["end"])]
    assert at_iso(rows[1]["end"]) - at_iso(rows[0]["start"]) == datetime.timedelta(hours=3)
    assert rows[0]["start"].endswith("+08:00")
    assert body["unassigned"] == [
        {"line": impossible.pk, "reason": "Nobody here has the skill 喷漆.", "code": "no_skill"}
    ]
    assert not JobSlot.objects.exists()


def test_applying_the_proposed_plan_assigns_every_row(workshop, planned_day):
    wang, lift, jobs, _impossible = planned_day
    client = workshop.api(workshop.dispatcher)
    rows = post(client, f"{API}/dispatch/plan", plan_body(workshop)).json()["assignments"]

    response = post(client, f"{API}/dispatch/plan/apply", {"assignments": rows})

    assert response.status_code == 200, response.content
    applied = response.json()["assignments"]
    assert [(r["line"], r["technician"], r["bay"], r["start"], r["end"]) for r in applied] == [
        (r["line"], r["technician"], r["bay"], r["start"], r["end"]) for r in rows
    ]
    for job in jobs:
        job.refresh_from_db()
        assert (job.technician, job.job_status) == (wang.user, JobStatus.ASSIGNED)
        assert JobSlot.objects.get(line=job).bay == lift


def test_a_bad_row_is_422_on_its_field_and_nothing_applies(workshop, planned_day):
    _wang, _lift, jobs, _impossible = planned_day
    client = workshop.api(workshop.dispatcher)
    rows = post(client, f"{API}/dispatch/plan", plan_body(workshop)).json()["assignments"]
    junior = workshop.technician_with({"机修": 1})
    first = next(r for r in rows if r["line"] == jobs[0].pk)
    rows = [{**first, "technician": junior.pk}] + [r for r in rows if r is not first]

    response = post(client, f"{API}/dispatch/plan/apply", {"assignments": rows})

    assert response.status_code == 422
    body = response.json()
    assert list(body["fields"]) == ["assignments.0.technician"]
    assert body["message"] == body["fields"]["assignments.0.technician"][0]
    assert not JobSlot.objects.exists()
    for job in jobs:
        job.refresh_from_db()
        assert job.job_status == JobStatus.UNASSIGNED


def test_replan_proposes_assigned_jobs_again(workshop, planned_day):
    _wang, _lift, jobs, _impossible = planned_day
    client = workshop.api(workshop.dispatcher)
    rows = post(client, f"{API}/dispatch/plan", plan_body(workshop)).json()["assignments"]
    assert post(client, f"{API}/dispatch/plan/apply", {"assignments": rows}).status_code == 200

    again = post(client, f"{API}/dispatch/plan", plan_body(workshop)).json()
    fresh = post(client, f"{API}/dispatch/plan", plan_body(workshop, replan=True)).json()

    assert again["assignments"] == []
    assert sorted(r["line"] for r in fresh["assignments"]) == sorted(j.pk for j in jobs)


def test_a_plan_of_another_branch_is_404(workshop, other_branch):
    response = post(workshop.api(workshop.dispatcher), f"{API}/dispatch/plan", {"branch": other_branch.pk})
    assert response.status_code == 404


def test_a_plan_of_a_past_day_is_422(workshop):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = post(
        workshop.api(workshop.dispatcher),
        f"{API}/dispatch/plan",
        {"branch": workshop.branch.pk, "date": yesterday.isoformat()},
    )
    assert response.status_code == 422
    assert "date" in response.json()["fields"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/dispatch/plan"),
        ("post", "/dispatch/plan/apply"),
        ("get", "/jobs/{line}/suggestions"),
        ("get", "/technicians"),
        ("put", "/technicians/{employee}/skills"),
    ],
)
def test_without_a_token_every_workshop_endpoint_is_401(workshop, planned_day, method, path):
    wang, _lift, jobs, _impossible = planned_day
    url = API + path.format(line=jobs[0].pk, employee=wang.pk)
    client = api_client(None)
    body = {"assignments": [], "skills": {}}
    if method == "get":
        response = client.get(url)
    else:
        response = getattr(client, method)(url, body, content_type="application/json")
    assert response.status_code == 401


def test_a_technician_may_neither_plan_nor_apply(workshop, planned_day):
    wang, lift, jobs, _impossible = planned_day
    client = workshop.api(workshop.technician)
    row = {
        "line": jobs[0].pk,
        "technician": wang.pk,
        "bay": lift.pk,
        "start": workshop.at(workshop.tomorrow, 8, 30).isoformat(),
    }

    assert post(client, f"{API}/dispatch/plan", plan_body(workshop)).status_code == 403
    assert post(client, f"{API}/dispatch/plan/apply", {"assignments": [row]}).status_code == 403
    assert not JobSlot.objects.exists()


def test_the_workshop_manager_may_plan_and_apply(workshop, planned_day):
    client = workshop.api(workshop.workshop_manager)
    rows = post(client, f"{API}/dispatch/plan", plan_body(workshop)).json()["assignments"]

    assert post(client, f"{API}/dispatch/plan/apply", {"assignments": rows}).status_code == 200
    assert JobSlot.objects.count() == 2
