"""The day planner (pure Python): eligibility, reasons, the rules every plan keeps, and the plan's quality."""

import random

import pytest

from aftersales.workshop.planner import (
    Assignment,
    Bay,
    Job,
    Plan,
    Tech,
    check_plan,
    eligible,
    finish_time,
    ineligibility,
    late_orders,
    lower_bound,
    makespan,
    plan_day,
)
from aftersales.workshop.planner.backward import _left_justified, _mirror, _unmirror
from aftersales.workshop.planner.scheduler import _Day, _schedule

H = 60
DAY = (8 * H + 30, 17 * H + 30)
LUNCH = (12 * H, 13 * H)


def tech(id, skills=None, shift=DAY, **kwargs):
    return Tech(id=id, skills={"机修": 2} if skills is None else skills, shift=shift, **kwargs)


def job(id, minutes=60, skill="机修", min_level=1, order=None, **kwargs):
    return Job(id=id, order=id if order is None else order, skill=skill, min_level=min_level, minutes=minutes, **kwargs)


def planned(plan):
    return {a.job: a for a in plan.assignments}


# -- eligibility and reasons -----------------------------------------------------------------------------------------


def test_a_technician_is_eligible_with_the_skill_at_the_minimum_level_or_above():
    work = job(1, skill="电工", min_level=3)

    assert eligible(work, tech(1, {"电工": 3}))
    assert eligible(work, tech(2, {"电工": 5}))
    assert not eligible(work, tech(3, {"电工": 2}))
    assert not eligible(work, tech(4, {"机修": 5}))


def test_a_technician_off_today_is_never_eligible():
    assert not eligible(job(1), tech(1, {"机修": 5}, shift=None))
    assert not eligible(job(1, skill=""), tech(1, {"机修": 5}, shift=None))


def test_a_job_needing_no_skill_is_open_to_every_working_technician():
    assert eligible(job(1, skill=""), tech(1, {}))
    assert eligible(job(1, skill=""), tech(2, {"喷漆": 1}))


@pytest.mark.parametrize(
    ("techs", "bays", "reason"),
    [
        ([tech(1, {"电工": 5})], [], "no_skill"),
        ([tech(1, {"机修": 2}), tech(2, {"机修": 3}, shift=None)], [], "level_too_low"),
        ([tech(1, {"机修": 1}), tech(2, {"机修": 4}, shift=None)], [], "not_working"),
        ([tech(1, {"机修": 4})], [Bay(1, frozenset({"钣金"}))], "no_bay"),
        ([tech(1, {"机修": 4})], [Bay(1, frozenset({"钣金", "举升"}))], None),
    ],
)
def test_ineligibility_names_why_nobody_can_do_the_job(techs, bays, reason):
    work = job(1, min_level=4, bay_kind="举升")

    assert ineligibility(work, techs, bays) == reason
    plan = plan_day([work], techs, bays)
    assert plan.unassigned == ([] if reason is None else [(1, reason)])


def test_reasons_are_checked_in_order_skill_level_working_bay():
    nobody_at_level_and_no_bay = job(1, min_level=5, bay_kind="喷漆")

    assert ineligibility(nobody_at_level_and_no_bay, [tech(1, {"机修": 2}, shift=None)], []) == "level_too_low"
    assert ineligibility(job(2, skill="", bay_kind="喷漆"), [tech(1, shift=None)], []) == "not_working"
    assert ineligibility(job(3, skill="", bay_kind="喷漆"), [tech(1)], []) == "no_bay"


def test_a_job_nobody_has_room_for_is_no_time():
    techs = [tech(1, shift=(8 * H, 9 * H))]

    plan = plan_day([job(1, minutes=45), job(2, minutes=45)], techs, [])

    assert len(plan.assignments) == 1
    assert len(plan.unassigned) == 1 and plan.unassigned[0][1] == "no_time"


