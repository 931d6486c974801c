"""The list scheduler: one pass places each job of an ordering at its earliest finish."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from .model import (
    NO_TIME,
    Assignment,
    Job,
    Plan,
    Tech,
    _break_containing,
    _merged,
    _Timeline,
    eligible,
    finish_time,
    ineligibility,
    work_minutes,
    works_today,
)


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
