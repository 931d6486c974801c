"""Forward-backward passes: the day planned backwards from a finishing time, where promises are release times."""

from __future__ import annotations

from dataclasses import replace

from .model import NO_TIME, Assignment, Job, Plan, _merged, _Timeline, work_minutes, works_today
from .objectives import _score, makespan, order_finishes
from .scheduler import _Day, _earliest, _schedule
from .search import _Search

#: Forward-backward rounds (each one a minute earlier than the best plan) and the backward search's bounds: passes
#: with the orders left out moved to the front, then a local search of `BACKWARD_BUDGET` ÷ (jobs × technicians)²
#: passes, between 2 and `BACKWARD_PASSES` (100 up to 100 jobs × 25 technicians, 2 for 300 × 60).
TIGHTEN_ROUNDS = 8
MIRROR_ROUNDS = 3
BACKWARD_BUDGET, BACKWARD_PASSES = 625_000_000, 100


def _mirror(day: _Day) -> tuple[_Day, int]:
    """The day played backwards from `horizon` (the latest shift end): time t becomes horizon − t, so a shift (s, e)
    becomes (horizon − e, horizon − max(s, not_before)), breaks, kept intervals, bays' and orders' busy intervals
    likewise. A promise (a deadline) becomes a release time there (`_Day.release`), which a list scheduler keeps by
    construction; its plan, played forwards again (`_unmirror`), ends every order by its deadline."""
    working = [tech for tech in day.techs if works_today(tech)]
    horizon = max((tech.shift[1] for tech in working), default=day.not_before)

    def flip(intervals):
        return [(horizon - end, horizon - start) for start, end in intervals]

    techs = []
    for tech in day.techs:
        if not works_today(tech) or tech.shift[1] <= day.not_before:
            techs.append(replace(tech, shift=None, breaks=[], busy=[]))
            continue
        shift = (horizon - tech.shift[1], horizon - max(tech.shift[0], day.not_before))
        techs.append(replace(tech, shift=shift, breaks=flip(day.breaks[tech.id]), busy=flip(_merged(tech.busy))))
    bays = [replace(bay, busy=flip(_merged(bay.busy))) for bay in day.bays]
    order_busy = {order: flip(zip(line.starts, line.ends, strict=True)) for order, line in day.order_busy.items()}
    mirrored = _Day([replace(job, due=None) for job in day.jobs], techs, bays, 0, order_busy, reserve=day.reserve)
    return mirrored, horizon


def _mirrored_of(search: _Search) -> tuple[_Day, int]:
    """The search's day played backwards and its horizon, made once."""
    if search.mirrored is None:
        search.mirrored = _mirror(search.day)
    return search.mirrored


def _unmirror(plan: Plan, horizon: int) -> Plan:
    """A plan of the mirrored day, played forwards: each job right-justified against its deadline."""
    assignments = [replace(a, start=horizon - a.end, end=horizon - a.start) for a in plan.assignments]
    assignments.sort(key=lambda a: (a.start, a.tech, a.job))
    return Plan(assignments=assignments, unassigned=plan.unassigned)


def _left_justified(day: _Day, plan: Plan) -> tuple[Plan, dict[int, int]]:
    """The plan with each job, in order of start, moved to the earliest time its technician, bay and car allow:
    same technicians and bays, and no job ends later than it did (so no order becomes late)."""
    job_of = {job.id: job for job in day.jobs}
    tech_of = {tech.id: tech for tech in day.techs}
    tech_lines = {tech_id: line.copy() for tech_id, line in day.tech_busy.items()}
    bay_lines = {bay_id: line.copy() for bay_id, line in day.bay_busy.items()}
    order_lines = {order: line.copy() for order, line in day.order_busy.items()}
    load = {tech.id: tech.load for tech in day.techs}
    assignments = []
    for a in sorted(plan.assignments, key=lambda a: (a.start, a.tech, a.job)):
        job = job_of[a.job]
        order_line = order_lines.setdefault(job.order, _Timeline())
        bay_ids = [a.bay] if a.bay is not None else None
        found = _earliest(day, job, tech_of[a.tech], tech_lines[a.tech], order_line, bay_lines, bay_ids, day.not_before)
        start, end, bay_id = found or (a.start, a.end, a.bay)  # never None: its own slot is still free
        tech_lines[a.tech].add(start, end)
        if bay_id is not None:
            bay_lines[bay_id].add(start, end)
        order_line.add(start, end)
        load[a.tech] += work_minutes(job)
        assignments.append(Assignment(job=a.job, tech=a.tech, bay=bay_id, start=start, end=end))
    assignments.sort(key=lambda a: (a.start, a.tech, a.job))
    return Plan(assignments=assignments, unassigned=list(plan.unassigned)), load


