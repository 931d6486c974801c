"""The dispatch benchmark: the day planner's plans against a lower bound, and its planning time.

    .venv/bin/python -m bench.dispatch            # --rounds 7, --seed 1, --json prints the figures as JSON

Cases (issue 6): generated days of 30 jobs × 8 technicians, 100 × 25 and 300 × 60, each from `--seed`. A day is
made to look like a real workshop's:

- **technicians** in trade groups (班组) sized to the work: 快保 (保养, some 机修), 机电 (机修, often 电工 and 检测),
  钣金, 喷漆; the main skill at level 2–5 (each group's first at 4–5), the others at 1–4; most work 08:30–17:30, a few
  08:00–17:00, all with a 12:00–13:00 break; about one in twenty is off;
- **jobs**: skills in the mix the staff brings (each working technician 0.7 of their best skill, 0.3 of the others);
  flat-rate times of 0.3–4 h skewed short (a log-normal, in tenths of an hour), their mean set so that the work is
  about 4.5 h a working technician; minimum levels mostly 1–2, some 3–4; lifts (举升) for most 机修 and 保养 jobs
  and some 电工, 钣金 and 喷漆 bays for body and paint work, a 四轮定位 bay for some 检测;
- **orders** of 1–3 jobs (one car: its jobs never overlap) of at most 4 h together (`ORDER_MAX`: a car whose work
  takes more than a day is not a one-day plan);
- **promised times** as an advisor at the counter gives them (`advisor_estimates`): the order's finish if the
  workshop took the cars as they came (first come, first served, each job to the eligible technician free soonest),
  plus a margin of 0–2 h (a fifth of them at most 20 minutes); one order in five has none. The estimate is made
  without the planner, so the promises are neither fitted to its plans nor impossible;
- **bays**: enough of each kind for its work at 60% of a shift, so that bays are not the bottleneck.

Method. Everything runs in one process. Each case is generated once; then `--rounds` rounds each plan every case
in turn on the thread's CPU clock (time other processes hold the shared core is not counted), garbage collection
off; the figure is the median. Every plan is verified with `planner.check_plan` (a broken rule fails the run).

Two lower bounds, both in minutes of work, so the plan's finishing time is compared in worked minutes too: minutes
from 08:30 (the common shift start) to the plan's last end, less the part of the common 12:00–13:00 break inside it.

- **The issue's** (`planner.lower_bound`): the larger of the longest job and, for each skill, the minutes of its jobs
  divided by the technicians eligible for at least one of them. A technician with several skills counts in full
  under each, so where the skills share people (机修, 电工 and 检测 are the same 机电 group) it is below what any plan
  can reach: `--bound issue` checks the goal against it.
- **The proven one** (`proven_bound`, the default for the goal): the issue's rule taken over every *set* of skills
  (their minutes over the technicians eligible for any of them; the single skills are the issue's bound), for each
  skill at each minimum level and up, for each order (one car) and for each bay kind. Every plan ends at or after
  it, and it is at least the issue's bound (less the 08:00 technicians' head start).

Goals: ratio ≤ 1.10 for every case and a median planning time under 2 s for the 300-job case; exits 1 when one is
missed or a plan breaks a rule. Needs no database and no Django.
"""

import argparse
import gc
import itertools
import json
import math
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from aftersales.workshop import planner
from aftersales.workshop.planner import Bay, Job, Tech
from bench.pay_formula import machine

CASES = ((30, 8), (100, 25), (300, 60))
MAX_RATIO = 1.10
MAX_SECONDS = 2.0

SKILLS = ("机修", "电工", "钣金", "喷漆", "保养", "检测")
SKILL_WEIGHTS = (30, 12, 9, 7, 32, 10)
DAY_START = 8 * 60 + 30  # 08:30, the common shift start
BREAK = (12 * 60, 13 * 60)
WORK_PER_TECH = 270  # minutes of work generated per working technician (4.5 h)
# Bay kind a job of each skill needs, with its probability.
BAY_NEEDS = {"机修": ("举升", 0.8), "保养": ("举升", 0.6), "电工": ("举升", 0.2), "钣金": ("钣金", 1.0)}
BAY_NEEDS |= {"喷漆": ("喷漆", 1.0), "检测": ("四轮定位", 0.3)}


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def worked(t: int) -> int:
    """Worked minutes from 08:30 to `t`, less the part of the common 12:00–13:00 break before `t`."""
    return t - DAY_START - max(0, min(t, BREAK[1]) - BREAK[0])


