"""The day planner: which technician does which job, on which bay, from when to when. Pure Python, no Django.

Times are integer minutes from midnight of the planned day (a due time may exceed 1440 for a later day, or be
negative for an overdue order). Intervals are half-open, `[start, end)`.

The rules a plan keeps (`check_plan` verifies every one of them):

- a job goes to one technician who is `eligible` for it and, when it needs a bay kind, to one bay whose kinds
  contain it, over one interval `[start, end)`;
- `start >= max(not_before, shift start)`, `end <= shift end`, and the job does not start inside a break; the
  technician works `minutes` inside the interval and pauses over any break it spans, so `end = start + minutes +
  the break minutes it spans` (a 3 h job from 11:00 over a 12:00–13:00 break ends at 15:00);
- the interval overlaps none of the technician's `busy` intervals (kept jobs) nor their other jobs in the plan; the
  bay is occupied for the whole interval, breaks included (the car stays on it), and overlaps none of the bay's
  `busy` intervals nor its other jobs;
- the jobs of one order (one car) never overlap each other nor the order's `order_busy` intervals.

`plan_day` looks for a plan that, in this order: has the fewest orders finishing after their promised time (an
order finishes at its last planned job's end; a promised order with a job left unplanned is late), leaves the fewest
jobs (then minutes) unassigned, finishes earliest (makespan), and spreads the minutes most evenly over the
technicians. It is a list scheduler: each job in turn goes to its earliest finishing (technician, bay, start), gaps
between busy intervals included; a technician who also has a busier trade than the job's is used only when that
finishes `RESERVE_MINUTES` sooner; among equal finishes, the technician with the lowest sufficient level (experts
stay free), then the lower load, then the lower id. The orderings tried: longest job first; least latest start
first (an order must start by min(due, a target finish) − its work, for four targets around the longest-first
plan's finish), re-run with late orders' dues brought forward; longest first, fewest eligible technicians first and
earliest due first, each re-run with its late orders moved to the front; then a bounded local search (late or
last-finishing orders moved earlier, jobs swapped) from the best. A second search packs the day with the promises
left out; its plan wins when it keeps the promises too. The passes are bounded (`PASS_BUDGET`; about 0.9 s of CPU
for 300 jobs on the benchmark machine). Everything is deterministic: the same input gives the same plan, whatever
the order of the lists (ties are broken by ids; the local search draws from a fixed seed; no clock).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace

# Reason codes of an unassigned job, in the order they are checked.
NO_SKILL = "no_skill"
LEVEL_TOO_LOW = "level_too_low"
NOT_WORKING = "not_working"
NO_BAY = "no_bay"
NO_TIME = "no_time"
REASONS = (NO_SKILL, LEVEL_TOO_LOW, NOT_WORKING, NO_BAY, NO_TIME)

# The search's bounds (each round is one list-scheduling pass): see `plan_day`.
REPAIR_ROUNDS = 3
IMPROVE_SEED = 20261126
#: Passes × jobs × technicians for the whole plan (a pass costs about jobs × technicians): 3,750 passes for 30 jobs
#: and 8 technicians, 360 for 100 and 25, 50 for 300 and 60; never fewer than `MIN_PASSES` of local search per search.
PASS_BUDGET = 900_000
MIN_PASSES, MAX_PASSES = 10, 4000
#: Minutes of finishing time a job gives up to leave a technician free for a busier trade they also have.
RESERVE_MINUTES = 15
TARGET_SLACKS = (-30, 0, 30, 60)  # minutes around the longest-first plan's finish aimed at by the latest-start passes
#: Forward-backward rounds (each one a minute earlier than the best plan) and the backward search's bounds: passes
#: with the orders left out moved to the front, then a local search of `BACKWARD_BUDGET` ÷ (jobs × technicians)²
#: passes, between 2 and `BACKWARD_PASSES` (100 up to 100 jobs × 25 technicians, 2 for 300 × 60).
TIGHTEN_ROUNDS = 8
MIRROR_ROUNDS = 3
BACKWARD_BUDGET, BACKWARD_PASSES = 625_000_000, 100
#: Finishing times the promise-keeping search aims at, in minutes after the promise-free plan's finish.
AIM_STEPS = (0, 6, 12, 24, 48)


@dataclass(slots=True)
class Tech:
    id: int  # employee id
    skills: dict[str, int]  # category -> level 1..5
    shift: tuple[int, int] | None  # (start, end) minutes; None = day off / not working
    breaks: list[tuple[int, int]] = field(default_factory=list)  # inside the shift; not worked
    busy: list[tuple[int, int]] = field(default_factory=list)  # kept jobs, in-progress remainder
    load: int = 0  # minutes already on them today (for ties / suggestions)


@dataclass(slots=True)
class Bay:
    id: int
    kinds: frozenset[str]  # kinds of work it allows, e.g. {"举升", "钣金"}
    busy: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class Job:
    id: int  # line id
    order: int  # order id: jobs of one order never overlap in time (one car)
    skill: str  # required category; "" = no skill needed, every working technician is eligible
    min_level: int  # 1..5
    minutes: int  # standard hours × 60, rounded up, at least 1
    bay_kind: str = ""  # "" = needs no bay
    due: int | None = None  # the order's promised time in minutes, None = no promise


@dataclass(slots=True)
class Assignment:
    job: int
    tech: int
    bay: int | None
    start: int
    end: int  # includes any break the job spans


@dataclass(slots=True)
class Plan:
    assignments: list[Assignment]
    unassigned: list[tuple[int, str]]  # (job id, reason code)


# -- eligibility -----------------------------------------------------------------------------------------------------


def works_today(tech: Tech) -> bool:
    """The technician has a shift today with some time in it."""
    return tech.shift is not None and tech.shift[1] > tech.shift[0]


def eligible(job: Job, tech: Tech) -> bool:
    """The technician works today and has the job's skill at its minimum level or above (any working technician
    when the job needs no skill). Says nothing about free time or bays."""
    if not works_today(tech):
        return False
    if job.skill == "":
        return True
    return tech.skills.get(job.skill, 0) >= job.min_level


def ineligibility(job: Job, techs: list[Tech], bays: list[Bay]) -> str | None:
    """Why no technician can ever do the job today, or None when someone could (time aside).

    Checked in this order: "no_skill" (nobody, working or not, has the skill), "level_too_low" (some have it, none
    at the minimum level), "not_working" (those qualified are all off today), "no_bay" (no bay allows the job's bay
    kind). A job that needs no skill is "not_working" when nobody works today. Free time is not considered: a job
    someone could do but nobody has room for is "no_time", which only `plan_day` decides.
    """
    if job.skill:
        holders = [tech for tech in techs if tech.skills.get(job.skill, 0) > 0]
        if not holders:
            return NO_SKILL
        qualified = [tech for tech in holders if tech.skills[job.skill] >= job.min_level]
        if not qualified:
            return LEVEL_TOO_LOW
    else:
        qualified = techs
    if not any(works_today(tech) for tech in qualified):
        return NOT_WORKING
    if job.bay_kind and not any(job.bay_kind in bay.kinds for bay in bays):
        return NO_BAY
    return None


# -- time arithmetic -------------------------------------------------------------------------------------------------


def work_minutes(job: Job) -> int:
    """The minutes of work the job takes (at least 1)."""
    return max(1, job.minutes)


def _merged(intervals) -> list[tuple[int, int]]:
    """Sorted, non-empty, non-overlapping intervals covering the same minutes (touching ones joined)."""
    result: list[tuple[int, int]] = []
    for start, end in sorted((s, e) for s, e in intervals if e > s):
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def finish_time(start: int, minutes: int, breaks: list[tuple[int, int]]) -> int:
    """When `minutes` of work begun at `start` end, pausing over the breaks (sorted, merged) it meets. A job whose
    work ends exactly when a break begins ends then, not after the break."""
    current, remaining = start, minutes
    for break_start, break_end in breaks:
        if break_end <= current:
            continue
        if break_start >= current + remaining:
            break
        if break_start > current:
            remaining -= break_start - current
        current = break_end
    return current + remaining


def _break_containing(t: int, breaks: list[tuple[int, int]]) -> int | None:
    """The end of the break `t` falls in, or None."""
    for break_start, break_end in breaks:
        if break_start <= t < break_end:
            return break_end
        if break_start > t:
            return None
    return None


class _Timeline:
    """Sorted, non-overlapping occupied intervals with O(log n) overlap queries."""

    __slots__ = ("ends", "starts")

    def __init__(self, intervals=()):
        merged = _merged(intervals)
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def copy(self) -> _Timeline:
        clone = _Timeline()
        clone.starts = self.starts[:]
        clone.ends = self.ends[:]
        return clone

    def blocked_until(self, start: int, end: int) -> int | None:
        """None when `[start, end)` is free; otherwise the latest end among the intervals it overlaps (no start
        before that can be free, since a later start never ends sooner)."""
        i = bisect_right(self.ends, start)
        if i == len(self.starts) or self.starts[i] >= end:
            return None
        return self.ends[bisect_left(self.starts, end) - 1]

    def add(self, start: int, end: int) -> None:
        """Occupy `[start, end)`, which must be free; joined with the intervals it touches (fewer steps later)."""
        starts, ends = self.starts, self.ends
        i = bisect_left(starts, start)
        joins_before = i > 0 and ends[i - 1] == start
        joins_after = i < len(starts) and starts[i] == end
        if joins_before and joins_after:
            ends[i - 1] = ends[i]
            del starts[i], ends[i]
        elif joins_before:
            ends[i - 1] = end
        elif joins_after:
            starts[i] = start
        else:
            starts.insert(i, start)
            ends.insert(i, end)


# -- the list scheduler ----------------------------------------------------------------------------------------------


class _Day:
    """The fixed facts of one planning problem, prepared once for every ordering tried."""

    def __init__(self, jobs, techs, bays, not_before, order_busy, reserve: int = 0):
        self.jobs = jobs
        self.minutes = {job.id: work_minutes(job) for job in jobs}
        self.not_before = not_before
        self.techs = sorted(techs, key=lambda tech: tech.id)
        self.bays = sorted(bays, key=lambda bay: bay.id)
        self.breaks = {tech.id: _merged(tech.breaks) for tech in self.techs}
        self.tech_busy = {tech.id: _Timeline(tech.busy) for tech in self.techs if works_today(tech)}
        self.bay_busy = {bay.id: _Timeline(bay.busy) for bay in self.bays}
        self.order_busy = {order: _Timeline(intervals) for order, intervals in (order_busy or {}).items()}
        self.reason = {job.id: ineligibility(job, techs, bays) for job in jobs}
        self.reserve = reserve
        self.release: dict[int, int] = {}  # job id -> earliest start, when later than `not_before` (the mirror's)
        self.pressure = self._pressure()
        self.candidates = {job.id: self._candidates(job) for job in jobs if self.reason[job.id] is None}
        self.bays_of_kind: dict[str, list[int]] = {}
        for job in jobs:
            if job.bay_kind and job.bay_kind not in self.bays_of_kind:
                self.bays_of_kind[job.bay_kind] = [bay.id for bay in self.bays if job.bay_kind in bay.kinds]

    def _pressure(self) -> dict[str, float]:
        """Each skill's minutes of work per working technician who has it (at any level)."""
        work: dict[str, int] = {}
        for job in self.jobs:
            if job.skill:
                work[job.skill] = work.get(job.skill, 0) + work_minutes(job)
        people = {skill: sum(1 for t in self.techs if works_today(t) and t.skills.get(skill)) for skill in work}
        return {skill: work[skill] / people[skill] for skill in work if people[skill]}

    def _candidates(self, job: Job) -> list[tuple[int, Tech, int]]:
        """(tie-break level, tech, reserve) of every eligible technician: the job's skill level, or for a job needing
        no skill the technician's highest level (either way, experts last); `reserve` is the day's `reserve` minutes
        when the technician also has a skill under more pressure than the job's (a 快保 technician who can do 机修 is
        kept for 保养 when 保养 is the busier trade), else 0."""
        result = []
        own = self.pressure.get(job.skill, 0.0)
        for tech in self.techs:
            if eligible(job, tech):
                level = tech.skills.get(job.skill, 0) if job.skill else max(tech.skills.values(), default=0)
                busier = any(self.pressure.get(skill, 0.0) > own for skill in tech.skills if skill != job.skill)
                result.append((level, tech, self.reserve if busier else 0))
        return result