def test_a_job_longer_than_the_bay_time_left_is_no_time():
    bays = [Bay(1, frozenset({"举升"}), busy=[(9 * H, 18 * H)])]

    plan = plan_day([job(1, minutes=90, bay_kind="举升")], [tech(1, shift=(8 * H, 17 * H))], bays)

    assert plan.unassigned == [(1, "no_time")]


# -- time ------------------------------------------------------------------------------------------------------------


def test_a_job_pauses_over_the_break_it_spans():
    # a 3 h job from 11:00 with a 12:00–13:00 break ends at 15:00
    plan = plan_day([job(1, minutes=3 * H)], [tech(1, breaks=[LUNCH])], [], not_before=11 * H)

    assert planned(plan)[1] == Assignment(job=1, tech=1, bay=None, start=11 * H, end=15 * H)
    assert finish_time(11 * H, 60, [LUNCH]) == 12 * H  # work ending as the break begins ends then


def test_a_job_never_starts_inside_a_break():
    plan = plan_day([job(1, minutes=30)], [tech(1, breaks=[LUNCH])], [], not_before=12 * H + 15)

    assert planned(plan)[1].start == 13 * H


def test_a_job_never_ends_past_the_shift():
    techs = [tech(1, shift=(8 * H, 10 * H), breaks=[(9 * H, 9 * H + 30)])]

    fits = plan_day([job(1, minutes=90)], techs, [])
    too_long = plan_day([job(1, minutes=91)], techs, [])

    assert planned(fits)[1].end == 10 * H
    assert too_long.unassigned == [(1, "no_time")]


def test_nothing_starts_before_not_before_nor_the_shift():
    plan = plan_day(
        [job(1), job(2)], [tech(1, shift=(8 * H, 17 * H)), tech(2, shift=(10 * H, 17 * H))], [], not_before=9 * H
    )

    # the second job ends at 11:00 on either: technician 2, less loaded, takes it
    assert sorted((a.tech, a.start) for a in plan.assignments) == [(1, 9 * H), (2, 10 * H)]


def test_kept_jobs_stay_and_the_gaps_between_them_are_used():
    techs = [tech(1, busy=[(8 * H + 30, 10 * H), (11 * H, 17 * H + 30)])]

    plan = plan_day([job(1, minutes=60), job(2, minutes=30)], techs, [])

    assert planned(plan)[1] == Assignment(job=1, tech=1, bay=None, start=10 * H, end=11 * H)
    assert plan.unassigned == [(2, "no_time")]


def test_a_bay_stays_occupied_over_the_break():
    techs = [tech(1, breaks=[LUNCH]), tech(2, breaks=[LUNCH])]
    lift = [Bay(7, frozenset({"举升"}))]

    plan = plan_day(
        [job(1, minutes=120, bay_kind="举升"), job(2, minutes=120, bay_kind="举升")], techs, lift, not_before=11 * H
    )

    first, second = sorted(plan.assignments, key=lambda a: a.start)
    assert (first.start, first.end, first.bay) == (11 * H, 14 * H, 7)
    assert second.start == 14 * H and second.bay == 7
    assert (
        check_plan(plan, [job(1, minutes=120, bay_kind="举升"), job(2, minutes=120, bay_kind="举升")], techs, lift)
        == []
    )


def test_jobs_of_one_car_never_overlap_nor_its_kept_work():
    jobs = [job(1, minutes=60, order=5), job(2, minutes=60, order=5), job(3, minutes=60, order=6)]
    techs = [tech(1), tech(2), tech(3)]
    order_busy = {5: [(8 * H + 30, 9 * H + 30)]}

    plan = plan_day(jobs, techs, [], order_busy=order_busy)

    spans = sorted((a.start, a.end) for a in plan.assignments if a.job in (1, 2))
    assert spans == [(9 * H + 30, 10 * H + 30), (10 * H + 30, 11 * H + 30)]
    assert planned(plan)[3].start == 8 * H + 30
    assert check_plan(plan, jobs, techs, [], order_busy) == []