def clock_of_worked(minutes: int) -> int:
    """The clock time at which `minutes` of work from 08:30 end, pausing over the common break (inverse of
    `worked`)."""
    return planner.finish_time(DAY_START, minutes, [BREAK]) if minutes > 0 else DAY_START + minutes


# -- the generated day -------------------------------------------------------------------------------------------------


@dataclass
class Day:
    jobs: list[Job]
    techs: list[Tech]
    bays: list[Bay]


#: The trade groups (班组) a workshop is staffed by, with the share of the work their main skill gets: each
#: technician belongs to one group and has its skills, the main one at level 2–5 (the group's first at 4–5, so
#: every group has a senior), the others at 1–4 when they have them at all.
GROUPS = (
    ("快保", {"保养": (2, 4, 1.0), "机修": (1, 2, 0.5)}, 32),
    ("机电", {"机修": (2, 5, 1.0), "电工": (1, 4, 0.6), "检测": (1, 4, 0.5)}, 52),
    ("钣金", {"钣金": (2, 5, 1.0)}, 9),
    ("喷漆", {"喷漆": (2, 5, 1.0)}, 7),
)


def group_sizes(count: int) -> list[int]:
    """Technicians per group in proportion to its share of the work, at least one each (largest remainders)."""
    total = sum(share for *_rest, share in GROUPS)
    exact = [count * share / total for *_rest, share in GROUPS]
    sizes = [max(1, math.floor(x)) for x in exact]
    order = sorted(range(len(GROUPS)), key=lambda i: exact[i] - math.floor(exact[i]), reverse=True)
    for i in order:
        if sum(sizes) >= count:
            break
        sizes[i] += 1
    while sum(sizes) > count:
        sizes[sizes.index(max(sizes))] -= 1
    return sizes


def make_techs(rng: random.Random, count: int) -> list[Tech]:
    techs = []
    for (_name, skills_of, _share), size in zip(GROUPS, group_sizes(count), strict=True):
        for member in range(size):
            skills: dict[str, int] = {}
            for skill, (low, high, chance) in skills_of.items():
                if chance >= 1.0 or rng.random() < chance:
                    skills[skill] = rng.randint(4, 5) if member == 0 and chance >= 1.0 else rng.randint(low, high)
            roll = rng.random()
            if roll < 0.05 and member:
                shift = None
            elif roll < 0.20:
                shift = (8 * 60, 17 * 60)
            else:
                shift = (DAY_START, 17 * 60 + 30)
            techs.append(Tech(id=1000 + len(techs), skills=skills, shift=shift, breaks=[BREAK] if shift else []))
    return techs


def job_minutes(rng: random.Random, mean: float) -> int:
    """A flat-rate time of 0.3–4 h, in tenths of an hour, skewed short: a log-normal (σ 0.6) of the given mean."""
    sigma = 0.6
    hours = rng.lognormvariate(math.log(mean / 60) - sigma * sigma / 2, sigma)
    return 6 * min(40, max(3, round(hours * 10)))


#: An order's work is at most this many minutes: a car whose work takes longer than a day is not a one-day plan.
ORDER_MAX = 240


def skill_demand(techs: list[Tech]) -> tuple[list[str], list[float]]:
    """The skill mix of the day's work, as the workshop is staffed for it: each working technician brings 0.7 of
    work in their best skill and 0.3 shared among their others."""
    demand: dict[str, float] = {}
    for tech in techs:
        if not tech.shift:
            continue
        ranked = sorted(tech.skills, key=lambda name: (-tech.skills[name], name))
        main, others = ranked[0], ranked[1:]
        demand[main] = demand.get(main, 0) + (0.7 if others else 1.0)
        for other in others:
            demand[other] = demand.get(other, 0) + 0.3 / len(others)
    names = sorted(demand)
    return names, [demand[name] for name in names]