def _earliest(day: _Day, job: Job, tech: Tech, tech_line: _Timeline, order_line, bay_lines, bay_ids, lowest: int):
    """The earliest (start, end, bay) for the job on this technician, or None when nothing fits today. Starts at
    `lowest` and only ever moves forward past whatever blocks: a break, the technician's intervals, the order's, or
    (when all the bays of the kind are taken) the earliest any of them frees up."""
    shift_start, shift_end = tech.shift
    breaks = day.breaks[tech.id]
    minutes = work_minutes(job)
    t = max(lowest, shift_start)
    while True:
        in_break = _break_containing(t, breaks) if breaks else None
        if in_break is not None:
            t = in_break
            continue
        end = finish_time(t, minutes, breaks) if breaks else t + minutes
        if end > shift_end:
            return None
        later = tech_line.blocked_until(t, end)
        if later is not None:
            t = later
            continue
        if order_line is not None:
            later = order_line.blocked_until(t, end)
            if later is not None:
                t = later
                continue
        if not bay_ids:
            return t, end, None
        soonest = None
        for bay_id in bay_ids:
            later = bay_lines[bay_id].blocked_until(t, end)
            if later is None:
                return t, end, bay_id
            if soonest is None or later < soonest:
                soonest = later
        t = soonest


def _rough_finish(t: int, minutes: int, shift_end: int, breaks, line: _Timeline, order_line) -> tuple[int, int] | None:
    """The earliest (start, end) from `t` on this technician ignoring bays, or None; `_earliest` without bays,
    inlined for speed (it runs for every eligible technician of every job of every pass)."""
    starts, ends = line.starts, line.ends
    count = len(starts)
    while True:
        if breaks:
            for break_start, break_end in breaks:
                if break_start <= t < break_end:
                    t = break_end
                    break
            end = finish_time(t, minutes, breaks)
        else:
            end = t + minutes
        if end > shift_end:
            return None
        i = bisect_right(ends, t)
        if i < count and starts[i] < end:
            t = ends[bisect_left(starts, end) - 1]
            continue
        if order_line is not None:
            later = order_line.blocked_until(t, end)
            if later is not None:
                t = later
                continue
        return t, end


