"""The forward search: orderings tried, repaired and locally improved, and the best plan found."""

from __future__ import annotations

import math
import random

from .model import NO_TIME, Job, Plan, finish_time, work_minutes
from .objectives import _score, late_orders, makespan, order_dues, order_finishes
from .scheduler import _Day, _schedule

# The search's bounds (each round is one list-scheduling pass): see `plan_day`.
REPAIR_ROUNDS = 3
IMPROVE_SEED = 20261126


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
        self.mirrored: tuple[_Day, int] | None = None  # the day played backwards and its horizon, once made
        self.low = _bound_clock(day)

    def reached(self) -> bool:
        """The best plan keeps every promise, plans every job and ends at the issue's lower bound: nothing to gain."""
        if self.best is None:
            return False
        score, plan, _ordering = self.best
        return score[0] == 0 and not plan.unassigned and makespan(plan, self.day.not_before) <= self.low

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

    def improve(self, passes: int, until=None) -> None:
        """Local search from the best ordering, `passes` list-scheduling passes at most, stopping early at the bound
        or once `until(best plan)` holds. Each step changes the current ordering one way, at random but from a fixed
        seed (the same input gives the same plan): the jobs of a late order (or of one with a job left for want of
        time), or else of the order finishing last, move to an earlier place; or two jobs swap. A step that is no
        worse becomes the current ordering (sideways steps let the search cross plateaus)."""
        rng = random.Random(IMPROVE_SEED)
        score, plan, ordering = self.best
        for _ in range(passes):
            if not ordering or self.reached() or (until is not None and until(self.best[1])):
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


def _bound_clock(day: _Day) -> int:
    """The issue's lower bound as a time of day, for stopping the search early: for each skill, its minutes over the
    technicians eligible for its jobs, worked from the earliest of their starts over that technician's breaks; the
    longest job from its earliest possible start. Ignores kept work, bays and cars, so a plan may not reach it."""
    minutes_of: dict[str, int] = {}
    people: dict[str, dict[int, object]] = {}
    low = day.not_before
    for job in day.jobs:
        candidates = day.candidates.get(job.id)
        if not candidates:
            continue
        minutes_of[job.skill] = minutes_of.get(job.skill, 0) + day.minutes[job.id]
        people.setdefault(job.skill, {}).update((tech.id, tech) for _level, tech, _reserve in candidates)
        low = max(low, min(_worked_from_start(day, tech, day.minutes[job.id]) for _level, tech, _reserve in candidates))
    for skill, techs in people.items():
        first = min(techs.values(), key=lambda tech: (tech.shift[0], tech.id))
        low = max(low, _worked_from_start(day, first, math.ceil(minutes_of[skill] / len(techs))))
    return low


def _worked_from_start(day: _Day, tech, minutes: int) -> int:
    """When `minutes` of work begun at the technician's first possible minute end, over their breaks."""
    return finish_time(max(day.not_before, tech.shift[0]), minutes, day.breaks[tech.id])
