"""The day plan through the services: a busy day planned without breaking a rule, kept assignments left alone,
jobs that can't be planned and why, and applying a plan all or nothing.

Plans are made for tomorrow so that the time of day the suite runs at does not matter.
"""

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from aftersales.service.choices import JobStatus, LineKind
from aftersales.service.services import jobs, lines
from aftersales.service.tests.conftest import S
from aftersales.workshop import planner
from aftersales.workshop.models import JobSlot, TechnicianSkill
from aftersales.workshop.services import dispatch
from aftersales.workshop.tests.conftest import apply_rows, lunch_break, off_on

pytestmark = pytest.mark.django_db


def plan(workshop, **kwargs):
    return dispatch.dispatch_plan(actor=workshop.dispatcher, branch=workshop.branch, day=workshop.tomorrow, **kwargs)


def apply(workshop, rows):
    return dispatch.dispatch_apply(actor=workshop.dispatcher, assignments=rows)


def overlap(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def clashes(rows, key) -> list:
    """Pairs of rows sharing `key(row)` (not None) whose times overlap."""
    found = []
    for first, second in itertools.combinations(rows, 2):
        if key(first) is not None and key(first) == key(second):
            if overlap((first["start"], first["end"]), (second["start"], second["end"])):
                found.append((first["line"], second["line"]))
    return found


# -- a busy day ------------------------------------------------------------------------------------------------------------

BUSY_DAY = [
    (
        {"hours": "2", "skill": "机修", "min_level": 3, "bay_kind": "举升"},
        {"hours": "1", "skill": "电工", "min_level": 2},
    ),
    (
        {"hours": "3", "skill": "钣金", "min_level": 3, "bay_kind": "钣金"},
        {"hours": "2", "skill": "喷漆", "min_level": 3, "bay_kind": "喷漆"},
    ),
    (
        {"hours": "1", "skill": "保养", "bay_kind": "快修"},
        {"hours": "1.5", "skill": "机修", "min_level": 2, "bay_kind": "举升"},
        {"hours": "0.5", "skill": ""},
    ),
    (
        {"hours": "2", "skill": "电工", "min_level": 4},
        {"hours": "1", "skill": "机修", "min_level": 4, "bay_kind": "举升"},
    ),
    (
        {"hours": "2", "skill": "钣金", "min_level": 4, "bay_kind": "钣金"},
        {"hours": "1", "skill": "喷漆", "min_level": 2, "bay_kind": "喷漆"},
        {"hours": "1", "skill": "机修"},
    ),
    (
        {"hours": "1", "skill": "保养", "min_level": 2, "bay_kind": "快修"},
        {"hours": "1.5", "skill": "电工", "min_level": 3},
        {"hours": "2", "skill": "机修", "min_level": 3, "bay_kind": "举升"},
    ),
]


@pytest.fixture
def busy_day(workshop):
    """Four technicians of mixed skills (the shop's skill-less ones are off), four bays, 15 jobs on 6 orders."""
    off_on(workshop, workshop.tomorrow, workshop.admin, workshop.manager, workshop.technician)
    techs = [
        workshop.technician_with({"机修": 4, "电工": 2}),
        workshop.technician_with({"机修": 2, "钣金": 3}),
        workshop.technician_with({"电工": 4, "保养": 3}),
        workshop.technician_with({"喷漆": 3, "钣金": 4, "机修": 3}),
    ]
    bays = [
        workshop.bay("A1", "举升"),
        workshop.bay("A2", "举升", "快修"),
        workshop.bay("B1", "钣金"),
        workshop.bay("P1", "喷漆"),
    ]
    made = []
    for index, order_jobs in enumerate(BUSY_DAY):
        _order, order_lines = workshop.order_with(*order_jobs, plate=f"京C0000{index}")
        made += order_lines
    assert len(made) == 15
    return techs, bays, made


def test_a_busy_day_plans_every_job_without_breaking_a_rule(workshop, busy_day):
    techs, _bays, made = busy_day

    proposed = plan(workshop)
    day = proposed.day

    assert planner.check_plan(proposed.plan, day.jobs, day.techs, day.bays, day.order_busy) == []
    rows = proposed.assignments()
    assert sorted(r["line"] for r in rows) == sorted(line.pk for line in made)
    assert proposed.unassigned() == []
    levels = {(s.employee_id, s.skill): s.level for s in TechnicianSkill.objects.all()}
    for row in rows:
        line = row["line_record"]
        assert row["technician"] in {t.pk for t in techs}
        if line.skill:
            assert levels.get((row["technician"], line.skill), 0) >= line.min_level, row
        if line.bay_kind:
            assert line.bay_kind in row["bay_record"].kinds, row
        assert (
            workshop.at(workshop.tomorrow, 8, 30) <= row["start"] < row["end"] <= workshop.at(workshop.tomorrow, 17, 30)
        )
        assert row["end"] - row["start"] == datetime.timedelta(hours=float(line.hours))
    assert clashes(rows, lambda r: r["technician"]) == []
    assert clashes(rows, lambda r: r["bay"]) == []
    assert clashes(rows, lambda r: r["line_record"].order_id) == []


def test_the_whole_busy_day_applies_as_proposed(workshop, busy_day):
    _techs, _bays, made = busy_day
    rows = plan(workshop).assignments()

    slots = apply(workshop, apply_rows(rows))

    assert len(slots) == 15 == JobSlot.objects.count()
    for row in rows:
        slot = JobSlot.objects.get(line_id=row["line"])
        assert (slot.start, slot.end, slot.bay_id) == (row["start"], row["end"], row["bay"])
        assert slot.line.technician == row["employee"].user
    assert set(JobSlot.objects.values_list("line__order__status", flat=True)) == {S.DISPATCHED}
    assert {line.pk for line in made} == set(JobSlot.objects.values_list("line_id", flat=True))


# -- kept assignments -------------------------------------------------------------------------------------------------------


@pytest.fixture
def kept(workshop):
    """Two 机修 technicians, one lift; an order of two lift jobs whose first job is applied; then a second order of
    two lift jobs. Returns (first slot, first order's other job, second order's jobs)."""
    workshop.technician_with({"机修": 3})
    workshop.technician_with({"机修": 3})
    workshop.bay("A1", "举升")
    lift = {"hours": "2", "skill": "机修", "bay_kind": "举升"}
    _first, (applied, sibling) = workshop.order_with(lift, lift)
    row = next(r for r in plan(workshop).assignments() if r["line"] == applied.pk)
    (slot,) = apply(workshop, apply_rows([row]))
    slot = JobSlot.objects.select_related("line__technician__employee").get(pk=slot.pk)
    _second, later = workshop.order_with(lift, lift, plate="京D00001")
    return slot, sibling, later


def test_a_kept_assignment_is_not_proposed_again_and_nothing_overlaps_it(workshop, kept):
    slot, sibling, later = kept

    proposed = plan(workshop)
    rows = proposed.assignments()

    assert slot.line_id not in {r["line"] for r in rows} | {r["line"] for r in proposed.unassigned()}
    assert {r["line"] for r in rows} == {sibling.pk, *(line.pk for line in later)}
    kept_span = (slot.start, slot.end)
    tech = slot.line.technician.employee.pk
    for row in rows:
        span = (row["start"], row["end"])
        assert not (row["technician"] == tech and overlap(span, kept_span)), row
        assert not (row["bay"] == slot.bay_id and overlap(span, kept_span)), row
        assert not (row["line"] == sibling.pk and overlap(span, kept_span)), row
    day = proposed.day
    assert planner.check_plan(proposed.plan, day.jobs, day.techs, day.bays, day.order_busy) == []


def test_replanning_proposes_the_assigned_jobs_not_yet_started_again(workshop, kept):
    slot, sibling, later = kept

    rows = plan(workshop, replan=True).assignments()

    assert {r["line"] for r in rows} == {slot.line_id, sibling.pk, *(line.pk for line in later)}


def test_a_started_job_is_never_proposed_again(workshop, kept):
    slot, _sibling, _later = kept
    line = slot.line
    jobs.job_act(actor=line.technician, line=line, action="start")

    for replan in (False, True):
        proposed = plan(workshop, replan=replan)
        assert line.pk not in {r["line"] for r in proposed.assignments()}
        assert line.pk not in {r["line"] for r in proposed.unassigned()}


# -- jobs that can't be planned -----------------------------------------------------------------------------------------------


def test_each_job_that_cannot_be_planned_says_why_naming_its_skill_level_or_bay_kind(workshop):
    workshop.technician_with({"钣金": 3, "机修": 4})
    away = workshop.technician_with({"电工": 4})
    off_on(workshop, workshop.tomorrow, away.user)
    workshop.bay("A1", "举升")
    _order, made = workshop.order_with(
        {"hours": "1", "skill": "喷漆"},
        {"hours": "1", "skill": "钣金", "min_level": 5},
        {"hours": "1", "skill": "电工"},
        {"hours": "1", "skill": "机修", "bay_kind": "四轮定位"},
        {"hours": "10", "skill": "机修", "bay_kind": "举升"},
    )
    no_skill, too_low, off, no_bay, too_long = made

    with translation.override("en"):
        found = {row["line"]: (row["code"], row["reason"]) for row in plan(workshop).unassigned()}

    assert found == {
        no_skill.pk: ("no_skill", "Nobody here has the skill 喷漆."),
        too_low.pk: ("level_too_low", "Nobody here has 钣金 at level 5 or above."),
        off.pk: ("not_working", "Everyone who could do it is off that day."),
        no_bay.pk: ("no_bay", "No bay here allows 四轮定位 work."),
        too_long.pk: ("no_time", "Not enough working time left that day for it."),
    }


def test_a_past_day_cannot_be_planned(workshop):
    yesterday = workshop.tomorrow - datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as caught:
        dispatch.dispatch_plan(actor=workshop.dispatcher, branch=workshop.branch, day=yesterday)
    assert "date" in caught.value.message_dict


# -- applying ------------------------------------------------------------------------------------------------------------------


@pytest.fixture
def floor(workshop):
    """A branch with a 12:00–13:00 break; 王 (机修 3), 赵 (机修 3), 李 (机修 1); lifts A1, A2 and a body bay B1; order
    one has jobs a (2 h) and b (1 h), order two has job c (1 h), all 机修 level 2 on a lift."""
    lunch_break(workshop)
    people = {
        "wang": workshop.technician_with({"机修": 3}, name="王师傅"),
        "zhao": workshop.technician_with({"机修": 3}, name="赵师傅"),
        "li": workshop.technician_with({"机修": 1}, name="李师傅"),
    }
    bays = {"A1": workshop.bay("A1", "举升"), "A2": workshop.bay("A2", "举升"), "B1": workshop.bay("B1", "钣金")}
    job = {"skill": "机修", "min_level": 2, "bay_kind": "举升"}
    one, (a, b) = workshop.order_with({**job, "hours": "2", "name": "甲"}, {**job, "hours": "1", "name": "乙"})
    two, (c,) = workshop.order_with({**job, "hours": "1", "name": "丙"}, plate="京E00001")
    return {**people, **bays, "a": a, "b": b, "c": c, "one": one, "two": two}


def row(workshop, floor, line, who, bay, hour, minute=0):
    return {
        "line": floor[line].pk if isinstance(line, str) else line.pk,
        "technician": floor[who].pk,
        "bay": floor[bay].pk if bay else None,
        "start": workshop.at(workshop.tomorrow, hour, minute),
    }


def test_applying_assigns_the_job_dispatches_the_order_and_records_the_slot_over_the_break(workshop, floor):
    (slot,) = apply(workshop, [row(workshop, floor, "a", "wang", "A1", 11)])

    a = floor["a"]
    a.refresh_from_db()
    floor["one"].refresh_from_db()
    assert (a.technician, a.job_status) == (floor["wang"].user, JobStatus.ASSIGNED)
    assert floor["one"].status == S.DISPATCHED
    assert (slot.bay, slot.planned_by) == (floor["A1"], workshop.dispatcher)
    assert slot.start == workshop.at(workshop.tomorrow, 11)
    assert slot.end == workshop.at(workshop.tomorrow, 14)  # 2 h from 11:00 over the 12:00–13:00 break


def test_a_three_hour_job_from_eleven_over_the_lunch_break_ends_at_three(workshop, floor):
    _order, (long,) = workshop.order_with({"hours": "3", "skill": "机修", "bay_kind": "举升"}, plate="京E00002")
    start = workshop.at(workshop.tomorrow, 11)
    (slot,) = apply(
        workshop, [{"line": long.pk, "technician": floor["zhao"].pk, "bay": floor["A2"].pk, "start": start}]
    )

    assert JobSlot.objects.get(line=long) == slot
    assert slot.end == workshop.at(workshop.tomorrow, 15)


def test_the_proposed_plan_also_steps_over_the_break(workshop, floor):
    off_on(workshop, workshop.tomorrow, floor["zhao"].user, floor["li"].user)
    _order, (long,) = workshop.order_with({"hours": "5", "skill": "机修", "min_level": 3}, plate="京E00003")

    rows = {r["line"]: r for r in plan(workshop).assignments()}

    assert (rows[long.pk]["start"], rows[long.pk]["end"]) == (
        workshop.at(workshop.tomorrow, 8, 30),
        workshop.at(workshop.tomorrow, 14, 30),
    )


BAD_SECOND_ROWS = {
    "ineligible technician": (("c", "li", "A2", 13), "technician"),
    "a technician of another branch": (None, "technician"),
    "a bay of the wrong kind": (("c", "wang", "B1", 13), "bay"),
    "no bay for a lift job": (("c", "wang", None, 13), "bay"),
    "the technician busy in an earlier row": (("c", "wang", "A2", 9), "start"),
    "the bay busy in an earlier row": (("c", "zhao", "A1", 9), "bay"),
    "the car busy in an earlier row": (("b", "zhao", "A2", 9), "start"),
    "before the shift": (("c", "zhao", "A2", 7), "start"),
    "past the end of the shift": (("c", "zhao", "A2", 17), "start"),
    "starting inside the break": (("c", "zhao", "A2", 12, 30), "start"),
    "the same job twice": (("a", "zhao", "A2", 13), "line"),
}


@pytest.mark.parametrize("case", list(BAD_SECOND_ROWS))
def test_one_bad_row_refuses_the_whole_plan_naming_the_row_and_field(workshop, floor, case, other_branch):
    second, field = BAD_SECOND_ROWS[case]
    if second is None:
        from aftersales.core.testing import make_person

        stranger = make_person(role="technician", branch=other_branch)
        TechnicianSkill.objects.create(employee=stranger.employee, skill="机修", level=5)
        bad = {**row(workshop, floor, "c", "zhao", "A2", 13), "technician": stranger.employee.pk}
    else:
        bad = row(workshop, floor, *second)
    good = row(workshop, floor, "a", "wang", "A1", 8, 30)

    with pytest.raises(ValidationError) as caught:
        apply(workshop, [good, bad])

    assert list(caught.value.message_dict) == [f"assignments.1.{field}"]
    assert_nothing_applied(floor)


def assert_nothing_applied(floor):
    assert not JobSlot.objects.exists()
    for name in ("a", "b", "c"):
        floor[name].refresh_from_db()
        assert (floor[name].technician, floor[name].job_status) == (None, JobStatus.UNASSIGNED)
    for name in ("one", "two"):
        floor[name].refresh_from_db()
        assert floor[name].status == S.APPROVED


def test_a_job_awaiting_consent_refuses_the_plan(workshop, floor):
    pending = lines.line_add(
        actor=workshop.advisor,
        order=floor["two"],
        kind=LineKind.LABOUR,
        name="增项",
        hours="1",
        rate="100",
        skill="机修",
    )
    assert pending.consent == "pending"

    with pytest.raises(ValidationError) as caught:
        apply(
            workshop, [row(workshop, floor, "a", "wang", "A1", 8, 30), row(workshop, floor, pending, "zhao", None, 9)]
        )

    assert list(caught.value.message_dict) == ["assignments.1.line"]
    assert_nothing_applied(floor)


def test_another_branchs_job_refuses_the_plan(workshop, floor, foreign_order):
    _order, stranger = foreign_order

    with pytest.raises(ValidationError) as caught:
        apply(
            workshop, [row(workshop, floor, "a", "wang", "A1", 8, 30), row(workshop, floor, stranger, "zhao", None, 9)]
        )

    assert list(caught.value.message_dict) == ["assignments.1.line"]
    assert_nothing_applied(floor)
    stranger.refresh_from_db()
    assert stranger.technician is None


@pytest.mark.parametrize(
    ("second", "field"),
    [
        (("b", "wang", "A2", 9), "start"),  # 王 is busy with the kept job
        (("b", "zhao", "A1", 9), "bay"),  # A1 is taken by it
        (("b", "zhao", "A2", 9), "start"),  # the car is on A1 for it (same order)
    ],
)
def test_a_row_overlapping_a_kept_slot_refuses_the_new_plan(workshop, floor, second, field):
    apply(workshop, [row(workshop, floor, "a", "wang", "A1", 8, 30)])  # 王 08:30–10:30 on A1, kept

    with pytest.raises(ValidationError) as caught:
        apply(workshop, [row(workshop, floor, "c", "zhao", "A2", 13), row(workshop, floor, *second)])

    assert list(caught.value.message_dict) == [f"assignments.1.{field}"]
    for name in ("b", "c"):
        floor[name].refresh_from_db()
        assert (floor[name].technician, floor[name].job_status) == (None, JobStatus.UNASSIGNED)
    assert list(JobSlot.objects.values_list("line_id", flat=True)) == [floor["a"].pk]
    floor["two"].refresh_from_db()
    assert floor["two"].status == S.APPROVED


def test_an_error_names_the_technician_and_the_hours_in_english(workshop, floor):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        apply(workshop, [row(workshop, floor, "c", "li", "A1", 9)])
    assert caught.value.message_dict == {"assignments.0.technician": ["李师傅 does not have 机修 at level 2."]}

    with translation.override("en"), pytest.raises(ValidationError) as caught:
        apply(workshop, [row(workshop, floor, "a", "wang", "A1", 16)])
    assert caught.value.message_dict == {
        "assignments.0.start": ["王师傅 works 08:30–17:30: the job (16:00–18:00) doesn't fit."]
    }


def test_reapplying_an_assigned_job_moves_its_slot(workshop, floor):
    apply(workshop, [row(workshop, floor, "a", "wang", "A1", 8, 30)])

    apply(workshop, [row(workshop, floor, "a", "zhao", "A2", 14)])

    slot = JobSlot.objects.get(line=floor["a"])
    assert (slot.bay, slot.start, slot.end) == (
        floor["A2"],
        workshop.at(workshop.tomorrow, 14),
        workshop.at(workshop.tomorrow, 16),
    )
    floor["a"].refresh_from_db()
    assert floor["a"].technician == floor["zhao"].user


def test_the_slots_apply_returns_carry_the_assigned_job(workshop, floor):
    (slot,) = apply(workshop, [row(workshop, floor, "a", "wang", "A1", 8, 30)])

    assert (slot.line.technician_id, slot.line.job_status) == (floor["wang"].user_id, JobStatus.ASSIGNED)