def _best_place(day: _Day, job: Job, tech_lines, order_line, bay_lines, bay_ids, load):
    """The best (tech, (start, end, bay)) for the job and its key (end, level, load, tech id), or (None, None).

    First each eligible technician's earliest finish ignoring bays (a lower bound of the real one); then, in the
    order of those, the real finish with a bay, until no remaining technician could beat the best found."""
    minutes = work_minutes(job)
    lowest = day.release.get(job.id, day.not_before) if day.release else day.not_before
    breaks_of = day.breaks
    rough = []
    best_end = None
    for level, tech, reserve in day.candidates[job.id]:
        shift_start, shift_end = tech.shift
        line = tech_lines[tech.id]
        t = lowest if lowest > shift_start else shift_start
        if best_end is not None and not bay_ids:
            i = bisect_right(line.ends, t)  # a quick lower bound of this technician's finish
            if i < len(line.starts) and line.starts[i] <= t:
                t = line.ends[i]
            if t + minutes + reserve > best_end:
                continue
        found = _rough_finish(t, minutes, shift_end, breaks_of[tech.id], line, order_line)
        if found is not None:
            rough.append(((found[1] + reserve, level, load[tech.id], tech.id), tech, found))
            if best_end is None or found[1] + reserve < best_end:
                best_end = found[1] + reserve
    if not rough:
        return None, None
    if not bay_ids:
        key, tech, found = min(rough, key=lambda item: item[0])
        return (tech, (*found, None)), key
    rough.sort(key=lambda item: item[0])
    best, best_key = None, None
    for key, tech, found in rough:
        if best_key is not None and key >= best_key:
            break
        exact = _earliest(day, job, tech, tech_lines[tech.id], order_line, bay_lines, bay_ids, found[0])
        if exact is None:
            continue
        exact_key = (exact[1] + key[0] - found[1], *key[1:])
        if best_key is None or exact_key < best_key:
            best, best_key = (tech, exact), exact_key
    return best, best_key


