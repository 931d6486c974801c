"""The workshop's setup pages: technicians (today's roster, one technician's skills, shift and days off), bays, the
branch's hours and board link, productivity; who may open and post each; errors beside the fields with nothing
saved; fixed query counts; and the clocked time on the technician's job card."""

import datetime
import re
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from aftersales.core.models import AuditEvent
from aftersales.core.testing import make_person, page_client, walk_role_matrix
from aftersales.org.roles import ROLES
from aftersales.service.services import jobs
from aftersales.workshop.models import Bay, ClockSpan, DayOff, TechnicianShift, TechnicianSkill, WorkshopSettings
from aftersales.workshop.services.setup import board_branch_for_token

pytestmark = pytest.mark.django_db

TECHNICIANS = reverse("workshop:technician_list")
BAYS = reverse("workshop:bay_list")
SETTINGS = reverse("workshop:settings")
PRODUCTIVITY = reverse("workshop:productivity")


@pytest.fixture(autouse=True)
def english(settings):
    """Pages in English (the source language): the Chinese catalogue is compiled by the lead."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def holders(perm: str) -> set[str]:
    return {code for code, role in ROLES.items() if perm in role.permissions}


def detail_url(employee) -> str:
    return reverse("workshop:technician_detail", args=[employee.pk])


def post(user, url, data=None):
    return page_client(user).post(url, data or {})


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def assigned_today(workshop, employee, hours="2"):
    """An approved order with one job given to `employee` (in progress orders count for the load)."""
    order, (job,) = workshop.order_with({"hours": hours, "skill": "机修"})
    from aftersales.service.services.orders import order_dispatch

    order_dispatch(
        actor=workshop.dispatcher, order=order, assignments=[{"line": job.pk, "technician": employee.user_id}]
    )
    job.refresh_from_db()
    return job


# -- technicians list --------------------------------------------------------------------------------------------------


def test_technician_list_is_for_the_workshop_roles_only(workshop, other_branch):
    mismatches = walk_role_matrix(
        own_url=TECHNICIANS,
        other_url=None,
        allowed=holders("workshop.view_technicianskill"),
        own_branch=workshop.branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


def test_technician_list_shows_skills_todays_shift_load_and_open_jobs(workshop):
    wang = workshop.technician_with({"机修": 3, "电工": 2}, name="王师傅")
    li = workshop.technician_with({"钣金": 4}, name="李师傅")
    TechnicianShift.objects.create(employee=wang, start=datetime.time(8), end=datetime.time(17), weekly_off=[])
    DayOff.objects.create(employee=li, date=timezone.localdate(), reason="年假")
    assigned_today(workshop, wang, hours="2.5")

    response = page_client(workshop.dispatcher).get(TECHNICIANS)

    assert response.status_code == 200
    row = re.search(rf'<tr id="technician-{wang.pk}">(.*?)</tr>', text(response)).group(1)
    assert "机修 3" in row and "电工 2" in row
    assert "08:00–17:00" in row and "branch default" not in row
    assert re.search(r'class="num">2\.50</td> <td data-label="Open jobs" class="num">1</td>', row)
    li_row = re.search(rf'<tr id="technician-{li.pk}">(.*?)</tr>', text(response)).group(1)
    assert ">Off<" in li_row and "钣金 4" in li_row
    shop_tech = re.search(rf'<tr id="technician-{workshop.technician.employee.pk}">(.*?)</tr>', text(response))
    assert "08:30–17:30" in shop_tech.group(1) and "branch default" in shop_tech.group(1)


def test_technician_list_runs_the_same_queries_for_two_or_five_technicians(workshop):
    def count() -> int:
        client = page_client(workshop.dispatcher)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TECHNICIANS).status_code == 200
        return len(queries)

    first = workshop.technician_with({"机修": 3})
    assigned_today(workshop, first)
    few = count()
    for index in range(3):
        employee = workshop.technician_with({"机修": 2, "保养": index + 1})
        TechnicianShift.objects.create(employee=employee, start=datetime.time(8), end=datetime.time(17))
        assigned_today(workshop, employee)
    many = count()

    # session, user, roles, employee; the branches seen and the picker's; the roster (settings, technicians, skills,
    # days off, open jobs, their clocked spans)
    assert few == many == 4 + 2 + 6


def test_regional_manager_picks_a_store_and_another_branch_is_404(workshop, other_branch, region):
    manager = make_person(role="regional_manager", branch=region)

    default = page_client(manager).get(TECHNICIANS)
    chosen = page_client(manager).get(f"{TECHNICIANS}?branch={other_branch.pk}")
    stranger = page_client(workshop.dispatcher).get(f"{TECHNICIANS}?branch={other_branch.pk}")

    assert default.status_code == 200 and workshop.branch.name in text(default)
    assert chosen.status_code == 200 and other_branch.name in text(chosen)
    assert stranger.status_code == 404


# -- one technician ----------------------------------------------------------------------------------------------------


def test_technician_page_refuses_other_branches_non_technicians_and_the_technician_role(workshop, other_branch):
    wang = workshop.technician_with({"机修": 3})
    outsider = make_person(role="technician", branch=other_branch).employee

    assert page_client(workshop.dispatcher).get(detail_url(wang)).status_code == 200
    assert page_client(workshop.dispatcher).get(detail_url(outsider)).status_code == 404
    assert page_client(workshop.dispatcher).get(detail_url(workshop.advisor.employee)).status_code == 404
    assert page_client(workshop.technician).get(detail_url(wang)).status_code == 403
    anonymous = page_client().get(detail_url(wang))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    skills = reverse("workshop:technician_skills", args=[outsider.pk])
    assert post(workshop.workshop_manager, skills, {"level_0": "3"}).status_code == 404


def test_manager_sets_skills_including_another_category_and_the_history_shows_it(workshop):
    wang = workshop.technician_with({"机修": 3, "空调": 2})
    url = reverse("workshop:technician_skills", args=[wang.pk])
    page = page_client(workshop.workshop_manager).get(detail_url(wang))
    # rows: the offered categories (机修 first), then 空调 the person has
    assert re.search(r'<option value="3" selected>3</option>', text(page))

    response = post(
        workshop.workshop_manager,
        url,
        {"level_0": "4", "level_1": "2", "level_7": "0", "other_name": "检测仪", "other_level": "3"},
    )

    assert response.status_code == 302
    assert dict(wang.skills.values_list("skill", "level")) == {"机修": 4, "电工": 2, "检测仪": 3}
    page = text(page_client(workshop.workshop_manager).get(detail_url(wang)))
    assert "机修 4" in page and "Skills" in page and "空调 2" in page  # the history's "before"


def test_a_level_of_six_or_a_nameless_other_category_saves_nothing(workshop):
    wang = workshop.technician_with({"机修": 3})
    url = reverse("workshop:technician_skills", args=[wang.pk])

    too_high = post(workshop.workshop_manager, url, {"level_0": "6"})
    nameless = post(workshop.workshop_manager, url, {"level_0": "3", "other_level": "2"})

    assert too_high.status_code == 200
    assert re.search(r'id="id_level_0_error"><li>Select a valid choice', text(too_high))
    assert 'id="id_other_name_error"' in text(nameless)
    assert dict(wang.skills.values_list("skill", "level")) == {"机修": 3}


def test_dispatcher_sees_no_skills_form_and_a_posted_one_is_refused(workshop):
    wang = workshop.technician_with({"机修": 3})
    url = reverse("workshop:technician_skills", args=[wang.pk])

    page = page_client(workshop.dispatcher).get(detail_url(wang))

    assert url not in text(page)
    assert post(workshop.dispatcher, url, {"level_0": "5"}).status_code == 403
    assert post(workshop.technician, url, {"level_0": "5"}).status_code == 403
    assert wang.skills.get().level == 3


def test_own_shift_is_saved_then_cleared_back_to_the_branch_default(workshop):
    wang = workshop.technician_with({"机修": 3})
    data = {"start": "08:00", "end": "17:00", "break_start": "12:00", "break_end": "13:00", "weekly_off": ["6"]}

    saved = post(workshop.workshop_manager, reverse("workshop:technician_shift", args=[wang.pk]), data)

    assert saved.status_code == 302
    shift = TechnicianShift.objects.get(employee=wang)
    assert (shift.start, shift.break_end, shift.weekly_off) == (datetime.time(8), datetime.time(13), [6])
    page = text(page_client(workshop.dispatcher).get(detail_url(wang)))
    assert "08:00–17:00" in page and "Sunday" in page

    cleared = post(workshop.workshop_manager, reverse("workshop:technician_shift_clear", args=[wang.pk]))

    assert cleared.status_code == 302 and not TechnicianShift.objects.filter(employee=wang).exists()


def test_a_break_outside_the_shift_is_shown_beside_the_field_and_saves_nothing(workshop):
    wang = workshop.technician_with({"机修": 3})
    url = reverse("workshop:technician_shift", args=[wang.pk])
    data = {"start": "08:00", "end": "17:00", "break_start": "18:00", "break_end": "19:00"}

    response = post(workshop.workshop_manager, url, data)
    refused = post(workshop.dispatcher, url, {"start": "08:00", "end": "17:00"})

    assert response.status_code == 200
    assert re.search(r'id="id_break_start_error"><li>The break must fall inside the shift', text(response))
    assert refused.status_code == 403
    assert not TechnicianShift.objects.filter(employee=wang).exists()


def test_dispatcher_adds_and_removes_a_day_off_and_a_repeat_is_refused(workshop):
    wang = workshop.technician_with({"机修": 3})
    add = reverse("workshop:technician_day_off_add", args=[wang.pk])
    day = workshop.tomorrow.isoformat()

    assert post(workshop.dispatcher, add, {"date": day, "reason": "培训"}).status_code == 302
    again = post(workshop.dispatcher, add, {"date": day})
    day_off = DayOff.objects.get(employee=wang)
    assert day_off.reason == "培训" and "is already off on" in text(again)
    assert post(workshop.technician, add, {"date": day}).status_code == 403

    remove = reverse("workshop:technician_day_off_remove", args=[wang.pk, day_off.pk])
    assert post(workshop.technician, remove).status_code == 403
    assert post(workshop.dispatcher, remove).status_code == 302
    assert not DayOff.objects.filter(employee=wang).exists()


def test_technician_page_shows_this_months_productivity(workshop):
    wang = workshop.technician_with({"机修": 3})
    job = assigned_today(workshop, wang, hours="2")
    jobs.job_act(actor=wang.user, line=job, action="start")
    ClockSpan.objects.filter(line=job).update(started_at=timezone.now() - datetime.timedelta(minutes=90))
    jobs.job_act(actor=wang.user, line=job, action="finish", self_check={"passed": True, "notes": ""})

    page = text(page_client(workshop.dispatcher).get(detail_url(wang)))

    stats = re.search(r'id="month-productivity">(.*?)</section>', page).group(1)
    assert '<div class="value">1</div>' in stats and "2.00" in stats and "1.50" in stats and "133%" in stats


# -- bays --------------------------------------------------------------------------------------------------------------


def test_bay_list_is_for_the_workshop_roles_only(workshop, other_branch):
    mismatches = walk_role_matrix(
        own_url=BAYS,
        other_url=None,
        allowed=holders("workshop.view_bay"),
        own_branch=workshop.branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


def test_manager_creates_a_bay_with_offered_and_other_kinds(workshop):
    response = post(
        workshop.workshop_manager,
        reverse("workshop:bay_create"),
        {"code": "A1", "name": "举升工位1", "kinds": ["举升", "四轮定位"], "other_kinds": "电梯试验， 举升"},
    )

    assert response.status_code == 302
    bay = Bay.objects.get(branch=workshop.branch, code="A1")
    assert bay.kinds == ["举升", "四轮定位", "电梯试验"] and bay.active
    listed = text(page_client(workshop.dispatcher).get(BAYS))
    assert "举升工位1" in listed and "电梯试验" in listed


def test_a_duplicate_bay_code_is_shown_beside_the_code_and_saves_nothing(workshop):
    workshop.bay("A1", "举升")

    response = post(workshop.workshop_manager, reverse("workshop:bay_create"), {"code": "A1", "name": "重复"})

    assert response.status_code == 200
    assert re.search(r'id="id_code_error"><li>This branch already has a bay A1', text(response))
    assert Bay.objects.filter(branch=workshop.branch).count() == 1


def test_editing_a_bay_takes_it_out_of_use_and_keeps_its_other_kinds(workshop):
    bay = workshop.bay("P1", "喷漆", "烤漆")
    url = reverse("workshop:bay_edit", args=[bay.pk])
    form = text(page_client(workshop.workshop_manager).get(url))
    assert 'value="烤漆"' in form

    response = post(
        workshop.workshop_manager, url, {"code": "P1", "name": "喷漆房", "kinds": ["喷漆"], "other_kinds": "烤漆"}
    )

    bay.refresh_from_db()
    assert response.status_code == 302
    assert (bay.name, bay.kinds, bay.active) == ("喷漆房", ["喷漆", "烤漆"], False)


def test_bay_forms_refuse_the_dispatcher_and_another_branchs_bay(workshop, other_branch):
    bay = workshop.bay("A1", "举升")
    foreign = Bay.objects.create(branch=other_branch, code="A1", name="外店", kinds=["举升"])

    assert page_client(workshop.dispatcher).get(reverse("workshop:bay_create")).status_code == 403
    assert post(workshop.dispatcher, reverse("workshop:bay_edit", args=[bay.pk]), {"code": "X"}).status_code == 403
    assert post(workshop.workshop_manager, reverse("workshop:bay_edit", args=[foreign.pk]), {}).status_code == 404
    assert post(workshop.technician, reverse("workshop:bay_create"), {"code": "B1", "name": "x"}).status_code == 403
    assert Bay.objects.count() == 2 and Bay.objects.get(pk=bay.pk).code == "A1"


# -- settings ----------------------------------------------------------------------------------------------------------


def test_settings_page_is_for_the_managers_only(workshop, other_branch):
    mismatches = walk_role_matrix(
        own_url=SETTINGS,
        other_url=None,
        allowed=holders("workshop.change_workshopsettings"),
        own_branch=workshop.branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


def test_manager_sets_the_branchs_hours_and_a_break_outside_them_is_refused(workshop):
    good = {
        "branch": workshop.branch.pk,
        "start": "08:00",
        "end": "17:30",
        "break_start": "12:00",
        "break_end": "13:00",
    }
    bad = {**good, "break_start": "07:00"}

    refused = post(workshop.workshop_manager, SETTINGS, bad)
    assert refused.status_code == 200 and 'id="id_break_start_error"' in text(refused)
    assert not WorkshopSettings.objects.filter(branch=workshop.branch).exists()

    assert post(workshop.workshop_manager, SETTINGS, good).status_code == 302
    settings = WorkshopSettings.objects.get(branch=workshop.branch)
    assert (settings.day_start, settings.break_start) == (datetime.time(8), datetime.time(12))
    assert post(workshop.dispatcher, SETTINGS, good).status_code == 403


def test_a_new_board_link_is_shown_once_and_revoking_it_closes_the_board(workshop):
    manager = page_client(workshop.workshop_manager)

    made = manager.post(reverse("workshop:board_link_new"), {"branch": workshop.branch.pk})

    assert made.status_code == 200
    link = re.search(r'id="new-link" type="text" readonly value="([^"]+)"', text(made)).group(1)
    assert link.startswith("http://testserver/") and "<svg" in text(made)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert board_branch_for_token(token) == workshop.branch
    later = text(manager.get(SETTINGS))
    assert token not in later and "The current link was made" in later

    assert manager.post(reverse("workshop:board_link_revoke"), {"branch": workshop.branch.pk}).status_code == 302
    assert board_branch_for_token(token) is None
    assert post(workshop.dispatcher, reverse("workshop:board_link_new"), {}).status_code == 403
    assert not WorkshopSettings.objects.filter(branch=workshop.branch).exclude(board_token_hash="").exists()


# -- productivity ------------------------------------------------------------------------------------------------------


def finished_job(workshop, employee, *, hours: str, minutes: int):
    job = assigned_today(workshop, employee, hours=hours)
    jobs.job_act(actor=employee.user, line=job, action="start")
    ClockSpan.objects.filter(line=job).update(started_at=timezone.now() - datetime.timedelta(minutes=minutes))
    jobs.job_act(actor=employee.user, line=job, action="finish", self_check={"passed": True, "notes": ""})
    return job


def test_productivity_is_for_the_workshop_roles_only(workshop, other_branch):
    mismatches = walk_role_matrix(
        own_url=PRODUCTIVITY,
        other_url=None,
        allowed=holders("workshop.view_clockspan"),
        own_branch=workshop.branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


def test_productivity_lists_each_technician_by_name_with_a_totals_row(workshop):
    zhang = workshop.technician_with({"机修": 3}, name="B张")
    li = workshop.technician_with({"机修": 3}, name="A李")
    finished_job(workshop, zhang, hours="2", minutes=60)
    finished_job(workshop, li, hours="1", minutes=120)

    page = text(page_client(workshop.dispatcher).get(PRODUCTIVITY))

    assert page.index("A李") < page.index("B张")
    zhang_row = re.search(rf'id="productivity-{zhang.pk}">(.*?)</tr>', page).group(1)
    assert re.findall(r'class="num">([^<]+)</td>', zhang_row) == ["1", "2.00", "1.00", "200%"]
    total = re.search(r'id="productivity-total">(.*?)</tr>', page).group(1)
    assert re.findall(r'class="num">([^<]+)</td>', total) == ["2", "3.00", "3.00", "100%"]


def test_productivity_of_an_earlier_period_and_a_backwards_period(workshop):
    zhang = workshop.technician_with({"机修": 3}, name="张")
    finished_job(workshop, zhang, hours="2", minutes=60)
    last_year = timezone.localdate().replace(day=1) - datetime.timedelta(days=365)

    earlier = text(page_client(workshop.dispatcher).get(f"{PRODUCTIVITY}?date_from={last_year}&date_to={last_year}"))
    backwards = page_client(workshop.dispatcher).get(f"{PRODUCTIVITY}?date_from=2026-03-10&date_to=2026-03-01")

    row = re.search(rf'id="productivity-{zhang.pk}">(.*?)</tr>', earlier).group(1)
    assert re.findall(r'class="num">([^<]+)</td>', row) == ["0", "0.00", "0.00", "—"]
    assert backwards.status_code == 200 and "The end date is before the start date." in text(backwards)
    assert 'id="productivity"' not in text(backwards)


def test_productivity_runs_the_same_queries_for_two_or_five_technicians(workshop):
    def count() -> int:
        client = page_client(workshop.dispatcher)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PRODUCTIVITY).status_code == 200
        return len(queries)

    finished_job(workshop, workshop.technician_with({"机修": 3}), hours="1", minutes=30)
    few = count()
    for _index in range(3):
        finished_job(workshop, workshop.technician_with({"机修": 3}), hours="1", minutes=30)
    many = count()

    # session, user, roles, employee; the branches seen and the picker's; the technicians; jobs finished, spans
    assert few == many == 4 + 2 + 1 + 2


def test_productivity_downloads_as_xlsx(workshop):
    zhang = workshop.technician_with({"机修": 3}, name="张")
    finished_job(workshop, zhang, hours="2", minutes=60)

    response = page_client(workshop.dispatcher).get(reverse("workshop:productivity_export"))

    sheet = load_workbook(BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["Employee number", "Technician", "Jobs finished"]
    mine = next(row for row in rows if row[1] == "张")
    assert mine[2:] == [1, 2, 1, 200]
    assert rows[-1][1] == "Total"


# -- the technician's job card -----------------------------------------------------------------------------------------


def test_job_card_shows_the_time_clocked_on_a_started_job_only(workshop):
    wang = workshop.technician_with({"机修": 3})
    started = assigned_today(workshop, wang)
    waiting = assigned_today(workshop, wang)
    jobs.job_act(actor=wang.user, line=started, action="start")
    ClockSpan.objects.filter(line=started).update(started_at=timezone.now() - datetime.timedelta(minutes=75))

    page = text(page_client(wang.user).get(reverse("service:job_list")))

    card = re.search(rf'id="job-{started.pk}"(.*?)</article>', page).group(1)
    assert re.search(r"<dt>Clocked</dt><dd class=\"job-clocked\">1\.25 h</dd>", card)
    assert "Clocked" not in re.search(rf'id="job-{waiting.pk}"(.*?)</article>', page).group(1)


def test_setup_pages_leave_no_audit_trail_when_nothing_is_saved(workshop):
    wang = workshop.technician_with({"机修": 3})
    before = AuditEvent.objects.count()

    post(workshop.workshop_manager, reverse("workshop:technician_skills", args=[wang.pk]), {"level_0": "9"})
    post(workshop.workshop_manager, reverse("workshop:bay_create"), {"code": "", "name": ""})

    assert AuditEvent.objects.count() == before
    assert list(TechnicianSkill.objects.filter(employee=wang).values_list("skill", "level")) == [("机修", 3)]
    assert not Bay.objects.exists()