def _tighten(search: _Search, rounds: int) -> None:
    """Forward-backward passes from the best plan, `rounds` at most: plan the day backwards so that it ends a minute
    before the best plan does (`_fits_before`); while one fits, start again from the plan it gives. Stops at the
    issue's lower bound."""
    day = search.day
    for _ in range(rounds):
        plan = search.best[1]
        finish = makespan(plan, day.not_before)
        if _short_of_time(plan) or finish <= search.low or not _fits_before(search, finish - 1):
            return


def _fits_before(search: _Search, target: int, guide: Plan | None = None) -> bool:
    """Whether a better plan ending by `target` and keeping every promise the best plan keeps is found.

    The day is planned backwards (`_mirror`), each order released at horizon − its deadline: the earlier of `target`
    and its promise (or its finish in the best plan, when the best plan is already late for it). Two orderings are
    tried, the latest-ending job of the best plan (or of `guide`) first and the longest first, each again with the
    orders left out moved to the front (`MIRROR_ROUNDS` passes); then a local search on the backward day. A backward
    plan that fits is played forwards and offered to the search (`_offer_forwards`)."""
    day, plan = search.day, search.best[1]
    mirrored, horizon = _mirrored_of(search)
    finishes = order_finishes(plan, day.jobs)
    deadline = {}
    for order, finish in finishes.items():  # an order with no job planned (nobody can do them) keeps `target`
        due = search.dues.get(order)
        deadline[order] = target if due is None else min(target, max(due, finish))
    if guide is not None:
        plan = guide
    mirrored.release = {job.id: horizon - deadline.get(job.order, target) for job in mirrored.jobs}
    end_of = {a.job: a.end for a in plan.assignments}
    orderings = (
        sorted(mirrored.jobs, key=lambda j: (-end_of.get(j.id, 0), -work_minutes(j), j.id)),
        sorted(mirrored.jobs, key=lambda j: (-work_minutes(j), mirrored.release[j.id], j.id)),
    )
    for ordering in orderings:
        backwards = _schedule_promoting(search, mirrored, ordering, MIRROR_ROUNDS)
        if backwards is None:
            continue
        if _offer_forwards(search, _unmirror(backwards, horizon)):
            return True
    units = max(1, len(mirrored.jobs) * len(mirrored.techs))
    backward_search = _Search(mirrored)
    for ordering in orderings:
        backward_search.run(ordering)
    passes = min(BACKWARD_PASSES, max(2, BACKWARD_BUDGET // (units * units)))
    backward_search.improve(passes, until=lambda backwards: not _short_of_time(backwards))
    search.passes += backward_search.passes
    backwards = backward_search.best[1]
    return not _short_of_time(backwards) and _offer_forwards(search, _unmirror(backwards, horizon))


def _short_of_time(plan: Plan) -> bool:
    """Some job is left out for want of time (not because nobody can ever do it today)."""
    return any(reason == NO_TIME for _, reason in plan.unassigned)


def _schedule_promoting(search: _Search, day: _Day, ordering: list[Job], rounds: int) -> Plan | None:
    """The plan of the first of `rounds` passes that assigns every job, each pass with the orders the one before
    left out moved to the front; None when none does."""
    for _ in range(rounds):
        search.passes += 1
        plan, _load = _schedule(day, ordering)
        if not _short_of_time(plan):
            return plan
        short = {job_id for job_id, reason in plan.unassigned if reason == NO_TIME}
        left_out = {job.order for job in day.jobs if job.id in short}
        ordering = [j for j in ordering if j.order in left_out] + [j for j in ordering if j.order not in left_out]
    return None


def _offer_forwards(search: _Search, right: Plan) -> bool:
    """Offer the search a right-justified plan's two forward versions: as the ordering of a forward pass (jobs by
    start, the unplanned ones last) and left-justified as it is; whether one became the best."""
    day = search.day
    before = search.best[0]
    flexible = search.run(_ordering_of(day, right))
    left, load = _left_justified(day, right)
    score = _score(left, load, day)
    if flexible is not None and flexible[0] < score:
        return flexible[0] < before
    if score < search.best[0]:
        search.best = (score, left, _ordering_of(day, left))
        return True
    return False


def _ordering_of(day: _Day, plan: Plan) -> list[Job]:
    """Every job of the day: the plan's by start, then the unplanned ones."""
    job_of = {job.id: job for job in day.jobs}
    return [job_of[a.job] for a in plan.assignments] + [job_of[job_id] for job_id, _ in plan.unassigned]