def _schedule(day: _Day, ordering: list[Job]) -> tuple[Plan, dict[int, int]]:
    """One list-scheduling pass over the jobs in this order; returns the plan and each technician's load."""
    tech_lines = {tech_id: line.copy() for tech_id, line in day.tech_busy.items()}
    bay_lines = {bay_id: line.copy() for bay_id, line in day.bay_busy.items()}
    order_lines = {order: line.copy() for order, line in day.order_busy.items()}
    load = {tech.id: tech.load for tech in day.techs}
    assignments: list[Assignment] = []
    unassigned: list[tuple[int, str]] = []
    for job in ordering:
        reason = day.reason[job.id]
        if reason is not None:
            unassigned.append((job.id, reason))
            continue
        order_line = order_lines.get(job.order)
        bay_ids = day.bays_of_kind.get(job.bay_kind) if job.bay_kind else None
        best, _ = _best_place(day, job, tech_lines, order_line, bay_lines, bay_ids, load)
        if best is None:
            unassigned.append((job.id, NO_TIME))
            continue
        tech, (start, end, bay_id) = best
        tech_lines[tech.id].add(start, end)
        if bay_id is not None:
            bay_lines[bay_id].add(start, end)
        if order_line is None:
            order_line = order_lines[job.order] = _Timeline()
        order_line.add(start, end)
        load[tech.id] += work_minutes(job)
        assignments.append(Assignment(job=job.id, tech=tech.id, bay=bay_id, start=start, end=end))
    assignments.sort(key=lambda a: (a.start, a.tech, a.job))
    unassigned.sort(key=lambda item: item[0])
    return Plan(assignments=assignments, unassigned=unassigned), load