def make_jobs(rng: random.Random, count: int, techs: list[Tech]) -> list[Job]:
    working = sum(1 for tech in techs if tech.shift)
    mean = WORK_PER_TECH * working / count
    skills, weights = skill_demand(techs)
    jobs: list[Job] = []
    order = 0
    while len(jobs) < count:
        order += 1
        size = min(count - len(jobs), rng.choices((1, 2, 3), weights=(55, 30, 15))[0])
        lines: list[Job] = []
        while len(lines) < size:
            skill = rng.choices(skills, weights=weights)[0]
            minutes = job_minutes(rng, mean)
            if lines and sum(line.minutes for line in lines) + minutes > ORDER_MAX:
                break
            kind, chance = BAY_NEEDS[skill]
            lines.append(
                Job(
                    id=len(jobs) + len(lines) + 1,
                    order=order,
                    skill=skill,
                    min_level=rng.choices((1, 2, 3, 4), weights=(45, 35, 14, 6))[0],
                    minutes=minutes,
                    bay_kind=kind if rng.random() < chance else "",
                )
            )
        due = order_due(rng, sum(line.minutes for line in lines))
        for line in lines:
            line.due = due
        jobs += lines
    return jobs


def order_due(rng: random.Random, total: int) -> int | None:
    """No promise for one order in five; else a time from 10:00 to 18:30 in half hours, never before the order's
    work could be done from 08:30, a quarter of them within the hour after that (tight)."""
    if rng.random() < 0.2:
        return None
    earliest = clock_of_worked(total)
    if rng.random() < 0.25:
        return earliest + rng.randrange(0, 61, 10)
    return max(earliest + 30, rng.randrange(10 * 60, 18 * 60 + 31, 30))


def make_bays(jobs: list[Job]) -> list[Bay]:
    """Enough bays of each kind for its work at 60% of an eight-hour shift, plus one; 四轮定位 bays are lifts too."""
    need: dict[str, int] = {}
    for job in jobs:
        if job.bay_kind:
            need[job.bay_kind] = need.get(job.bay_kind, 0) + job.minutes
    bays = []
    for kind in ("举升", "四轮定位", "钣金", "喷漆"):
        kinds = frozenset({kind, "举升"}) if kind == "四轮定位" else frozenset({kind})
        for _ in range(math.ceil(need.get(kind, 0) / (480 * 0.6)) + 1):
            bays.append(Bay(id=len(bays) + 1, kinds=kinds))
    return bays


def make_day(jobs: int, techs: int, seed: int) -> Day:
    rng = random.Random(f"dispatch-{seed}-{jobs}-{techs}")
    staff = make_techs(rng, techs)
    work = make_jobs(rng, jobs, staff)
    bays = make_bays(work)
    promise(rng, work, staff)
    return Day(jobs=work, techs=staff, bays=bays)


def advisor_estimates(jobs: list[Job], techs: list[Tech]) -> dict[int, int]:
    """When each order would be done if the workshop took the cars as they came: orders in arrival order (by id),
    each job in turn to the eligible technician free soonest, an order's jobs one after another, breaks spanned,
    bays and the end of the shift ignored. The advisor's own reckoning at the counter, independent of the planner's
    search (only its `eligible` and `finish_time` rules are shared)."""
    free = {tech.id: tech.shift[0] for tech in techs if tech.shift}
    by_order: dict[int, list[Job]] = {}
    for job in jobs:
        by_order.setdefault(job.order, []).append(job)
    finishes = {}
    for order in sorted(by_order):
        ready = 0
        for job in by_order[order]:
            able = [tech for tech in techs if tech.shift and planner.eligible(job, tech)]
            if not able:
                continue
            tech = min(able, key=lambda t: (max(free[t.id], ready), t.id))
            start = max(free[tech.id], ready)
            ready = free[tech.id] = planner.finish_time(start, job.minutes, tech.breaks)
        if ready:
            finishes[order] = ready
    return finishes


