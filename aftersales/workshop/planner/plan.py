"""`plan_day`: the whole search, from the first ordering to the plan returned."""

from __future__ import annotations

from dataclasses import replace

from .backward import TIGHTEN_ROUNDS, _fits_before, _short_of_time, _tighten
from .model import Bay, Job, Plan, Tech
from .objectives import _score, makespan
from .scheduler import _Day
from .search import REPAIR_ROUNDS, _Search

#: Passes × jobs × technicians for the whole plan (a pass costs about jobs × technicians): 3,750 passes for 30 jobs
#: and 8 technicians, 360 for 100 and 25, 50 for 300 and 60; never fewer than `MIN_PASSES` of local search per search.
PASS_BUDGET = 900_000
MIN_PASSES, MAX_PASSES = 10, 4000
#: Minutes of finishing time a job gives up to leave a technician free for a busier trade they also have.
RESERVE_MINUTES = 15
TARGET_SLACKS = (-30, 0, 30, 60)  # minutes around the longest-first plan's finish aimed at by the latest-start passes
#: Finishing times the promise-keeping search aims at, in minutes after the promise-free plan's finish.
AIM_STEPS = (0, 6, 12, 24, 48)


def plan_day(
    jobs: list[Job],
    techs: list[Tech],
    bays: list[Bay],
    *,
    not_before: int = 0,
    order_busy: dict[int, list[tuple[int, int]]] | None = None,
) -> Plan:
    """Assign the jobs to technicians and bays for the day (see the package docstring for the rules and objectives).

    `techs[i].busy`, `bays[i].busy` and `order_busy` are the kept assignments: left in place, planned around (gaps
    between them included). Jobs that cannot be planned are in `unassigned` with the first reason that applies:
    "no_skill", "level_too_low", "not_working", "no_bay", then "no_time" (eligible people exist but no shift or bay
    time is left for the job today). Assignments come sorted by start, technician, job.

    The search (list-scheduling passes, see the package docstring): the fixed orderings, the forward-backward rounds
    and the local search, `PASS_BUDGET` ÷ (jobs × technicians) passes in all between `MIN_PASSES` and `MAX_PASSES`,
    half of them for a second search that leaves the promises out; then a plan aiming at that one's finish.
    """
    day = _Day(list(jobs), list(techs), list(bays), not_before, order_busy, reserve=RESERVE_MINUTES)
    passes = min(MAX_PASSES, max(MIN_PASSES, PASS_BUDGET // max(1, len(day.jobs) * len(day.techs))))
    search = _search(day, passes - passes // 2)
    if search.best is None:
        return Plan(assignments=[], unassigned=[])
    if search.reached() or not any(job.due is not None for job in day.jobs):
        return search.best[1]
    packed = _search(_without_promises(day), passes // 2).best
    # the tight packing kept where it can be: its late orders brought to the front of its own ordering
    same = {job.id: job for job in day.jobs}
    search.repair_lateness([same[job.id] for job in packed[2]], REPAIR_ROUNDS)
    _aim_at_packing(search, packed[1])
    return _better(day, search.best, packed[1])


def _aim_at_packing(search: _Search, packed: Plan) -> None:
    """Look for a plan that keeps the promises the best plan keeps and ends within `AIM_STEPS` of the promise-free
    plan's finish: a backward plan aiming at each in turn (the promise-free plan's order of ends as its guide); the
    first that fits is tightened further."""
    day = search.day
    if _short_of_time(packed) or _short_of_time(search.best[1]):
        return
    low = makespan(packed, day.not_before)
    for step in AIM_STEPS:
        if low + step >= makespan(search.best[1], day.not_before):
            return
        if _fits_before(search, low + step, guide=packed):
            _tighten(search, TIGHTEN_ROUNDS)
            return


def _search(day: _Day, passes: int) -> _Search:
    """The search of `plan_day` on one day; its `best` is (score, plan, ordering), None when there are no jobs."""
    search = _Search(day)
    bases = search.bases()
    search.run(bases[0])
    if search.best is None:
        return search
    target = makespan(search.best[1], day.not_before)  # the longest-first plan's finish: a good makespan to aim at
    for slack in TARGET_SLACKS:
        search.repair_by_deadlines(target + slack, REPAIR_ROUNDS)
    for base in bases:
        search.repair_lateness(base, REPAIR_ROUNDS)
    _tighten(search, TIGHTEN_ROUNDS)
    search.improve(max(MIN_PASSES, passes - search.passes))
    _tighten(search, TIGHTEN_ROUNDS)
    return search


def _without_promises(day: _Day) -> _Day:
    """The same day with no promised times: its search packs the work as tightly as it can. When the promises are
    loose enough for that packing to keep them all, it finishes earlier than the search led by the promises."""
    return _Day(
        [replace(job, due=None) for job in day.jobs],
        day.techs,
        day.bays,
        day.not_before,
        {order: list(zip(line.starts, line.ends, strict=True)) for order, line in day.order_busy.items()},
    )


def _better(day: _Day, best: tuple, plan: Plan) -> Plan:
    """`plan` when it scores better than `best` (score, plan, ordering) on the real day, promises included."""
    load = {tech.id: tech.load for tech in day.techs}
    for a in plan.assignments:
        load[a.tech] += day.minutes[a.job]
    return plan if _score(plan, load, day) < best[0] else best[1]