# -- objectives ------------------------------------------------------------------------------------------------------


def order_dues(jobs: list[Job]) -> dict[int, int]:
    """Each order's promised time: the earliest due among its jobs; orders without one are left out."""
    dues: dict[int, int] = {}
    for job in jobs:
        if job.due is not None and (job.order not in dues or job.due < dues[job.order]):
            dues[job.order] = job.due
    return dues


def order_finishes(plan: Plan, jobs: list[Job]) -> dict[int, int]:
    """Each order's finishing time in the plan: its last planned job's end (orders with no planned job left out)."""
    order_of = {job.id: job.order for job in jobs}
    finishes: dict[int, int] = {}
    for a in plan.assignments:
        order = order_of[a.job]
        if a.end > finishes.get(order, a.end - 1):
            finishes[order] = a.end
    return finishes


def late_orders(plan: Plan, jobs: list[Job]) -> list[int]:
    """Ids of the orders with a due time that finish after it or have a job left unassigned (sorted)."""
    dues = order_dues(jobs)
    finishes = order_finishes(plan, jobs)
    order_of = {job.id: job.order for job in jobs}
    late = {order for order, due in dues.items() if finishes.get(order, due) > due}
    late.update(order_of[job_id] for job_id, _ in plan.unassigned if order_of[job_id] in dues)
    return sorted(late)


def makespan(plan: Plan, not_before: int = 0) -> int:
    """The end of the plan's last job, or `not_before` when it has none."""
    return max((a.end for a in plan.assignments), default=not_before)


def _score(plan: Plan, load: dict[int, int], day: _Day) -> tuple:
    """Smaller is better: late orders (a promised order with a job left unplanned counts as late), then unassigned
    jobs and their minutes (more work planned), makespan, then the spread of the load (sum of squares of each
    technician's minutes, kept work included)."""
    return (
        len(late_orders(plan, day.jobs)),
        len(plan.unassigned),
        sum(day.minutes[job_id] for job_id, _ in plan.unassigned),
        makespan(plan, day.not_before),
        sum(minutes * minutes for minutes in load.values()),
    )


# -- orderings -------------------------------------------------------------------------------------------------------


_NO_DUE = 10**9