# -- choices ---------------------------------------------------------------------------------------------------------


def test_among_equal_finishes_the_lowest_sufficient_level_gets_the_job():
    techs = [tech(1, {"机修": 5}), tech(2, {"机修": 2}), tech(3, {"机修": 3})]

    plan = plan_day([job(1, min_level=2)], techs, [])

    assert planned(plan)[1].tech == 2


def test_among_equal_finishes_and_levels_the_lower_load_gets_the_job():
    techs = [tech(1, load=120), tech(2, load=30), tech(3, load=60)]

    plan = plan_day([job(1)], techs, [])

    assert planned(plan)[1].tech == 2


def test_a_tight_promise_is_planned_first_so_its_order_is_on_time():
    techs = [tech(1, shift=(8 * H, 17 * H))]
    long_job = job(1, minutes=4 * H)  # longest first would take 08:00–12:00
    tight = job(2, minutes=30, due=8 * H + 45)

    plan = plan_day([long_job, tight], techs, [])

    assert planned(plan)[2].start == 8 * H
    assert planned(plan)[1].start == 8 * H + 30
    assert late_orders(plan, [long_job, tight]) == []


def test_the_plan_finishes_as_early_as_the_work_allows():
    # 4 h, 3 h, 3 h, 2 h over two people: 6 h each is the best
    jobs = [job(1, 4 * H), job(2, 3 * H), job(3, 3 * H), job(4, 2 * H)]
    techs = [tech(1, shift=(0, 12 * H)), tech(2, shift=(0, 12 * H))]

    plan = plan_day(jobs, techs, [])

    assert makespan(plan) == 6 * H
    assert lower_bound(jobs, techs) == 6 * H


def test_the_same_input_gives_the_same_plan_whatever_the_order_of_the_lists():
    jobs, techs, bays, order_busy = random_day(random.Random(7), 40, 8)

    first = plan_day(jobs, techs, bays, order_busy=order_busy)
    shuffled = random.Random(1)
    again = plan_day(
        shuffled.sample(jobs, len(jobs)), shuffled.sample(techs, len(techs)), bays[::-1], order_busy=order_busy
    )

    assert again == first


# -- the bound and the checker ---------------------------------------------------------------------------------------


def test_lower_bound_is_the_longest_job_or_each_skills_work_over_its_eligible_people():
    techs = [
        tech(1, {"机修": 3, "电工": 1}),
        tech(2, {"机修": 1}),
        tech(3, {"电工": 4}),
        tech(4, {"电工": 5}, shift=None),  # off: not counted
    ]
    jobs = [
        job(1, 100, "机修", 1),
        job(2, 200, "机修", 3),  # 机修: 300 minutes over techs 1 and 2 (tech 2 can do job 1) = 150
        job(3, 50, "电工", 2),
        job(4, 301, "电工", 4),  # 电工: 351 minutes over tech 3 only (tech 1's level 1 is too low) = 351
        job(5, 400, "喷漆"),  # nobody can: not counted
    ]

    assert lower_bound(jobs, techs) == 351
    assert lower_bound(jobs, techs, not_before=8 * H) == 8 * H + 351
    assert lower_bound([job(1, 500, "机修"), job(2, 10, "电工")], techs) == 500  # the longest job
    assert lower_bound([job(1, 50, "机修"), job(2, 40, "机修"), job(3, 13, "机修")], techs) == 52  # 103 / 2 up
    assert lower_bound([], techs, not_before=30) == 30


def test_makespan_is_the_last_end_or_not_before():
    plan = Plan(assignments=[Assignment(1, 1, None, 500, 560), Assignment(2, 1, None, 560, 700)], unassigned=[])

    assert makespan(plan) == 700
    assert makespan(Plan([], []), not_before=480) == 480