def promise(rng: random.Random, jobs: list[Job], techs: list[Tech]) -> None:
    """Promised times as an advisor who looks at the workshop's load gives them (`advisor_estimates`), plus a
    margin of 0–2 h in steps of 10 minutes, rounded up to the next 10 minutes; a fifth of the orders get a margin
    of at most 20 minutes (tight); one order in five gets no promise."""
    finishes = advisor_estimates(jobs, techs)
    dues: dict[int, int | None] = {}
    for order in sorted({job.order for job in jobs}):
        if order not in finishes or rng.random() < 0.2:
            dues[order] = None
            continue
        margin = rng.randrange(0, 21, 10) if rng.random() < 0.2 else rng.randrange(0, 121, 10)
        dues[order] = -(-(finishes[order] + margin) // 10) * 10
    for job in jobs:
        job.due = dues[job.order]


# -- the bounds --------------------------------------------------------------------------------------------------------


def _head_start(tech: Tech) -> int:
    """Minutes the technician can work before 08:30 (30 for an 08:00 shift)."""
    return max(0, DAY_START - tech.shift[0])


def proven_bound(day: Day) -> tuple[int, str]:
    """A lower bound on any plan's finish in worked minutes from 08:30, at least the issue's (up to the 08:00 head
    start, which it subtracts), and what sets it. The largest of: each job's minutes; each order's minutes (one car);
    for the jobs of each skill at each minimum level and above, and for all jobs together, their minutes over the
    technicians eligible for at least one of them; for each bay kind, its jobs' minutes over its bays. From each,
    the work that could be done before 08:30 is taken off (an 08:00 technician's half hour; a bay's half hour)."""
    working = [tech for tech in day.techs if tech.shift]
    eligible = {job.id: [tech for tech in working if planner.eligible(job, tech)] for job in day.jobs}
    jobs = [job for job in day.jobs if eligible[job.id]]
    candidates: list[tuple[float, str]] = []
    orders: dict[int, list[Job]] = {}
    groups: dict[str, list[Job]] = {"all jobs": []}
    kinds: dict[str, list[Job]] = {}
    for job in jobs:
        head = max(_head_start(tech) for tech in eligible[job.id])
        candidates.append((job.minutes - head, f"job {job.id}"))
        orders.setdefault(job.order, []).append(job)
        groups["all jobs"].append(job)
        for level in range(1, job.min_level + 1):
            groups.setdefault(f"{job.skill or 'no skill'} ≥ {level}", []).append(job)
        if job.bay_kind:
            kinds.setdefault(job.bay_kind, []).append(job)
    for order, lines in orders.items():
        head = max(_head_start(tech) for job in lines for tech in eligible[job.id])
        candidates.append((sum(job.minutes for job in lines) - head, f"order {order} (one car)"))
    skills = sorted({job.skill for job in jobs})
    for size in range(2, len(skills) + 1):
        for chosen in itertools.combinations(skills, size):
            groups[" + ".join(chosen)] = [job for job in jobs if job.skill in chosen]
    for name, lines in groups.items():
        people = {tech.id: tech for job in lines for tech in eligible[job.id]}
        work = sum(job.minutes for job in lines) - sum(_head_start(tech) for tech in people.values())
        candidates.append((work / len(people), name))
    for kind, lines in kinds.items():
        places = [bay for bay in day.bays if kind in bay.kinds]
        candidates.append(((sum(job.minutes for job in lines) - 30 * len(places)) / len(places), f"{kind} bays"))
    if not candidates:
        return 0, "no job"
    candidates.append((flow_bound(jobs, eligible), "work divided among the eligible (flow)"))
    value, reason = max(candidates, key=lambda item: item[0])
    return math.ceil(value), reason


def flow_bound(jobs: list[Job], eligible: dict[int, list[Tech]]) -> int:
    """The issue's "total hours divided among the eligible technicians", done exactly: the least T (worked minutes
    from 08:30) for which the jobs' minutes can be shared out, in any fractions, among the technicians eligible for
    each, none working more than T (plus an 08:00 technician's head start). Jobs with the same eligible technicians
    are one source; a maximum flow (Dinic) decides each T, a binary search finds the least."""
    classes: dict[tuple[int, ...], int] = {}
    for job in jobs:
        key = tuple(sorted(tech.id for tech in eligible[job.id]))
        classes[key] = classes.get(key, 0) + job.minutes
    head = {tech.id: _head_start(tech) for job in jobs for tech in eligible[job.id]}
    total = sum(classes.values())
    low, high = 0, total
    while low < high:
        middle = (low + high) // 2
        if _max_flow(classes, {tech: middle + start for tech, start in head.items()}) >= total:
            high = middle
        else:
            low = middle + 1
    return low


def _max_flow(classes: dict[tuple[int, ...], int], capacity: dict[int, int]) -> int:
    """Maximum flow from the job classes (their minutes) to the technicians (their capacity)."""
    techs = sorted(capacity)
    source, sink = 0, 1
    node = {("class", key): 2 + i for i, key in enumerate(classes)}
    node.update({("tech", tech): 2 + len(classes) + i for i, tech in enumerate(techs)})
    graph: list[list[list[int]]] = [[] for _ in range(2 + len(classes) + len(techs))]

    def edge(a: int, b: int, cap: int) -> None:
        graph[a].append([b, cap, len(graph[b])])
        graph[b].append([a, 0, len(graph[a]) - 1])

    infinite = sum(classes.values())
    for key, minutes in classes.items():
        edge(source, node[("class", key)], minutes)
        for tech in key:
            edge(node[("class", key)], node[("tech", tech)], infinite)
    for tech in techs:
        edge(node[("tech", tech)], sink, max(0, capacity[tech]))
    level = [-1] * len(graph)
    cursor = [0] * len(graph)

    def push(current: int, limit: int) -> int:
        if current == sink:
            return limit
        while cursor[current] < len(graph[current]):
            e = graph[current][cursor[current]]
            target, cap, rev = e
            if cap > 0 and level[target] == level[current] + 1:
                sent = push(target, min(limit, cap))
                if sent:
                    e[1] -= sent
                    graph[target][rev][1] += sent
                    return sent
            cursor[current] += 1
        return 0

    flow = 0
    while True:
        level[:] = [-1] * len(graph)
        level[source] = 0
        queue = [source]
        for current in queue:
            for target, cap, _rev in graph[current]:
                if cap > 0 and level[target] < 0:
                    level[target] = level[current] + 1
                    queue.append(target)
        if level[sink] < 0:
            return flow
        cursor[:] = [0] * len(graph)
        while True:
            sent = push(source, infinite)
            if not sent:
                break
            flow += sent


# -- the measure -------------------------------------------------------------------------------------------------------


def evaluate(day: Day, plan: planner.Plan) -> dict:
    """The figures of one plan: bound, finishing time, ratio (both in worked minutes), orders on time."""
    bound = planner.lower_bound(day.jobs, day.techs)
    proven, proven_by = proven_bound(day)
    end = planner.makespan(plan, DAY_START)
    dues = planner.order_dues(day.jobs)
    late = planner.late_orders(plan, day.jobs)
    return {
        "jobs": len(day.jobs),
        "techs": len(day.techs),
        "working_techs": sum(1 for tech in day.techs if tech.shift),
        "bays": len(day.bays),
        "work_minutes": sum(job.minutes for job in day.jobs),
        "lower_bound_worked": bound,
        "lower_bound_clock": clock(clock_of_worked(bound)),
        "makespan_worked": worked(end),
        "makespan_clock": clock(end),
        "ratio": worked(end) / bound if bound else 1.0,
        "proven_bound_worked": proven,
        "proven_bound_by": proven_by,
        "proven_ratio": worked(end) / proven if proven > 0 else 1.0,
        "advisor_ratio": worked(max(advisor_estimates(day.jobs, day.techs).values())) / proven if proven > 0 else 1.0,
        "orders_with_due": len(dues),
        "on_time": (len(dues) - len(late)) / len(dues) if dues else 1.0,
        "unassigned": len(plan.unassigned),
        "problems": planner.check_plan(plan, day.jobs, day.techs, day.bays),
    }


def _plan_seconds(day: Day) -> tuple[planner.Plan, float]:
    start = time.thread_time()
    plan = planner.plan_day(day.jobs, day.techs, day.bays)
    return plan, time.thread_time() - start


def measure(*, rounds: int = 7, seed: int = 1, cases=None) -> list[dict]:
    """Each case's figures and its planning times (CPU seconds, one a round) and their median; `cases` are
    (jobs, technicians) pairs, `CASES` when None."""
    days = [make_day(jobs, techs, seed) for jobs, techs in (CASES if cases is None else cases)]
    seconds: list[list[float]] = [[] for _ in days]
    plans: list[planner.Plan | None] = [None] * len(days)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            for i, day in enumerate(days):
                plan, spent = _plan_seconds(day)
                seconds[i].append(spent)
                if plans[i] is not None and plan != plans[i]:
                    raise AssertionError(f"case {i}: the same day gave two different plans")
                plans[i] = plan
    finally:
        if gc_was_enabled:
            gc.enable()
    results = []
    for day, plan, times in zip(days, plans, seconds, strict=True):
        results.append({**evaluate(day, plan), "seconds": times, "median_ms": 1000 * statistics.median(times)})
    return results


def failures_of(
    results: list[dict], max_ratio: float = MAX_RATIO, max_seconds: float = MAX_SECONDS, bound: str = "proven"
) -> list[str]:
    """The goals missed: a broken rule, a ratio to the chosen bound ("issue" or "proven") above `max_ratio`, the
    largest case's median planning time above `max_seconds`."""
    failures = []
    key = "ratio" if bound == "issue" else "proven_ratio"
    for r in results:
        name = f"{r['jobs']} jobs × {r['techs']} technicians"
        failures += [f"{name}: {problem}" for problem in r["problems"][:5]]
        if r[key] > max_ratio:
            failures.append(f"{name}: makespan {r[key]:.3f} × the {bound} lower bound, goal ≤ {max_ratio:.2f}")
    largest = max(results, key=lambda r: r["jobs"])
    if largest["median_ms"] / 1000 > max_seconds:
        failures.append(f"{largest['jobs']} jobs planned in {largest['median_ms']:.0f} ms, goal < {max_seconds:.0f} s")
    return failures


def _plan_once(args: tuple[int, int, int]) -> dict:
    """One generated day (jobs, technicians, seed) planned once: its figures and CPU seconds."""
    jobs, techs, seed = args
    day = make_day(jobs, techs, seed)
    plan, spent = _plan_seconds(day)
    return {**evaluate(day, plan), "seed": seed, "seconds": [spent], "median_ms": 1000 * spent}


def sweep(seeds: range, workers: int = 1) -> list[dict]:
    """Every case of `CASES` for each seed, planned once (in `workers` processes): the figures of each day."""
    work = [(jobs, techs, seed) for seed in seeds for jobs, techs in CASES]
    if workers <= 1:
        return [_plan_once(args) for args in work]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_plan_once, work))