class _Search:
    """The orderings tried and the best plan found so far, by `_score`."""

    def __init__(self, day: _Day):
        self.day = day
        self.dues = order_dues(day.jobs)
        self.order_total: dict[int, int] = {}
        for job in day.jobs:
            self.order_total[job.order] = self.order_total.get(job.order, 0) + work_minutes(job)
        self.best: tuple | None = None  # (score, plan, ordering)
        self.seen: set[tuple[int, ...]] = set()
        self.passes = 0  # list-scheduling passes run, forwards or backwards
        self.order_of = {job.id: job.order for job in day.jobs}
        self._mirrored: tuple[_Day, int] | None = None
        self.low = _bound_clock(day)

    def reached(self) -> bool:
        """The best plan keeps every promise, plans every job and ends at the issue's lower bound: nothing to gain."""
        if self.best is None:
            return False
        score, plan, _ordering = self.best
        return score[0] == 0 and not plan.unassigned and makespan(plan, self.day.not_before) <= self.low

    def mirrored(self) -> tuple[_Day, int]:
        """The day played backwards and its horizon (`_mirror`), made once."""
        if self._mirrored is None:
            self._mirrored = _mirror(self.day)
        return self._mirrored

    def due(self, job: Job) -> int:
        return self.dues.get(job.order, _NO_DUE)

    def bases(self) -> list[list[Job]]:
        """The plain starting orderings, each a total order (ties by id): longest job first (LPT), fewest eligible
        technicians first, earliest due first."""
        day, due = self.day, self.due
        choices = {job.id: len(day.candidates.get(job.id, ())) for job in day.jobs}
        keys = [
            lambda j: (-work_minutes(j), due(j), j.id),
            lambda j: (choices[j.id], -work_minutes(j), due(j), j.id),
            lambda j: (due(j), -work_minutes(j), j.id),
        ]
        return [sorted(day.jobs, key=key) for key in keys]

    def latest_start_ordering(self, target: int, advance: dict[int, int]) -> list[Job]:
        """Least latest start first: an order must start by min(its due − `advance`, `target`) − its work to finish
        by both its due and the target finishing time; an order's jobs together, longest first."""
        total, due = self.order_total, self.due

        def key(job):
            deadline = min(due(job) - advance.get(job.order, 0), target)
            return (deadline - total[job.order], job.order, -work_minutes(job), job.id)

        return sorted(self.day.jobs, key=key)

    def run(self, ordering: list[Job]) -> tuple | None:
        """Schedule this ordering (once: repeats are skipped); keep it when best. Returns (score, plan) or None."""
        fingerprint = tuple(job.id for job in ordering)
        if fingerprint in self.seen:
            return None
        self.seen.add(fingerprint)
        self.passes += 1
        plan, load = _schedule(self.day, ordering)
        score = _score(plan, load, self.day)
        if self.best is None or score < self.best[0]:
            self.best = (score, plan, ordering)
        return score, plan

    def promoted(self, ordering: list[Job], orders: list[int]) -> list[Job]:
        """The jobs of `orders` first, in the order given (an order's jobs longest first), then the rest as they were."""
        rank = {order: i for i, order in enumerate(orders)}
        front = sorted((job for job in ordering if job.order in rank), key=lambda j: (rank[j.order], -j.minutes, j.id))
        return front + [job for job in ordering if job.order not in rank]

    def repair_lateness(self, base: list[Job], rounds: int) -> None:
        """Schedule `base`, then again with the late orders moved to the front (earliest due first), adding the
        newly late ones each round, until none is late or `rounds` is spent."""
        promoted: list[int] = []
        ordering = base
        for _ in range(rounds):
            result = self.run(ordering)
            if result is None:
                return
            late = [order for order in late_orders(result[1], self.day.jobs) if order not in promoted]
            if not late:
                return
            promoted += sorted(late, key=lambda order: (self.dues[order], order))
            ordering = self.promoted(base, promoted)

    def repair_by_deadlines(self, target: int, rounds: int) -> None:
        """Schedule by latest start for the target finishing time; then again with each late order's due treated as
        earlier by its lateness (accumulated), until none is late or `rounds` is spent."""
        advance: dict[int, int] = {}
        for _ in range(rounds):
            result = self.run(self.latest_start_ordering(target, advance))
            if result is None:
                return
            plan = result[1]
            late = late_orders(plan, self.day.jobs)
            if not late:
                return
            finishes = order_finishes(plan, self.day.jobs)
            for order in late:
                lateness = finishes.get(order, self.dues[order] + 60) - self.dues[order]
                advance[order] = advance.get(order, 0) + max(lateness, 10)

    def improve(self, passes: int) -> None:
        """Local search from the best ordering, `passes` list-scheduling passes at most. Each step changes the
        current ordering one way, at random but from a fixed seed (the same input gives the same plan): the jobs of
        a late order, or else of the order finishing last, move to an earlier place; or two jobs swap. A step that
        is no worse becomes the current ordering (sideways steps let the search cross plateaus)."""
        rng = random.Random(IMPROVE_SEED)
        score, plan, ordering = self.best
        for _ in range(passes):
            if not ordering or self.reached():
                return
            candidate = self._step(rng, plan, ordering)
            result = self.run(candidate)
            if result is not None and result[0] <= score:
                (score, plan), ordering = result, candidate

    def _step(self, rng: random.Random, plan: Plan, ordering: list[Job]) -> list[Job]:
        if len(ordering) > 1 and rng.random() < 0.3:
            i, j = rng.sample(range(len(ordering)), 2)
            swapped = ordering[:]
            swapped[i], swapped[j] = swapped[j], swapped[i]
            return swapped
        late = late_orders(plan, self.day.jobs)
        short = [self.order_of[job_id] for job_id, reason in plan.unassigned if reason == NO_TIME]
        if short and rng.random() < 0.5:
            late = short
        order = rng.choice(late) if late and rng.random() < 0.5 else _last_order(plan, self.day.jobs)
        if order is None:
            return ordering
        moving = [job for job in ordering if job.order == order]
        rest = [job for job in ordering if job.order != order]
        first = next(i for i, job in enumerate(ordering) if job.order == order)
        at = rng.randrange(0, first + 1)
        return rest[:at] + moving + rest[at:]


