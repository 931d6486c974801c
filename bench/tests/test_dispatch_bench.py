"""The dispatch benchmark's code on the small case, so that it cannot rot between benchmark runs (no timing asserted)."""

import json

from aftersales.workshop import planner
from bench import dispatch


def test_a_generated_day_looks_like_a_workshop_day():
    day = dispatch.make_day(100, 25, seed=3)

    working = [tech for tech in day.techs if tech.shift]
    assert len(day.jobs) == 100 and len(day.techs) == 25
    assert all(1 <= len(tech.skills) <= 3 for tech in day.techs)
    assert all(18 <= job.minutes <= 240 and job.minutes % 6 == 0 for job in day.jobs)
    assert 3.5 * 60 <= sum(job.minutes for job in day.jobs) / len(working) <= 5 * 60
    assert {job.skill for job in day.jobs} <= set(dispatch.SKILLS)
    sizes = {}
    for job in day.jobs:
        sizes[job.order] = sizes.get(job.order, 0) + 1
    assert set(sizes.values()) <= {1, 2, 3}
    totals = {}
    for job in day.jobs:
        totals[job.order] = totals.get(job.order, 0) + job.minutes
    assert all(total <= dispatch.ORDER_MAX or sizes[order] == 1 for order, total in totals.items())
    assert all(job.due is None or job.due >= 8 * 60 for job in day.jobs)
    assert all(any(job.bay_kind in bay.kinds for bay in day.bays) for job in day.jobs if job.bay_kind)
    assert dispatch.make_day(100, 25, seed=3) == day  # the same seed, the same day


def test_worked_minutes_leave_out_the_common_break():
    assert dispatch.worked(12 * 60) == 210
    assert dispatch.worked(12 * 60 + 30) == 210
    assert dispatch.worked(15 * 60) == 330
    assert dispatch.clock_of_worked(330) == 15 * 60


def test_the_proven_bound_is_at_least_the_issues_bound_less_the_head_start():
    for seed in (1, 2):
        day = dispatch.make_day(30, 8, seed)
        proven, reason = dispatch.proven_bound(day)
        assert proven >= planner.lower_bound(day.jobs, day.techs) - 30
        assert reason


def test_the_small_case_reports_a_valid_plan_and_its_figures(tmp_path):
    (result,) = dispatch.measure(rounds=2, seed=1, cases=((30, 8),))

    assert result["problems"] == []
    assert (result["jobs"], result["techs"]) == (30, 8)
    assert len(result["seconds"]) == 2 and result["median_ms"] > 0
    assert result["makespan_worked"] >= result["proven_bound_worked"] > 0
    assert result["ratio"] == result["makespan_worked"] / result["lower_bound_worked"]
    assert 0 <= result["on_time"] <= 1 and result["unassigned"] >= 0
    lines = dispatch.table([result])
    assert len(lines) == 2 and lines[1].split()[:2] == ["30", "8"]
    json.dumps(result, ensure_ascii=False)


def test_missed_goals_are_reported():
    (result,) = dispatch.measure(rounds=1, seed=1, cases=((30, 8),))

    assert dispatch.failures_of([result], max_ratio=100) == []
    assert "goal ≤ 0.50" in dispatch.failures_of([result], max_ratio=0.5)[0]
    assert "goal ≤ 0.50" in dispatch.failures_of([result], max_ratio=0.5, bound="proven")[0]
    assert "planned in" in dispatch.failures_of([result], max_ratio=100, max_seconds=0)[0]
    broken = {**result, "problems": ["technician 1: job 1 overlaps job 2"]}
    assert dispatch.failures_of([broken], max_ratio=100) == [
        "30 jobs × 8 technicians: technician 1: job 1 overlaps job 2"
    ]


def test_the_flow_bound_shares_each_jobs_minutes_among_exactly_the_technicians_able_to_do_it():
    both = planner.Tech(id=1, skills={"机修": 3, "保养": 3}, shift=(510, 1050))
    service_only = planner.Tech(id=2, skills={"保养": 3}, shift=(510, 1050))
    jobs = [
        planner.Job(id=1, order=1, skill="机修", min_level=1, minutes=240),
        planner.Job(id=2, order=2, skill="保养", min_level=1, minutes=60),
    ]
    eligible = {job.id: [t for t in (both, service_only) if planner.eligible(job, t)] for job in jobs}

    # 机修 can only go to the first technician: 240 minutes, though the work shared by two would be 150 each
    assert dispatch.flow_bound(jobs, eligible) == 240
    assert planner.lower_bound(jobs, [both, service_only]) == 240
    jobs[1].minutes = 300  # now the service job's 300 minutes spill over: (240 + 300) / 2
    assert dispatch.flow_bound(jobs, eligible) == 270


def test_a_seed_sweep_counts_the_days_within_the_goal_and_names_those_over():
    day = dispatch._plan_once((30, 8, 2))
    assert day["seed"] == 2 and day["problems"] == [] and len(day["seconds"]) == 1
    worse = {**day, "seed": 3, "proven_ratio": 1.25, "on_time": 0.5}

    lines = dispatch.sweep_table([day, worse])

    assert lines[1].split()[:4] == ["30", "8", "2", "1" if day["proven_ratio"] <= 1.10 else "0"]
    assert "1.250 (seed 3)" in lines[1]
    assert any("seed 3, 30 jobs: 1.250, 50% of promises kept" in line for line in lines[2:])