def sweep_table(results: list[dict], max_ratio: float = MAX_RATIO) -> list[str]:
    """Per case: days, how many within `max_ratio` of the proven bound, the median and worst ratio, the days with
    every promise kept, the largest planning time; then each day over `max_ratio`."""
    lines = [
        f"{'jobs':>4} {'techs':>5} {'days':>4} {'within':>6} {'median':>6} {'worst':>14} {'promises kept':>13} {'max CPU ms':>10}"
    ]
    over = []
    for jobs, techs in CASES:
        rows = [r for r in results if (r["jobs"], r["techs"]) == (jobs, techs)]
        if not rows:
            continue
        ratios = sorted(r["proven_ratio"] for r in rows)
        worst = max(rows, key=lambda r: r["proven_ratio"])
        within = sum(1 for r in rows if r["proven_ratio"] <= max_ratio)
        kept = sum(1 for r in rows if r["on_time"] == 1.0)
        slowest = max(r["median_ms"] for r in rows)
        worst_text = f"{worst['proven_ratio']:.3f} (seed {worst['seed']})"
        lines.append(
            f"{jobs:>4} {techs:>5} {len(rows):>4} {within:>6} {statistics.median(ratios):>6.3f} {worst_text:>14} "
            f"{kept:>13} {slowest:>10.0f}"
        )
        over += [r for r in rows if r["proven_ratio"] > max_ratio]
    for r in sorted(over, key=lambda r: (r["jobs"], r["seed"])):
        lines.append(
            f"  over {max_ratio:.2f}: seed {r['seed']}, {r['jobs']} jobs: {r['proven_ratio']:.3f}, "
            f"{r['on_time']:.0%} of promises kept, {r['unassigned']} unassigned"
        )
    return lines


