"""Who may do a job (skill, level, working that day) as the suggestions and the day plan see it, and how the
suggestions rank and explain the technicians.

Suggestions are asked "as of" tomorrow 08:30 (`now=`), and plans are made for tomorrow, so that the time of day
the suite runs at does not matter.
"""

import datetime

import pytest
from django.utils import translation

from aftersales.service.services import orders
from aftersales.service.tests.conftest import S
from aftersales.workshop.models import TechnicianSkill
from aftersales.workshop.services import dispatch, setup
from aftersales.workshop.services.suggestions import job_suggestions
from aftersales.workshop.tests.conftest import off_on

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def morning(workshop):
    return workshop.at(workshop.tomorrow, 8, 30)


def plan(workshop, **kwargs):
    return dispatch.dispatch_plan(actor=workshop.dispatcher, branch=workshop.branch, day=workshop.tomorrow, **kwargs)


def planned(proposed) -> dict[int, int]:
    """{line id: employee id} of the proposal."""
    return {row["line"]: row["technician"] for row in proposed.assignments()}


def unassigned(proposed) -> dict[int, str]:
    return {row["line"]: row["code"] for row in proposed.unassigned()}


def by_employee(suggestions):
    return {s.entry.employee.pk: s for s in suggestions}


# -- eligibility through the suggestions -------------------------------------------------------------------------------


def test_suggestions_put_the_qualified_technician_first_and_say_why_the_others_cannot(workshop):
    master = workshop.technician_with({"钣金": 3}, name="老张")
    junior = workshop.technician_with({"钣金": 2}, name="小李")
    mechanic = workshop.technician_with({"机修": 4}, name="王师傅")
    away = workshop.technician_with({"钣金": 5}, name="赵师傅")
    off_on(workshop, workshop.tomorrow, away.user)
    _order, (job,) = workshop.order_with({"hours": "2", "skill": "钣金", "min_level": 3})

    found = job_suggestions(line=job, now=morning(workshop))

    assert found[0].entry.employee == master
    assert found[0].eligible and found[0].score > 0
    rest = by_employee(found[1:])
    assert rest[junior.pk].reason == "钣金 level 2, below the 3 needed."
    assert rest[mechanic.pk].reason == "No 钣金 skill."
    assert rest[away.pk].reason == "Off today."
    assert all(not s.eligible and s.score == 0 for s in found[1:])


def test_a_technician_whose_weekly_day_off_it_is_is_not_suggested(workshop):
    weekly = workshop.technician_with({"机修": 3})
    setup.technician_shift_set(
        actor=workshop.workshop_manager,
        employee=weekly,
        start=datetime.time(8, 0),
        end=datetime.time(17, 0),
        weekly_off=[workshop.tomorrow.weekday()],
    )
    _order, (job,) = workshop.order_with({"hours": "1", "skill": "机修"})

    found = by_employee(job_suggestions(line=job, now=morning(workshop)))

    assert not found[weekly.pk].eligible and found[weekly.pk].reason == "Off today."


def test_a_job_needing_no_skill_can_go_to_everyone_working(workshop):
    mechanic = workshop.technician_with({"机修": 3})
    away = workshop.technician_with({"机修": 3})
    off_on(workshop, workshop.tomorrow, away.user)
    _order, (job,) = workshop.order_with({"hours": "1", "skill": ""})

    found = by_employee(job_suggestions(line=job, now=morning(workshop)))

    assert found[mechanic.pk].eligible
    assert found[workshop.technician.employee.pk].eligible  # the shop's technician has no skill at all
    assert not found[away.pk].eligible
    assert "level" not in found[mechanic.pk].reason


# -- ranking and reasons ------------------------------------------------------------------------------------------------


def test_a_lighter_load_ranks_higher_and_the_reason_gives_skill_free_hours_and_load(workshop):
    busy = workshop.technician_with({"机修": 3}, name="忙师傅")
    free = workshop.technician_with({"机修": 3}, name="闲师傅")
    other, (long_job,) = workshop.order_with({"hours": "4", "skill": "机修"}, plate="京B00001")
    orders.order_dispatch(
        actor=workshop.dispatcher, order=other, assignments=[{"line": long_job.pk, "technician": busy.user_id}]
    )
    _order, (job,) = workshop.order_with({"hours": "2", "skill": "机修", "min_level": 2})

    found = job_suggestions(line=job, now=morning(workshop))
    eligible = [s for s in found if s.eligible]

    assert [s.entry.employee for s in eligible] == [free, busy]
    assert eligible[0].score > eligible[1].score
    assert eligible[0].reason == "机修 level 3, free 9 h today, load 0 h"
    assert eligible[1].reason == "机修 level 3, free 5 h today, load 4 h"
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)