def _last_order(plan: Plan, jobs: list[Job]) -> int | None:
    finishes = order_finishes(plan, jobs)
    if not finishes:
        return None
    return max(finishes, key=lambda order: (finishes[order], -order))


def plan_day(
    jobs: list[Job],
    techs: list[Tech],
    bays: list[Bay],
    *,
    not_before: int = 0,
    order_busy: dict[int, list[tuple[int, int]]] | None = None,
) -> Plan:
    """Assign the jobs to technicians and bays for the day (see the module docstring for the rules and objectives).

    `techs[i].busy`, `bays[i].busy` and `order_busy` are the kept assignments: left in place, planned around (gaps
    between them included). Jobs that cannot be planned are in `unassigned` with the first reason that applies:
    "no_skill", "level_too_low", "not_working", "no_bay", then "no_time" (eligible people exist but no shift or bay
    time is left for the job today). Assignments come sorted by start, technician, job.

    The search (list-scheduling passes): longest first (1); least latest start for each of `TARGET_SLACKS` around
    its finish, with late orders' dues brought forward (up to `REPAIR_ROUNDS` each); longest first, fewest eligible
    and earliest due with late orders moved to the front (up to `REPAIR_ROUNDS` each, repeats skipped); then the
    local search, `PASS_BUDGET` ÷ (jobs × technicians) passes between `MIN_PASSES` and `MAX_PASSES`, shared with a
    second search that leaves the promises out (kept when it keeps them too).
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


# -- forward-backward tightening ----------------------------------------------------------------------------------


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
    mirrored, horizon = search.mirrored()
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
    backward_search.improve(min(BACKWARD_PASSES, max(2, BACKWARD_BUDGET // (units * units))))
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


def _bound_clock(day: _Day) -> int:
    """The issue's lower bound as a time of day: from the earliest shift start, over the first such shift's breaks."""
    working = [tech for tech in day.techs if works_today(tech)]
    if not working:
        return day.not_before
    first = min(working, key=lambda tech: (tech.shift[0], tech.id))
    start = max(day.not_before, first.shift[0])
    return finish_time(start, lower_bound(day.jobs, day.techs) - day.not_before, day.breaks[first.id])


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


# -- the bound and the checker ---------------------------------------------------------------------------------------


def lower_bound(jobs: list[Job], techs: list[Tech], not_before: int = 0) -> int:
    """The issue's lower bound on the plan's finishing time, in minutes:

        not_before + ceil(max(longest job, max over skills S of (minutes of S's jobs ÷ technicians eligible for
        at least one job of S)))

    Only jobs someone is eligible for count (an impossible job is never planned); a job needing no skill counts under
    the skill "" with every working technician eligible. The bound is in minutes of work: it ignores shift starts,
    breaks, bays, kept jobs, orders and due times, so compare it with a makespan measured in worked minutes from
    `not_before` (see bench/dispatch.py). 0 jobs → `not_before`.
    """
    longest = 0
    minutes_of: dict[str, int] = {}
    eligible_ids: dict[str, set[int]] = {}
    for job in jobs:
        ids = {tech.id for tech in techs if eligible(job, tech)}
        if not ids:
            continue
        longest = max(longest, work_minutes(job))
        minutes_of[job.skill] = minutes_of.get(job.skill, 0) + work_minutes(job)
        eligible_ids.setdefault(job.skill, set()).update(ids)
    average = max((minutes_of[skill] / len(eligible_ids[skill]) for skill in minutes_of), default=0)
    return not_before + math.ceil(max(longest, average))


def check_plan(
    plan: Plan,
    jobs: list[Job],
    techs: list[Tech],
    bays: list[Bay],
    order_busy: dict[int, list[tuple[int, int]]] | None = None,
) -> list[str]:
    """Every rule the plan breaks, one line each (empty: the plan is valid). Checks: every job is in the plan once
    (assigned or unassigned, not both, not twice), known technician and bay, eligible technician, bay of the right
    kind (and a bay when one is needed), inside the shift, not starting in a break, end = start + minutes + the
    breaks spanned, and no overlap per technician (their busy intervals included), per bay (its busy intervals
    included) or per order (`order_busy` included). Does not check `not_before` nor the objectives."""
    problems: list[str] = []
    job_by_id = {job.id: job for job in jobs}
    tech_by_id = {tech.id: tech for tech in techs}
    bay_by_id = {bay.id: bay for bay in bays}
    seen: dict[int, int] = {}
    for a in plan.assignments:
        seen[a.job] = seen.get(a.job, 0) + 1
    for job_id, _ in plan.unassigned:
        seen[job_id] = seen.get(job_id, 0) + 1
    for job_id, count in sorted(seen.items()):
        if job_id not in job_by_id:
            problems.append(f"job {job_id}: not a job of the day")
        elif count > 1:
            problems.append(f"job {job_id}: in the plan {count} times")
    problems += [f"job {job.id}: missing from the plan" for job in jobs if job.id not in seen]

    per_tech = {tech.id: [(s, e, "busy") for s, e in _merged(tech.busy)] for tech in techs}
    per_bay = {bay.id: [(s, e, "busy") for s, e in _merged(bay.busy)] for bay in bays}
    per_order = {order: [(s, e, "busy") for s, e in _merged(spans)] for order, spans in (order_busy or {}).items()}
    for a in plan.assignments:
        job, tech = job_by_id.get(a.job), tech_by_id.get(a.tech)
        if job is None:
            continue
        if tech is None:
            problems.append(f"job {a.job}: unknown technician {a.tech}")
            continue
        problems += _assignment_problems(a, job, tech, bay_by_id)
        per_tech[tech.id].append((a.start, a.end, f"job {a.job}"))
        if a.bay in per_bay:
            per_bay[a.bay].append((a.start, a.end, f"job {a.job}"))
        per_order.setdefault(job.order, []).append((a.start, a.end, f"job {a.job}"))
    for label, groups in (("technician", per_tech), ("bay", per_bay), ("order", per_order)):
        for key, spans in sorted(groups.items()):
            problems += [f"{label} {key}: {clash}" for clash in _overlaps(spans)]
    return problems


def _assignment_problems(a: Assignment, job: Job, tech: Tech, bay_by_id: dict[int, Bay]) -> list[str]:
    problems = []
    if not eligible(job, tech):
        problems.append(f"job {a.job}: technician {tech.id} is not eligible")
    if job.bay_kind:
        if a.bay is None:
            problems.append(f"job {a.job}: needs a {job.bay_kind} bay, has none")
        elif a.bay not in bay_by_id:
            problems.append(f"job {a.job}: unknown bay {a.bay}")
        elif job.bay_kind not in bay_by_id[a.bay].kinds:
            problems.append(f"job {a.job}: bay {a.bay} does not allow {job.bay_kind}")
    elif a.bay is not None and a.bay not in bay_by_id:
        problems.append(f"job {a.job}: unknown bay {a.bay}")
    if tech.shift is None:
        return problems
    breaks = _merged(tech.breaks)
    if a.start < tech.shift[0] or a.end > tech.shift[1]:
        problems.append(f"job {a.job}: [{a.start}, {a.end}) outside the shift {tech.shift}")
    if _break_containing(a.start, breaks) is not None:
        problems.append(f"job {a.job}: starts in a break at {a.start}")
    elif a.end != finish_time(a.start, work_minutes(job), breaks):
        expected = finish_time(a.start, work_minutes(job), breaks)
        problems.append(f"job {a.job}: ends at {a.end}, {work_minutes(job)} minutes from {a.start} end at {expected}")
    return problems


def _overlaps(spans: list[tuple[int, int, str]]) -> list[str]:
    """Each pair of overlapping spans, as text (sorted; a span overlaps the latest-ending one before it)."""
    clashes = []
    latest = None
    for start, end, label in sorted(spans):
        if latest is not None and start < latest[1]:
            clashes.append(f"{latest[2]} [{latest[0]}, {latest[1]}) overlaps {label} [{start}, {end})")
        if latest is None or end > latest[1]:
            latest = (start, end, label)
    return clashes
