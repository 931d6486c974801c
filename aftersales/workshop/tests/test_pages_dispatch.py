"""The dispatcher's day plan page: the day's timeline per technician, the proposal (nothing saved), the table that
adjusts and applies it (all rows or none, errors beside their row), suggestions per job, and who may open it."""

import datetime
import html as html_lib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from aftersales.core.testing import make_person, page_client, walk_role_matrix
from aftersales.org.roles import ROLES
from aftersales.service.models import ServiceOrderLine
from aftersales.service.services import orders
from aftersales.workshop.models import JobSlot
from aftersales.workshop.services import dispatch, setup

pytestmark = pytest.mark.django_db
DAY = reverse("workshop:dispatch")
PLAN = reverse("workshop:dispatch_plan")
APPLY = reverse("workshop:dispatch_apply")
DISPATCHERS = [code for code, role in ROLES.items() if "service.dispatch_serviceorder" in role.permissions]


@pytest.fixture(autouse=True)
def english(settings):
    """Pages in English (the source language): the Chinese catalogue is compiled by the lead."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def crew(workshop):
    """Two mechanics (王 level 3, 李 level 2 with electrics) and a lift bay."""
    wang = workshop.technician_with({"机修": 3}, username="wang", name="王师傅")
    li = workshop.technician_with({"机修": 2, "电工": 2}, username="li", name="李师傅")
    lift = workshop.bay("A1", "举升")
    return wang, li, lift


def day_query(workshop, **extra) -> str:
    params = {"date": workshop.tomorrow.isoformat(), "branch": workshop.branch.pk, **extra}
    return "?" + "&".join(f"{key}={value}" for key, value in params.items())


def apply_all(workshop) -> list[JobSlot]:
    """Plan tomorrow and apply the proposal as it is, through the services."""
    proposed = dispatch.dispatch_plan(actor=workshop.dispatcher, branch=workshop.branch, day=workshop.tomorrow)
    rows = [{k: r[k] for k in ("line", "technician", "bay", "start")} for r in proposed.assignments()]
    return dispatch.dispatch_apply(actor=workshop.dispatcher, assignments=rows)


def table_post(workshop, rows: list[dict]) -> dict:
    """The plan table as the browser posts it; `rows` hold line, technician, bay, start ("HH:MM")."""
    data = {"date": workshop.tomorrow.isoformat(), "branch": workshop.branch.pk, "rows": len(rows)}
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"assignments-{index}-{name}"] = "" if value is None else value
    return data


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


# -- the day as it stands -------------------------------------------------------------------------------------------


def test_the_day_shows_every_technician_with_shift_break_and_planned_jobs(workshop, crew):
    _wang, _li, _lift = crew
    setup.workshop_hours_set(
        actor=workshop.workshop_manager,
        branch=workshop.branch,
        start=datetime.time(8, 30),
        end=datetime.time(17, 30),
        break_start=datetime.time(12, 0),
        break_end=datetime.time(13, 0),
    )
    order, (_job,) = workshop.order_with({"hours": "2", "skill": "机修", "name": "更换刹车片"}, plate="京B55555")
    apply_all(workshop)

    response = page_client(workshop.dispatcher).get(DAY + day_query(workshop))

    assert response.status_code == 200
    page = text(response)
    assert "王师傅" in page and "李师傅" in page and "机修3" in page
    assert "08:30–17:30" in page
    shifts = page.count('class="tl-block tl-shift"')
    assert shifts >= 2 and page.count('class="tl-block tl-break"') == shifts  # a shaded break on every shift
    planned = re.findall(r'class="tl-block tl-job tl-planned[^"]*" style="left: ([\d.]+)%; width: ([\d.]+)%"', page)
    assert len(planned) == 1
    # the window is 08:00–18:00 (600 min): 08:30 is 5 %, two hours 20 %
    assert [(float(a), float(b)) for a, b in planned] == [(5.0, 20.0)]
    assert order.number in page and "京B55555" in page and "更换刹车片" in page


def test_a_day_with_nothing_planned_says_so_and_offers_to_plan(workshop, crew):
    response = page_client(workshop.dispatcher).get(DAY + day_query(workshop))
    page = text(response)
    assert "Nothing is planned for this day yet" in page
    assert f'formaction="{PLAN}"' in page and "Plan the day" in page


def test_the_day_page_runs_the_same_queries_with_two_or_six_planned_jobs(workshop, crew):
    client = page_client(workshop.dispatcher)
    url = DAY + day_query(workshop)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for _ in range(2):
        workshop.order_with({"hours": "1", "skill": "机修"})
    apply_all(workshop)
    assert JobSlot.objects.count() == 2
    with_two = count()
    for _ in range(4):
        workshop.order_with({"hours": "1", "skill": "机修"})
    apply_all(workshop)
    assert JobSlot.objects.count() == 6
    assert count() == with_two == 14


# -- the proposal ---------------------------------------------------------------------------------------------------


def test_planning_the_day_shows_the_proposal_and_saves_nothing(workshop, crew):
    wang, _li, lift = crew
    _order, (job,) = workshop.order_with({"hours": "2", "skill": "机修", "min_level": 3, "bay_kind": "举升"})
    _other, (_painting,) = workshop.order_with({"hours": "1", "skill": "喷漆", "name": "喷漆"})

    response = page_client(workshop.dispatcher).get(PLAN + day_query(workshop))

    assert response.status_code == 200
    page = text(response)
    assert JobSlot.objects.count() == 0
    job.refresh_from_db()
    assert job.technician_id is None
    assert 'name="rows" value="1"' in page
    assert f'name="assignments-0-line" value="{job.pk}"' in page
    assert re.search(rf'<option value="{wang.pk}" selected>王师傅 \(机修3\)</option>', page)
    assert re.search(rf'<option value="{lift.pk}" selected>A1 ', page)
    assert 'name="assignments-0-start" value="08:30"' in page
    assert page.count("tl-block tl-job tl-proposed") == 1
    # the painting job nobody can do is listed with the reason
    assert "Nobody here has the skill 喷漆." in page
    assert reverse("workshop:job_suggestions", args=[job.pk]) in page


def test_replanning_draws_kept_jobs_grey_unless_asked_to_replan_them(workshop, crew):
    workshop.order_with({"hours": "1", "skill": "机修"})
    apply_all(workshop)
    workshop.order_with({"hours": "1", "skill": "机修"})
    client = page_client(workshop.dispatcher)

    kept = text(client.get(PLAN + day_query(workshop)))
    assert kept.count("tl-block tl-job tl-kept") == 1 and kept.count("tl-block tl-job tl-proposed") == 1

    replanned = text(client.get(PLAN + day_query(workshop, replan=1)))
    assert replanned.count("tl-block tl-job tl-kept") == 0 and replanned.count("tl-block tl-job tl-proposed") == 2
    assert 'name="replan" value="1"' in replanned


def test_a_past_day_cannot_be_planned_and_says_why_beside_the_date(workshop, crew):
    yesterday = workshop.tomorrow - datetime.timedelta(days=2)
    response = page_client(workshop.dispatcher).get(PLAN + f"?date={yesterday.isoformat()}")
    assert response.status_code == 200
    assert "A past day can't be planned." in text(response)
    assert 'id="filter-date-error"' in text(response)


# -- applying -------------------------------------------------------------------------------------------------------


def test_applying_the_adjusted_plan_saves_it_and_comes_back_with_a_toast(workshop, crew):
    _wang, li, lift = crew
    _order, (job,) = workshop.order_with({"hours": "2", "skill": "机修", "bay_kind": "举升"})
    client = page_client(workshop.dispatcher)

    response = client.post(
        APPLY, table_post(workshop, [{"line": job.pk, "technician": li.pk, "bay": lift.pk, "start": "10:00"}])
    )

    assert response.status_code == 302
    assert response["Location"] == DAY + f"?date={workshop.tomorrow.isoformat()}&branch={workshop.branch.pk}"
    slot = JobSlot.objects.get(line=job)
    assert slot.bay == lift
    assert slot.start == workshop.at(workshop.tomorrow, 10) and slot.end == workshop.at(workshop.tomorrow, 12)
    job.refresh_from_db()
    assert job.technician == li.user
    follow = text(client.get(response["Location"]))
    assert "Plan applied. Jobs planned: 1." in follow
    assert follow.count("tl-block tl-job tl-planned") == 1


def test_a_refused_row_shows_its_error_beside_the_field_and_nothing_is_saved(workshop, crew):
    wang, li, _lift = crew
    _o1, (first,) = workshop.order_with({"hours": "1", "skill": "机修", "name": "保养"})
    _o2, (second,) = workshop.order_with({"hours": "1", "skill": "机修", "min_level": 3, "name": "发动机大修"})
    rows = [
        {"line": first.pk, "technician": wang.pk, "bay": "", "start": "09:00"},
        {"line": second.pk, "technician": li.pk, "bay": "", "start": "09:00"},  # 李 has 机修 at level 2 only
    ]

    response = page_client(workshop.dispatcher).post(APPLY, table_post(workshop, rows))

    assert response.status_code == 200
    page = text(response)
    assert JobSlot.objects.count() == 0
    assert not ServiceOrderLine.objects.filter(technician__isnull=False).exists()
    error = re.search(r'<div class="errorlist" id="a-1-technician-error">([^<]+)</div>', page)
    assert error and "李师傅 does not have 机修 at level 3." in error.group(1)
    assert 'id="a-0-technician-error"' not in page
    # the rows come back as they were sent
    assert re.search(
        rf'id="a-1-technician" name="assignments-1-technician"[^>]*>.*?<option value="{li.pk}" selected>', page, re.S
    )
    assert 'name="assignments-1-start" value="09:00"' in page


def test_a_start_outside_the_shift_is_refused_on_the_start_field(workshop, crew):
    wang, _li, _lift = crew
    _order, (job,) = workshop.order_with({"hours": "1", "skill": "机修"})
    rows = [{"line": job.pk, "technician": wang.pk, "bay": "", "start": "07:00"}]

    page = text(page_client(workshop.dispatcher).post(APPLY, table_post(workshop, rows)))

    assert re.search(r'id="a-0-start-error">王师傅 works 08:30–17:30', page)
    assert 'name="assignments-0-start" value="07:00"' in page
    assert JobSlot.objects.count() == 0


def test_apply_answers_only_posts(workshop, crew):
    assert page_client(workshop.dispatcher).get(APPLY).status_code == 405


# -- suggestions ----------------------------------------------------------------------------------------------------


def test_suggestions_rank_technicians_with_score_and_reason(workshop, crew):
    _order, (job,) = workshop.order_with({"hours": "1", "skill": "机修", "min_level": 3})
    url = reverse("workshop:job_suggestions", args=[job.pk])

    partial = page_client(workshop.dispatcher).get(url, headers={"HX-Request": "true"})

    page = text(partial)
    assert partial.status_code == 200 and "<html" not in page
    assert page.index("王师傅") < page.index("李师傅")
    assert "机修 level 2, below the 3 needed." in page
    assert re.search(r'<span class="score"[^>]*>\d+</span>', page)
    full = page_client(workshop.dispatcher).get(url)
    assert "<html" in full.content.decode()


def test_another_branchs_job_has_no_suggestions(workshop, crew, other_branch):
    _order, (job,) = workshop.order_with({"hours": "1", "skill": "机修"})
    outsider = make_person(role="dispatcher", branch=other_branch)
    response = page_client(outsider).get(reverse("workshop:job_suggestions", args=[job.pk]))
    assert response.status_code == 404


# -- who may open it ------------------------------------------------------------------------------------------------


def test_only_dispatching_roles_open_the_day_plan(workshop, branch, other_branch):
    own = DAY + f"?branch={branch.pk}"
    other = DAY + f"?branch={other_branch.pk}"
    mismatches = walk_role_matrix(
        own_url=own,
        other_url=None,
        allowed=DISPATCHERS,
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []
    # a dispatcher of the other branch asking for this branch: 404, like a missing branch
    outsider = make_person(role="dispatcher", branch=other_branch)
    assert page_client(outsider).get(own).status_code == 404
    assert page_client(workshop.dispatcher).get(other).status_code == 404


def test_a_technician_can_neither_plan_nor_apply(workshop, crew):
    client = page_client(workshop.technician)
    assert client.get(DAY).status_code == 403
    assert client.get(PLAN + day_query(workshop)).status_code == 403
    assert client.post(APPLY, table_post(workshop, [])).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(workshop):
    for url in (DAY, PLAN, APPLY):
        response = page_client().get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_applying_another_branchs_plan_is_not_found(workshop, crew, other_branch):
    _order, (job,) = workshop.order_with({"hours": "1", "skill": "机修"})
    rows = [{"line": job.pk, "technician": crew[0].pk, "bay": "", "start": "09:00"}]
    data = {**table_post(workshop, rows), "branch": other_branch.pk}
    assert page_client(workshop.dispatcher).post(APPLY, data).status_code == 404
    assert JobSlot.objects.count() == 0


def test_a_cancelled_order_between_plan_and_apply_is_refused_on_its_row(workshop, crew):
    wang, _li, _lift = crew
    order, (job,) = workshop.order_with({"hours": "1", "skill": "机修"})
    orders.order_act(actor=workshop.advisor, order=order, action="cancel", data={"reason": "客户取消"})
    rows = [{"line": job.pk, "technician": wang.pk, "bay": "", "start": "09:00"}]

    page = text(page_client(workshop.dispatcher).post(APPLY, table_post(workshop, rows)))

    assert "it can't be planned" in page and JobSlot.objects.count() == 0