def test_check_plan_finds_every_broken_rule():
    techs = [tech(1, {"机修": 2}, breaks=[LUNCH], busy=[(9 * H, 10 * H)]), tech(2, {"电工": 3})]
    bays = [Bay(1, frozenset({"举升"}), busy=[(14 * H, 15 * H)]), Bay(2, frozenset({"钣金"}))]
    jobs = [
        job(1, 60, order=1),
        job(2, 60, order=1),
        job(3, 60, bay_kind="举升", order=3),
        job(4, 60, order=4),
        job(5, 60, order=5),
        job(6, 60, order=6),
        job(7, 60, order=7),
    ]
    plan = Plan(
        assignments=[
            Assignment(1, 1, None, 9 * H + 30, 10 * H + 30),  # over tech 1's kept job
            Assignment(2, 2, None, 10 * H, 11 * H),  # ineligible; overlaps job 1 (same order)
            Assignment(3, 1, 2, 14 * H, 15 * H),  # wrong bay kind
            Assignment(4, 1, None, 12 * H + 30, 13 * H + 30),  # starts in the break
            Assignment(5, 1, None, 11 * H + 30, 12 * H + 30),  # must end 13:30 (spans the break)
            Assignment(6, 1, None, 17 * H, 18 * H),  # past the shift
            Assignment(6, 1, None, 16 * H, 17 * H),  # twice
        ],
        unassigned=[],  # job 7 missing
    )

    problems = "\n".join(check_plan(plan, jobs, techs, bays))

    for expected in [
        "technician 1: busy [540, 600) overlaps job 1",
        "job 2: technician 2 is not eligible",
        "order 1: job 1 [570, 630) overlaps job 2",
        "job 3: bay 2 does not allow 举升",
        "job 4: starts in a break",
        "job 5: ends at 750",
        "job 6: [1020, 1080) outside the shift",
        "job 6: in the plan 2 times",
        "job 7: missing from the plan",
    ]:
        assert expected in problems
    assert len(check_plan(plan, jobs, techs, bays)) == 9  # nothing else: touching intervals do not overlap


def test_check_plan_sees_a_bay_used_twice_at_once():
    techs = [tech(1), tech(2)]
    bays = [Bay(1, frozenset({"举升"}))]
    jobs = [job(1, bay_kind="举升"), job(2, bay_kind="举升")]
    plan = Plan([Assignment(1, 1, 1, 9 * H, 10 * H), Assignment(2, 2, 1, 9 * H + 30, 10 * H + 30)], [])

    assert check_plan(plan, jobs, techs, bays) == ["bay 1: job 1 [540, 600) overlaps job 2 [570, 630)"]


# -- random days: every rule kept ------------------------------------------------------------------------------------

SKILLS = ("机修", "电工", "钣金", "喷漆", "保养", "", "检测")
KINDS = ("", "", "举升", "钣金", "喷漆")