# -- the report --------------------------------------------------------------------------------------------------------


def table(results: list[dict]) -> list[str]:
    lines = [
        f"{'jobs':>4} {'techs':>5} {'work h':>6} {'issue bound':>13} {'proven bound':>13} {'makespan':>13} "
        f"{'÷issue':>6} {'÷proven':>7} {'on time':>11} {'unassigned':>10} {'CPU ms':>6} {'FCFS÷proven':>11}"
        "  proven bound set by",
    ]
    for r in results:
        bound = f"{r['lower_bound_worked'] / 60:.2f} h {r['lower_bound_clock']}"
        proven = f"{r['proven_bound_worked'] / 60:.2f} h {clock(clock_of_worked(r['proven_bound_worked']))}"
        end = f"{r['makespan_worked'] / 60:.2f} h {r['makespan_clock']}"
        on_time = f"{r['on_time']:.0%} of {r['orders_with_due']}"
        lines.append(
            f"{r['jobs']:>4} {r['techs']:>5} {r['work_minutes'] / 60:>6.1f} {bound:>13} {proven:>13} {end:>13} "
            f"{r['ratio']:>6.3f} {r['proven_ratio']:>7.3f} {on_time:>11} {r['unassigned']:>10} {r['median_ms']:>6.0f}"
            f" {r['advisor_ratio']:>11.3f}  {r['proven_bound_by']}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed plans of each case (7)")
    parser.add_argument("--seed", type=int, default=1, help="the generated days' seed (1)")
    parser.add_argument(
        "--bound",
        choices=("issue", "proven"),
        default="proven",
        help="the bound the 1.10 goal is checked against: the proven one (default) or the issue's literal one",
    )
    parser.add_argument(
        "--json", nargs="?", const="-", metavar="FILE", help="print the figures as JSON (or write them to FILE)"
    )
    parser.add_argument(
        "--seeds",
        metavar="A-B",
        help="instead: plan every case once for each seed from A to B and report how many days meet the 1.10 goal",
    )
    args = parser.parse_args(argv)
    if args.seeds:
        first, _, last = args.seeds.partition("-")
        results = sweep(range(int(first), int(last or first) + 1), workers=os.cpu_count() or 1)
        print(f"seeds {args.seeds}; each day planned once; ratio = finishing time ÷ the proven lower bound")
        print("\n".join(sweep_table(results)))
        return 0

    load_before = os.getloadavg()
    started = time.monotonic()
    results = measure(rounds=args.rounds, seed=args.seed)
    failures = failures_of(results, bound=args.bound)
    document = {
        "cases": results,
        "rounds": args.rounds,
        "seed": args.seed,
        "goals": {"max_ratio": MAX_RATIO, "bound": args.bound, "max_seconds_300_jobs": MAX_SECONDS},
        "machine": machine(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "elapsed_s": round(time.monotonic() - started, 2),
        "failures": failures,
    }
    if args.json == "-":
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        info = document["machine"]
        print(f"{info['cpu']}, {info['cores']} cores, Python {info['python']}")
        print(f"load average before {load_before[0]:.1f}, after {document['load_average']['after'][0]:.1f}")
        print(
            f"seed {args.seed}; {args.rounds} rounds; CPU time, median; bound and makespan in worked hours from 08:30"
        )
        print()
        print("\n".join(table(results)))
        if args.json:
            path = Path(args.json)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
            print(f"\nWritten to {path}")
        if failures:
            print("\nGOALS MISSED:\n  " + "\n  ".join(failures))
        else:
            worst = max(r["ratio" if args.bound == "issue" else "proven_ratio"] for r in results)
            print(f"\nOK: every plan within {worst:.3f} × its {args.bound} lower bound; 300 jobs planned in time.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
