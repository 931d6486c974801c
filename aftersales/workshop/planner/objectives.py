"""What a plan is worth (late orders, unassigned work, finishing time), the issue's lower bound and the checker of
every rule."""

from __future__ import annotations

import math

from .model import Assignment, Bay, Job, Plan, Tech, _break_containing, _merged, eligible, finish_time, work_minutes
from .scheduler import _Day


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