def test_the_one_who_finished_a_job_on_this_vehicle_before_is_told_and_ranked_up(workshop):
    familiar = workshop.technician  # the walker's technician finishes both jobs of the earlier order
    TechnicianSkill.objects.create(employee=familiar.employee, skill="机修", level=3)
    stranger = workshop.technician_with({"机修": 3})
    earlier = workshop.walk(S.QUALITY_CHECK)
    _order, (job,) = workshop.order_with({"hours": "1", "skill": "机修"})
    assert job.order.asset_id == earlier.order.asset_id

    found = by_employee(job_suggestions(line=job, now=morning(workshop)))

    assert "has worked on this vehicle before" in found[familiar.employee.pk].reason
    assert "has worked on this vehicle before" not in found[stranger.pk].reason
    assert found[familiar.employee.pk].score == found[stranger.pk].score + 10


def test_a_shift_with_too_little_left_says_only_so_many_hours_free(workshop):
    short = workshop.technician_with({"电工": 3})
    setup.technician_shift_set(
        actor=workshop.workshop_manager, employee=short, start=datetime.time(8, 30), end=datetime.time(10, 0)
    )
    _order, (job,) = workshop.order_with({"hours": "3", "skill": "电工"})

    found = by_employee(job_suggestions(line=job, now=morning(workshop)))

    assert found[short.pk].eligible
    assert "only 1.5 h free today" in found[short.pk].reason


# -- eligibility through the day plan ------------------------------------------------------------------------------------


def test_the_plan_gives_a_level_three_job_to_the_level_three_technician_never_the_level_two(workshop):
    junior = workshop.technician_with({"机修": 2})
    senior = workshop.technician_with({"机修": 3})
    _o1, (first,) = workshop.order_with({"hours": "2", "skill": "机修", "min_level": 3})
    _o2, (second,) = workshop.order_with({"hours": "2", "skill": "机修", "min_level": 3}, plate="京B00002")

    proposed = plan(workshop)

    assert planned(proposed) == {first.pk: senior.pk, second.pk: senior.pk}
    assert junior.pk not in planned(proposed).values()


def test_only_a_lower_level_holder_leaves_the_job_unassigned_as_level_too_low(workshop):
    workshop.technician_with({"机修": 2})
    _order, (job,) = workshop.order_with({"hours": "1", "skill": "机修", "min_level": 3})

    assert unassigned(plan(workshop)) == {job.pk: "level_too_low"}


def test_nobody_with_the_skill_leaves_the_job_unassigned_as_no_skill(workshop):
    workshop.technician_with({"机修": 5})
    _order, (job,) = workshop.order_with({"hours": "1", "skill": "钣金"})

    assert unassigned(plan(workshop)) == {job.pk: "no_skill"}


def test_a_technician_with_a_day_off_is_not_planned(workshop):
    away = workshop.technician_with({"电工": 4})
    there = workshop.technician_with({"电工": 3})
    off_on(workshop, workshop.tomorrow, away.user)
    _order, (job,) = workshop.order_with({"hours": "1", "skill": "电工", "min_level": 3})

    assert planned(plan(workshop)) == {job.pk: there.pk}


def test_a_technician_on_their_weekly_day_off_is_not_planned(workshop):
    weekly = workshop.technician_with({"保养": 4})
    setup.technician_shift_set(
        actor=workshop.workshop_manager,
        employee=weekly,
        start=datetime.time(8, 30),
        end=datetime.time(17, 30),
        weekly_off=[workshop.tomorrow.weekday()],
    )
    _order, (job,) = workshop.order_with({"hours": "1", "skill": "保养"})

    assert unassigned(plan(workshop)) == {job.pk: "not_working"}


def test_a_shift_too_short_for_the_job_does_not_get_it(workshop):
    short = workshop.technician_with({"电工": 5})
    setup.technician_shift_set(
        actor=workshop.workshop_manager, employee=short, start=datetime.time(8, 30), end=datetime.time(10, 30)
    )
    long = workshop.technician_with({"电工": 3})
    _order, (job,) = workshop.order_with({"hours": "3", "skill": "电工", "min_level": 3})

    assert planned(plan(workshop)) == {job.pk: long.pk}


def test_a_job_with_only_a_short_shift_to_do_it_has_no_time(workshop):
    short = workshop.technician_with({"电工": 5})
    setup.technician_shift_set(
        actor=workshop.workshop_manager, employee=short, start=datetime.time(8, 30), end=datetime.time(10, 30)
    )
    _order, (job,) = workshop.order_with({"hours": "3", "skill": "电工"})

    assert unassigned(plan(workshop)) == {job.pk: "no_time"}


def test_a_job_needing_no_skill_goes_to_whoever_works_even_without_skills(workshop):
    off_on(workshop, workshop.tomorrow, workshop.admin, workshop.manager)
    _order, (job,) = workshop.order_with({"hours": "1", "skill": ""})

    assert planned(plan(workshop)) == {job.pk: workshop.technician.employee.pk}


def test_a_job_needing_no_skill_when_nobody_works_is_not_working(workshop):
    off_on(workshop, workshop.tomorrow, workshop.admin, workshop.manager, workshop.technician)
    _order, (job,) = workshop.order_with({"hours": "1", "skill": ""})

    assert unassigned(plan(workshop)) == {job.pk: "not_working"}