def random_day(rng, job_count, tech_count):
    """A day with kept jobs, breaks, days off, bays with kept cars and orders of 1–3 jobs, some with kept work."""
    techs = []
    for i in range(tech_count):
        start = rng.choice((8 * H, 8 * H + 30, 9 * H))
        shift = None if rng.random() < 0.1 else (start, start + 9 * H)
        breaks = [LUNCH] if shift and rng.random() < 0.8 else []
        busy = []
        if shift and rng.random() < 0.4:
            kept = rng.randrange(shift[0], shift[1] - 60)
            busy.append((kept, kept + rng.randrange(15, 180)))
        skills = {rng.choice(SKILLS[:5]): rng.randint(1, 5) for _ in range(rng.randint(1, 3))}
        techs.append(Tech(id=100 + i, skills=skills, shift=shift, breaks=breaks, busy=busy, load=rng.randrange(0, 120)))
    bays = []
    for i in range(max(1, tech_count // 3)):
        kinds = frozenset(rng.sample(KINDS[2:], rng.randint(1, 2)))
        busy = [(10 * H, 11 * H)] if rng.random() < 0.3 else []
        bays.append(Bay(id=i + 1, kinds=kinds, busy=busy))
    jobs, order = [], 0
    while len(jobs) < job_count:
        order += 1
        due = rng.choice((None, rng.randrange(9 * H, 20 * H)))
        for _ in range(rng.randint(1, 3)):
            jobs.append(
                Job(
                    id=len(jobs) + 1,
                    order=order,
                    skill=rng.choice(SKILLS),
                    min_level=rng.choice((1, 1, 2, 3, 4)),
                    minutes=rng.randrange(10, 240),
                    bay_kind=rng.choice(KINDS),
                    due=due,
                )
            )
    order_busy = {o: [(9 * H, 9 * H + 45)] for o in range(1, order + 1, 5)}
    return jobs, techs, bays, order_busy


@pytest.mark.parametrize(("job_count", "tech_count"), [(1, 1), (5, 2), (12, 3), (30, 8), (60, 10), (120, 25)])
@pytest.mark.parametrize("seed", range(4))
def test_plans_of_random_days_break_no_rule(job_count, tech_count, seed):
    rng = random.Random(seed * 1000 + job_count)
    jobs, techs, bays, order_busy = random_day(rng, job_count, tech_count)
    not_before = rng.choice((0, 9 * H, 13 * H + 10))

    plan = plan_day(jobs, techs, bays, not_before=not_before, order_busy=order_busy)

    assert check_plan(plan, jobs, techs, bays, order_busy) == []
    assert all(a.start >= not_before for a in plan.assignments)
    for job_id, reason in plan.unassigned:
        expected = ineligibility(next(j for j in jobs if j.id == job_id), techs, bays)
        assert reason == (expected or "no_time")


# -- forward-backward: the day played backwards ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_a_plan_made_backwards_is_valid_forwards_and_ends_each_order_by_its_deadline(seed):
    rng = random.Random(seed)
    jobs, techs, bays, order_busy = random_day(rng, 40, 10)
    not_before = rng.choice((0, 9 * H))
    day = _Day(jobs, techs, bays, not_before, order_busy)
    mirrored, horizon = _mirror(day)
    deadline = {job.order: job.due if job.due is not None else 18 * H for job in jobs}
    mirrored.release = {job.id: horizon - deadline[job.order] for job in jobs}

    backwards, _load = _schedule(mirrored, sorted(mirrored.jobs, key=lambda j: (-j.minutes, j.id)))
    plan = _unmirror(backwards, horizon)

    assert plan.assignments, "some jobs fit before their deadlines"
    assert check_plan(plan, jobs, techs, bays, order_busy) == []
    order_of = {job.id: job.order for job in jobs}
    assert all(a.end <= deadline[order_of[a.job]] for a in plan.assignments)
    assert all(a.start >= not_before for a in plan.assignments)


@pytest.mark.parametrize("seed", range(6))
def test_left_justifying_a_plan_keeps_it_valid_and_ends_no_job_later(seed):
    rng = random.Random(100 + seed)
    jobs, techs, bays, order_busy = random_day(rng, 40, 10)
    day = _Day(jobs, techs, bays, 0, order_busy)
    mirrored, horizon = _mirror(day)
    right = _unmirror(_schedule(mirrored, sorted(mirrored.jobs, key=lambda j: j.id))[0], horizon)

    left, _load = _left_justified(day, right)

    assert check_plan(left, jobs, techs, bays, order_busy) == []
    before = planned(right)
    assert planned(left).keys() == before.keys()
    for job_id, a in planned(left).items():
        assert (a.tech, a.bay) == (before[job_id].tech, before[job_id].bay)
        assert a.end <= before[job_id].end
    assert sum(a.end for a in left.assignments) < sum(a.end for a in right.assignments)
